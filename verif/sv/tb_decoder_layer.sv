// SPDX-License-Identifier: Apache-2.0
//
// Test harness for decoder_layer: every per-layer parameter lives in SV memories, so Python only
// drives tokens (x and the pos beat) and picks the layer.
//
// Memories, loaded with $readmemh at every rising edge of `load` from mem<Id>.memh in the
// simulation's directory (or +mem<Id>=<path>); every file holds all NumLayers layers, layer after
// layer (verif/harness/decoder_layer.py writes them):
//   mem0        weight_stream.sv: the weight memory bus (WeightBusBytes per word, the bit above
//               it tlast): QKV, O, FC1 and FC2's matrices of a layer back to back, one pass per
//               token, started by the token's first x beat (so a measured token never uses
//               weights fetched before it arrived);
//   mem1..mem4  weight_stream.sv: per-channel parameters of QKV, O, FC1, FC2, replayed per token;
//   mem5, mem6  LN1 / LN2 per-channel parameters, D sllm_pkg::ln_chan_t lines per layer;
//   mem7        the GELU table, 256 lines of 8 bits per layer;
//   mem8        the layer's scalars, one sllm_pkg::layer_cfg_t line per layer.
// Switching layer (between tokens, the layer idle): set `layer`, pulse `restart` (the weight
// streams restart at that layer's first word) and `cfg_load` (the loader writes the layer's
// LayerNorm parameters and GELU table into the units, one entry per cycle, and latches its
// scalars; `cfg_busy` is high meanwhile).
// Weight starvation: every weight stream withholds a beat with probability w_stall/256.
// Counters (cleared by reset): cycle; first_in_cycle, the cycle of a token's first x beat;
// last_out_cycle, the cycle of its last x' beat. A token takes last_out - first_in + 1 cycles.
// weight_words: bus words the layer has taken (one per cycle at most: the bandwidth limit).

`default_nettype none

module tb_decoder_layer
  import sllm_pkg::*;
#(
  parameter int D            = 128,
  parameter int Heads        = 4,
  parameter int DFfn         = 512,
  parameter int MaxSeq       = 128,
  parameter int NumLayers    = 2,
  parameter int ResidLanes     = 16,
  parameter int WeightBusBytes = 64,
  parameter int PrefetchWords  = 256,
  parameter int LanesQkv     = 128,
  parameter int LanesO       = 128,
  parameter int LanesFc1     = 128,
  parameter int LanesFc2     = 128,
  parameter int ColsQkv      = 1,
  parameter int ColsO        = 1,
  parameter int ColsFc1      = 1,
  parameter int ColsFc2      = 1,
  parameter int AttnMacs     = 16,
  parameter int AttnSlices   = 1,
  parameter int SoftmaxUnits = 2,
  localparam int ResidBits  = 16,
  localparam int LayerWidth = (NumLayers > 1) ? $clog2(NumLayers) : 1,
  localparam int ChanWidth  = (D > 1) ? $clog2(D) : 1,
  localparam int LoadSteps  = (D > 256) ? D : 256,
  localparam int BusWords   = (4 * D * D + 2 * D * DFfn) / WeightBusBytes,  // one layer's weights
  localparam int PBits      = $bits(linear_param_t)
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  input  wire logic                  load,
  input  wire logic                  restart,
  input  wire logic                  cfg_load,
  input  wire logic [LayerWidth-1:0] layer,
  input  wire logic [7:0]            w_stall,
  output logic                       cfg_busy,
  input  wire logic [ResidLanes*ResidBits-1:0] s_axis_tdata,
  input  wire logic                  s_axis_tlast,
  input  wire logic                  s_axis_tvalid,
  output logic                       s_axis_tready,
  input  wire token_t                s_axis_pos_tdata,
  input  wire logic                  s_axis_pos_tlast,
  input  wire logic                  s_axis_pos_tvalid,
  output logic                       s_axis_pos_tready,
  output logic      [ResidLanes*ResidBits-1:0] m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tvalid,
  input  wire logic                  m_axis_tready,
  output logic                       pos_error,
  output logic                       layer_error,
  output logic      [31:0]           cycle,
  output logic      [31:0]           first_in_cycle,
  output logic      [31:0]           last_out_cycle,
  output logic      [31:0]           weight_words
);

  // ---- The weight bus (one pass per token) and one stream per parameter port ----------------
  logic [WeightBusBytes*8-1:0] w_tdata;
  logic                        w_tlast, w_tvalid, w_tready;
  logic [ColsQkv*PBits-1:0]    p_qkv_tdata;  // Cols<u> channels per beat (linear.sv)
  logic [ColsO*PBits-1:0]      p_o_tdata;
  logic [ColsFc1*PBits-1:0]    p_fc1_tdata;
  logic [ColsFc2*PBits-1:0]    p_fc2_tdata;
  logic [3:0]                  p_tlast, p_tvalid, p_tready;  // {fc2, fc1, o, qkv}
  logic                        token_start;                   // a token's first x beat (u_counters)


  weight_stream #(.Width(WeightBusBytes * 8), .Words(BusWords), .NumLayers(NumLayers), .Id(0),
                  .LastInWord(1'b1), .Gated(1'b1)) u_weight_bus (
    .clk, .rst_n, .load, .restart, .layer, .stall(w_stall), .go(token_start),
    .m_axis_tdata(w_tdata), .m_axis_tlast(w_tlast), .m_axis_tvalid(w_tvalid), .m_axis_tready(w_tready));
  weight_stream #(.Width(ColsQkv * PBits), .Words(3 * D / ColsQkv), .NumLayers(NumLayers), .Id(1)) u_p_qkv (
    .clk, .rst_n, .load, .restart, .layer, .stall(w_stall), .go(1'b0),
    .m_axis_tdata(p_qkv_tdata), .m_axis_tlast(p_tlast[0]), .m_axis_tvalid(p_tvalid[0]), .m_axis_tready(p_tready[0]));
  weight_stream #(.Width(ColsO * PBits), .Words(D / ColsO), .NumLayers(NumLayers), .Id(2)) u_p_o (
    .clk, .rst_n, .load, .restart, .layer, .stall(w_stall), .go(1'b0),
    .m_axis_tdata(p_o_tdata), .m_axis_tlast(p_tlast[1]), .m_axis_tvalid(p_tvalid[1]), .m_axis_tready(p_tready[1]));
  weight_stream #(.Width(ColsFc1 * PBits), .Words(DFfn / ColsFc1), .NumLayers(NumLayers), .Id(3)) u_p_fc1 (
    .clk, .rst_n, .load, .restart, .layer, .stall(w_stall), .go(1'b0),
    .m_axis_tdata(p_fc1_tdata), .m_axis_tlast(p_tlast[2]), .m_axis_tvalid(p_tvalid[2]), .m_axis_tready(p_tready[2]));
  weight_stream #(.Width(ColsFc2 * PBits), .Words(D / ColsFc2), .NumLayers(NumLayers), .Id(4)) u_p_fc2 (
    .clk, .rst_n, .load, .restart, .layer, .stall(w_stall), .go(1'b0),
    .m_axis_tdata(p_fc2_tdata), .m_axis_tlast(p_tlast[3]), .m_axis_tvalid(p_tvalid[3]), .m_axis_tready(p_tready[3]));

  // ---- Per-layer configuration memories and their loader --------------------------------------
  ln_chan_t   ln1_mem [NumLayers * D];
  ln_chan_t   ln2_mem [NumLayers * D];
  logic [7:0] gelu_mem [NumLayers * 256];
  layer_cfg_t cfg_mem [NumLayers];

  `include "tb_mem_file.svh"  // mem_file(id)

  always @(posedge load) begin
    $readmemh(mem_file(5), ln1_mem);
    $readmemh(mem_file(6), ln2_mem);
    $readmemh(mem_file(7), gelu_mem);
    $readmemh(mem_file(8), cfg_mem);
  end

  localparam int StepWidth = $clog2(LoadSteps + 1);
  logic [StepWidth-1:0] step_q;
  layer_cfg_t cfg_q;
  logic ln_we, gelu_we;
  localparam int LnAddrWidth   = $clog2(NumLayers * D);
  localparam int GeluAddrWidth = $clog2(NumLayers * 256);
  logic [LnAddrWidth-1:0]   ln_index;
  logic [GeluAddrWidth-1:0] gelu_index;

  assign cfg_busy   = (step_q != StepWidth'(LoadSteps));
  assign ln_we      = cfg_busy && (step_q < StepWidth'(D));
  assign gelu_we    = cfg_busy && (step_q < StepWidth'(256));
  assign ln_index   = LnAddrWidth'(32'(layer) * 32'(D) + 32'(step_q));
  assign gelu_index = GeluAddrWidth'(32'(layer) * 32'd256 + 32'(step_q));

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      step_q <= StepWidth'(LoadSteps);
    end else if (cfg_load) begin
      step_q    <= '0;
      cfg_q     <= cfg_mem[layer];
    end else if (cfg_busy) begin
      step_q <= step_q + 1'b1;
    end
  end

  // ---- The layer --------------------------------------------------------------------------------
  decoder_layer #(
    .D(D), .Heads(Heads), .DFfn(DFfn), .MaxSeq(MaxSeq), .NumLayers(NumLayers),
    .ResidLanes(ResidLanes), .WeightBusBytes(WeightBusBytes), .PrefetchWords(PrefetchWords),
    .LanesQkv(LanesQkv), .LanesO(LanesO), .LanesFc1(LanesFc1), .LanesFc2(LanesFc2),
    .ColsQkv(ColsQkv), .ColsO(ColsO), .ColsFc1(ColsFc1), .ColsFc2(ColsFc2),
    .AttnMacs(AttnMacs), .AttnSlices(AttnSlices), .SoftmaxUnits(SoftmaxUnits)
  ) u_layer (
    .clk, .rst_n,
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .s_axis_pos_tdata, .s_axis_pos_tlast, .s_axis_pos_tvalid, .s_axis_pos_tready,
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready,
    .s_axis_w_tdata(w_tdata), .s_axis_w_tlast(w_tlast), .s_axis_w_tvalid(w_tvalid), .s_axis_w_tready(w_tready),
    .s_axis_p_qkv_tdata(p_qkv_tdata), .s_axis_p_qkv_tlast(p_tlast[0]), .s_axis_p_qkv_tvalid(p_tvalid[0]), .s_axis_p_qkv_tready(p_tready[0]),
    .s_axis_p_o_tdata(p_o_tdata), .s_axis_p_o_tlast(p_tlast[1]), .s_axis_p_o_tvalid(p_tvalid[1]), .s_axis_p_o_tready(p_tready[1]),
    .s_axis_p_fc1_tdata(p_fc1_tdata), .s_axis_p_fc1_tlast(p_tlast[2]), .s_axis_p_fc1_tvalid(p_tvalid[2]), .s_axis_p_fc1_tready(p_tready[2]),
    .s_axis_p_fc2_tdata(p_fc2_tdata), .s_axis_p_fc2_tlast(p_tlast[3]), .s_axis_p_fc2_tvalid(p_tvalid[3]), .s_axis_p_fc2_tready(p_tready[3]),
    .cfg(cfg_q),
    .ln1_prm_we(ln_we), .ln2_prm_we(ln_we), .ln_prm_addr(ChanWidth'(step_q)),
    .ln1_prm_wdata(ln1_mem[ln_index]), .ln2_prm_wdata(ln2_mem[ln_index]),
    .gelu_tbl_we(gelu_we), .gelu_tbl_addr(step_q[7:0]), .gelu_tbl_wdata(gelu_mem[gelu_index]),
    .pos_error, .layer_error
  );

  // ---- Cycle counters ---------------------------------------------------------------------------
  token_counters u_counters (
    .clk, .rst_n, .x_fire(s_axis_tvalid && s_axis_tready), .x_last(s_axis_tlast), .y_fire(m_axis_tvalid && m_axis_tready),
    .y_last(m_axis_tlast), .w_fire(w_tvalid && w_tready), .token_start, .cycle, .first_in_cycle, .last_out_cycle,
    .weight_words
  );

endmodule

`default_nettype wire
