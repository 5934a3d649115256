// SPDX-License-Identifier: Apache-2.0
//
// decoder_layer: one pre-LN GPT-2 decoder layer doing decode (one token against a KV cache),
// composed spatially from the kernel units, bit-exact with models.layer.layer_decode:
//
//   x ──► fork ─► LN1 ─► pack ─► Linear QKV ─► attention(KV cache) ─► Linear O ─► add1.b
//           └────────── residual FIFO ─────────────────────────────────────────► add1.a
//   add1 ─► fork ─► LN2 ─► pack ─► Linear FC1 ─► GELU ─► pack ─► Linear FC2 ─► add2.b
//             └────────── residual FIFO ───────────────────────────────────────► add2.a ─► x'
//
// Streams (AXI4-Stream):
//   s_axis_*      x: D residual elements (ResidBits, two's complement), one per beat, tlast last.
//   s_axis_pos_*  one beat per token: bits [15:0] position, [31:16] layer (KV-cache region);
//                 the attention scales are sampled with it (see attention.sv).
//   m_axis_*      x': D residual elements, one per beat, tlast last.
//   s_axis_w_<u>_*, s_axis_p_<u>_*: weights and per-channel parameters of Linear unit u (qkv, o,
//                 fc1, fc2), one HBM pseudo-channel each, in linear.sv's output-major order.
// Configuration (static while a token is in flight; one layer's values at a time): LayerNorm
// epsilons and per-channel parameters (ln<i>_prm_* write ports), the GELU table (gelu_tbl_*),
// the attention scales and the two residual adds' scales.
// Numerics: the residual stream is ResidBits wide; O and FC2 output BranchBits (docs/numerics.md).
// Throughput: one token at a time per unit; the units overlap where the data allows (e.g. O starts
// on attention's first outputs, FC2's first column runs while FC1 produces). Cycles per token are
// measured by the layer harness (verif/sv/tb_decoder_layer.sv) and predicted by verif/perfmodel.
// Errors: pos_error / layer_error (sticky, from attention) flag a token whose position is outside
// the cache or whose layer has no cache region; such a token writes nothing.
// Reset: synchronous, active low; drops everything in flight (caches and parameter memories stay).

`default_nettype none

module decoder_layer #(
  parameter int D            = 128,  // model width
  parameter int Heads        = 4,    // attention heads (D / Heads <= 128)
  parameter int DFfn         = 512,  // FFN width
  parameter int MaxSeq       = 128,  // KV cache rows per layer
  parameter int NumLayers    = 2,    // KV cache regions (one per model layer served)
  parameter int LanesQkv     = 16,   // MACs per cycle of the QKV Linear
  parameter int LanesO       = 16,   // MACs per cycle of the O Linear
  parameter int LanesFc1     = 16,   // MACs per cycle of FC1
  parameter int LanesFc2     = 16,   // MACs per cycle of FC2
  parameter int AttnMacs     = 16,   // MACs per cycle of each attention datapath (q.K, p.V)
  parameter int SoftmaxUnits = 2,    // softmax rows in flight in attention
  parameter int ResidBits    = 16,   // residual stream width
  parameter int BranchBits   = 16,   // O and FC2 output width
  localparam int ChanWidth = (D > 1) ? $clog2(D) : 1
) (
  input  wire logic                   clk,
  input  wire logic                   rst_n,
  // Token in / out
  input  wire logic [ResidBits-1:0]   s_axis_tdata,
  input  wire logic                   s_axis_tlast,
  input  wire logic                   s_axis_tvalid,
  output logic                        s_axis_tready,
  input  wire logic [31:0]            s_axis_pos_tdata,
  input  wire logic                   s_axis_pos_tlast,
  input  wire logic                   s_axis_pos_tvalid,
  output logic                        s_axis_pos_tready,
  output logic      [ResidBits-1:0]   m_axis_tdata,
  output logic                        m_axis_tlast,
  output logic                        m_axis_tvalid,
  input  wire logic                   m_axis_tready,
  // Weight and parameter streams of the four Linear units
  input  wire logic [LanesQkv*8-1:0]  s_axis_w_qkv_tdata,
  input  wire logic                   s_axis_w_qkv_tlast, s_axis_w_qkv_tvalid,
  output logic                        s_axis_w_qkv_tready,
  input  wire logic [71:0]            s_axis_p_qkv_tdata,
  input  wire logic                   s_axis_p_qkv_tlast, s_axis_p_qkv_tvalid,
  output logic                        s_axis_p_qkv_tready,
  input  wire logic [LanesO*8-1:0]    s_axis_w_o_tdata,
  input  wire logic                   s_axis_w_o_tlast, s_axis_w_o_tvalid,
  output logic                        s_axis_w_o_tready,
  input  wire logic [71:0]            s_axis_p_o_tdata,
  input  wire logic                   s_axis_p_o_tlast, s_axis_p_o_tvalid,
  output logic                        s_axis_p_o_tready,
  input  wire logic [LanesFc1*8-1:0]  s_axis_w_fc1_tdata,
  input  wire logic                   s_axis_w_fc1_tlast, s_axis_w_fc1_tvalid,
  output logic                        s_axis_w_fc1_tready,
  input  wire logic [71:0]            s_axis_p_fc1_tdata,
  input  wire logic                   s_axis_p_fc1_tlast, s_axis_p_fc1_tvalid,
  output logic                        s_axis_p_fc1_tready,
  input  wire logic [LanesFc2*8-1:0]  s_axis_w_fc2_tdata,
  input  wire logic                   s_axis_w_fc2_tlast, s_axis_w_fc2_tvalid,
  output logic                        s_axis_w_fc2_tready,
  input  wire logic [71:0]            s_axis_p_fc2_tdata,
  input  wire logic                   s_axis_p_fc2_tlast, s_axis_p_fc2_tvalid,
  output logic                        s_axis_p_fc2_tready,
  // Per-layer configuration
  // Toggle coverage off: one value per layer, static while tokens are in flight (by contract).
  /* verilator coverage_off */
  input  wire logic [61:0]            ln1_eps_v,
  input  wire logic [61:0]            ln2_eps_v,
  /* verilator coverage_on */
  input  wire logic                   ln1_prm_we, ln2_prm_we,
  input  wire logic [ChanWidth-1:0]   ln_prm_addr,     // channel written in both LayerNorms
  input  wire logic [69:0]            ln1_prm_wdata,   // {g_neg, g_shift[4:0], g_mult[31:0], beta_q[31:0]}
  input  wire logic [69:0]            ln2_prm_wdata,
  input  wire logic                   gelu_tbl_we,
  input  wire logic [7:0]             gelu_tbl_addr,
  input  wire logic [7:0]             gelu_tbl_wdata,
  // Toggle coverage off: per-layer scales, static while tokens are in flight (by contract).
  /* verilator coverage_off */
  input  wire logic [31:0]            score_mult, out_mult,
  input  wire logic [4:0]             score_shift, out_shift,
  input  wire logic [31:0]            add1_a_mult, add1_b_mult, add1_out_mult,
  input  wire logic [4:0]             add1_a_shift, add1_b_shift, add1_out_shift,
  input  wire logic [31:0]            add2_a_mult, add2_b_mult, add2_out_mult,
  input  wire logic [4:0]             add2_a_shift, add2_b_shift, add2_out_shift,
  /* verilator coverage_on */
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
  end

  // Stream bundles between the units: {tdata, tlast, tvalid, tready} per arrow of the diagram.
  logic [ResidBits-1:0]   x_ln1_d, x_res1_d, res1_d, mid_d, mid_ln2_d, mid_res2_d, res2_d;
  logic                   x_ln1_l, x_res1_l, res1_l, mid_l, mid_ln2_l, mid_res2_l, res2_l;
  logic [1:0]             fork1_v, fork1_r, fork2_v, fork2_r;
  logic                   res1_v, res1_r, mid_v, mid_r, res2_v, res2_r;
  logic [7:0]             ln1_d, ln2_d, qkv_d, fc1_d, gelu_d;
  logic                   ln1_l, ln1_v, ln1_r, ln2_l, ln2_v, ln2_r, qkv_l, qkv_v, qkv_r;
  logic                   fc1_l, fc1_v, fc1_r, gelu_l, gelu_v, gelu_r;
  logic [LanesQkv*8-1:0]  ln1p_d;
  logic [LanesFc1*8-1:0]  ln2p_d;
  logic [LanesFc2*8-1:0]  gelup_d;
  logic                   ln1p_l, ln1p_v, ln1p_r, ln2p_l, ln2p_v, ln2p_r, gelup_l, gelup_v, gelup_r;
  logic [LanesO*8-1:0]    attn_d;
  logic                   attn_l, attn_v, attn_r;
  logic [BranchBits-1:0]  o_d, fc2_d;
  logic                   o_l, o_v, o_r, fc2_l, fc2_v, fc2_r;

  localparam int LevelWidth = $clog2(D + 1);

  // Unused status outputs of the units (the layer harness measures from the streams).
  /* verilator lint_off UNUSEDSIGNAL */
  logic qkv_idle, o_idle, fc1_idle, fc2_idle, attn_idle;
  logic [LevelWidth-1:0] res1_level, res2_level;
  logic [AttnMacs*8-1:0] cache_rdata;
  /* verilator lint_on UNUSEDSIGNAL */

  // ---- Attention block: x -> LN1 -> QKV -> attention -> O, residual around it -----------------
  axis_fork #(.DataWidth(ResidBits), .NumOutputs(2)) u_fork1 (
    .clk, .rst_n,
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata(x_ln1_d), .m_axis_tlast(x_ln1_l), .m_axis_tvalid(fork1_v), .m_axis_tready(fork1_r)
  );
  assign x_res1_d = x_ln1_d;
  assign x_res1_l = x_ln1_l;

  layernorm #(.Lanes(1), .InBits(ResidBits), .MaxDim(D)) u_ln1 (
    .clk, .rst_n, .eps_v(ln1_eps_v),
    .prm_we(ln1_prm_we), .prm_addr(ln_prm_addr), .prm_g_neg(ln1_prm_wdata[69]),
    .prm_g_shift(ln1_prm_wdata[68:64]), .prm_g_mult(ln1_prm_wdata[63:32]), .prm_beta_q(ln1_prm_wdata[31:0]),
    .s_axis_tdata(x_ln1_d), .s_axis_tlast(x_ln1_l), .s_axis_tvalid(fork1_v[0]), .s_axis_tready(fork1_r[0]),
    .m_axis_tdata(ln1_d), .m_axis_tlast(ln1_l), .m_axis_tvalid(ln1_v), .m_axis_tready(ln1_r)
  );

  axis_pack #(.ElemBits(8), .Ratio(LanesQkv)) u_pack_ln1 (
    .clk, .rst_n,
    .s_axis_tdata(ln1_d), .s_axis_tlast(ln1_l), .s_axis_tvalid(ln1_v), .s_axis_tready(ln1_r),
    .m_axis_tdata(ln1p_d), .m_axis_tlast(ln1p_l), .m_axis_tvalid(ln1p_v), .m_axis_tready(ln1p_r)
  );

  linear #(.Lanes(LanesQkv), .K(D), .N(3 * D), .OutBits(8)) u_qkv (
    .clk, .rst_n,
    .s_axis_tdata(ln1p_d), .s_axis_tlast(ln1p_l), .s_axis_tvalid(ln1p_v), .s_axis_tready(ln1p_r),
    .s_axis_w_tdata(s_axis_w_qkv_tdata), .s_axis_w_tlast(s_axis_w_qkv_tlast),
    .s_axis_w_tvalid(s_axis_w_qkv_tvalid), .s_axis_w_tready(s_axis_w_qkv_tready),
    .s_axis_p_tdata(s_axis_p_qkv_tdata), .s_axis_p_tlast(s_axis_p_qkv_tlast),
    .s_axis_p_tvalid(s_axis_p_qkv_tvalid), .s_axis_p_tready(s_axis_p_qkv_tready),
    .m_axis_tdata(qkv_d), .m_axis_tlast(qkv_l), .m_axis_tvalid(qkv_v), .m_axis_tready(qkv_r),
    .idle(qkv_idle)
  );

  attention #(
    .D(D), .Heads(Heads), .MaxSeq(MaxSeq), .NumLayers(NumLayers), .Lanes(1), .Macs(AttnMacs),
    .OutLanes(LanesO), .SoftmaxUnits(SoftmaxUnits)
  ) u_attn (
    .clk, .rst_n,
    .s_axis_tdata(qkv_d), .s_axis_tlast(qkv_l), .s_axis_tvalid(qkv_v), .s_axis_tready(qkv_r),
    .s_axis_pos_tdata, .s_axis_pos_tlast, .s_axis_pos_tvalid, .s_axis_pos_tready,
    .m_axis_tdata(attn_d), .m_axis_tlast(attn_l), .m_axis_tvalid(attn_v), .m_axis_tready(attn_r),
    .score_mult, .score_shift, .out_mult, .out_shift,
    .cache_req(1'b0), .cache_we(1'b0), .cache_sel(1'b0), .cache_addr('0), .cache_wdata('0),
    .cache_rdata, .pos_error, .layer_error, .idle(attn_idle)
  );

  linear #(.Lanes(LanesO), .K(D), .N(D), .OutBits(BranchBits)) u_o (
    .clk, .rst_n,
    .s_axis_tdata(attn_d), .s_axis_tlast(attn_l), .s_axis_tvalid(attn_v), .s_axis_tready(attn_r),
    .s_axis_w_tdata(s_axis_w_o_tdata), .s_axis_w_tlast(s_axis_w_o_tlast),
    .s_axis_w_tvalid(s_axis_w_o_tvalid), .s_axis_w_tready(s_axis_w_o_tready),
    .s_axis_p_tdata(s_axis_p_o_tdata), .s_axis_p_tlast(s_axis_p_o_tlast),
    .s_axis_p_tvalid(s_axis_p_o_tvalid), .s_axis_p_tready(s_axis_p_o_tready),
    .m_axis_tdata(o_d), .m_axis_tlast(o_l), .m_axis_tvalid(o_v), .m_axis_tready(o_r),
    .idle(o_idle)
  );

  axis_fifo #(.DataWidth(ResidBits), .Depth(D)) u_res1 (
    .clk, .rst_n,
    .s_axis_tdata(x_res1_d), .s_axis_tlast(x_res1_l), .s_axis_tvalid(fork1_v[1]), .s_axis_tready(fork1_r[1]),
    .m_axis_tdata(res1_d), .m_axis_tlast(res1_l), .m_axis_tvalid(res1_v), .m_axis_tready(res1_r),
    .level(res1_level)
  );

  residual_add #(.Lanes(1), .ABits(ResidBits), .BBits(BranchBits), .OutBits(ResidBits)) u_add1 (
    .clk, .rst_n,
    .a_mult(add1_a_mult), .a_shift(add1_a_shift), .b_mult(add1_b_mult), .b_shift(add1_b_shift),
    .out_mult(add1_out_mult), .out_shift(add1_out_shift),
    .s_axis_a_tdata(res1_d), .s_axis_a_tlast(res1_l), .s_axis_a_tvalid(res1_v), .s_axis_a_tready(res1_r),
    .s_axis_b_tdata(o_d), .s_axis_b_tlast(o_l), .s_axis_b_tvalid(o_v), .s_axis_b_tready(o_r),
    .m_axis_tdata(mid_d), .m_axis_tlast(mid_l), .m_axis_tvalid(mid_v), .m_axis_tready(mid_r)
  );

  // ---- MLP block: LN2 -> FC1 -> GELU -> FC2, residual around it ---------------------------------
  axis_fork #(.DataWidth(ResidBits), .NumOutputs(2)) u_fork2 (
    .clk, .rst_n,
    .s_axis_tdata(mid_d), .s_axis_tlast(mid_l), .s_axis_tvalid(mid_v), .s_axis_tready(mid_r),
    .m_axis_tdata(mid_ln2_d), .m_axis_tlast(mid_ln2_l), .m_axis_tvalid(fork2_v), .m_axis_tready(fork2_r)
  );
  assign mid_res2_d = mid_ln2_d;
  assign mid_res2_l = mid_ln2_l;

  layernorm #(.Lanes(1), .InBits(ResidBits), .MaxDim(D)) u_ln2 (
    .clk, .rst_n, .eps_v(ln2_eps_v),
    .prm_we(ln2_prm_we), .prm_addr(ln_prm_addr), .prm_g_neg(ln2_prm_wdata[69]),
    .prm_g_shift(ln2_prm_wdata[68:64]), .prm_g_mult(ln2_prm_wdata[63:32]), .prm_beta_q(ln2_prm_wdata[31:0]),
    .s_axis_tdata(mid_ln2_d), .s_axis_tlast(mid_ln2_l), .s_axis_tvalid(fork2_v[0]), .s_axis_tready(fork2_r[0]),
    .m_axis_tdata(ln2_d), .m_axis_tlast(ln2_l), .m_axis_tvalid(ln2_v), .m_axis_tready(ln2_r)
  );

  axis_pack #(.ElemBits(8), .Ratio(LanesFc1)) u_pack_ln2 (
    .clk, .rst_n,
    .s_axis_tdata(ln2_d), .s_axis_tlast(ln2_l), .s_axis_tvalid(ln2_v), .s_axis_tready(ln2_r),
    .m_axis_tdata(ln2p_d), .m_axis_tlast(ln2p_l), .m_axis_tvalid(ln2p_v), .m_axis_tready(ln2p_r)
  );

  linear #(.Lanes(LanesFc1), .K(D), .N(DFfn), .OutBits(8)) u_fc1 (
    .clk, .rst_n,
    .s_axis_tdata(ln2p_d), .s_axis_tlast(ln2p_l), .s_axis_tvalid(ln2p_v), .s_axis_tready(ln2p_r),
    .s_axis_w_tdata(s_axis_w_fc1_tdata), .s_axis_w_tlast(s_axis_w_fc1_tlast),
    .s_axis_w_tvalid(s_axis_w_fc1_tvalid), .s_axis_w_tready(s_axis_w_fc1_tready),
    .s_axis_p_tdata(s_axis_p_fc1_tdata), .s_axis_p_tlast(s_axis_p_fc1_tlast),
    .s_axis_p_tvalid(s_axis_p_fc1_tvalid), .s_axis_p_tready(s_axis_p_fc1_tready),
    .m_axis_tdata(fc1_d), .m_axis_tlast(fc1_l), .m_axis_tvalid(fc1_v), .m_axis_tready(fc1_r),
    .idle(fc1_idle)
  );

  gelu #(.Lanes(1)) u_gelu (
    .clk, .rst_n,
    .tbl_we(gelu_tbl_we), .tbl_addr(gelu_tbl_addr), .tbl_wdata(gelu_tbl_wdata),
    .s_axis_tdata(fc1_d), .s_axis_tlast(fc1_l), .s_axis_tvalid(fc1_v), .s_axis_tready(fc1_r),
    .m_axis_tdata(gelu_d), .m_axis_tlast(gelu_l), .m_axis_tvalid(gelu_v), .m_axis_tready(gelu_r)
  );

  axis_pack #(.ElemBits(8), .Ratio(LanesFc2)) u_pack_gelu (
    .clk, .rst_n,
    .s_axis_tdata(gelu_d), .s_axis_tlast(gelu_l), .s_axis_tvalid(gelu_v), .s_axis_tready(gelu_r),
    .m_axis_tdata(gelup_d), .m_axis_tlast(gelup_l), .m_axis_tvalid(gelup_v), .m_axis_tready(gelup_r)
  );

  linear #(.Lanes(LanesFc2), .K(DFfn), .N(D), .OutBits(BranchBits)) u_fc2 (
    .clk, .rst_n,
    .s_axis_tdata(gelup_d), .s_axis_tlast(gelup_l), .s_axis_tvalid(gelup_v), .s_axis_tready(gelup_r),
    .s_axis_w_tdata(s_axis_w_fc2_tdata), .s_axis_w_tlast(s_axis_w_fc2_tlast),
    .s_axis_w_tvalid(s_axis_w_fc2_tvalid), .s_axis_w_tready(s_axis_w_fc2_tready),
    .s_axis_p_tdata(s_axis_p_fc2_tdata), .s_axis_p_tlast(s_axis_p_fc2_tlast),
    .s_axis_p_tvalid(s_axis_p_fc2_tvalid), .s_axis_p_tready(s_axis_p_fc2_tready),
    .m_axis_tdata(fc2_d), .m_axis_tlast(fc2_l), .m_axis_tvalid(fc2_v), .m_axis_tready(fc2_r),
    .idle(fc2_idle)
  );

  axis_fifo #(.DataWidth(ResidBits), .Depth(D)) u_res2 (
    .clk, .rst_n,
    .s_axis_tdata(mid_res2_d), .s_axis_tlast(mid_res2_l), .s_axis_tvalid(fork2_v[1]), .s_axis_tready(fork2_r[1]),
    .m_axis_tdata(res2_d), .m_axis_tlast(res2_l), .m_axis_tvalid(res2_v), .m_axis_tready(res2_r),
    .level(res2_level)
  );

  residual_add #(.Lanes(1), .ABits(ResidBits), .BBits(BranchBits), .OutBits(ResidBits)) u_add2 (
    .clk, .rst_n,
    .a_mult(add2_a_mult), .a_shift(add2_a_shift), .b_mult(add2_b_mult), .b_shift(add2_b_shift),
    .out_mult(add2_out_mult), .out_shift(add2_out_shift),
    .s_axis_a_tdata(res2_d), .s_axis_a_tlast(res2_l), .s_axis_a_tvalid(res2_v), .s_axis_a_tready(res2_r),
    .s_axis_b_tdata(fc2_d), .s_axis_b_tlast(fc2_l), .s_axis_b_tvalid(fc2_v), .s_axis_b_tready(fc2_r),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready
  );

endmodule

`default_nettype wire
