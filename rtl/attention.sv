// SPDX-License-Identifier: Apache-2.0
//
// attention: multi-head decode attention of ONE new token against an on-chip int8 KV cache,
// bit-exact with ops.attention_decode. Per token (pos = its position, L = pos + 1):
//   1. append k and v at row pos of the selected layer's K and V caches;
//   2. per head h (HeadDim = D/Heads columns): acc_j = q_h . K[j,h] (j = 0..pos),
//      u_j = rescale(acc_j << 8, score_mult, score_shift)       (rtl/requant.sv)
//      p   = softmax_row(u)                                       (rtl/softmax.sv instances)
//      o_c = sum_j p_j * V[j,h,c],  y_c = requantize(o_c, out_mult, out_shift) -> int8
//
// Streams (AXI4-Stream; lane i of a beat in bits [8i+7:8i] (16i+15:16i for s_axis_pos)):
//   s_axis_pos_*  one beat per token, two 16-bit lanes: lane 0 = pos, lane 1 = layer (cache region,
//                 0 when NumLayers = 1); tlast = 1. Accepted (with the four scale inputs, sampled
//                 on this beat) only while no earlier token is still computing, then the QKV vector.
//   s_axis_*      the QKV Linear's output: ONE vector of 3*D int8 in the order [q | k | v],
//                 Lanes elements per beat (linear.sv emits Lanes = 1), tlast on beat 3*D/Lanes-1
//                 (the count ends the vector; a misplaced tlast is an $error in simulation).
//   m_axis_*      y: D int8, OutLanes elements per beat (rtl/axis_pack.sv; set OutLanes to the O
//                 projection Linear's Lanes), tlast on the last beat.
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
// after its last element (design.md section 7's synchronisation point).
// Latency: the first output beat comes after the load and the first head's q.K, softmax and p.V.
// Throughput: one token at a time; the next pos beat is accepted once the previous token's p.V
// issued its last word (its last outputs may still drain).
// Ready/valid: no tready depends on its own tvalid; m_axis_tready reaches only the output FIFO/pack.
// idle: no token loading or computing, no result in flight (the cache port may be used).
// Reset: synchronous, active low; drops the token in progress (a partly written row stays).

`default_nettype none

module attention #(
  parameter int D            = 64,  // model width d (elements of q, k, v and y)
  parameter int Heads        = 4,   // attention heads; HeadDim = D / Heads <= 128
  parameter int MaxSeq       = 16,  // KV cache rows per layer (1..65535); also the softmax MaxLen
  parameter int NumLayers    = 1,   // cache regions (layers) selected by s_axis_pos lane 1
  parameter int Lanes        = 1,   // QKV input elements per beat (divides Macs)
  parameter int Macs         = 16,  // MACs per cycle of each of the q.K and p.V datapaths (divides HeadDim)
  parameter int OutLanes     = 1,   // output elements per beat (divides D)
  parameter int SoftmaxUnits = 2,   // softmax rows in flight at once (1..8)
  localparam int HeadDim   = (Heads > 0) ? D / Heads : 1,
  localparam int Groups    = (Macs > 0 && HeadDim >= Macs) ? HeadDim / Macs : 1,  // K/V words per head row
  localparam int Wpr       = (Macs > 0 && D >= Macs) ? D / Macs : 1,              // words per cache row
  localparam int Words     = NumLayers * MaxSeq * Wpr,
  localparam int AddrWidth = (Words > 1) ? $clog2(Words) : 1,
  localparam int Slots     = (Lanes > 0 && Macs >= Lanes) ? Macs / Lanes : 1      // input beats per word
) (
  input  wire logic                   clk,
  input  wire logic                   rst_n,
  // QKV vector of the new token: [q | k | v], Lanes int8 per beat
  input  wire logic [Lanes*8-1:0]     s_axis_tdata,
  input  wire logic                   s_axis_tlast,
  input  wire logic                   s_axis_tvalid,
  output logic                        s_axis_tready,
  // Position (lane 0) and layer (lane 1) of the token
  input  wire logic [31:0]            s_axis_pos_tdata,
  input  wire logic                   s_axis_pos_tlast,
  input  wire logic                   s_axis_pos_tvalid,
  output logic                        s_axis_pos_tready,
  // Attention output y, OutLanes int8 per beat
  output logic      [OutLanes*8-1:0]  m_axis_tdata,
  output logic                        m_axis_tlast,
  output logic                        m_axis_tvalid,
  input  wire logic                   m_axis_tready,
  // Static per-layer scales (sampled with the pos beat)
  input  wire logic [31:0]            score_mult,   // [0, 2^31-1]
  input  wire logic [4:0]             score_shift,
  input  wire logic [31:0]            out_mult,     // [0, 2^31-1]
  input  wire logic [4:0]             out_shift,
  // Cache save/restore port (use only while idle)
  input  wire logic                   cache_req,
  input  wire logic                   cache_we,
  input  wire logic                   cache_sel,    // 0: K cache, 1: V cache
  input  wire logic [AddrWidth-1:0]   cache_addr,
  input  wire logic [Macs*8-1:0]      cache_wdata,
  output logic      [Macs*8-1:0]      cache_rdata,
  // Status
  output logic                        pos_error,    // sticky: a token had pos >= MaxSeq
  output logic                        layer_error,  // sticky: a token had layer >= NumLayers
  output logic                        idle
);

  initial begin
    if (Heads < 1 || D < 1 || D % Heads != 0)
      $fatal(1, "attention: D (%0d) must be a positive multiple of Heads (%0d)", D, Heads);
    if (HeadDim > 128)
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

  localparam int ScFifoDepth = 16;  // scores between the requant and the softmax units
  localparam int OutFifoDepth = 8;  // output elements between the requant and axis_pack
  localparam int PosWidth   = 16;
  localparam int SecWidth   = 2;
  localparam int WordWidth  = (Wpr > 1) ? $clog2(Wpr) : 1;
  localparam int SlotWidth  = (Slots > 1) ? $clog2(Slots) : 1;
  localparam int GroupWidth = (Groups > 1) ? $clog2(Groups) : 1;
  localparam int HeadWidth  = (Heads > 1) ? $clog2(Heads) : 1;
  localparam int LaneWidth  = (Macs > 1) ? $clog2(Macs) : 1;
  localparam int SelWidth   = (SoftmaxUnits > 1) ? $clog2(SoftmaxUnits) : 1;
  localparam int PAddrWidth = (MaxSeq > 1) ? $clog2(MaxSeq) : 1;
  localparam int ScCntWidth = $clog2(ScFifoDepth + 1);
  localparam int OutCntWidth = $clog2(OutFifoDepth + 1);
  localparam logic [47:0] LayerWords = 48'(MaxSeq) * 48'(Wpr);

  // ---- Memories ---------------------------------------------------------------------------------
  logic [Macs*8-1:0] kmem [Words];
  logic [Macs*8-1:0] vmem [Words];
  logic [Macs*8-1:0] qbuf [Wpr];
  logic [15:0]       pbuf [MaxSeq];

  // ---- Token state: pos beat, load ------------------------------------------------------------
  logic                 loading_q;                // QKV beats being accepted
  logic [PosWidth-1:0]  pos_q;                    // last row index of this token (pos)
  logic                 err_q;                    // this token is an error token
  logic [AddrWidth-1:0] layer_base_q;             // word address of row 0 of the token's layer
  logic [AddrWidth-1:0] ld_addr_q, row_addr_q;    // load write address; word 0 of row pos
  logic [SecWidth-1:0]  ld_sec_q;                 // 0: q, 1: k, 2: v
  logic [WordWidth-1:0] ld_word_q;
  logic [SlotWidth-1:0] ld_slot_q;
  logic [31:0]          tok_score_mult_q, tok_out_mult_q;
  logic [4:0]           tok_score_shift_q, tok_out_shift_q;
  logic                 pos_error_q, layer_error_q;

  logic sc_busy_q, va_busy_q, va1_valid_q, va2_valid_q;
  logic pos_hs, ld_hs, ld_word_end, ld_sec_end, ld_end;
  logic [PosWidth-1:0] in_pos, in_layer;
  logic in_pos_bad, in_layer_bad;
  logic [47:0] in_layer_base, in_row_addr;

  assign in_pos       = s_axis_pos_tdata[15:0];
  assign in_layer     = s_axis_pos_tdata[31:16];
  assign in_pos_bad   = (32'(in_pos) >= MaxSeq);
  assign in_layer_bad = (32'(in_layer) >= NumLayers);
  assign in_layer_base = 48'(in_layer) * LayerWords;
  assign in_row_addr   = in_layer_base + 48'(in_pos) * 48'(Wpr);

  assign s_axis_pos_tready = !loading_q && !sc_busy_q && !va_busy_q && !va1_valid_q && !va2_valid_q;
  assign pos_hs  = s_axis_pos_tvalid && s_axis_pos_tready;
  assign s_axis_tready = loading_q;
  assign ld_hs   = s_axis_tvalid && s_axis_tready;
  assign ld_word_end = (ld_slot_q == SlotWidth'(Slots - 1));
  assign ld_sec_end  = ld_word_end && (ld_word_q == WordWidth'(Wpr - 1));
  assign ld_end      = ld_sec_end && (ld_sec_q == 2'd2);

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
      pos_q             <= in_pos;
      err_q             <= in_pos_bad || in_layer_bad;
      layer_base_q      <= AddrWidth'(in_layer_base);
      row_addr_q        <= AddrWidth'(in_row_addr);
      ld_addr_q         <= AddrWidth'(in_row_addr);
      tok_score_mult_q  <= score_mult;
      tok_score_shift_q <= score_shift;
      tok_out_mult_q    <= out_mult;
      tok_out_shift_q   <= out_shift;
    end else if (ld_hs && ld_word_end) begin
      ld_addr_q <= ld_sec_end ? row_addr_q : ld_addr_q + 1'b1;
    end
  end

  assign pos_error   = pos_error_q;
  assign layer_error = layer_error_q;

  // ---- q.K datapath (score stage) -------------------------------------------------------------
  logic [HeadWidth-1:0]  sc_h_q;
  logic [PosWidth-1:0]   sc_j_q;
  logic [GroupWidth-1:0] sc_b_q;
  logic [AddrWidth-1:0]  sc_row_q, sc_head_q;     // (j, h, 0) and (0, h, 0) word addresses
  logic [WordWidth-1:0]  sc_qw_q;                 // h*Groups: q word of beat 0 of this head
  logic [ScCntWidth-1:0] sc_cnt_q;                // scores issued, not yet taken by a softmax unit
  logic sc_last_beat, sc_last_pos, sc_issue, scf_pop;
  logic [AddrWidth-1:0] sc_addr;

  assign sc_last_beat = (sc_b_q == GroupWidth'(Groups - 1));
  assign sc_last_pos  = (sc_j_q == pos_q);
  assign sc_issue     = sc_busy_q && (!sc_last_beat || sc_cnt_q != ScCntWidth'(ScFifoDepth));
  assign sc_addr      = sc_row_q + AddrWidth'(sc_b_q);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      sc_busy_q <= 1'b0;
      sc_cnt_q  <= '0;
    end else begin
      if (ld_hs && ld_end) sc_busy_q <= !err_q;
      else if (sc_issue && sc_last_beat && sc_last_pos && sc_h_q == HeadWidth'(Heads - 1)) sc_busy_q <= 1'b0;
      sc_cnt_q <= sc_cnt_q + ScCntWidth'(sc_issue && sc_last_beat) - ScCntWidth'(scf_pop);
    end
    if (ld_hs && ld_end) begin
      sc_h_q    <= '0;
      sc_j_q    <= '0;
      sc_b_q    <= '0;
      sc_row_q  <= layer_base_q;
      sc_head_q <= layer_base_q;
      sc_qw_q   <= '0;
    end else if (sc_issue) begin
      if (!sc_last_beat) begin
        sc_b_q <= sc_b_q + 1'b1;
      end else begin
        sc_b_q <= '0;
        if (!sc_last_pos) begin
          sc_j_q   <= sc_j_q + 1'b1;
          sc_row_q <= sc_row_q + AddrWidth'(Wpr);
        end else begin
          sc_j_q    <= '0;
          sc_h_q    <= sc_h_q + 1'b1;
          sc_head_q <= sc_head_q + AddrWidth'(Groups);
          sc_row_q  <= sc_head_q + AddrWidth'(Groups);
          sc_qw_q   <= sc_qw_q + WordWidth'(Groups);
        end
      end
    end
  end

  // S1: K word (registered read) and q word; S2: dot product; S3: accumulate over the head's words.
  logic              sc1_valid_q, sc1_first_q, sc1_last_q, sc1_tlast_q;
  logic [Macs*8-1:0] k_rd_q, q_rd_q;
  logic              sc2_valid_q, sc2_first_q, sc2_last_q, sc2_tlast_q;
  logic signed [31:0] sc2_dot_q, sc_dot_d, sc_acc_q, sc_acc_d;
  logic              sc3_valid_q, sc3_tlast_q;
  logic signed [31:0] sc3_acc_q;

  always_comb begin
    sc_dot_d = '0;
    for (int i = 0; i < Macs; i++)
      sc_dot_d = sc_dot_d + 32'($signed(q_rd_q[8*i +: 8]) * $signed(k_rd_q[8*i +: 8]));
  end
  assign sc_acc_d = (sc2_first_q ? 32'sd0 : sc_acc_q) + sc2_dot_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      sc1_valid_q <= 1'b0;
      sc2_valid_q <= 1'b0;
      sc3_valid_q <= 1'b0;
    end else begin
      sc1_valid_q <= sc_issue;
      sc2_valid_q <= sc1_valid_q;
      sc3_valid_q <= sc2_valid_q && sc2_last_q;
    end
    q_rd_q      <= qbuf[WordWidth'(sc_qw_q + WordWidth'(sc_b_q))];
    sc1_first_q <= (sc_b_q == '0);
    sc1_last_q  <= sc_last_beat;
    sc1_tlast_q <= sc_last_pos;
    sc2_dot_q   <= sc_dot_d;
    sc2_first_q <= sc1_first_q;
    sc2_last_q  <= sc1_last_q;
    sc2_tlast_q <= sc1_tlast_q;
    if (sc2_valid_q) sc_acc_q <= sc_acc_d;
    sc3_acc_q   <= sc_acc_d;
    sc3_tlast_q <= sc2_tlast_q;
  end

  // u = rescale(acc << 8, score_mult, score_shift) into the score FIFO (room reserved by sc_cnt_q)
  logic               su_valid, su_tlast, scf_in_ready;
  logic signed [31:0] su_u;
  /* verilator lint_off PINCONNECTEMPTY */
  requant #(.OutBits(32), .Stages(3), .UserWidth(1)) u_score_rq (
    .clk, .rst_n, .en(1'b1),
    .in_valid(sc3_valid_q), .in_user(sc3_tlast_q),
    .in_acc(sc3_acc_q <<< 8), .in_mult(tok_score_mult_q), .in_shift(tok_score_shift_q),
    .out_valid(su_valid), .out_user(su_tlast),
    .out_rescale(su_u), .out_sat(), .out_sat_hi(), .out_sat_lo()
  );
  /* verilator lint_on PINCONNECTEMPTY */

  logic [31:0] scf_data;
  logic        scf_valid, scf_last, scf_ready;
  logic [$clog2(ScFifoDepth + 1)-1:0] scf_level;
  axis_fifo #(.DataWidth(32), .Depth(ScFifoDepth)) u_score_fifo (
    .clk, .rst_n,
    .s_axis_tdata(su_u), .s_axis_tlast(su_tlast), .s_axis_tvalid(su_valid), .s_axis_tready(scf_in_ready),
    .m_axis_tdata(scf_data), .m_axis_tlast(scf_last), .m_axis_tvalid(scf_valid), .m_axis_tready(scf_ready),
    .level(scf_level)
  );
  assign scf_pop = scf_valid && scf_ready;

  // ---- Softmax units: head h's row goes to unit h % SoftmaxUnits --------------------------------
  logic [SelWidth-1:0]       sel_in_q, sel_out_q;
  logic [SoftmaxUnits-1:0]   sm_in_valid, sm_in_ready, sm_out_valid, sm_out_ready, sm_out_last;
  logic [SoftmaxUnits*16-1:0] sm_out_data;

  for (genvar u = 0; u < SoftmaxUnits; u++) begin : g_sm
    assign sm_in_valid[u] = scf_valid && (sel_in_q == SelWidth'(u));
    softmax #(.MaxLen(MaxSeq)) u_softmax (
      .clk, .rst_n,
      .s_axis_tdata(scf_data), .s_axis_tlast(scf_last), .s_axis_tvalid(sm_in_valid[u]),
      .s_axis_tready(sm_in_ready[u]),
      .m_axis_tdata(sm_out_data[16*u +: 16]), .m_axis_tlast(sm_out_last[u]),
      .m_axis_tvalid(sm_out_valid[u]), .m_axis_tready(sm_out_ready[u])
    );
  end
  assign scf_ready = sm_in_ready[sel_in_q];

  // ---- p.V datapath (value stage) -------------------------------------------------------------
  logic [HeadWidth-1:0]  va_h_q;
  logic [PosWidth-1:0]   va_j_q;
  logic [GroupWidth-1:0] va_g_q;
  logic [AddrWidth-1:0]  va_row_q, va_grp_q;  // (j, h, g) and (0, h, g) word addresses
  logic                  va_zero_q;           // error token: one zero step per group, no softmax
  logic                  shadow_busy_q, va1_end_q, va2_end_q;
  logic va_last_pos, va_need_p, va_p_ok, va_room, va_issue, va_end_all, p_valid, p_last;
  logic [15:0] p_data;

  assign p_valid     = sm_out_valid[sel_out_q];
  assign p_last      = sm_out_last[sel_out_q];
  assign p_data      = sm_out_data[16*sel_out_q +: 16];
  assign va_last_pos = va_zero_q || (va_j_q == pos_q);
  assign va_need_p   = !va_zero_q && (va_g_q == '0);
  // The group's last step copies the accumulators into the shadow register: it must be free.
  assign va_room     = !va_last_pos || (!shadow_busy_q && !(va1_valid_q && va1_end_q) && !(va2_valid_q && va2_end_q));
  assign va_p_ok     = !va_need_p || p_valid;
  assign va_issue    = va_busy_q && va_p_ok && va_room;
  assign va_end_all  = va_last_pos && (va_g_q == GroupWidth'(Groups - 1)) && (va_h_q == HeadWidth'(Heads - 1));
  for (genvar u = 0; u < SoftmaxUnits; u++) begin : g_sm_ready
    assign sm_out_ready[u] = va_busy_q && va_need_p && va_room && (sel_out_q == SelWidth'(u));
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      va_busy_q <= 1'b0;
      sel_in_q  <= '0;
      sel_out_q <= '0;
    end else begin
      if (ld_hs && ld_end) va_busy_q <= 1'b1;
      else if (va_issue && va_end_all) va_busy_q <= 1'b0;
      if (scf_pop && scf_last) sel_in_q <= (sel_in_q == SelWidth'(SoftmaxUnits - 1)) ? '0 : sel_in_q + 1'b1;
      if (p_valid && va_issue && va_need_p && p_last)
        sel_out_q <= (sel_out_q == SelWidth'(SoftmaxUnits - 1)) ? '0 : sel_out_q + 1'b1;
    end
    if (ld_hs && ld_end) begin
      va_h_q    <= '0;
      va_j_q    <= '0;
      va_g_q    <= '0;
      va_row_q  <= layer_base_q;
      va_grp_q  <= layer_base_q;
      va_zero_q <= err_q;
    end else if (va_issue) begin
      if (!va_last_pos) begin
        va_j_q   <= va_j_q + 1'b1;
        va_row_q <= va_row_q + AddrWidth'(Wpr);
      end else begin
        va_j_q   <= '0;
        va_grp_q <= va_grp_q + 1'b1;
        va_row_q <= va_grp_q + 1'b1;
        if (va_g_q != GroupWidth'(Groups - 1)) begin
          va_g_q <= va_g_q + 1'b1;
        end else begin
          va_g_q <= '0;
          va_h_q <= va_h_q + 1'b1;
        end
      end
    end
    if (va_issue && va_need_p) pbuf[PAddrWidth'(va_j_q)] <= p_data;
  end

  // S1: V word (registered read), p (from the softmax unit in group 0, else from pbuf);
  // S2: Macs products p * V; then accumulate, and at a group's end copy into the shadow register.
  logic              va1_first_q, va1_tlast_q, va1_g0_q, va1_zero_q;
  logic [15:0]       va1_p_q, pb_rd_q, va1_p;
  logic [Macs*8-1:0] v_rd_q;
  logic              va2_first_q, va2_tlast_q;
  logic [Macs*32-1:0] va2_prod_q, va_prod_d, va_acc_q, va_acc_d, shadow_q;
  logic              shadow_tlast_q;
  logic [31:0]       shadow_mult_q;
  logic [4:0]        shadow_shift_q;
  logic [LaneWidth-1:0] dr_k_q;
  logic [OutCntWidth-1:0] out_cnt_q;
  logic dr_issue, of_pop;

  assign va1_p = va1_g0_q ? va1_p_q : pb_rd_q;
  always_comb begin
    for (int i = 0; i < Macs; i++) begin
      va_prod_d[32*i +: 32] = va1_zero_q ? 32'sd0 : 32'($signed({1'b0, va1_p}) * $signed(v_rd_q[8*i +: 8]));
      va_acc_d[32*i +: 32]  = (va2_first_q ? 32'sd0 : va_acc_q[32*i +: 32]) + va2_prod_q[32*i +: 32];
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      va1_valid_q    <= 1'b0;
      va2_valid_q    <= 1'b0;
      shadow_busy_q  <= 1'b0;
      dr_k_q         <= '0;
    end else begin
      va1_valid_q <= va_issue;
      va2_valid_q <= va1_valid_q;
      if (va2_valid_q && va2_end_q) shadow_busy_q <= 1'b1;
      else if (dr_issue && dr_k_q == LaneWidth'(Macs - 1)) shadow_busy_q <= 1'b0;
      if (dr_issue) dr_k_q <= (dr_k_q == LaneWidth'(Macs - 1)) ? '0 : dr_k_q + 1'b1;
    end
    pb_rd_q     <= pbuf[PAddrWidth'(va_j_q)];
    va1_p_q     <= p_data;
    va1_first_q <= (va_j_q == '0);
    va1_end_q   <= va_last_pos;
    va1_tlast_q <= va_end_all;
    va1_g0_q    <= (va_g_q == '0);
    va1_zero_q  <= va_zero_q;
    va2_prod_q  <= va_prod_d;
    va2_first_q <= va1_first_q;
    va2_end_q   <= va1_end_q;
    va2_tlast_q <= va1_tlast_q;
    if (va2_valid_q) va_acc_q <= va_acc_d;
    if (va2_valid_q && va2_end_q) begin
      shadow_q       <= va_acc_d;
      shadow_tlast_q <= va2_tlast_q;
      shadow_mult_q  <= tok_out_mult_q;
      shadow_shift_q <= tok_out_shift_q;
    end else if (dr_issue) begin
      shadow_q <= shadow_q >> 32;
    end
  end

  // ---- Output: the shadow register drains one element per cycle through requant ----------------
  assign dr_issue = shadow_busy_q && (out_cnt_q != OutCntWidth'(OutFifoDepth));

  logic             yo_valid, yo_last, of_in_ready;
  logic signed [7:0] yo_y;
  /* verilator lint_off PINCONNECTEMPTY */
  requant #(.OutBits(8), .Stages(3), .UserWidth(1)) u_out_rq (
    .clk, .rst_n, .en(1'b1),
    .in_valid(dr_issue), .in_user(shadow_tlast_q && dr_k_q == LaneWidth'(Macs - 1)),
    .in_acc(shadow_q[31:0]), .in_mult(shadow_mult_q), .in_shift(shadow_shift_q),
    .out_valid(yo_valid), .out_user(yo_last),
    .out_rescale(), .out_sat(yo_y), .out_sat_hi(), .out_sat_lo()
  );
  /* verilator lint_on PINCONNECTEMPTY */

  logic [7:0] of_data;
  logic       of_valid, of_last, of_ready;
  logic [$clog2(OutFifoDepth + 1)-1:0] of_level;
  axis_fifo #(.DataWidth(8), .Depth(OutFifoDepth)) u_out_fifo (
    .clk, .rst_n,
    .s_axis_tdata(yo_y), .s_axis_tlast(yo_last), .s_axis_tvalid(yo_valid), .s_axis_tready(of_in_ready),
    .m_axis_tdata(of_data), .m_axis_tlast(of_last), .m_axis_tvalid(of_valid), .m_axis_tready(of_ready),
    .level(of_level)
  );
  assign of_pop = of_valid && of_ready;

  axis_pack #(.ElemBits(8), .Ratio(OutLanes)) u_pack (
    .clk, .rst_n,
    .s_axis_tdata(of_data), .s_axis_tlast(of_last), .s_axis_tvalid(of_valid), .s_axis_tready(of_ready),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready
  );

  always_ff @(posedge clk) begin
    if (!rst_n) out_cnt_q <= '0;
    else out_cnt_q <= out_cnt_q + OutCntWidth'(dr_issue) - OutCntWidth'(of_pop);
  end

  assign idle = !loading_q && !sc_busy_q && !va_busy_q && !va1_valid_q && !va2_valid_q && !shadow_busy_q
             && (out_cnt_q == '0) && !m_axis_tvalid;

  // ---- Cache memories: load writes, the save/restore port, and the two read ports --------------
  logic cache_sel_q;
  always_ff @(posedge clk) begin
    if (cache_req && cache_we) begin
      if (!cache_sel) kmem[cache_addr] <= cache_wdata;
      else vmem[cache_addr] <= cache_wdata;
    end else if (ld_hs) begin
      for (int s = 0; s < Slots; s++) begin
        if (ld_slot_q == SlotWidth'(s)) begin
          if (ld_sec_q == 2'd0) qbuf[ld_word_q][8*Lanes*s +: 8*Lanes] <= s_axis_tdata;
          if (ld_sec_q == 2'd1 && !err_q) kmem[ld_addr_q][8*Lanes*s +: 8*Lanes] <= s_axis_tdata;
          if (ld_sec_q == 2'd2 && !err_q) vmem[ld_addr_q][8*Lanes*s +: 8*Lanes] <= s_axis_tdata;
        end
      end
    end
    k_rd_q      <= kmem[cache_req ? cache_addr : sc_addr];
    v_rd_q      <= vmem[cache_req ? cache_addr : va_row_q];
    cache_sel_q <= cache_sel;
  end
  assign cache_rdata = cache_sel_q ? v_rd_q : k_rd_q;

  // ---- Simulation checks ------------------------------------------------------------------------
  logic unused;
  assign unused = ^{s_axis_pos_tlast, scf_in_ready, scf_level, of_in_ready, of_level, in_layer_base, in_row_addr};

  always_ff @(posedge clk) begin
    if (rst_n) begin
      if (ld_hs && (s_axis_tlast != ld_end))
        $error("attention: s_axis_tlast=%0d on QKV beat (section %0d, word %0d, slot %0d) of %0d",
               s_axis_tlast, ld_sec_q, ld_word_q, ld_slot_q, 3 * D / Lanes);
      if (cache_req && !idle) $error("attention: cache port used while a token is in flight");
      if (su_valid && !scf_in_ready) $error("attention: score FIFO overflow (credit bug)");
      if (yo_valid && !of_in_ready) $error("attention: output FIFO overflow (credit bug)");
      if (va_issue && va_need_p && (p_last != va_last_pos))
        $error("attention: softmax row ended at j=%0d, pos=%0d", va_j_q, pos_q);
    end
  end

endmodule

`default_nettype wire
