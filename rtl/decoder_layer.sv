// SPDX-License-Identifier: Apache-2.0
//
// decoder_layer: one pre-LN GPT-2 decoder layer doing decode (one token against a KV cache),
// composed spatially from the kernel units, bit-exact with models.layer.layer_decode:
//
//   x ──► fork ─► LN1 ─► pack ─► Linear QKV ─► attention(KV cache) ─► Linear O ─► pack ─► add1.b
//         (attention: AttnSlices units side by side, each for Heads/AttnSlices heads, rtl/attention_slices.sv)
//           └────────── residual FIFO ─────────────────────────────────────────────────► add1.a
//   add1 ─► fork ─► LN2 ─► pack ─► Linear FC1 ─► GELU ─► pack ─► FIFO ─► Linear FC2 ─► pack ─► add2.b
//             └────────── residual FIFO ─────────────────────────────────────────────────────► add2.a ─► x'
//   weight bus ─► router ─► prefetch FIFO of QKV | O | FC1 | FC2 (one matrix after the other)
//
// The residual stream, the LayerNorms and the adds run at ResidLanes elements per beat (so a
// LayerNorm costs 2*D/ResidLanes + ~100 cycles, not 2*D + 100); each Linear emits Cols<u>
// elements per beat (its output columns computed side by side, rtl/linear.sv), packed back to
// ResidLanes for its add; GELU takes FC1's ColsFc1 elements per beat, attention QKV's ColsQkv.
// Streams (AXI4-Stream):
//   s_axis_*      x: D residual elements (ResidBits, two's complement), ResidLanes per beat (element
//                 i in bits [i*ResidBits +: ResidBits] of beat i / ResidLanes), tlast on the last beat.
//   s_axis_pos_*  one sllm_pkg::token_t beat per token: position and layer (KV-cache region);
//                 the attention scales are sampled with it (see attention.sv).
//   m_axis_*      x': D residual elements, ResidLanes per beat, tlast on the last beat.
//   s_axis_w_*    the weight memory bus, WeightBusBytes per cycle (the HBM pseudo-channels side
//                 by side): per token the four matrices QKV, O, FC1, FC2, each in linear.sv's
//                 output-major byte order for its Lanes and Cols, tlast on each matrix's last word. The units take turns
//                 on it (rtl/weight_router.sv), each behind a prefetch FIFO of PrefetchWords words
//                 (rtl/weight_prefetch.sv), so the bandwidth is shared and never exceeded.
//   s_axis_p_<u>_*: per-channel parameters (sllm_pkg::linear_param_t) of Linear unit u (qkv, o,
//                 fc1, fc2), Cols<u> channels per beat (linear.sv), a narrow port each (8.5 bytes
//                 per output channel, ~1% of the weights).
// Configuration (static while a token is in flight; one layer's values at a time): `cfg`
// (sllm_pkg::layer_cfg_t: the LayerNorm epsilons, the attention scales and the two residual
// adds' scales), the LayerNorm per-channel words (ln<i>_prm_* write ports, sllm_pkg::ln_chan_t)
// and the GELU table (gelu_tbl_*).
// Numerics: the residual stream is ResidBits wide; O and FC2 output BranchBits (docs/numerics.md).
// Throughput: one token at a time per unit. Batch-1 decode reads every weight once per token, so
// the bound is (layer weight bytes) / WeightBusBytes cycles; Linear units wider than the bus
// (Lanes*Cols > WeightBusBytes) catch up after the gaps the bus spends filling their FIFOs. FC1's
// output collects in an FC2 input FIFO (DFfn bytes): FC2's weights follow FC1's on the bus, so
// FC2 cannot take its input before FC1 has taken all of its weights. Cycles per token are
// measured by the layer harness (verif/sv/tb_decoder_layer.sv) and predicted by verif/perfmodel.
// Errors: pos_error / layer_error (sticky, from attention) flag a token whose position is outside
// the cache or whose layer has no cache region; such a token writes nothing.
// Reset: synchronous, active low; drops everything in flight (caches and parameter memories stay).

`default_nettype none

module decoder_layer
  import sllm_pkg::*;
#(
  parameter int D            = 128,  // model width
  parameter int Heads        = 4,    // attention heads (D / Heads <= 128)
  parameter int DFfn         = 512,  // FFN width
  parameter int MaxSeq       = 128,  // KV cache rows per layer
  parameter int NumLayers    = 2,    // KV cache regions (one per model layer served)
  parameter int ResidLanes   = 16,   // elements per beat of the residual stream, LayerNorms and adds
  parameter int WeightBusBytes = 64, // weight memory bandwidth, bytes per cycle
  parameter int PrefetchWords = 256, // bus words each Linear's prefetch FIFO holds
  parameter int LanesQkv     = 128,  // MACs per cycle of the QKV Linear
  parameter int LanesO       = 128,  // MACs per cycle of the O Linear
  parameter int LanesFc1     = 128,  // MACs per cycle of FC1
  parameter int LanesFc2     = 128,  // MACs per cycle of FC2
  parameter int ColsQkv      = 1,    // output columns per step of the QKV Linear (x LanesQkv MACs)
  parameter int ColsO        = 1,    // output columns per step of the O Linear
  parameter int ColsFc1      = 1,    // output columns per step of FC1 (= GELU's elements per beat)
  parameter int ColsFc2      = 1,    // output columns per step of FC2
  parameter int AttnMacs     = 16,   // MACs per cycle of each attention datapath (q.K, p.V)
  parameter int AttnSlices   = 1,    // attention units side by side, each for Heads/AttnSlices heads
  parameter int SoftmaxUnits = 2,    // softmax rows in flight in attention
  parameter int ResidBits    = 16,   // residual stream width
  parameter int BranchBits   = 16,   // O and FC2 output width
  localparam int ChanWidth = (D > 1) ? $clog2(D) : 1,
  localparam int PBits     = $bits(linear_param_t)
) (
  input  wire logic                   clk,
  input  wire logic                   rst_n,
  // Token in / out
  input  wire logic [ResidLanes*ResidBits-1:0] s_axis_tdata,
  input  wire logic                   s_axis_tlast,
  input  wire logic                   s_axis_tvalid,
  output logic                        s_axis_tready,
  input  wire token_t                 s_axis_pos_tdata,
  input  wire logic                   s_axis_pos_tlast,
  input  wire logic                   s_axis_pos_tvalid,
  output logic                        s_axis_pos_tready,
  output logic      [ResidLanes*ResidBits-1:0] m_axis_tdata,
  output logic                        m_axis_tlast,
  output logic                        m_axis_tvalid,
  input  wire logic                   m_axis_tready,
  // The weight memory bus and the parameter streams of the four Linear units
  input  wire logic [WeightBusBytes*8-1:0] s_axis_w_tdata,
  input  wire logic                   s_axis_w_tlast, s_axis_w_tvalid,
  output logic                        s_axis_w_tready,
  input  wire logic [ColsQkv*PBits-1:0] s_axis_p_qkv_tdata,
  input  wire logic                   s_axis_p_qkv_tlast, s_axis_p_qkv_tvalid,
  output logic                        s_axis_p_qkv_tready,
  input  wire logic [ColsO*PBits-1:0] s_axis_p_o_tdata,
  input  wire logic                   s_axis_p_o_tlast, s_axis_p_o_tvalid,
  output logic                        s_axis_p_o_tready,
  input  wire logic [ColsFc1*PBits-1:0] s_axis_p_fc1_tdata,
  input  wire logic                   s_axis_p_fc1_tlast, s_axis_p_fc1_tvalid,
  output logic                        s_axis_p_fc1_tready,
  input  wire logic [ColsFc2*PBits-1:0] s_axis_p_fc2_tdata,
  input  wire logic                   s_axis_p_fc2_tlast, s_axis_p_fc2_tvalid,
  output logic                        s_axis_p_fc2_tready,
  // Per-layer configuration
  // Toggle coverage off: one value per layer, static while tokens are in flight (by contract).
  /* verilator coverage_off */
  input  wire layer_cfg_t             cfg,
  /* verilator coverage_on */
  input  wire logic                   ln1_prm_we, ln2_prm_we,
  input  wire logic [ChanWidth-1:0]   ln_prm_addr,     // channel written in both LayerNorms
  input  wire ln_chan_t               ln1_prm_wdata,
  input  wire ln_chan_t               ln2_prm_wdata,
  input  wire logic                   gelu_tbl_we,
  input  wire logic [7:0]             gelu_tbl_addr,
  input  wire logic [7:0]             gelu_tbl_wdata,
  // Status
  output logic                        pos_error,
  output logic                        layer_error
);

  initial begin
    if (D < 1 || Heads < 1 || D % Heads != 0)
      $fatal(1, "decoder_layer: D (%0d) must be a positive multiple of Heads (%0d)", D, Heads);
    if (DFfn < 1) $fatal(1, "decoder_layer: DFfn must be >= 1, got %0d", DFfn);
    if (D % LanesQkv != 0 || D % LanesO != 0 || D % LanesFc1 != 0 || DFfn % LanesFc2 != 0)
      $fatal(1, "decoder_layer: D (%0d) must be a multiple of LanesQkv/LanesO/LanesFc1 (%0d/%0d/%0d) and DFfn (%0d) of LanesFc2 (%0d)",
             D, LanesQkv, LanesO, LanesFc1, DFfn, LanesFc2);
    if (WeightBusBytes < 1 || (D * D) % WeightBusBytes != 0 || (D * DFfn) % WeightBusBytes != 0)
      $fatal(1, "decoder_layer: every matrix (D*D = %0d, D*DFfn = %0d bytes) must be a whole number of WeightBusBytes (%0d) words",
             D * D, D * DFfn, WeightBusBytes);
    if (PrefetchWords < 1) $fatal(1, "decoder_layer: PrefetchWords must be >= 1, got %0d", PrefetchWords);
    if (ResidLanes < 1 || D % ResidLanes != 0 || LanesQkv % ResidLanes != 0 || LanesFc1 % ResidLanes != 0)
      $fatal(1, "decoder_layer: ResidLanes (%0d) must divide D (%0d), LanesQkv (%0d) and LanesFc1 (%0d)",
             ResidLanes, D, LanesQkv, LanesFc1);
    // Each Linear's output beat (Cols elements) is packed into its consumer's beat.
    if (ColsQkv < 1 || AttnMacs % ColsQkv != 0 || ColsO < 1 || ResidLanes % ColsO != 0 ||
        ColsFc1 < 1 || LanesFc2 % ColsFc1 != 0 || ColsFc2 < 1 || ResidLanes % ColsFc2 != 0)
      $fatal(1, "decoder_layer: ColsQkv (%0d) must divide AttnMacs (%0d), ColsO (%0d) and ColsFc2 (%0d) ResidLanes (%0d), ColsFc1 (%0d) LanesFc2 (%0d)",
             ColsQkv, AttnMacs, ColsO, ColsFc2, ResidLanes, ColsFc1, LanesFc2);
  end

  // Stream bundles between the units: {tdata, tlast, tvalid, tready} per arrow of the diagram.
  localparam int RW = ResidLanes * ResidBits;  // residual beat
  logic [RW-1:0]          x_ln1_tdata, x_res1_tdata, res1_tdata, mid_tdata, mid_ln2_tdata, mid_res2_tdata, res2_tdata;
  logic                   x_ln1_tlast, x_res1_tlast, res1_tlast, mid_tlast, mid_ln2_tlast, mid_res2_tlast, res2_tlast;
  logic [1:0]             fork1_tvalid, fork1_tready, fork2_tvalid, fork2_tready;
  logic                   res1_tvalid, res1_tready, mid_tvalid, mid_tready, res2_tvalid, res2_tready;
  logic [ResidLanes*8-1:0] ln1_tdata, ln2_tdata;
  logic [ColsQkv*8-1:0]   qkv_tdata;
  logic [ColsFc1*8-1:0]   fc1_tdata, gelu_tdata;
  logic                   ln1_tlast, ln1_tvalid, ln1_tready, ln2_tlast, ln2_tvalid, ln2_tready, qkv_tlast, qkv_tvalid, qkv_tready;
  logic                   fc1_tlast, fc1_tvalid, fc1_tready, gelu_tlast, gelu_tvalid, gelu_tready;
  logic [LanesQkv*8-1:0]  ln1p_tdata;
  logic [LanesFc1*8-1:0]  ln2p_tdata;
  logic [LanesFc2*8-1:0]  gelup_tdata, fc2x_tdata;
  logic                   fc2x_tlast, fc2x_tvalid, fc2x_tready;
  logic                   ln1p_tlast, ln1p_tvalid, ln1p_tready, ln2p_tlast, ln2p_tvalid, ln2p_tready, gelup_tlast, gelup_tvalid, gelup_tready;
  logic [LanesO*8-1:0]    attn_tdata;
  logic                   attn_tlast, attn_tvalid, attn_tready;
  logic [ColsO*BranchBits-1:0]   o_tdata;
  logic [ColsFc2*BranchBits-1:0] fc2_tdata;
  logic                   o_tlast, o_tvalid, o_tready, fc2_tlast, fc2_tvalid, fc2_tready;
  logic [ResidLanes*BranchBits-1:0] op_tdata, fc2p_tdata;  // O and FC2 outputs, ResidLanes per beat
  logic                   op_tlast, op_tvalid, op_tready, fc2p_tlast, fc2p_tvalid, fc2p_tready;

  localparam int LevelWidth = $clog2(D / ResidLanes + 1);

  // Unused status outputs of the units (the layer harness measures from the streams).
  /* verilator lint_off UNUSEDSIGNAL */
  logic qkv_idle, o_idle, fc1_idle, fc2_idle, attn_idle;
  logic [LevelWidth-1:0] res1_level, res2_level;
  logic [$clog2(DFfn / LanesFc2 + 1)-1:0] fc2x_level;
  logic [AttnMacs*8-1:0] cache_rdata;
  /* verilator lint_on UNUSEDSIGNAL */

  // ---- Weights: one memory bus, the Linear units take turns (QKV, O, FC1, FC2 per token) -------
  logic [WeightBusBytes*8-1:0] bus_tdata;
  logic                        bus_tlast;
  logic [3:0]                  bus_tvalid, bus_tready;
  logic [ColsQkv*LanesQkv*8-1:0] w_qkv_tdata;
  logic [ColsO*LanesO*8-1:0]     w_o_tdata;
  logic [ColsFc1*LanesFc1*8-1:0] w_fc1_tdata;
  logic [ColsFc2*LanesFc2*8-1:0] w_fc2_tdata;
  logic [3:0]                  w_tlast, w_tvalid, w_tready;  // {fc2, fc1, o, qkv}
  /* verilator lint_off UNUSEDSIGNAL */
  logic [1:0]                    weight_turn;  // the unit the bus feeds (waves, timeline)
  /* verilator lint_on UNUSEDSIGNAL */

  weight_router #(.Width(WeightBusBytes * 8), .NumUnits(4)) u_weight_router (
    .clk, .rst_n,
    .s_axis_tdata(s_axis_w_tdata), .s_axis_tlast(s_axis_w_tlast), .s_axis_tvalid(s_axis_w_tvalid), .s_axis_tready(s_axis_w_tready),
    .m_axis_tdata(bus_tdata), .m_axis_tlast(bus_tlast), .m_axis_tvalid(bus_tvalid), .m_axis_tready(bus_tready),
    .turn(weight_turn)
  );

  weight_prefetch #(.BusBytes(WeightBusBytes), .Lanes(LanesQkv * ColsQkv), .Depth(PrefetchWords)) u_prefetch_qkv (
    .clk, .rst_n,
    .s_axis_tdata(bus_tdata), .s_axis_tlast(bus_tlast), .s_axis_tvalid(bus_tvalid[0]), .s_axis_tready(bus_tready[0]),
    .m_axis_tdata(w_qkv_tdata), .m_axis_tlast(w_tlast[0]), .m_axis_tvalid(w_tvalid[0]), .m_axis_tready(w_tready[0])
  );
  weight_prefetch #(.BusBytes(WeightBusBytes), .Lanes(LanesO * ColsO), .Depth(PrefetchWords)) u_prefetch_o (
    .clk, .rst_n,
    .s_axis_tdata(bus_tdata), .s_axis_tlast(bus_tlast), .s_axis_tvalid(bus_tvalid[1]), .s_axis_tready(bus_tready[1]),
    .m_axis_tdata(w_o_tdata), .m_axis_tlast(w_tlast[1]), .m_axis_tvalid(w_tvalid[1]), .m_axis_tready(w_tready[1])
  );
  weight_prefetch #(.BusBytes(WeightBusBytes), .Lanes(LanesFc1 * ColsFc1), .Depth(PrefetchWords)) u_prefetch_fc1 (
    .clk, .rst_n,
    .s_axis_tdata(bus_tdata), .s_axis_tlast(bus_tlast), .s_axis_tvalid(bus_tvalid[2]), .s_axis_tready(bus_tready[2]),
    .m_axis_tdata(w_fc1_tdata), .m_axis_tlast(w_tlast[2]), .m_axis_tvalid(w_tvalid[2]), .m_axis_tready(w_tready[2])
  );
  weight_prefetch #(.BusBytes(WeightBusBytes), .Lanes(LanesFc2 * ColsFc2), .Depth(PrefetchWords)) u_prefetch_fc2 (
    .clk, .rst_n,
    .s_axis_tdata(bus_tdata), .s_axis_tlast(bus_tlast), .s_axis_tvalid(bus_tvalid[3]), .s_axis_tready(bus_tready[3]),
    .m_axis_tdata(w_fc2_tdata), .m_axis_tlast(w_tlast[3]), .m_axis_tvalid(w_tvalid[3]), .m_axis_tready(w_tready[3])
  );

  // ---- Attention block: x -> LN1 -> QKV -> attention -> O, residual around it -----------------
  axis_fork #(.DataWidth(RW), .NumOutputs(2)) u_fork1 (
    .clk, .rst_n,
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata(x_ln1_tdata), .m_axis_tlast(x_ln1_tlast), .m_axis_tvalid(fork1_tvalid), .m_axis_tready(fork1_tready)
  );
  assign x_res1_tdata = x_ln1_tdata;
  assign x_res1_tlast = x_ln1_tlast;

  layernorm #(.Lanes(ResidLanes), .InBits(ResidBits), .MaxDim(D)) u_ln1 (
    .clk, .rst_n, .eps_v(cfg.ln1_eps_v),
    .prm_we(ln1_prm_we), .prm_addr(ln_prm_addr), .prm_wdata(ln1_prm_wdata),
    .s_axis_tdata(x_ln1_tdata), .s_axis_tlast(x_ln1_tlast), .s_axis_tvalid(fork1_tvalid[0]), .s_axis_tready(fork1_tready[0]),
    .m_axis_tdata(ln1_tdata), .m_axis_tlast(ln1_tlast), .m_axis_tvalid(ln1_tvalid), .m_axis_tready(ln1_tready)
  );

  axis_pack #(.ElemBits(8 * ResidLanes), .Ratio(LanesQkv / ResidLanes)) u_pack_ln1 (
    .clk, .rst_n,
    .s_axis_tdata(ln1_tdata), .s_axis_tlast(ln1_tlast), .s_axis_tvalid(ln1_tvalid), .s_axis_tready(ln1_tready),
    .m_axis_tdata(ln1p_tdata), .m_axis_tlast(ln1p_tlast), .m_axis_tvalid(ln1p_tvalid), .m_axis_tready(ln1p_tready)
  );

  linear #(.Lanes(LanesQkv), .K(D), .N(3 * D), .OutBits(8), .Cols(ColsQkv)) u_qkv (
    .clk, .rst_n,
    .s_axis_tdata(ln1p_tdata), .s_axis_tlast(ln1p_tlast), .s_axis_tvalid(ln1p_tvalid), .s_axis_tready(ln1p_tready),
    .s_axis_w_tdata(w_qkv_tdata), .s_axis_w_tlast(w_tlast[0]),
    .s_axis_w_tvalid(w_tvalid[0]), .s_axis_w_tready(w_tready[0]),
    .s_axis_p_tdata(s_axis_p_qkv_tdata), .s_axis_p_tlast(s_axis_p_qkv_tlast),
    .s_axis_p_tvalid(s_axis_p_qkv_tvalid), .s_axis_p_tready(s_axis_p_qkv_tready),
    .m_axis_tdata(qkv_tdata), .m_axis_tlast(qkv_tlast), .m_axis_tvalid(qkv_tvalid), .m_axis_tready(qkv_tready),
    .idle(qkv_idle)
  );

  attention_slices #(
    .D(D), .Heads(Heads), .MaxSeq(MaxSeq), .NumLayers(NumLayers), .Lanes(ColsQkv), .Macs(AttnMacs),
    .OutLanes(LanesO), .SoftmaxUnits(SoftmaxUnits), .Slices(AttnSlices)
  ) u_attn (
    .clk, .rst_n,
    .s_axis_tdata(qkv_tdata), .s_axis_tlast(qkv_tlast), .s_axis_tvalid(qkv_tvalid), .s_axis_tready(qkv_tready),
    .s_axis_pos_tdata, .s_axis_pos_tlast, .s_axis_pos_tvalid, .s_axis_pos_tready,
    .m_axis_tdata(attn_tdata), .m_axis_tlast(attn_tlast), .m_axis_tvalid(attn_tvalid), .m_axis_tready(attn_tready),
    .cfg(cfg.attn), .gqa_cfg('0),
    .cache_req(1'b0), .cache_we(1'b0), .cache_sel(1'b0), .cache_addr('0), .cache_wdata('0),
    .cache_rdata, .pos_error, .layer_error, .idle(attn_idle)
  );

  linear #(.Lanes(LanesO), .K(D), .N(D), .OutBits(BranchBits), .Cols(ColsO)) u_o (
    .clk, .rst_n,
    .s_axis_tdata(attn_tdata), .s_axis_tlast(attn_tlast), .s_axis_tvalid(attn_tvalid), .s_axis_tready(attn_tready),
    .s_axis_w_tdata(w_o_tdata), .s_axis_w_tlast(w_tlast[1]),
    .s_axis_w_tvalid(w_tvalid[1]), .s_axis_w_tready(w_tready[1]),
    .s_axis_p_tdata(s_axis_p_o_tdata), .s_axis_p_tlast(s_axis_p_o_tlast),
    .s_axis_p_tvalid(s_axis_p_o_tvalid), .s_axis_p_tready(s_axis_p_o_tready),
    .m_axis_tdata(o_tdata), .m_axis_tlast(o_tlast), .m_axis_tvalid(o_tvalid), .m_axis_tready(o_tready),
    .idle(o_idle)
  );

  axis_fifo #(.DataWidth(RW), .Depth(D / ResidLanes)) u_res1 (
    .clk, .rst_n,
    .s_axis_tdata(x_res1_tdata), .s_axis_tlast(x_res1_tlast), .s_axis_tvalid(fork1_tvalid[1]), .s_axis_tready(fork1_tready[1]),
    .m_axis_tdata(res1_tdata), .m_axis_tlast(res1_tlast), .m_axis_tvalid(res1_tvalid), .m_axis_tready(res1_tready),
    .level(res1_level)
  );

  axis_pack #(.ElemBits(ColsO * BranchBits), .Ratio(ResidLanes / ColsO)) u_pack_o (
    .clk, .rst_n,
    .s_axis_tdata(o_tdata), .s_axis_tlast(o_tlast), .s_axis_tvalid(o_tvalid), .s_axis_tready(o_tready),
    .m_axis_tdata(op_tdata), .m_axis_tlast(op_tlast), .m_axis_tvalid(op_tvalid), .m_axis_tready(op_tready)
  );

  residual_add #(.Lanes(ResidLanes), .ABits(ResidBits), .BBits(BranchBits), .OutBits(ResidBits)) u_add1 (
    .clk, .rst_n,
    .cfg(cfg.add1),
    .s_axis_a_tdata(res1_tdata), .s_axis_a_tlast(res1_tlast), .s_axis_a_tvalid(res1_tvalid), .s_axis_a_tready(res1_tready),
    .s_axis_b_tdata(op_tdata), .s_axis_b_tlast(op_tlast), .s_axis_b_tvalid(op_tvalid), .s_axis_b_tready(op_tready),
    .m_axis_tdata(mid_tdata), .m_axis_tlast(mid_tlast), .m_axis_tvalid(mid_tvalid), .m_axis_tready(mid_tready)
  );

  // ---- MLP block: LN2 -> FC1 -> GELU -> FC2, residual around it ---------------------------------
  axis_fork #(.DataWidth(RW), .NumOutputs(2)) u_fork2 (
    .clk, .rst_n,
    .s_axis_tdata(mid_tdata), .s_axis_tlast(mid_tlast), .s_axis_tvalid(mid_tvalid), .s_axis_tready(mid_tready),
    .m_axis_tdata(mid_ln2_tdata), .m_axis_tlast(mid_ln2_tlast), .m_axis_tvalid(fork2_tvalid), .m_axis_tready(fork2_tready)
  );
  assign mid_res2_tdata = mid_ln2_tdata;
  assign mid_res2_tlast = mid_ln2_tlast;

  layernorm #(.Lanes(ResidLanes), .InBits(ResidBits), .MaxDim(D)) u_ln2 (
    .clk, .rst_n, .eps_v(cfg.ln2_eps_v),
    .prm_we(ln2_prm_we), .prm_addr(ln_prm_addr), .prm_wdata(ln2_prm_wdata),
    .s_axis_tdata(mid_ln2_tdata), .s_axis_tlast(mid_ln2_tlast), .s_axis_tvalid(fork2_tvalid[0]), .s_axis_tready(fork2_tready[0]),
    .m_axis_tdata(ln2_tdata), .m_axis_tlast(ln2_tlast), .m_axis_tvalid(ln2_tvalid), .m_axis_tready(ln2_tready)
  );

  axis_pack #(.ElemBits(8 * ResidLanes), .Ratio(LanesFc1 / ResidLanes)) u_pack_ln2 (
    .clk, .rst_n,
    .s_axis_tdata(ln2_tdata), .s_axis_tlast(ln2_tlast), .s_axis_tvalid(ln2_tvalid), .s_axis_tready(ln2_tready),
    .m_axis_tdata(ln2p_tdata), .m_axis_tlast(ln2p_tlast), .m_axis_tvalid(ln2p_tvalid), .m_axis_tready(ln2p_tready)
  );

  linear #(.Lanes(LanesFc1), .K(D), .N(DFfn), .OutBits(8), .Cols(ColsFc1)) u_fc1 (
    .clk, .rst_n,
    .s_axis_tdata(ln2p_tdata), .s_axis_tlast(ln2p_tlast), .s_axis_tvalid(ln2p_tvalid), .s_axis_tready(ln2p_tready),
    .s_axis_w_tdata(w_fc1_tdata), .s_axis_w_tlast(w_tlast[2]),
    .s_axis_w_tvalid(w_tvalid[2]), .s_axis_w_tready(w_tready[2]),
    .s_axis_p_tdata(s_axis_p_fc1_tdata), .s_axis_p_tlast(s_axis_p_fc1_tlast),
    .s_axis_p_tvalid(s_axis_p_fc1_tvalid), .s_axis_p_tready(s_axis_p_fc1_tready),
    .m_axis_tdata(fc1_tdata), .m_axis_tlast(fc1_tlast), .m_axis_tvalid(fc1_tvalid), .m_axis_tready(fc1_tready),
    .idle(fc1_idle)
  );

  gelu #(.Lanes(ColsFc1)) u_gelu (
    .clk, .rst_n,
    .tbl_we(gelu_tbl_we), .tbl_addr(gelu_tbl_addr), .tbl_wdata(gelu_tbl_wdata),
    .s_axis_tdata(fc1_tdata), .s_axis_tlast(fc1_tlast), .s_axis_tvalid(fc1_tvalid), .s_axis_tready(fc1_tready),
    .m_axis_tdata(gelu_tdata), .m_axis_tlast(gelu_tlast), .m_axis_tvalid(gelu_tvalid), .m_axis_tready(gelu_tready)
  );

  axis_pack #(.ElemBits(8 * ColsFc1), .Ratio(LanesFc2 / ColsFc1)) u_pack_gelu (
    .clk, .rst_n,
    .s_axis_tdata(gelu_tdata), .s_axis_tlast(gelu_tlast), .s_axis_tvalid(gelu_tvalid), .s_axis_tready(gelu_tready),
    .m_axis_tdata(gelup_tdata), .m_axis_tlast(gelup_tlast), .m_axis_tvalid(gelup_tvalid), .m_axis_tready(gelup_tready)
  );

  // FC2's whole input vector: FC2's weights follow FC1's on the bus, so FC2 takes x only after FC1
  // has taken its last weight word (and produced all but its last few outputs).
  axis_fifo #(.DataWidth(LanesFc2 * 8), .Depth(DFfn / LanesFc2)) u_fc2_x (
    .clk, .rst_n,
    .s_axis_tdata(gelup_tdata), .s_axis_tlast(gelup_tlast), .s_axis_tvalid(gelup_tvalid), .s_axis_tready(gelup_tready),
    .m_axis_tdata(fc2x_tdata), .m_axis_tlast(fc2x_tlast), .m_axis_tvalid(fc2x_tvalid), .m_axis_tready(fc2x_tready),
    .level(fc2x_level)
  );

  linear #(.Lanes(LanesFc2), .K(DFfn), .N(D), .OutBits(BranchBits), .Cols(ColsFc2)) u_fc2 (
    .clk, .rst_n,
    .s_axis_tdata(fc2x_tdata), .s_axis_tlast(fc2x_tlast), .s_axis_tvalid(fc2x_tvalid), .s_axis_tready(fc2x_tready),
    .s_axis_w_tdata(w_fc2_tdata), .s_axis_w_tlast(w_tlast[3]),
    .s_axis_w_tvalid(w_tvalid[3]), .s_axis_w_tready(w_tready[3]),
    .s_axis_p_tdata(s_axis_p_fc2_tdata), .s_axis_p_tlast(s_axis_p_fc2_tlast),
    .s_axis_p_tvalid(s_axis_p_fc2_tvalid), .s_axis_p_tready(s_axis_p_fc2_tready),
    .m_axis_tdata(fc2_tdata), .m_axis_tlast(fc2_tlast), .m_axis_tvalid(fc2_tvalid), .m_axis_tready(fc2_tready),
    .idle(fc2_idle)
  );

  axis_fifo #(.DataWidth(RW), .Depth(D / ResidLanes)) u_res2 (
    .clk, .rst_n,
    .s_axis_tdata(mid_res2_tdata), .s_axis_tlast(mid_res2_tlast), .s_axis_tvalid(fork2_tvalid[1]), .s_axis_tready(fork2_tready[1]),
    .m_axis_tdata(res2_tdata), .m_axis_tlast(res2_tlast), .m_axis_tvalid(res2_tvalid), .m_axis_tready(res2_tready),
    .level(res2_level)
  );

  axis_pack #(.ElemBits(ColsFc2 * BranchBits), .Ratio(ResidLanes / ColsFc2)) u_pack_fc2 (
    .clk, .rst_n,
    .s_axis_tdata(fc2_tdata), .s_axis_tlast(fc2_tlast), .s_axis_tvalid(fc2_tvalid), .s_axis_tready(fc2_tready),
    .m_axis_tdata(fc2p_tdata), .m_axis_tlast(fc2p_tlast), .m_axis_tvalid(fc2p_tvalid), .m_axis_tready(fc2p_tready)
  );

  residual_add #(.Lanes(ResidLanes), .ABits(ResidBits), .BBits(BranchBits), .OutBits(ResidBits)) u_add2 (
    .clk, .rst_n,
    .cfg(cfg.add2),
    .s_axis_a_tdata(res2_tdata), .s_axis_a_tlast(res2_tlast), .s_axis_a_tvalid(res2_tvalid), .s_axis_a_tready(res2_tready),
    .s_axis_b_tdata(fc2p_tdata), .s_axis_b_tlast(fc2p_tlast), .s_axis_b_tvalid(fc2p_tvalid), .s_axis_b_tready(fc2p_tready),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready
  );

endmodule

`default_nettype wire
