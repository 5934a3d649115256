// SPDX-License-Identifier: Apache-2.0
//
// attn_score: attention's score datapath (rtl/attention.sv): q.K, requant, softmax.
//
// Per token (after `start`), per query head h, per cache row j = 0..pos, with kvh = the KV head
// h / (Heads/KvHeads) of h (kvh = h when KvHeads = Heads, GPT-2):
//   acc_j = q_h . K[j,kvh]   (Groups = HeadDim/Macs words of the K cache, one per cycle)
//   ElemBits 8:  int8, int32 acc (dot_int);  u_j = rescale(acc_j << 8, scale.scale)  (int32)
//   ElemBits 16: int16, int64 acc;  u_j = requantize(wide_to_i32(acc_j, scale.pre), scale.scale, 24)
//                (llama_ops.requantize_wide to an int24 logit; scale.pre is unused with ElemBits 8)
// both through rtl/out_stage.sv's requant, into its FIFO;
// and each head's row u_0..u_pos goes to softmax unit h % SoftmaxUnits (rtl/softmax.sv), whose
// probabilities leave on m_axis_p, head after head, tlast on each row's last (j = pos).
// q arrives from the token load through the q_* write port (one Lanes-byte slot per cycle) and is
// kept in a D-element buffer for the token. The K read port is registered (rtl/kv_cache.sv).
// Schedule: one K word per cycle while the output stage has room for the score it ends (credit
// counting: 16 scores between the requant and the softmax units); busy from `start` until the
// last K word of the last head is issued.
// Reset: synchronous, active low; drops the token in progress.

`default_nettype none

module attn_score
  import sllm_pkg::*;
#(
  parameter int D            = 64,  // model width
  parameter int Heads        = 4,   // attention heads
  parameter int MaxSeq       = 16,  // cache rows per layer; the softmax MaxLen
  parameter int Lanes        = 1,   // bytes per q write
  parameter int Macs         = 16,  // MACs per cycle (divides HeadDim)
  parameter int SoftmaxUnits = 2,   // softmax rows in flight at once
  parameter int AddrWidth    = 8,   // cache word address width
  parameter int KvHeads      = Heads,  // KV heads (divides Heads); query head h reads h / (Heads/KvHeads)
  parameter int ElemBits     = 8,   // q and K element width: 8 (int32 acc) or 16 (int64 acc, wide requant)
  localparam int HeadDim    = (Heads > 0) ? D / Heads : 1,
  localparam int Groups     = (Macs > 0 && HeadDim >= Macs) ? HeadDim / Macs : 1,
  localparam int Wpr        = (Macs > 0 && D >= Macs) ? D / Macs : 1,
  localparam int KvWpr      = (Macs > 0 && KvHeads * HeadDim >= Macs) ? KvHeads * HeadDim / Macs : 1,
  localparam int Slots      = (Lanes > 0 && Macs >= Lanes) ? Macs / Lanes : 1,
  localparam int WordWidth  = (Wpr > 1) ? $clog2(Wpr) : 1,
  localparam int SlotWidth  = (Slots > 1) ? $clog2(Slots) : 1
) (
  input  wire logic                 clk,
  input  wire logic                 rst_n,
  // q of the token, from the load
  input  wire logic                 q_we,
  input  wire logic [WordWidth-1:0] q_word,
  input  wire logic [SlotWidth-1:0] q_slot,
  input  wire logic [Lanes*ElemBits-1:0] q_data,
  // The token: start pulses when its load ends; the rest is held for the token
  input  wire logic                 start,
  input  wire logic [AddrWidth-1:0] layer_base,  // word address of row 0 of the token's layer
  input  wire logic [15:0]          pos,         // last row to attend to
  input  wire rq_wide_t             scale,       // score scale (pre used only with ElemBits 16)
  output logic                      busy,        // K words still to issue
  // K cache read port
  output logic      [AddrWidth-1:0] k_addr,
  input  wire logic [Macs*ElemBits-1:0] k_rdata,
  // Probabilities (uint16 Q0.16), one row per head
  output logic      [15:0]          m_axis_p_tdata,
  output logic                      m_axis_p_tlast,
  output logic                      m_axis_p_tvalid,
  input  wire logic                 m_axis_p_tready
);

  localparam int ScFifoDepth = 16;  // scores between the requant and the softmax units
  localparam int PosWidth    = 16;
  localparam int GroupWidth  = (Groups > 1) ? $clog2(Groups) : 1;
  localparam int HeadWidth   = (Heads > 1) ? $clog2(Heads) : 1;
  localparam int SelWidth    = (SoftmaxUnits > 1) ? $clog2(SoftmaxUnits) : 1;
  localparam int Share       = (KvHeads > 0) ? Heads / KvHeads : 1;  // query heads per KV head
  localparam int ShareWidth  = (Share > 1) ? $clog2(Share) : 1;
  localparam int AccBits     = (ElemBits == 16) ? 64 : 32;  // q.K accumulator
  localparam int ScoreBits   = (ElemBits == 16) ? 24 : 32;  // requantised logit (llama_ops.SCORE_BITS / int32)
  localparam int EW          = ElemBits;

  // ---- q buffer ---------------------------------------------------------------------------------
  logic [Macs*EW-1:0] qbuf [Wpr];
  always_ff @(posedge clk) begin
    for (int s = 0; s < Slots; s++) begin
      if (q_we && q_slot == SlotWidth'(s)) qbuf[q_word][EW*Lanes*s +: EW*Lanes] <= q_data;
    end
  end

  // ---- Schedule: head h, row j, word b of the row's KV-head slice --------------------------------
  logic                  busy_q;
  logic [HeadWidth-1:0]  h_q;
  logic [ShareWidth-1:0] sh_q;           // h % Share: the last query head of its KV head moves on
  logic [PosWidth-1:0]   j_q;
  logic [GroupWidth-1:0] b_q;
  logic [AddrWidth-1:0]  row_q, head_q;  // (j, kvh, 0) and (0, kvh, 0) word addresses
  logic [WordWidth-1:0]  qw_q;           // h*Groups: q word of beat 0 of this head
  logic last_beat, last_pos, credit, issue;

  assign last_beat = (b_q == GroupWidth'(Groups - 1));
  assign last_pos  = (j_q == pos);
  assign issue     = busy_q && (!last_beat || credit);
  assign k_addr    = row_q + AddrWidth'(b_q);
  assign busy      = busy_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      busy_q <= 1'b0;
    end else begin
      if (start) busy_q <= 1'b1;
      else if (issue && last_beat && last_pos && h_q == HeadWidth'(Heads - 1)) busy_q <= 1'b0;
    end
    if (start) begin
      h_q    <= '0;
      sh_q   <= '0;
      j_q    <= '0;
      b_q    <= '0;
      row_q  <= layer_base;
      head_q <= layer_base;
      qw_q   <= '0;
    end else if (issue) begin
      if (!last_beat) begin
        b_q <= b_q + 1'b1;
      end else begin
        b_q <= '0;
        if (!last_pos) begin
          j_q   <= j_q + 1'b1;
          row_q <= row_q + AddrWidth'(KvWpr);
        end else begin
          j_q    <= '0;
          h_q    <= h_q + 1'b1;
          qw_q   <= qw_q + WordWidth'(Groups);
          if (sh_q == ShareWidth'(Share - 1)) begin  // next KV head
            sh_q   <= '0;
            head_q <= head_q + AddrWidth'(Groups);
            row_q  <= head_q + AddrWidth'(Groups);
          end else begin                              // the same KV head again
            sh_q   <= sh_q + 1'b1;
            row_q  <= head_q;
          end
        end
      end
    end
  end

  // ---- S1: K word (registered read) and q word; S2: dot product; S3: accumulate -----------------
  logic                      s1_valid_q, s1_first_q, s1_last_q, s1_tlast_q;
  logic [Macs*EW-1:0]        q_rd_q;
  logic                      s2_valid_q, s2_first_q, s2_last_q, s2_tlast_q;
  logic signed [AccBits-1:0] s2_dot_q, dot_d, acc_q, acc_d;
  logic                      s3_valid_q, s3_tlast_q;
  logic signed [31:0]        s3_acc_q, s3_d, sc_in;  // ElemBits 8: acc; 16: wide_to_i32(acc, pre)

  dot_int #(.Lanes(Macs), .ElemBits(EW), .DotBits(AccBits)) u_dot (.a(q_rd_q), .b(k_rdata), .dot(dot_d));
  if (ElemBits != 16) begin : g_sc8
    assign s3_d  = acc_d;
    assign sc_in = s3_acc_q <<< 8;
    logic unused_pre;
    assign unused_pre = ^scale.pre;
  end else begin : g_sc16
    assign s3_d  = wide_to_i32(acc_d, scale.pre);
    assign sc_in = s3_acc_q;
  end
  assign acc_d = (s2_first_q ? '0 : acc_q) + s2_dot_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      s1_valid_q <= 1'b0;
      s2_valid_q <= 1'b0;
      s3_valid_q <= 1'b0;
    end else begin
      s1_valid_q <= issue;
      s2_valid_q <= s1_valid_q;
      s3_valid_q <= s2_valid_q && s2_last_q;
    end
    q_rd_q     <= qbuf[WordWidth'(qw_q + WordWidth'(b_q))];
    s1_first_q <= (b_q == '0);
    s1_last_q  <= last_beat;
    s1_tlast_q <= last_pos;
    s2_dot_q   <= dot_d;
    s2_first_q <= s1_first_q;
    s2_last_q  <= s1_last_q;
    s2_tlast_q <= s1_tlast_q;
    if (s2_valid_q) acc_q <= acc_d;
    s3_acc_q   <= s3_d;
    s3_tlast_q <= s2_tlast_q;
  end

  // ---- u = requant(sc_in, scale): the output stage, room reserved at each score's last word -----
  logic [ScoreBits-1:0] u_raw;
  logic [31:0] u_data;
  logic        u_valid, u_last, u_ready;
  /* verilator lint_off UNUSEDSIGNAL */  // issue is gated by the credit, not by idle
  logic        u_idle;
  /* verilator lint_on UNUSEDSIGNAL */
  out_stage #(.Lanes(1), .OutBits(ScoreBits), .Requant(1), .RqStages(3), .Depth(ScFifoDepth)) u_scores (
    .clk, .rst_n, .credit, .issue(issue && last_beat),
    .in_valid(s3_valid_q), .in_last(s3_tlast_q), .in_data(sc_in), .in_scale(scale.scale),
    .m_axis_tdata(u_raw), .m_axis_tlast(u_last), .m_axis_tvalid(u_valid), .m_axis_tready(u_ready),
    .idle(u_idle)
  );

  assign u_data = 32'($signed(u_raw));  // the int24 logit of ElemBits 16, sign-extended

  // ---- Softmax units: head h's row goes to unit h % SoftmaxUnits --------------------------------
  logic [SelWidth-1:0]        sel_in_q, sel_out_q;
  logic [SoftmaxUnits-1:0]    sm_in_valid, sm_in_ready, sm_out_valid, sm_out_ready, sm_out_last;
  logic [SoftmaxUnits*16-1:0] sm_out_data;

  for (genvar u = 0; u < SoftmaxUnits; u++) begin : g_sm
    assign sm_in_valid[u]  = u_valid && (sel_in_q == SelWidth'(u));
    assign sm_out_ready[u] = m_axis_p_tready && (sel_out_q == SelWidth'(u));
    softmax #(.MaxLen(MaxSeq)) u_softmax (
      .clk, .rst_n,
      .s_axis_tdata(u_data), .s_axis_tlast(u_last), .s_axis_tvalid(sm_in_valid[u]),
      .s_axis_tready(sm_in_ready[u]),
      .m_axis_tdata(sm_out_data[16*u +: 16]), .m_axis_tlast(sm_out_last[u]),
      .m_axis_tvalid(sm_out_valid[u]), .m_axis_tready(sm_out_ready[u])
    );
  end
  assign u_ready         = sm_in_ready[sel_in_q];
  assign m_axis_p_tvalid = sm_out_valid[sel_out_q];
  assign m_axis_p_tlast  = sm_out_last[sel_out_q];
  assign m_axis_p_tdata  = sm_out_data[16*sel_out_q +: 16];

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      sel_in_q  <= '0;
      sel_out_q <= '0;
    end else begin
      if (u_valid && u_ready && u_last) sel_in_q <= (sel_in_q == SelWidth'(SoftmaxUnits - 1)) ? '0 : sel_in_q + 1'b1;
      if (m_axis_p_tvalid && m_axis_p_tready && m_axis_p_tlast)
        sel_out_q <= (sel_out_q == SelWidth'(SoftmaxUnits - 1)) ? '0 : sel_out_q + 1'b1;
    end
  end

endmodule

`default_nettype wire
