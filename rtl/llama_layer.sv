// SPDX-License-Identifier: Apache-2.0
//
// llama_layer: one pre-norm Llama decoder layer doing decode (one token against a KV cache),
// composed spatially from the kernel units, bit-exact with models.llama_model.layer_decode:
//
//   x ─► fork ─► RMSNorm ─► pack ─► Q/K/V (Q4_1) ─► RoPE(q,k) ─► GQA attention ─► O (Q4_1) ─► pack ─► add1.b
//          └────────── residual FIFO ─────────────────────────────────────────────────────────────► add1.a
//   add1 ─► fork ─► RMSNorm ─► pack ─► gate,up (Q4_1) ─► SiLU(gate)·up ─► pack ─► FIFO ─► down (Q4_1) ─► pack ─► add2.b
//             └────────── residual FIFO ───────────────────────────────────────────────────────────────────► add2.a ─► x'
//   weight bus ─► router ─► prefetch FIFO of QKV | O | gate,up | down (one matrix after the other)
//
// Units and the wiring choices:
// - Q, K and V are one q4_linear of Heads*HeadDim + 2*KvHeads*HeadDim rows (the three matrices'
//   rows back to back), so its output is attention's [q | k | v] vector. RoPE rotates its first
//   (Heads + KvHeads)*HeadDim elements (q and k: whole heads, the same table index per head) and
//   passes v (rope.sv RotElems).
// - gate and up are one q4_linear of 2*DFfn rows interleaved (gate row n, then up row n), so
//   SwiGLU gets gate[n] and up[n] as one 2-element beat: no vector-long buffer for the gate while
//   up's weights wait on the bus.
// - SwiGLU's whole output vector collects in a FIFO in front of down (DFfn int16), with its
//   per-token shift: down's weights follow gate/up's on the bus, so down takes x only after
//   gate/up took its last weight word (as FC2 in decoder_layer.sv).
// - The residual adds are residual_add.sv with Shift = 1 (llama_ops.resid_add).
// Streams (AXI4-Stream):
//   s_axis_*      x: D int24 residual elements, ResidLanes per beat (element i in bits
//                 [i*24 +: 24] of beat i / ResidLanes), tlast on the last beat.
//   s_axis_pos_*  one sllm_pkg::token_t beat per token: position and layer (KV-cache region),
//                 taken by RoPE and attention; attention's scales (cfg.attn) are sampled with it.
//   m_axis_*      x': D int24, ResidLanes per beat, tlast on the last beat.
//   s_axis_w_*    the weight memory bus, WeightBusBytes per cycle (the HBM pseudo-channels side
//                 by side): per token the four matrices QKV, O, gate/up, down, each a sequence of
//                 21-byte Q4_1 blocks in output-major order (for row n: for group g), block =
//                 {q4_group_t {c, d} (5 bytes, high), 32 uint4 codes (16 bytes, code i in bits
//                 [4i+3:4i])}; tlast on each matrix's last word. The units take turns on the bus
//                 (weight_router.sv), each behind a prefetch FIFO of PrefetchWords bus words.
//   s_axis_p_<u>_* per-row requant (sllm_pkg::rq_wide_t) of Linear u (qkv, o, gateup, down), one
//                 narrow port each (43 bits per row, ~1% of the weights).
// Configuration (static while a token is in flight; one layer's values at a time): `cfg`
// (sllm_pkg::llama_cfg_t), the RMSNorm per-channel words (norm<i>_prm_*, sllm_pkg::ln_chan_t,
// beta unused), the SwiGLU sigmoid table (sig_tbl_*) and the RoPE table (rope_tbl_*, the same for
// every layer).
// Numerics: residual int24, Linear inputs and q/k/v int16 (docs/numerics.md, "Llama / SmolLM2").
// Throughput: one token at a time per unit; the bound is (layer weight bytes) / WeightBusBytes
// cycles. Each Linear must take more bytes per cycle than the bus gives (Lanes*21/32 >
// WeightBusBytes) to catch up after the gaps the bus spends filling the other units' FIFOs.
// Errors: pos_error (sticky: a position outside the KV cache or the RoPE table) and layer_error
// (sticky: a layer with no KV-cache region) flag a token; such a token writes nothing into the cache.
// Reset: synchronous, active low; drops everything in flight (caches and parameter memories stay).

`default_nettype none

module llama_layer
  import sllm_pkg::*;
#(
  parameter int D              = 576,   // model width = Heads * HeadDim
  parameter int Heads          = 9,     // query heads
  parameter int KvHeads        = 3,     // KV heads (divides Heads)
  parameter int DFfn           = 1536,  // FFN width
  parameter int MaxSeq         = 64,    // KV cache rows per layer = RoPE table positions
  parameter int NumLayers      = 30,    // KV cache regions (one per model layer served)
  parameter int ResidLanes     = 16,    // elements per beat of the residual stream, RMSNorms and adds
  parameter int WeightBusBytes = 84,    // weight memory bandwidth, bytes per cycle
  parameter int PrefetchWords  = 256,   // bus words each Linear's prefetch FIFO holds
  parameter int LanesQkv       = 192,   // codes per cycle of the QKV Linear (a multiple of 32)
  parameter int LanesO         = 192,   // codes per cycle of the O Linear
  parameter int LanesGateUp    = 192,   // codes per cycle of the gate/up Linear
  parameter int LanesDown      = 192,   // codes per cycle of the down Linear
  parameter int AttnMacs       = 64,    // MACs per cycle of each attention datapath (q.K, p.V)
  parameter int SoftmaxUnits   = 4,     // softmax rows in flight in attention
  localparam int HeadDim   = (Heads > 0) ? D / Heads : 1,
  localparam int KvD       = KvHeads * HeadDim,
  localparam int ChanWidth = (D > 1) ? $clog2(D) : 1
) (
  input  wire logic                   clk,
  input  wire logic                   rst_n,
  // Token in / out
  input  wire logic [ResidLanes*24-1:0] s_axis_tdata,
  input  wire logic                   s_axis_tlast,
  input  wire logic                   s_axis_tvalid,
  output logic                        s_axis_tready,
  input  wire token_t                 s_axis_pos_tdata,
  input  wire logic                   s_axis_pos_tlast,
  input  wire logic                   s_axis_pos_tvalid,
  output logic                        s_axis_pos_tready,
  output logic      [ResidLanes*24-1:0] m_axis_tdata,
  output logic                        m_axis_tlast,
  output logic                        m_axis_tvalid,
  input  wire logic                   m_axis_tready,
  // The weight memory bus and the row-parameter streams of the four Linear units
  input  wire logic [WeightBusBytes*8-1:0] s_axis_w_tdata,
  input  wire logic                   s_axis_w_tlast, s_axis_w_tvalid,
  output logic                        s_axis_w_tready,
  input  wire rq_wide_t               s_axis_p_qkv_tdata,
  input  wire logic                   s_axis_p_qkv_tlast, s_axis_p_qkv_tvalid,
  output logic                        s_axis_p_qkv_tready,
  input  wire rq_wide_t               s_axis_p_o_tdata,
  input  wire logic                   s_axis_p_o_tlast, s_axis_p_o_tvalid,
  output logic                        s_axis_p_o_tready,
  input  wire rq_wide_t               s_axis_p_gateup_tdata,
  input  wire logic                   s_axis_p_gateup_tlast, s_axis_p_gateup_tvalid,
  output logic                        s_axis_p_gateup_tready,
  input  wire rq_wide_t               s_axis_p_down_tdata,
  input  wire logic                   s_axis_p_down_tlast, s_axis_p_down_tvalid,
  output logic                        s_axis_p_down_tready,
  // Per-layer configuration
  // Toggle coverage off: one value per layer, static while tokens are in flight (by contract).
  /* verilator coverage_off */
  input  wire llama_cfg_t             cfg,
  /* verilator coverage_on */
  input  wire logic                   norm1_prm_we, norm2_prm_we,
  input  wire logic [ChanWidth-1:0]   norm_prm_addr,   // channel written in both RMSNorms
  input  wire ln_chan_t               norm1_prm_wdata,
  input  wire ln_chan_t               norm2_prm_wdata,
  input  wire logic                   sig_tbl_we,
  input  wire logic [8:0]             sig_tbl_addr,
  input  wire logic [15:0]            sig_tbl_wdata,
  input  wire logic                   rope_tbl_we,
  input  wire logic [$clog2(MaxSeq * HeadDim / 2)-1:0] rope_tbl_addr,
  input  wire rope_entry_t            rope_tbl_wdata,
  // Status
  output logic                        pos_error,
  output logic                        layer_error
);

  localparam int QkvN  = D + 2 * KvD;   // rows of the fused Q/K/V projection
  localparam int Block = 21;            // bytes of one Q4_1 block on the bus: 16 of codes + a q4_group_t

  initial begin
    if (D < 1 || Heads < 1 || D % Heads != 0 || KvHeads < 1 || Heads % KvHeads != 0)
      $fatal(1, "llama_layer: D (%0d) must be a multiple of Heads (%0d), and Heads of KvHeads (%0d)", D, Heads, KvHeads);
    if (LanesQkv % 32 != 0 || LanesO % 32 != 0 || LanesGateUp % 32 != 0 || LanesDown % 32 != 0 ||
        D % LanesQkv != 0 || D % LanesO != 0 || D % LanesGateUp != 0 || DFfn % LanesDown != 0)
      $fatal(1, "llama_layer: LanesQkv/LanesO/LanesGateUp (%0d/%0d/%0d) must be multiples of 32 dividing D (%0d), LanesDown (%0d) one dividing DFfn (%0d)",
             LanesQkv, LanesO, LanesGateUp, D, LanesDown, DFfn);
    if (WeightBusBytes < 1 || (QkvN * D / 32 * Block) % WeightBusBytes != 0 || (D * D / 32 * Block) % WeightBusBytes != 0 ||
        (2 * DFfn * D / 32 * Block) % WeightBusBytes != 0 || (D * DFfn / 32 * Block) % WeightBusBytes != 0)
      $fatal(1, "llama_layer: every matrix (%0d, %0d, %0d, %0d bytes of Q4_1 blocks) must be a whole number of WeightBusBytes (%0d) words",
             QkvN * D / 32 * Block, D * D / 32 * Block, 2 * DFfn * D / 32 * Block, D * DFfn / 32 * Block, WeightBusBytes);
    if (PrefetchWords < 1) $fatal(1, "llama_layer: PrefetchWords must be >= 1, got %0d", PrefetchWords);
    if (ResidLanes < 1 || D % ResidLanes != 0 || LanesQkv % ResidLanes != 0 || LanesGateUp % ResidLanes != 0)
      $fatal(1, "llama_layer: ResidLanes (%0d) must divide D (%0d), LanesQkv (%0d) and LanesGateUp (%0d)",
             ResidLanes, D, LanesQkv, LanesGateUp);
  end

  // Stream bundles between the units: {tdata, tlast, tvalid, tready} per arrow of the diagram.
  localparam int RW = ResidLanes * 24;  // residual beat
  logic [RW-1:0]           x_norm1_tdata, res1_tdata, mid_tdata, mid_norm2_tdata, res2_tdata;
  logic                    x_norm1_tlast, res1_tlast, mid_tlast, mid_norm2_tlast, res2_tlast;
  logic [1:0]              fork1_tvalid, fork1_tready, fork2_tvalid, fork2_tready, pos_tvalid, pos_tready;
  logic                    res1_tvalid, res1_tready, mid_tvalid, mid_tready, res2_tvalid, res2_tready;
  token_t                  pos_tdata;
  logic                    pos_tlast;
  logic [ResidLanes*16-1:0] norm1_tdata, norm2_tdata;
  logic                    norm1_tlast, norm1_tvalid, norm1_tready, norm2_tlast, norm2_tvalid, norm2_tready;
  logic [LanesQkv*16-1:0]  norm1p_tdata;
  logic [LanesGateUp*16-1:0] norm2p_tdata;
  logic                    norm1p_tlast, norm1p_tvalid, norm1p_tready, norm2p_tlast, norm2p_tvalid, norm2p_tready;
  logic [15:0]             qkv_tdata, gu_tdata, sw_tdata;
  logic                    qkv_tlast, qkv_tvalid, qkv_tready, gu_tlast, gu_tvalid, gu_tready, sw_tlast, sw_tvalid, sw_tready;
  logic [31:0]             qkvp_tdata, roped_tdata, gup_tdata;  // 2 int16 per beat
  logic                    qkvp_tlast, qkvp_tvalid, qkvp_tready, roped_tlast, roped_tvalid, roped_tready;
  logic                    gup_tlast, gup_tvalid, gup_tready;
  logic [LanesO*16-1:0]    attn_tdata;
  logic                    attn_tlast, attn_tvalid, attn_tready;
  logic [LanesDown*16-1:0] swp_tdata, downx_tdata;
  logic                    swp_tlast, swp_tvalid, swp_tready, downx_tlast, downx_tvalid, downx_tready;
  logic [5:0]              sw_e_tdata, down_e_tdata;
  logic                    sw_e_tlast, sw_e_tvalid, sw_e_tready, down_e_tlast, down_e_tvalid, down_e_tready;
  logic [23:0]             o_tdata, down_tdata;
  logic                    o_tlast, o_tvalid, o_tready, down_tlast, down_tvalid, down_tready;
  logic [RW-1:0]           op_tdata, downp_tdata;  // O and down outputs, ResidLanes per beat
  logic                    op_tlast, op_tvalid, op_tready, downp_tlast, downp_tvalid, downp_tready;
  logic                    rope_pos_error, attn_pos_error;

  localparam int LevelWidth = $clog2(D / ResidLanes + 1);

  // Unused status outputs of the units (the layer harness measures from the streams).
  /* verilator lint_off UNUSEDSIGNAL */
  logic qkv_idle, o_idle, gu_idle, down_idle, attn_idle;
  logic [LevelWidth-1:0] res1_level, res2_level;
  logic [$clog2(DFfn / LanesDown + 1)-1:0] downx_level;
  logic [1:0] down_e_level;
  logic [AttnMacs*16-1:0] cache_rdata;
  logic [1:0] weight_turn;  // the unit the bus feeds (waves, timeline)
  logic qkv_e_tready, o_e_tready, gu_e_tready;  // x_shift ports of the Linears without XShift
  /* verilator lint_on UNUSEDSIGNAL */

  assign pos_error = rope_pos_error | attn_pos_error;

  // The residual adds' configuration: only the residual's shift (residual_add.sv, Shift = 1).
  add_cfg_t add1_cfg, add2_cfg;
  assign add1_cfg = {{(2 * $bits(rq_scale_t)){1'b0}}, cfg.add1_shift, 32'd0};
  assign add2_cfg = {{(2 * $bits(rq_scale_t)){1'b0}}, cfg.add2_shift, 32'd0};

  // ---- Weights: one memory bus, the Linear units take turns (QKV, O, gate/up, down per token) ----
  logic [WeightBusBytes*8-1:0] bus_tdata;
  logic                        bus_tlast;
  logic [3:0]                  bus_tvalid, bus_tready;
  logic [LanesQkv/32*Block*8-1:0]    w_qkv_tdata;
  logic [LanesO/32*Block*8-1:0]      w_o_tdata;
  logic [LanesGateUp/32*Block*8-1:0] w_gu_tdata;
  logic [LanesDown/32*Block*8-1:0]   w_down_tdata;
  logic [3:0]                  w_tlast, w_tvalid, w_tready;  // {down, gate/up, o, qkv}
  logic [3:0]                  codes_tready, groups_tready;

  weight_router #(.Width(WeightBusBytes * 8), .NumUnits(4)) u_weight_router (
    .clk, .rst_n,
    .s_axis_tdata(s_axis_w_tdata), .s_axis_tlast(s_axis_w_tlast), .s_axis_tvalid(s_axis_w_tvalid), .s_axis_tready(s_axis_w_tready),
    .m_axis_tdata(bus_tdata), .m_axis_tlast(bus_tlast), .m_axis_tvalid(bus_tvalid), .m_axis_tready(bus_tready),
    .turn(weight_turn)
  );

  weight_prefetch #(.BusBytes(WeightBusBytes), .Lanes(LanesQkv / 32 * Block), .Depth(PrefetchWords)) u_prefetch_qkv (
    .clk, .rst_n,
    .s_axis_tdata(bus_tdata), .s_axis_tlast(bus_tlast), .s_axis_tvalid(bus_tvalid[0]), .s_axis_tready(bus_tready[0]),
    .m_axis_tdata(w_qkv_tdata), .m_axis_tlast(w_tlast[0]), .m_axis_tvalid(w_tvalid[0]), .m_axis_tready(w_tready[0])
  );
  weight_prefetch #(.BusBytes(WeightBusBytes), .Lanes(LanesO / 32 * Block), .Depth(PrefetchWords)) u_prefetch_o (
    .clk, .rst_n,
    .s_axis_tdata(bus_tdata), .s_axis_tlast(bus_tlast), .s_axis_tvalid(bus_tvalid[1]), .s_axis_tready(bus_tready[1]),
    .m_axis_tdata(w_o_tdata), .m_axis_tlast(w_tlast[1]), .m_axis_tvalid(w_tvalid[1]), .m_axis_tready(w_tready[1])
  );
  weight_prefetch #(.BusBytes(WeightBusBytes), .Lanes(LanesGateUp / 32 * Block), .Depth(PrefetchWords)) u_prefetch_gu (
    .clk, .rst_n,
    .s_axis_tdata(bus_tdata), .s_axis_tlast(bus_tlast), .s_axis_tvalid(bus_tvalid[2]), .s_axis_tready(bus_tready[2]),
    .m_axis_tdata(w_gu_tdata), .m_axis_tlast(w_tlast[2]), .m_axis_tvalid(w_tvalid[2]), .m_axis_tready(w_tready[2])
  );
  weight_prefetch #(.BusBytes(WeightBusBytes), .Lanes(LanesDown / 32 * Block), .Depth(PrefetchWords)) u_prefetch_down (
    .clk, .rst_n,
    .s_axis_tdata(bus_tdata), .s_axis_tlast(bus_tlast), .s_axis_tvalid(bus_tvalid[3]), .s_axis_tready(bus_tready[3]),
    .m_axis_tdata(w_down_tdata), .m_axis_tlast(w_tlast[3]), .m_axis_tvalid(w_tvalid[3]), .m_axis_tready(w_tready[3])
  );

  // A q4_linear beat of Lanes >= 32 codes ends Lanes/32 groups, so it takes its codes and their
  // group scales in the same cycle: one beat of blocks feeds both ports (the two readies are
  // equal), split here into the codes and the q4_group_t words.
  assign w_tready = codes_tready & groups_tready;
  logic [LanesQkv*4-1:0]     c_qkv;
  logic [LanesO*4-1:0]       c_o;
  logic [LanesGateUp*4-1:0]  c_gu;
  logic [LanesDown*4-1:0]    c_down;
  logic [LanesQkv/32*40-1:0] g_qkv;
  logic [LanesO/32*40-1:0]   g_o;
  logic [LanesGateUp/32*40-1:0] g_gu;
  logic [LanesDown/32*40-1:0] g_down;
  for (genvar b = 0; b < LanesQkv / 32; b++) begin : g_blk_qkv
    assign {g_qkv[40*b +: 40], c_qkv[128*b +: 128]} = w_qkv_tdata[8*Block*b +: 8*Block];
  end
  for (genvar b = 0; b < LanesO / 32; b++) begin : g_blk_o
    assign {g_o[40*b +: 40], c_o[128*b +: 128]} = w_o_tdata[8*Block*b +: 8*Block];
  end
  for (genvar b = 0; b < LanesGateUp / 32; b++) begin : g_blk_gu
    assign {g_gu[40*b +: 40], c_gu[128*b +: 128]} = w_gu_tdata[8*Block*b +: 8*Block];
  end
  for (genvar b = 0; b < LanesDown / 32; b++) begin : g_blk_down
    assign {g_down[40*b +: 40], c_down[128*b +: 128]} = w_down_tdata[8*Block*b +: 8*Block];
  end

  // ---- Attention block: x -> RMSNorm -> QKV -> RoPE -> attention -> O, residual around it -------
  axis_fork #(.DataWidth(RW), .NumOutputs(2)) u_fork1 (
    .clk, .rst_n,
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata(x_norm1_tdata), .m_axis_tlast(x_norm1_tlast), .m_axis_tvalid(fork1_tvalid), .m_axis_tready(fork1_tready)
  );

  layernorm #(.Lanes(ResidLanes), .InBits(24), .MaxDim(D), .Rms(1), .OutBits(16)) u_norm1 (
    .clk, .rst_n, .eps_v(cfg.attn_norm_eps_v),
    .prm_we(norm1_prm_we), .prm_addr(norm_prm_addr), .prm_wdata(norm1_prm_wdata),
    .s_axis_tdata(x_norm1_tdata), .s_axis_tlast(x_norm1_tlast), .s_axis_tvalid(fork1_tvalid[0]), .s_axis_tready(fork1_tready[0]),
    .m_axis_tdata(norm1_tdata), .m_axis_tlast(norm1_tlast), .m_axis_tvalid(norm1_tvalid), .m_axis_tready(norm1_tready)
  );

  axis_pack #(.ElemBits(16 * ResidLanes), .Ratio(LanesQkv / ResidLanes)) u_pack_norm1 (
    .clk, .rst_n,
    .s_axis_tdata(norm1_tdata), .s_axis_tlast(norm1_tlast), .s_axis_tvalid(norm1_tvalid), .s_axis_tready(norm1_tready),
    .m_axis_tdata(norm1p_tdata), .m_axis_tlast(norm1p_tlast), .m_axis_tvalid(norm1p_tvalid), .m_axis_tready(norm1p_tready)
  );

  q4_linear #(.Lanes(LanesQkv), .K(D), .N(QkvN), .OutBits(16)) u_qkv (
    .clk, .rst_n,
    .s_axis_tdata(norm1p_tdata), .s_axis_tlast(norm1p_tlast), .s_axis_tvalid(norm1p_tvalid), .s_axis_tready(norm1p_tready),
    .s_axis_e_tdata(6'd0), .s_axis_e_tlast(1'b0), .s_axis_e_tvalid(1'b0), .s_axis_e_tready(qkv_e_tready),
    .s_axis_w_tdata(c_qkv), .s_axis_w_tlast(w_tlast[0]), .s_axis_w_tvalid(w_tvalid[0]), .s_axis_w_tready(codes_tready[0]),
    .s_axis_g_tdata(g_qkv), .s_axis_g_tlast(w_tlast[0]), .s_axis_g_tvalid(w_tvalid[0]), .s_axis_g_tready(groups_tready[0]),
    .s_axis_p_tdata(s_axis_p_qkv_tdata), .s_axis_p_tlast(s_axis_p_qkv_tlast),
    .s_axis_p_tvalid(s_axis_p_qkv_tvalid), .s_axis_p_tready(s_axis_p_qkv_tready),
    .m_axis_tdata(qkv_tdata), .m_axis_tlast(qkv_tlast), .m_axis_tvalid(qkv_tvalid), .m_axis_tready(qkv_tready),
    .idle(qkv_idle)
  );

  axis_pack #(.ElemBits(16), .Ratio(2)) u_pack_qkv (
    .clk, .rst_n,
    .s_axis_tdata(qkv_tdata), .s_axis_tlast(qkv_tlast), .s_axis_tvalid(qkv_tvalid), .s_axis_tready(qkv_tready),
    .m_axis_tdata(qkvp_tdata), .m_axis_tlast(qkvp_tlast), .m_axis_tvalid(qkvp_tvalid), .m_axis_tready(qkvp_tready)
  );

  // The token beat goes to RoPE (the table row) and to attention (the cache row and region).
  axis_fork #(.DataWidth($bits(token_t)), .NumOutputs(2)) u_fork_pos (
    .clk, .rst_n,
    .s_axis_tdata(s_axis_pos_tdata), .s_axis_tlast(s_axis_pos_tlast), .s_axis_tvalid(s_axis_pos_tvalid), .s_axis_tready(s_axis_pos_tready),
    .m_axis_tdata(pos_tdata), .m_axis_tlast(pos_tlast), .m_axis_tvalid(pos_tvalid), .m_axis_tready(pos_tready)
  );

  rope #(.Lanes(2), .HeadDim(HeadDim), .MaxSeq(MaxSeq), .RotElems(D + KvD)) u_rope (
    .clk, .rst_n,
    .tbl_we(rope_tbl_we), .tbl_addr(rope_tbl_addr), .tbl_wdata(rope_tbl_wdata),
    .s_axis_pos_tdata(pos_tdata), .s_axis_pos_tlast(pos_tlast), .s_axis_pos_tvalid(pos_tvalid[0]), .s_axis_pos_tready(pos_tready[0]),
    .s_axis_tdata(qkvp_tdata), .s_axis_tlast(qkvp_tlast), .s_axis_tvalid(qkvp_tvalid), .s_axis_tready(qkvp_tready),
    .m_axis_tdata(roped_tdata), .m_axis_tlast(roped_tlast), .m_axis_tvalid(roped_tvalid), .m_axis_tready(roped_tready),
    .pos_error(rope_pos_error)
  );

  attention #(
    .D(D), .Heads(Heads), .KvHeads(KvHeads), .ElemBits(16), .MaxSeq(MaxSeq), .NumLayers(NumLayers), .Lanes(2),
    .Macs(AttnMacs), .OutLanes(LanesO), .SoftmaxUnits(SoftmaxUnits)
  ) u_attn (
    .clk, .rst_n,
    .s_axis_tdata(roped_tdata), .s_axis_tlast(roped_tlast), .s_axis_tvalid(roped_tvalid), .s_axis_tready(roped_tready),
    .s_axis_pos_tdata(pos_tdata), .s_axis_pos_tlast(pos_tlast), .s_axis_pos_tvalid(pos_tvalid[1]), .s_axis_pos_tready(pos_tready[1]),
    .m_axis_tdata(attn_tdata), .m_axis_tlast(attn_tlast), .m_axis_tvalid(attn_tvalid), .m_axis_tready(attn_tready),
    .cfg('0), .gqa_cfg(cfg.attn),
    .cache_req(1'b0), .cache_we(1'b0), .cache_sel(1'b0), .cache_addr('0), .cache_wdata('0),
    .cache_rdata, .pos_error(attn_pos_error), .layer_error, .idle(attn_idle)
  );

  q4_linear #(.Lanes(LanesO), .K(D), .N(D), .OutBits(24)) u_o (
    .clk, .rst_n,
    .s_axis_tdata(attn_tdata), .s_axis_tlast(attn_tlast), .s_axis_tvalid(attn_tvalid), .s_axis_tready(attn_tready),
    .s_axis_e_tdata(6'd0), .s_axis_e_tlast(1'b0), .s_axis_e_tvalid(1'b0), .s_axis_e_tready(o_e_tready),
    .s_axis_w_tdata(c_o), .s_axis_w_tlast(w_tlast[1]), .s_axis_w_tvalid(w_tvalid[1]), .s_axis_w_tready(codes_tready[1]),
    .s_axis_g_tdata(g_o), .s_axis_g_tlast(w_tlast[1]), .s_axis_g_tvalid(w_tvalid[1]), .s_axis_g_tready(groups_tready[1]),
    .s_axis_p_tdata(s_axis_p_o_tdata), .s_axis_p_tlast(s_axis_p_o_tlast),
    .s_axis_p_tvalid(s_axis_p_o_tvalid), .s_axis_p_tready(s_axis_p_o_tready),
    .m_axis_tdata(o_tdata), .m_axis_tlast(o_tlast), .m_axis_tvalid(o_tvalid), .m_axis_tready(o_tready),
    .idle(o_idle)
  );

  axis_fifo #(.DataWidth(RW), .Depth(D / ResidLanes)) u_res1 (
    .clk, .rst_n,
    .s_axis_tdata(x_norm1_tdata), .s_axis_tlast(x_norm1_tlast), .s_axis_tvalid(fork1_tvalid[1]), .s_axis_tready(fork1_tready[1]),
    .m_axis_tdata(res1_tdata), .m_axis_tlast(res1_tlast), .m_axis_tvalid(res1_tvalid), .m_axis_tready(res1_tready),
    .level(res1_level)
  );

  axis_pack #(.ElemBits(24), .Ratio(ResidLanes)) u_pack_o (
    .clk, .rst_n,
    .s_axis_tdata(o_tdata), .s_axis_tlast(o_tlast), .s_axis_tvalid(o_tvalid), .s_axis_tready(o_tready),
    .m_axis_tdata(op_tdata), .m_axis_tlast(op_tlast), .m_axis_tvalid(op_tvalid), .m_axis_tready(op_tready)
  );

  residual_add #(.Lanes(ResidLanes), .ABits(24), .BBits(24), .OutBits(24), .Shift(1)) u_add1 (
    .clk, .rst_n,
    .cfg(add1_cfg),
    .s_axis_a_tdata(res1_tdata), .s_axis_a_tlast(res1_tlast), .s_axis_a_tvalid(res1_tvalid), .s_axis_a_tready(res1_tready),
    .s_axis_b_tdata(op_tdata), .s_axis_b_tlast(op_tlast), .s_axis_b_tvalid(op_tvalid), .s_axis_b_tready(op_tready),
    .m_axis_tdata(mid_tdata), .m_axis_tlast(mid_tlast), .m_axis_tvalid(mid_tvalid), .m_axis_tready(mid_tready)
  );

  // ---- FFN block: RMSNorm -> gate/up -> SwiGLU -> down, residual around it ----------------------
  axis_fork #(.DataWidth(RW), .NumOutputs(2)) u_fork2 (
    .clk, .rst_n,
    .s_axis_tdata(mid_tdata), .s_axis_tlast(mid_tlast), .s_axis_tvalid(mid_tvalid), .s_axis_tready(mid_tready),
    .m_axis_tdata(mid_norm2_tdata), .m_axis_tlast(mid_norm2_tlast), .m_axis_tvalid(fork2_tvalid), .m_axis_tready(fork2_tready)
  );

  layernorm #(.Lanes(ResidLanes), .InBits(24), .MaxDim(D), .Rms(1), .OutBits(16)) u_norm2 (
    .clk, .rst_n, .eps_v(cfg.ffn_norm_eps_v),
    .prm_we(norm2_prm_we), .prm_addr(norm_prm_addr), .prm_wdata(norm2_prm_wdata),
    .s_axis_tdata(mid_norm2_tdata), .s_axis_tlast(mid_norm2_tlast), .s_axis_tvalid(fork2_tvalid[0]), .s_axis_tready(fork2_tready[0]),
    .m_axis_tdata(norm2_tdata), .m_axis_tlast(norm2_tlast), .m_axis_tvalid(norm2_tvalid), .m_axis_tready(norm2_tready)
  );

  axis_pack #(.ElemBits(16 * ResidLanes), .Ratio(LanesGateUp / ResidLanes)) u_pack_norm2 (
    .clk, .rst_n,
    .s_axis_tdata(norm2_tdata), .s_axis_tlast(norm2_tlast), .s_axis_tvalid(norm2_tvalid), .s_axis_tready(norm2_tready),
    .m_axis_tdata(norm2p_tdata), .m_axis_tlast(norm2p_tlast), .m_axis_tvalid(norm2p_tvalid), .m_axis_tready(norm2p_tready)
  );

  q4_linear #(.Lanes(LanesGateUp), .K(D), .N(2 * DFfn), .OutBits(16)) u_gate_up (
    .clk, .rst_n,
    .s_axis_tdata(norm2p_tdata), .s_axis_tlast(norm2p_tlast), .s_axis_tvalid(norm2p_tvalid), .s_axis_tready(norm2p_tready),
    .s_axis_e_tdata(6'd0), .s_axis_e_tlast(1'b0), .s_axis_e_tvalid(1'b0), .s_axis_e_tready(gu_e_tready),
    .s_axis_w_tdata(c_gu), .s_axis_w_tlast(w_tlast[2]), .s_axis_w_tvalid(w_tvalid[2]), .s_axis_w_tready(codes_tready[2]),
    .s_axis_g_tdata(g_gu), .s_axis_g_tlast(w_tlast[2]), .s_axis_g_tvalid(w_tvalid[2]), .s_axis_g_tready(groups_tready[2]),
    .s_axis_p_tdata(s_axis_p_gateup_tdata), .s_axis_p_tlast(s_axis_p_gateup_tlast),
    .s_axis_p_tvalid(s_axis_p_gateup_tvalid), .s_axis_p_tready(s_axis_p_gateup_tready),
    .m_axis_tdata(gu_tdata), .m_axis_tlast(gu_tlast), .m_axis_tvalid(gu_tvalid), .m_axis_tready(gu_tready),
    .idle(gu_idle)
  );

  // {up[n], gate[n]} per beat: the interleaved rows, two at a time.
  axis_pack #(.ElemBits(16), .Ratio(2)) u_pack_gate_up (
    .clk, .rst_n,
    .s_axis_tdata(gu_tdata), .s_axis_tlast(gu_tlast), .s_axis_tvalid(gu_tvalid), .s_axis_tready(gu_tready),
    .m_axis_tdata(gup_tdata), .m_axis_tlast(gup_tlast), .m_axis_tvalid(gup_tvalid), .m_axis_tready(gup_tready)
  );

  // Both halves of one beat: swiglu joins g and u, so its two readies are equal here.
  logic sw_g_tready, sw_u_tready;
  assign gup_tready = sw_g_tready & sw_u_tready;

  swiglu #(.Lanes(1), .MaxDim(DFfn)) u_swiglu (
    .clk, .rst_n,
    .tbl_we(sig_tbl_we), .tbl_addr(sig_tbl_addr), .tbl_wdata(sig_tbl_wdata),
    .s_axis_g_tdata(gup_tdata[15:0]), .s_axis_g_tlast(gup_tlast), .s_axis_g_tvalid(gup_tvalid), .s_axis_g_tready(sw_g_tready),
    .s_axis_u_tdata(gup_tdata[31:16]), .s_axis_u_tlast(gup_tlast), .s_axis_u_tvalid(gup_tvalid), .s_axis_u_tready(sw_u_tready),
    .m_axis_tdata(sw_tdata), .m_axis_tlast(sw_tlast), .m_axis_tvalid(sw_tvalid), .m_axis_tready(sw_tready),
    .m_axis_e_tdata(sw_e_tdata), .m_axis_e_tlast(sw_e_tlast), .m_axis_e_tvalid(sw_e_tvalid), .m_axis_e_tready(sw_e_tready)
  );

  axis_pack #(.ElemBits(16), .Ratio(LanesDown)) u_pack_swiglu (
    .clk, .rst_n,
    .s_axis_tdata(sw_tdata), .s_axis_tlast(sw_tlast), .s_axis_tvalid(sw_tvalid), .s_axis_tready(sw_tready),
    .m_axis_tdata(swp_tdata), .m_axis_tlast(swp_tlast), .m_axis_tvalid(swp_tvalid), .m_axis_tready(swp_tready)
  );

  // down's whole input vector and its shift (see the header: down's weights follow gate/up's).
  axis_fifo #(.DataWidth(LanesDown * 16), .Depth(DFfn / LanesDown)) u_down_x (
    .clk, .rst_n,
    .s_axis_tdata(swp_tdata), .s_axis_tlast(swp_tlast), .s_axis_tvalid(swp_tvalid), .s_axis_tready(swp_tready),
    .m_axis_tdata(downx_tdata), .m_axis_tlast(downx_tlast), .m_axis_tvalid(downx_tvalid), .m_axis_tready(downx_tready),
    .level(downx_level)
  );
  axis_fifo #(.DataWidth(6), .Depth(2)) u_down_e (
    .clk, .rst_n,
    .s_axis_tdata(sw_e_tdata), .s_axis_tlast(sw_e_tlast), .s_axis_tvalid(sw_e_tvalid), .s_axis_tready(sw_e_tready),
    .m_axis_tdata(down_e_tdata), .m_axis_tlast(down_e_tlast), .m_axis_tvalid(down_e_tvalid), .m_axis_tready(down_e_tready),
    .level(down_e_level)
  );

  q4_linear #(.Lanes(LanesDown), .K(DFfn), .N(D), .OutBits(24), .XShift(1)) u_down (
    .clk, .rst_n,
    .s_axis_tdata(downx_tdata), .s_axis_tlast(downx_tlast), .s_axis_tvalid(downx_tvalid), .s_axis_tready(downx_tready),
    .s_axis_e_tdata(down_e_tdata), .s_axis_e_tlast(down_e_tlast), .s_axis_e_tvalid(down_e_tvalid), .s_axis_e_tready(down_e_tready),
    .s_axis_w_tdata(c_down), .s_axis_w_tlast(w_tlast[3]), .s_axis_w_tvalid(w_tvalid[3]), .s_axis_w_tready(codes_tready[3]),
    .s_axis_g_tdata(g_down), .s_axis_g_tlast(w_tlast[3]), .s_axis_g_tvalid(w_tvalid[3]), .s_axis_g_tready(groups_tready[3]),
    .s_axis_p_tdata(s_axis_p_down_tdata), .s_axis_p_tlast(s_axis_p_down_tlast),
    .s_axis_p_tvalid(s_axis_p_down_tvalid), .s_axis_p_tready(s_axis_p_down_tready),
    .m_axis_tdata(down_tdata), .m_axis_tlast(down_tlast), .m_axis_tvalid(down_tvalid), .m_axis_tready(down_tready),
    .idle(down_idle)
  );

  axis_fifo #(.DataWidth(RW), .Depth(D / ResidLanes)) u_res2 (
    .clk, .rst_n,
    .s_axis_tdata(mid_norm2_tdata), .s_axis_tlast(mid_norm2_tlast), .s_axis_tvalid(fork2_tvalid[1]), .s_axis_tready(fork2_tready[1]),
    .m_axis_tdata(res2_tdata), .m_axis_tlast(res2_tlast), .m_axis_tvalid(res2_tvalid), .m_axis_tready(res2_tready),
    .level(res2_level)
  );

  axis_pack #(.ElemBits(24), .Ratio(ResidLanes)) u_pack_down (
    .clk, .rst_n,
    .s_axis_tdata(down_tdata), .s_axis_tlast(down_tlast), .s_axis_tvalid(down_tvalid), .s_axis_tready(down_tready),
    .m_axis_tdata(downp_tdata), .m_axis_tlast(downp_tlast), .m_axis_tvalid(downp_tvalid), .m_axis_tready(downp_tready)
  );

  residual_add #(.Lanes(ResidLanes), .ABits(24), .BBits(24), .OutBits(24), .Shift(1)) u_add2 (
    .clk, .rst_n,
    .cfg(add2_cfg),
    .s_axis_a_tdata(res2_tdata), .s_axis_a_tlast(res2_tlast), .s_axis_a_tvalid(res2_tvalid), .s_axis_a_tready(res2_tready),
    .s_axis_b_tdata(downp_tdata), .s_axis_b_tlast(downp_tlast), .s_axis_b_tvalid(downp_tvalid), .s_axis_b_tready(downp_tready),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready
  );

endmodule

`default_nettype wire
