// SPDX-License-Identifier: Apache-2.0
//
// attention: multi-head decode attention of ONE new token against an on-chip int8 KV cache,
// bit-exact with ops.attention_decode. Per token (pos = its position, L = pos + 1):
//   1. append k and v at row pos of the selected layer's K and V caches;
//   2. per head h (HeadDim = D/Heads columns): acc_j = q_h . K[j,h] (j = 0..pos),
//      u_j = rescale(acc_j << 8, score_mult, score_shift)       (rtl/requant.sv)
//      p   = softmax_row(u)                                       (rtl/softmax.sv instances)
//      o_c = sum_j p_j * V[j,h,c],  y_c = requantize(o_c, out_mult, out_shift) -> int8
// Grouped-query attention (the Llama/SmolLM2 path, llama_ops.gqa_attention): ElemBits = 16 and
// KvHeads dividing Heads. q is Heads*HeadDim int16, k and v KvHeads*HeadDim int16 each (the QKV
// vector is D + 2*KvD elements, KvD = KvHeads*HeadDim), the cache holds only the KV heads, and
// query head h reads KV head h / (Heads/KvHeads). The accumulators are int64 and both requants
// the wide one (sllm_pkg::wide_to_i32 with the pre-shift, then requant): u_j an int24 logit, y
// int16, with the sllm_pkg::gqa_cfg_t scales on `gqa_cfg` (`cfg` is then unused; with ElemBits 8
// `gqa_cfg` is unused). Cycles are those of Heads ordinary heads: each query head reads its KV
// head's rows. Below, "int8", "byte" and "3*D" read "ElemBits", "element" and "D + 2*KvD" for it.
//
// Streams (AXI4-Stream; lane i of a beat in bits [8i+7:8i] (16i+15:16i for s_axis_pos)):
//   s_axis_pos_*  one sllm_pkg::token_t beat per token: pos (bits [15:0]) and layer (bits [31:16],
//                 the cache region, 0 when NumLayers = 1); tlast = 1. Accepted (with `cfg`, the
//                 sllm_pkg::attn_cfg_t scales, sampled on this beat) only while no earlier token is
//                 still computing, then the QKV vector.
//   s_axis_*      the QKV Linear's output: ONE vector of 3*D int8 in the order [q | k | v],
//                 Lanes elements per beat (linear.sv emits Lanes = 1), tlast on beat 3*D/Lanes-1
//                 (the count ends the vector; a misplaced tlast is an $error in simulation).
//   m_axis_*      y: D int8, OutLanes elements per beat (rtl/axis_pack.sv; set OutLanes to the O
//                 projection Linear's Lanes), tlast on the last beat.
//
// Parts: rtl/kv_cache.sv (the K and V caches and the save/restore port), rtl/attn_score.sv (q.K,
// requant, softmax) and rtl/attn_value.sv (p.V, requant, output drain); this module takes the
// token beat and the QKV vector, writes k and v into the cache, and starts the two datapaths.
//
// KV cache: two SV arrays (K, V) of NumLayers*MaxSeq*D/Macs words of Macs bytes; word address
//   (layer*MaxSeq + row)*(D/Macs) + c/Macs holds columns c..c+Macs-1 of that row, byte c%Macs in
//   bits [8(c%Macs)+7 : 8(c%Macs)]. One unit serves every layer of a model in two ways:
//   - NumLayers > 1: each layer has its own region, selected per token by lane 1 of s_axis_pos;
//   - NumLayers = 1 and the save/restore port: between tokens a harness reads one layer's cache out
//     (cache_req=1, cache_we=0; cache_rdata holds the word one cycle later) and writes another's in
//     (cache_req=1, cache_we=1, cache_wdata); cache_sel picks K (0) or V (1); cache_addr is the word
//     address above. The port may be used only while `idle` is high (an $error in simulation
//     otherwise); it has priority over the datapath. Reset does not clear the cache.
//   Rows > pos are never read, so a cache need not be initialised if positions start at 0.
// Errors: pos >= MaxSeq sets the sticky `pos_error`, layer >= NumLayers the sticky `layer_error`
//   (both cleared only by reset). Such a token is consumed in full, writes nothing, and produces
//   a defined output: D zeros (so a downstream pipeline still sees one vector per token).
//
// Datapaths, MACs per cycle: Macs (parameter) int8 x int8 multipliers for q.K (one Macs-byte K word
// per cycle) and Macs uint16 x int8 for p.V (one V word per cycle, Macs columns accumulated in
// parallel); the two run concurrently, head h's p.V overlapping head h+1's q.K and softmax.
// SoftmaxUnits softmax rows are in flight at once (head h on unit h % SoftmaxUnits): one softmax row
// occupies a unit for about 3L + 55 cycles, so q.K at L*HeadDim/Macs cycles per head needs
// SoftmaxUnits >= about 3*Macs/HeadDim + 1 to never wait for a softmax unit.
// Schedule of one token: load 3*D/Lanes beats (k, v written into the cache as they arrive); then
// per head q.K: L*HeadDim/Macs cycles (one K word per cycle; each score goes through requant into
// a 16-entry FIFO, credit-counted, then to its softmax unit); softmax; p.V: HeadDim/Macs groups of
// L cycles (group 0 takes p straight from the softmax unit and keeps it in a MaxSeq x 16 buffer for
// the other groups); each finished group's Macs accumulators move to a shadow register and drain
// one element per cycle through requant into an 8-entry FIFO and axis_pack.
// Cycles per token, from the last QKV beat to the last output beat, no stalls (measured with
// scripts/perf_attention.py, D=768, 12 heads, MaxSeq 1024; ideal (pos+1)*D/Macs):
//   Macs 64, 4 softmax units: pos 63: 1062 (ideal 768), pos 255: 3717 (3072), pos 1023: 14469 (12288)
//   Macs 16, 2 softmax units: pos 63: 3477 (3072), pos 255: 13653 (12288), pos 1023: 54357 (49152)
//   Macs 64, 1 softmax unit: pos 1023: 37602, i.e. ~3L per head: the softmax bound.
// i.e. about (pos+1)*(D/Macs + HeadDim/Macs + 1) + 100 when the softmax units keep up: the last
// head's softmax sum/divide/output passes and its p.V groups 1.. are not hidden behind other heads.
// For small pos the one-element-per-cycle output drain bounds it: about D + 100 cycles (873 at
// pos 0, D=768). The load takes 3*D/Lanes beats at the pace of the QKV Linear (one element every
// K/Lanes_linear cycles), so in the layer it costs nothing beyond that Linear; attention starts
// after its last element (the QKV synchronisation point of docs/architecture.md).
// Latency: the first output beat comes after the load and the first head's q.K, softmax and p.V.
// Throughput: one token at a time; the next pos beat is accepted once the previous token's p.V
// issued its last word (its last outputs may still drain).
// Ready/valid: no tready depends on its own tvalid; m_axis_tready reaches only the output FIFO/pack.
// idle: no token loading or computing, no result in flight (the cache port may be used).
// Reset: synchronous, active low; drops the token in progress (a partly written row stays).

`default_nettype none
`include "sllm_assert.svh"

module attention
  import sllm_pkg::*;
#(
  parameter int D            = 64,  // model width d (elements of q, k, v and y)
  parameter int Heads        = 4,   // attention heads; HeadDim = D / Heads <= 128
  parameter int MaxSeq       = 16,  // KV cache rows per layer (1..65535); also the softmax MaxLen
  parameter int NumLayers    = 1,   // cache regions (layers) selected by the token beat's layer
  parameter int Lanes        = 1,   // QKV input elements per beat (divides Macs)
  parameter int Macs         = 16,  // MACs per cycle of each of the q.K and p.V datapaths (divides HeadDim)
  parameter int OutLanes     = 1,   // output elements per beat (divides D)
  parameter int SoftmaxUnits = 2,   // softmax rows in flight at once (1..8)
  parameter int KvHeads      = Heads,  // KV heads (divides Heads; < Heads needs ElemBits 16): GQA
  parameter int ElemBits     = 8,   // q/k/v, cache and y elements: 8 (GPT-2) or 16 (GQA, wide requant)
  localparam int HeadDim   = (Heads > 0) ? D / Heads : 1,
  localparam int KvD       = KvHeads * HeadDim,                                   // k and v elements
  localparam int Wpr       = (Macs > 0 && D >= Macs) ? D / Macs : 1,              // words of q
  localparam int KvWpr     = (Macs > 0 && KvD >= Macs) ? KvD / Macs : 1,          // words per cache row
  localparam int Words     = NumLayers * MaxSeq * KvWpr,
  localparam int AddrWidth = (Words > 1) ? $clog2(Words) : 1,
  localparam int Slots     = (Lanes > 0 && Macs >= Lanes) ? Macs / Lanes : 1      // input beats per word
) (
  input  wire logic                   clk,
  input  wire logic                   rst_n,
  // QKV vector of the new token: [q | k | v], Lanes elements per beat
  input  wire logic [Lanes*ElemBits-1:0] s_axis_tdata,
  input  wire logic                   s_axis_tlast,
  input  wire logic                   s_axis_tvalid,
  output logic                        s_axis_tready,
  // Position and layer of the token
  input  wire token_t                 s_axis_pos_tdata,
  input  wire logic                   s_axis_pos_tlast,
  input  wire logic                   s_axis_pos_tvalid,
  output logic                        s_axis_pos_tready,
  // Attention output y, OutLanes elements per beat
  output logic      [OutLanes*ElemBits-1:0] m_axis_tdata,
  output logic                        m_axis_tlast,
  output logic                        m_axis_tvalid,
  input  wire logic                   m_axis_tready,
  // Static per-layer scales (sampled with the token beat): cfg for ElemBits 8, gqa_cfg for 16
  input  wire attn_cfg_t              cfg,
  input  wire gqa_cfg_t               gqa_cfg,
  // Cache save/restore port (use only while idle)
  input  wire logic                   cache_req,
  input  wire logic                   cache_we,
  input  wire logic                   cache_sel,    // 0: K cache, 1: V cache
  input  wire logic [AddrWidth-1:0]   cache_addr,
  input  wire logic [Macs*ElemBits-1:0] cache_wdata,
  output logic      [Macs*ElemBits-1:0] cache_rdata,
  // Status
  output logic                        pos_error,    // sticky: a token had pos >= MaxSeq
  output logic                        layer_error,  // sticky: a token had layer >= NumLayers
  output logic                        idle
);

  initial begin
    if (Heads < 1 || D < 1 || D % Heads != 0)
      $fatal(1, "attention: D (%0d) must be a positive multiple of Heads (%0d)", D, Heads);
    if (ElemBits != 8 && ElemBits != 16)
      $fatal(1, "attention: ElemBits must be 8 (GPT-2) or 16 (GQA), got %0d", ElemBits);
    if (KvHeads < 1 || KvHeads > Heads || Heads % KvHeads != 0)
      $fatal(1, "attention: Heads (%0d) must be a multiple of KvHeads (%0d)", Heads, KvHeads);
    if (ElemBits == 8 && KvHeads != Heads)
      $fatal(1, "attention: KvHeads (%0d) < Heads (%0d) needs ElemBits 16 (the int8 path is GPT-2's, KvHeads = Heads)",
             KvHeads, Heads);
    if (ElemBits == 8 && HeadDim > 128)
      $fatal(1, "attention: head_dim = D/Heads = %0d > 128 (|q.k| < 2^21 needs head_dim <= 128)", HeadDim);
    if (Macs < 1 || HeadDim % Macs != 0)
      $fatal(1, "attention: Macs (%0d) must divide head_dim = D/Heads = %0d", Macs, HeadDim);
    if (Lanes < 1 || Macs % Lanes != 0)
      $fatal(1, "attention: Lanes (%0d) must divide Macs (%0d)", Lanes, Macs);
    if (OutLanes < 1 || D % OutLanes != 0)
      $fatal(1, "attention: OutLanes (%0d) must divide D (%0d)", OutLanes, D);
    if (MaxSeq < 1 || MaxSeq > 65535) $fatal(1, "attention: MaxSeq must be in [1, 65535], got %0d", MaxSeq);
    if (NumLayers < 1 || NumLayers > 65536)
      $fatal(1, "attention: NumLayers must be in [1, 65536], got %0d", NumLayers);
    if (SoftmaxUnits < 1 || SoftmaxUnits > 8)
      $fatal(1, "attention: SoftmaxUnits must be in [1, 8], got %0d", SoftmaxUnits);
  end

  localparam int PosWidth   = 16;
  localparam int SecWidth   = 2;
  localparam int WordWidth  = (Wpr > 1) ? $clog2(Wpr) : 1;
  localparam int SlotWidth  = (Slots > 1) ? $clog2(Slots) : 1;
  localparam logic [47:0] LayerWords = 48'(MaxSeq) * 48'(KvWpr);

  // ---- Token state: the token beat, then the QKV load --------------------------------------------
  logic                 loading_q;                // QKV beats being accepted
  logic [PosWidth-1:0]  pos_q;                    // last row index of this token (pos)
  logic                 err_q;                    // this token is an error token
  logic [AddrWidth-1:0] layer_base_q;             // word address of row 0 of the token's layer
  logic [AddrWidth-1:0] ld_addr_q, row_addr_q;    // load write address; word 0 of row pos
  logic [SecWidth-1:0]  ld_sec_q;                 // 0: q, 1: k, 2: v
  logic [WordWidth-1:0] ld_word_q;
  logic [SlotWidth-1:0] ld_slot_q;
  gqa_cfg_t             tok_cfg_q, tok_cfg_d;  // the token's scales (ElemBits 8: pre = 0, unused)
  logic                 pos_error_q, layer_error_q;

  logic score_busy, value_busy, value_idle;
  logic pos_hs, ld_hs, ld_word_end, ld_sec_end, ld_end, ld_done;
  logic in_pos_bad, in_layer_bad, ld_sec_words_end;
  logic [47:0] in_layer_base, in_row_addr;

  assign in_pos_bad    = (32'(s_axis_pos_tdata.pos) >= MaxSeq);
  assign in_layer_bad  = (32'(s_axis_pos_tdata.layer) >= NumLayers);
  assign in_layer_base = 48'(s_axis_pos_tdata.layer) * LayerWords;
  assign in_row_addr   = in_layer_base + 48'(s_axis_pos_tdata.pos) * 48'(KvWpr);

  assign s_axis_pos_tready = !loading_q && !score_busy && !value_busy;
  assign pos_hs  = s_axis_pos_tvalid && s_axis_pos_tready;
  assign s_axis_tready = loading_q;
  assign ld_hs   = s_axis_tvalid && s_axis_tready;
  assign ld_word_end = (ld_slot_q == SlotWidth'(Slots - 1));
  // q has Wpr words, k and v KvWpr each (KvWpr <= Wpr)
  assign ld_sec_words_end = (ld_word_q == ((ld_sec_q == 2'd0) ? WordWidth'(Wpr - 1) : WordWidth'(KvWpr - 1)));
  assign ld_sec_end  = ld_word_end && ld_sec_words_end;
  assign ld_end      = ld_sec_end && (ld_sec_q == 2'd2);
  assign ld_done     = ld_hs && ld_end;  // the token's last QKV beat: the datapaths start

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      loading_q     <= 1'b0;
      pos_error_q   <= 1'b0;
      layer_error_q <= 1'b0;
      ld_sec_q      <= '0;
      ld_word_q     <= '0;
      ld_slot_q     <= '0;
    end else begin
      if (pos_hs) begin
        loading_q <= 1'b1;
        ld_sec_q  <= '0;
        ld_word_q <= '0;
        ld_slot_q <= '0;
        if (in_pos_bad) pos_error_q <= 1'b1;
        if (in_layer_bad) layer_error_q <= 1'b1;
      end
      if (ld_hs) begin
        ld_slot_q <= ld_word_end ? '0 : ld_slot_q + 1'b1;
        if (ld_word_end) ld_word_q <= ld_sec_end ? '0 : ld_word_q + 1'b1;
        if (ld_sec_end) ld_sec_q <= ld_sec_q + 1'b1;
        if (ld_end) loading_q <= 1'b0;
      end
    end
    if (pos_hs) begin
      pos_q        <= s_axis_pos_tdata.pos;
      err_q        <= in_pos_bad || in_layer_bad;
      layer_base_q <= AddrWidth'(in_layer_base);
      row_addr_q   <= AddrWidth'(in_row_addr);
      ld_addr_q    <= AddrWidth'(in_row_addr);
      tok_cfg_q    <= tok_cfg_d;
    end else if (ld_hs && ld_word_end) begin
      ld_addr_q <= ld_sec_end ? row_addr_q : ld_addr_q + 1'b1;
    end
  end

  if (ElemBits == 16) begin : g_cfg16
    assign tok_cfg_d = gqa_cfg;
    logic unused_cfg;
    assign unused_cfg = ^cfg;
  end else begin : g_cfg8
    always_comb begin
      tok_cfg_d             = '0;
      tok_cfg_d.score.scale = cfg.score;
      tok_cfg_d.out.scale   = cfg.out;
    end
    logic unused_cfg;
    assign unused_cfg = ^gqa_cfg;
  end

  assign pos_error   = pos_error_q;
  assign layer_error = layer_error_q;

  // ---- The KV cache: k and v of a valid token are written as they arrive ---------------------------
  logic [AddrWidth-1:0] k_addr, v_addr;
  logic [Macs*ElemBits-1:0] k_rdata, v_rdata;

  kv_cache #(.Macs(Macs), .Lanes(Lanes), .Words(Words), .ElemBits(ElemBits)) u_cache (
    .clk,
    .ld_k_we(ld_hs && ld_sec_q == 2'd1 && !err_q), .ld_v_we(ld_hs && ld_sec_q == 2'd2 && !err_q),
    .ld_addr(ld_addr_q), .ld_slot(ld_slot_q), .ld_data(s_axis_tdata),
    .k_addr, .k_rdata, .v_addr, .v_rdata,
    .cache_req, .cache_we, .cache_sel, .cache_addr, .cache_wdata, .cache_rdata
  );

  // ---- Score datapath (q.K, softmax) and value datapath (p.V, output) ---------------------------
  logic [15:0] p_data;
  logic        p_valid, p_last, p_ready;

  attn_score #(
    .D(D), .Heads(Heads), .MaxSeq(MaxSeq), .Lanes(Lanes), .Macs(Macs), .SoftmaxUnits(SoftmaxUnits),
    .AddrWidth(AddrWidth), .KvHeads(KvHeads), .ElemBits(ElemBits)
  ) u_score (
    .clk, .rst_n,
    .q_we(ld_hs && ld_sec_q == 2'd0), .q_word(ld_word_q), .q_slot(ld_slot_q), .q_data(s_axis_tdata),
    .start(ld_done && !err_q), .layer_base(layer_base_q), .pos(pos_q), .scale(tok_cfg_q.score),
    .busy(score_busy), .k_addr, .k_rdata,
    .m_axis_p_tdata(p_data), .m_axis_p_tlast(p_last), .m_axis_p_tvalid(p_valid), .m_axis_p_tready(p_ready)
  );

  attn_value #(
    .D(D), .Heads(Heads), .MaxSeq(MaxSeq), .Macs(Macs), .OutLanes(OutLanes), .AddrWidth(AddrWidth),
    .KvHeads(KvHeads), .ElemBits(ElemBits)
  ) u_value (
    .clk, .rst_n,
    .start(ld_done), .zero(err_q), .layer_base(layer_base_q), .pos(pos_q), .scale(tok_cfg_q.out),
    .busy(value_busy), .idle(value_idle),
    .s_axis_p_tdata(p_data), .s_axis_p_tlast(p_last), .s_axis_p_tvalid(p_valid), .s_axis_p_tready(p_ready),
    .v_addr, .v_rdata,
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready
  );

  assign idle = !loading_q && !score_busy && value_idle;

  // ---- Simulation checks ------------------------------------------------------------------------
  logic unused;
  assign unused = ^{s_axis_pos_tlast, in_layer_base, in_row_addr};

  `SLLM_ERROR_IF(clk, rst_n, ld_hs && (s_axis_tlast != ld_end),
                 ("attention: s_axis_tlast=%0d on QKV beat (section %0d, word %0d, slot %0d) of %0d",
                  s_axis_tlast, ld_sec_q, ld_word_q, ld_slot_q, (D + 2 * KvD) / Lanes))
  `SLLM_ERROR_IF(clk, rst_n, cache_req && !idle, ("attention: cache port used while a token is in flight"))

endmodule

`default_nettype wire
