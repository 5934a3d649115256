// SPDX-License-Identifier: Apache-2.0
//
// Test harness for llama_layer: every per-layer parameter lives in SV memories, so Python only
// drives tokens (x and the pos beat) and picks the layer (as verif/sv/tb_decoder_layer.sv does).
//
// Memories, loaded with $readmemh at every rising edge of `load` from mem<Id>.memh in the
// simulation's directory (or +mem<Id>=<path>); every per-layer file holds all NumLayers layers,
// layer after layer (verif/harness/llama_layer.py writes them):
//   mem0        weight_stream.sv: the weight memory bus (WeightBusBytes per word, the bit above it
//               tlast): the Q4_1 blocks of QKV, O, gate/up and down back to back, one pass per
//               token, started by the token's first x beat;
//   mem1..mem4  weight_stream.sv: per-row requant words (sllm_pkg::rq_wide_t) of QKV, O,
//               gate/up and down, replayed per token;
//   mem5, mem6  the two RMSNorms' per-channel words, D sllm_pkg::ln_chan_t lines per layer;
//   mem7        the sigmoid table, 257 lines of 16 bits per layer;
//   mem8        the layer's scalars, one sllm_pkg::llama_cfg_t line per layer;
//   mem9        the RoPE table (every layer's), MaxSeq*HeadDim/2 sllm_pkg::rope_entry_t lines,
//               written into the unit after each `load`.
// Switching layer (between tokens, the layer idle): set `layer`, pulse `restart` and `cfg_load`
// (the loader writes the layer's RMSNorm words and sigmoid table into the units, one entry per
// cycle, and latches its scalars; `cfg_busy` is high meanwhile, and while the RoPE table loads).
// Weight starvation: every weight stream withholds a beat with probability w_stall/256.
// Self-drive (make run MODEL=smollm2: Python out of the per-beat path): with `drive` high the
// harness streams drive_x (a whole D-element vector) and drive_pos into the layer on a pulse of
// drive_go, takes every x' beat itself (always ready) into drive_y, and raises drive_done with the
// last one; the s_axis / m_axis ports are idle meanwhile. Every input pin, these and the control
// pins, acts one cycle after it is set (registered at the boundary, for simulation speed).
// Counters (cleared by reset): cycle; first_in_cycle, the cycle of a token's first x beat;
// last_out_cycle, the cycle of its last x' beat; weight_words, bus words taken.

`default_nettype none

module tb_llama_layer
  import sllm_pkg::*;
#(
  parameter int D              = 576,
  parameter int Heads          = 9,
  parameter int KvHeads        = 3,
  parameter int DFfn           = 1536,
  parameter int MaxSeq         = 64,
  parameter int NumLayers      = 2,
  parameter int ResidLanes     = 16,
  parameter int WeightBusBytes = 84,
  parameter int PrefetchWords  = 256,
  parameter int LanesQkv       = 192,
  parameter int LanesO         = 192,
  parameter int LanesGateUp    = 192,
  parameter int LanesDown      = 192,
  parameter int AttnMacs       = 64,
  parameter int SoftmaxUnits   = 4,
  localparam int HeadDim     = D / Heads,
  localparam int QkvN        = D + 2 * KvHeads * HeadDim,
  localparam int LayerWidth  = (NumLayers > 1) ? $clog2(NumLayers) : 1,
  localparam int ChanWidth   = (D > 1) ? $clog2(D) : 1,
  localparam int SigEntries  = 257,
  localparam int RopeEntries = MaxSeq * HeadDim / 2,
  localparam int LoadSteps   = (D > SigEntries) ? D : SigEntries,
  localparam int BusWords    = (QkvN * D + D * D + 3 * DFfn * D) / 32 * 21 / WeightBusBytes  // one layer
) (
  /*verilator public_flat_rw_on*/
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  input  wire logic                  load,
  input  wire logic                  restart,
  input  wire logic                  cfg_load,
  input  wire logic [LayerWidth-1:0] layer,
  input  wire logic [7:0]            w_stall,
  output logic                       cfg_busy,
  input  wire logic [ResidLanes*24-1:0] s_axis_tdata,
  input  wire logic                  s_axis_tlast,
  input  wire logic                  s_axis_tvalid,
  output logic                       s_axis_tready,
  input  wire token_t                s_axis_pos_tdata,
  input  wire logic                  s_axis_pos_tlast,
  input  wire logic                  s_axis_pos_tvalid,
  output logic                       s_axis_pos_tready,
  output logic      [ResidLanes*24-1:0] m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tvalid,
  input  wire logic                  m_axis_tready,
  output logic                       pos_error,
  output logic                       layer_error,
  output logic      [31:0]           cycle,
  output logic      [31:0]           first_in_cycle,
  output logic      [31:0]           last_out_cycle,
  output logic      [31:0]           weight_words,
  input  wire logic                  drive,
  input  wire logic                  drive_go,
  input  wire logic [D*24-1:0]       drive_x,
  input  wire token_t                drive_pos,
  output logic      [D*24-1:0]       drive_y,
  output logic                       drive_done
  /*verilator public_off*/
);

  // ---- Every input is registered before it reaches the layer ----------------------------------
  // All logic hanging combinationally off a top-level input is re-evaluated by Verilator at every
  // eval (twice a cycle); with flops and register slices at the boundary that is only this block.
  // The control pins therefore act one cycle late, together; cfg_busy covers that cycle.
  logic load_q, restart_q, cfg_load_q, drive_on, drive_go_q;
  logic [LayerWidth-1:0] layer_q;
  logic [7:0] w_stall_q;
  always_ff @(posedge clk) begin
    load_q     <= load;
    restart_q  <= restart;
    cfg_load_q <= cfg_load;
    layer_q    <= layer;
    w_stall_q  <= w_stall;
    drive_on   <= (drive === 1'b1);  // a bench that never drives `drive` (X on Icarus) uses the ports
    drive_go_q <= (drive_go === 1'b1);
  end

  // ---- The layer's streams: the ports (through register slices), or the self-drive path ---------
  localparam int BeatBits = ResidLanes * 24;
  localparam int Beats    = D / ResidLanes;
  logic [BeatBits-1:0] x_tdata, y_tdata, px_tdata;
  logic x_tlast, x_tvalid, x_tready, y_tlast, y_tvalid, y_tready;
  logic px_tlast, px_tvalid, px_tready, py_tvalid, py_tready;
  token_t pos_tdata, ppos_tdata;
  logic pos_tlast, pos_tvalid, pos_tready, ppos_tlast, ppos_tvalid, ppos_tready;
  logic [D*24-1:0] x_buf_q;           // the token being fed, shifted out one beat at a time
  logic [$clog2(Beats + 1)-1:0] feed_left_q;
  logic pos_pending_q;
  token_t drive_pos_q;

  axis_register #(.DataWidth(BeatBits)) u_x_port (
    .clk, .rst_n, .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata(px_tdata), .m_axis_tlast(px_tlast), .m_axis_tvalid(px_tvalid), .m_axis_tready(px_tready));
  axis_register #(.DataWidth($bits(token_t))) u_pos_port (
    .clk, .rst_n, .s_axis_tdata(s_axis_pos_tdata), .s_axis_tlast(s_axis_pos_tlast), .s_axis_tvalid(s_axis_pos_tvalid),
    .s_axis_tready(s_axis_pos_tready),
    .m_axis_tdata(ppos_tdata), .m_axis_tlast(ppos_tlast), .m_axis_tvalid(ppos_tvalid), .m_axis_tready(ppos_tready));
  axis_register #(.DataWidth(BeatBits)) u_y_port (
    .clk, .rst_n, .s_axis_tdata(y_tdata), .s_axis_tlast(y_tlast), .s_axis_tvalid(py_tvalid), .s_axis_tready(py_tready),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready);

  assign x_tdata    = drive_on ? x_buf_q[BeatBits-1:0] : px_tdata;
  assign x_tlast    = drive_on ? (feed_left_q == 1) : px_tlast;
  assign x_tvalid   = drive_on ? (feed_left_q != 0) : px_tvalid;
  assign px_tready  = !drive_on && x_tready;
  assign pos_tdata  = drive_on ? drive_pos_q : ppos_tdata;
  assign pos_tlast  = drive_on ? 1'b1 : ppos_tlast;
  assign pos_tvalid = drive_on ? pos_pending_q : ppos_tvalid;
  assign ppos_tready = !drive_on && pos_tready;
  assign py_tvalid  = !drive_on && y_tvalid;
  assign y_tready   = drive_on ? 1'b1 : py_tready;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      feed_left_q   <= '0;
      pos_pending_q <= 1'b0;
      drive_done    <= 1'b0;
    end else if (drive_go_q) begin
      feed_left_q   <= ($clog2(Beats + 1))'(Beats);
      pos_pending_q <= 1'b1;
      drive_done    <= 1'b0;
    end else if (drive_on) begin
      if (pos_tvalid && pos_tready) pos_pending_q <= 1'b0;
      if (x_tvalid && x_tready) feed_left_q <= feed_left_q - 1'b1;
      if (y_tvalid && y_tlast) drive_done <= 1'b1;
    end
    // The data registers need no reset: a token's go loads them, its beats shift them.
    if (drive_go_q) begin
      x_buf_q     <= drive_x;
      drive_pos_q <= drive_pos;
    end else if (x_tvalid && x_tready && drive_on) begin
      x_buf_q <= x_buf_q >> BeatBits;
    end
    if (y_tvalid && drive_on) drive_y <= {y_tdata, drive_y[D*24-1:BeatBits]};  // beat 0 ends lowest
  end

  // ---- The weight bus (one pass per token) and one stream per row-parameter port --------------
  logic [WeightBusBytes*8-1:0] w_tdata;
  logic                        w_tlast, w_tvalid, w_tready;
  rq_wide_t                    p_qkv_tdata, p_o_tdata, p_gu_tdata, p_down_tdata;
  logic [3:0]                  p_tlast, p_tvalid, p_tready;  // {down, gate/up, o, qkv}
  logic                        token_start;                   // a token's first x beat (u_counters)


  weight_stream #(.Width(WeightBusBytes * 8), .Words(BusWords), .NumLayers(NumLayers), .Id(0),
                  .LastInWord(1'b1), .Gated(1'b1)) u_weight_bus (
    .clk, .rst_n, .load(load_q), .restart(restart_q), .layer(layer_q), .stall(w_stall_q), .go(token_start),
    .m_axis_tdata(w_tdata), .m_axis_tlast(w_tlast), .m_axis_tvalid(w_tvalid), .m_axis_tready(w_tready));
  weight_stream #(.Width($bits(rq_wide_t)), .Words(QkvN), .NumLayers(NumLayers), .Id(1)) u_p_qkv (
    .clk, .rst_n, .load(load_q), .restart(restart_q), .layer(layer_q), .stall(w_stall_q), .go(1'b0),
    .m_axis_tdata(p_qkv_tdata), .m_axis_tlast(p_tlast[0]), .m_axis_tvalid(p_tvalid[0]), .m_axis_tready(p_tready[0]));
  weight_stream #(.Width($bits(rq_wide_t)), .Words(D), .NumLayers(NumLayers), .Id(2)) u_p_o (
    .clk, .rst_n, .load(load_q), .restart(restart_q), .layer(layer_q), .stall(w_stall_q), .go(1'b0),
    .m_axis_tdata(p_o_tdata), .m_axis_tlast(p_tlast[1]), .m_axis_tvalid(p_tvalid[1]), .m_axis_tready(p_tready[1]));
  weight_stream #(.Width($bits(rq_wide_t)), .Words(2 * DFfn), .NumLayers(NumLayers), .Id(3)) u_p_gu (
    .clk, .rst_n, .load(load_q), .restart(restart_q), .layer(layer_q), .stall(w_stall_q), .go(1'b0),
    .m_axis_tdata(p_gu_tdata), .m_axis_tlast(p_tlast[2]), .m_axis_tvalid(p_tvalid[2]), .m_axis_tready(p_tready[2]));
  weight_stream #(.Width($bits(rq_wide_t)), .Words(D), .NumLayers(NumLayers), .Id(4)) u_p_down (
    .clk, .rst_n, .load(load_q), .restart(restart_q), .layer(layer_q), .stall(w_stall_q), .go(1'b0),
    .m_axis_tdata(p_down_tdata), .m_axis_tlast(p_tlast[3]), .m_axis_tvalid(p_tvalid[3]), .m_axis_tready(p_tready[3]));

  // ---- Per-layer configuration memories and their loaders --------------------------------------
  ln_chan_t    norm1_mem [NumLayers * D];
  ln_chan_t    norm2_mem [NumLayers * D];
  logic [15:0] sig_mem [NumLayers * SigEntries];
  llama_cfg_t  cfg_mem [NumLayers];
  rope_entry_t rope_mem [RopeEntries];

  `include "tb_mem_file.svh"  // mem_file(id)

  always @(posedge load_q) begin
    $readmemh(mem_file(5), norm1_mem);
    $readmemh(mem_file(6), norm2_mem);
    $readmemh(mem_file(7), sig_mem);
    $readmemh(mem_file(8), cfg_mem);
    $readmemh(mem_file(9), rope_mem);
  end

  localparam int StepWidth = $clog2(LoadSteps + 1);
  localparam int RopeWidth = $clog2(RopeEntries + 1);
  localparam int NormAddrWidth = $clog2(NumLayers * D);
  localparam int SigAddrWidth  = $clog2(NumLayers * SigEntries);
  logic [StepWidth-1:0] step_q;
  logic [RopeWidth-1:0] rope_step_q;
  llama_cfg_t cfg_q;
  logic norm_we, sig_we, rope_we, layer_busy, rope_busy;
  logic [NormAddrWidth-1:0] norm_index;
  logic [SigAddrWidth-1:0]  sig_index;

  assign layer_busy = (step_q != StepWidth'(LoadSteps));
  assign rope_busy  = (rope_step_q != RopeWidth'(RopeEntries));
  assign cfg_busy   = layer_busy || rope_busy || cfg_load_q || load_q;
  assign norm_we    = layer_busy && (step_q < StepWidth'(D));
  assign sig_we     = layer_busy && (step_q < StepWidth'(SigEntries));
  assign rope_we    = rope_busy;
  assign norm_index = NormAddrWidth'(32'(layer_q) * 32'(D) + 32'(step_q));
  assign sig_index  = SigAddrWidth'(32'(layer_q) * 32'(SigEntries) + 32'(step_q));

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      step_q      <= StepWidth'(LoadSteps);
      rope_step_q <= RopeWidth'(RopeEntries);
    end else begin
      if (cfg_load_q) begin
        step_q <= '0;
        cfg_q  <= cfg_mem[layer_q];
      end else if (layer_busy) begin
        step_q <= step_q + 1'b1;
      end
      if (load_q) rope_step_q <= '0;
      else if (rope_busy) rope_step_q <= rope_step_q + 1'b1;
    end
  end

  // ---- The layer --------------------------------------------------------------------------------
  llama_layer #(
    .D(D), .Heads(Heads), .KvHeads(KvHeads), .DFfn(DFfn), .MaxSeq(MaxSeq), .NumLayers(NumLayers),
    .ResidLanes(ResidLanes), .WeightBusBytes(WeightBusBytes), .PrefetchWords(PrefetchWords),
    .LanesQkv(LanesQkv), .LanesO(LanesO), .LanesGateUp(LanesGateUp), .LanesDown(LanesDown),
    .AttnMacs(AttnMacs), .SoftmaxUnits(SoftmaxUnits)
  ) u_layer (
    .clk, .rst_n,
    .s_axis_tdata(x_tdata), .s_axis_tlast(x_tlast), .s_axis_tvalid(x_tvalid), .s_axis_tready(x_tready),
    .s_axis_pos_tdata(pos_tdata), .s_axis_pos_tlast(pos_tlast), .s_axis_pos_tvalid(pos_tvalid), .s_axis_pos_tready(pos_tready),
    .m_axis_tdata(y_tdata), .m_axis_tlast(y_tlast), .m_axis_tvalid(y_tvalid), .m_axis_tready(y_tready),
    .s_axis_w_tdata(w_tdata), .s_axis_w_tlast(w_tlast), .s_axis_w_tvalid(w_tvalid), .s_axis_w_tready(w_tready),
    .s_axis_p_qkv_tdata(p_qkv_tdata), .s_axis_p_qkv_tlast(p_tlast[0]), .s_axis_p_qkv_tvalid(p_tvalid[0]), .s_axis_p_qkv_tready(p_tready[0]),
    .s_axis_p_o_tdata(p_o_tdata), .s_axis_p_o_tlast(p_tlast[1]), .s_axis_p_o_tvalid(p_tvalid[1]), .s_axis_p_o_tready(p_tready[1]),
    .s_axis_p_gateup_tdata(p_gu_tdata), .s_axis_p_gateup_tlast(p_tlast[2]), .s_axis_p_gateup_tvalid(p_tvalid[2]), .s_axis_p_gateup_tready(p_tready[2]),
    .s_axis_p_down_tdata(p_down_tdata), .s_axis_p_down_tlast(p_tlast[3]), .s_axis_p_down_tvalid(p_tvalid[3]), .s_axis_p_down_tready(p_tready[3]),
    .cfg(cfg_q),
    .norm1_prm_we(norm_we), .norm2_prm_we(norm_we), .norm_prm_addr(ChanWidth'(step_q)),
    .norm1_prm_wdata(norm1_mem[norm_index]), .norm2_prm_wdata(norm2_mem[norm_index]),
    .sig_tbl_we(sig_we), .sig_tbl_addr(step_q[8:0]), .sig_tbl_wdata(sig_mem[sig_index]),
    .rope_tbl_we(rope_we), .rope_tbl_addr(rope_step_q[$clog2(RopeEntries)-1:0]), .rope_tbl_wdata(rope_mem[rope_step_q[$clog2(RopeEntries)-1:0]]),
    .pos_error, .layer_error
  );

  // ---- Cycle counters ---------------------------------------------------------------------------
  token_counters u_counters (
    .clk, .rst_n, .x_fire(x_tvalid && x_tready), .x_last(x_tlast), .y_fire(y_tvalid && y_tready),
    .y_last(y_tlast), .w_fire(w_tvalid && w_tready), .token_start, .cycle, .first_in_cycle, .last_out_cycle,
    .weight_words
  );

endmodule

`default_nettype wire
