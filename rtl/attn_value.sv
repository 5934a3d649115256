// SPDX-License-Identifier: Apache-2.0
//
// attn_value: attention's value datapath (rtl/attention.sv): p.V, requant, output drain.
//
// Per token (after `start`), per query head h, per group g of Macs columns of the head, with kvh
// = h / (Heads/KvHeads) the KV head h reads (kvh = h when KvHeads = Heads, GPT-2):
//   o_c = sum_j p_j * V[j,kvh,c]   (j = 0..pos; Macs uint16 x int<ElemBits> products per cycle,
//                                   one V word; int32 accumulators for ElemBits 8, int64 for 16)
// Group 0 takes p straight from s_axis_p (one row per head, from rtl/attn_score.sv) and keeps it
// in a MaxSeq x 16-bit buffer for the head's other groups. A finished group's Macs accumulators
// move to a shadow register and drain one element per cycle through rtl/out_stage.sv (8-entry
// FIFO), then rtl/axis_pack.sv packs OutLanes elements per m_axis beat. The requant:
//   ElemBits 8:  y_c = requantize(o_c, scale.scale, 8)                      (ops.requantize)
//   ElemBits 16: y_c = requantize(wide_to_i32(o_c, scale.pre), scale.scale, 16)
//                (llama_ops.requantize_wide; scale.pre is unused with ElemBits 8)
// An error token (`zero`) takes no p: one zero step per group, so y is D zeros.
// busy: from `start` until the last p.V step left the product pipeline (the next token may start
// then: its accumulators are separate from the shadow register that may still drain).
// idle: nothing left at all (the shadow register, the output stage and the packer are empty).
// Reset: synchronous, active low; drops the token in progress.

`default_nettype none
`include "sllm_assert.svh"

module attn_value
  import sllm_pkg::*;
#(
  parameter int D         = 64,  // model width
  parameter int Heads     = 4,   // attention heads
  parameter int MaxSeq    = 16,  // cache rows per layer
  parameter int Macs      = 16,  // MACs per cycle (divides HeadDim)
  parameter int OutLanes  = 1,   // output elements per beat (divides D)
  parameter int AddrWidth = 8,   // cache word address width
  parameter int KvHeads   = Heads,  // KV heads (divides Heads)
  parameter int ElemBits  = 8,   // V and y element width: 8 or 16 (int64 accumulators, wide requant)
  localparam int HeadDim = (Heads > 0) ? D / Heads : 1,
  localparam int Groups  = (Macs > 0 && HeadDim >= Macs) ? HeadDim / Macs : 1,
  localparam int KvWpr   = (Macs > 0 && KvHeads * HeadDim >= Macs) ? KvHeads * HeadDim / Macs : 1
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  // The token: start pulses when its load ends; the rest is held for the token
  input  wire logic                  start,
  input  wire logic                  zero,        // error token: output zeros, read nothing
  input  wire logic [AddrWidth-1:0]  layer_base,  // word address of row 0 of the token's layer
  input  wire logic [15:0]           pos,         // last row to attend to
  input  wire rq_wide_t              scale,       // output scale (pre used only with ElemBits 16)
  output logic                       busy,
  output logic                       idle,
  // Probabilities, one row per head
  input  wire logic [15:0]           s_axis_p_tdata,
  input  wire logic                  s_axis_p_tlast,
  input  wire logic                  s_axis_p_tvalid,
  output logic                       s_axis_p_tready,
  // V cache read port
  output logic      [AddrWidth-1:0]  v_addr,
  input  wire logic [Macs*ElemBits-1:0] v_rdata,
  // y: D elements of ElemBits, OutLanes per beat
  output logic      [OutLanes*ElemBits-1:0] m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tvalid,
  input  wire logic                  m_axis_tready
);

  localparam int OutFifoDepth = 8;  // output elements between the requant and axis_pack
  localparam int PosWidth     = 16;
  localparam int GroupWidth   = (Groups > 1) ? $clog2(Groups) : 1;
  localparam int HeadWidth    = (Heads > 1) ? $clog2(Heads) : 1;
  localparam int LaneWidth    = (Macs > 1) ? $clog2(Macs) : 1;
  localparam int PAddrWidth   = (MaxSeq > 1) ? $clog2(MaxSeq) : 1;
  localparam int Share        = (KvHeads > 0) ? Heads / KvHeads : 1;  // query heads per KV head
  localparam int ShareWidth   = (Share > 1) ? $clog2(Share) : 1;
  localparam int AccBits      = (ElemBits == 16) ? 64 : 32;  // p.V accumulator
  localparam int EW           = ElemBits;

  logic [15:0] pbuf [MaxSeq];

  // ---- Schedule: head h, group g, row j ---------------------------------------------------------
  logic                  busy_q, s1_valid_q, s2_valid_q, s1_end_q, s2_end_q, shadow_busy_q;
  logic [HeadWidth-1:0]  h_q;
  logic [ShareWidth-1:0] sh_q;          // h % Share: the last query head of its KV head moves on
  logic [PosWidth-1:0]   j_q;
  logic [GroupWidth-1:0] g_q;
  logic [AddrWidth-1:0]  row_q, grp_q, kvh_q;  // (j, kvh, g), (0, kvh, g) and (0, kvh, 0) word addresses
  logic                  zero_q;
  logic last_pos, need_p, p_ok, room, issue, end_all;

  assign last_pos = zero_q || (j_q == pos);
  assign need_p   = !zero_q && (g_q == '0);
  // The group's last step copies the accumulators into the shadow register: it must be free.
  assign room     = !last_pos || (!shadow_busy_q && !(s1_valid_q && s1_end_q) && !(s2_valid_q && s2_end_q));
  assign p_ok     = !need_p || s_axis_p_tvalid;
  assign issue    = busy_q && p_ok && room;
  assign end_all  = last_pos && (g_q == GroupWidth'(Groups - 1)) && (h_q == HeadWidth'(Heads - 1));
  assign s_axis_p_tready = busy_q && need_p && room;
  assign v_addr   = row_q;
  assign busy     = busy_q || s1_valid_q || s2_valid_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      busy_q <= 1'b0;
    end else begin
      if (start) busy_q <= 1'b1;
      else if (issue && end_all) busy_q <= 1'b0;
    end
    if (start) begin
      h_q    <= '0;
      sh_q   <= '0;
      j_q    <= '0;
      g_q    <= '0;
      row_q  <= layer_base;
      grp_q  <= layer_base;
      kvh_q  <= layer_base;
      zero_q <= zero;
    end else if (issue) begin
      if (!last_pos) begin
        j_q   <= j_q + 1'b1;
        row_q <= row_q + AddrWidth'(KvWpr);
      end else begin
        j_q   <= '0;
        if (g_q != GroupWidth'(Groups - 1)) begin
          g_q   <= g_q + 1'b1;
          grp_q <= grp_q + 1'b1;
          row_q <= grp_q + 1'b1;
        end else begin
          g_q <= '0;
          h_q <= h_q + 1'b1;
          if (sh_q == ShareWidth'(Share - 1)) begin  // next KV head
            sh_q  <= '0;
            kvh_q <= grp_q + 1'b1;
            grp_q <= grp_q + 1'b1;
            row_q <= grp_q + 1'b1;
          end else begin                              // the same KV head again
            sh_q  <= sh_q + 1'b1;
            grp_q <= kvh_q;
            row_q <= kvh_q;
          end
        end
      end
    end
    if (issue && need_p) pbuf[PAddrWidth'(j_q)] <= s_axis_p_tdata;
  end

  // ---- S1: V word (registered read), p (from s_axis_p in group 0, else from pbuf);
  // ---- S2: Macs products p * V; then accumulate, and at a group's end copy into the shadow --------
  logic               s1_first_q, s1_tlast_q, s1_g0_q, s1_zero_q;
  logic [15:0]        s1_p_q, pb_rd_q, s1_p;
  logic               s2_first_q, s2_tlast_q;
  logic [Macs*32-1:0] s2_prod_q, prod_d;
  logic [Macs*AccBits-1:0] acc_q, acc_d, shadow_q;
  logic               shadow_tlast_q;
  rq_wide_t           shadow_scale_q;
  logic [31:0]        dr_in;  // the drained element: o_c (ElemBits 8) or wide_to_i32(o_c, pre)
  logic [LaneWidth-1:0] dr_k_q;
  logic dr_issue, credit;

  assign s1_p = s1_g0_q ? s1_p_q : pb_rd_q;
  always_comb begin
    for (int i = 0; i < Macs; i++) begin
      // uint16 x int16 fits int32 exactly: |p*v| <= 65535*32768 < 2^31
      prod_d[32*i +: 32] = s1_zero_q ? 32'sd0 : 32'($signed({1'b0, s1_p}) * $signed(v_rdata[EW*i +: EW]));
      acc_d[AccBits*i +: AccBits] = (s2_first_q ? '0 : acc_q[AccBits*i +: AccBits])
                                    + AccBits'($signed(s2_prod_q[32*i +: 32]));
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      s1_valid_q    <= 1'b0;
      s2_valid_q    <= 1'b0;
      shadow_busy_q <= 1'b0;
      dr_k_q        <= '0;
    end else begin
      s1_valid_q <= issue;
      s2_valid_q <= s1_valid_q;
      if (s2_valid_q && s2_end_q) shadow_busy_q <= 1'b1;
      else if (dr_issue && dr_k_q == LaneWidth'(Macs - 1)) shadow_busy_q <= 1'b0;
      if (dr_issue) dr_k_q <= (dr_k_q == LaneWidth'(Macs - 1)) ? '0 : dr_k_q + 1'b1;
    end
    pb_rd_q    <= pbuf[PAddrWidth'(j_q)];
    s1_p_q     <= s_axis_p_tdata;
    s1_first_q <= (j_q == '0);
    s1_end_q   <= last_pos;
    s1_tlast_q <= end_all;
    s1_g0_q    <= (g_q == '0);
    s1_zero_q  <= zero_q;
    s2_prod_q  <= prod_d;
    s2_first_q <= s1_first_q;
    s2_end_q   <= s1_end_q;
    s2_tlast_q <= s1_tlast_q;
    if (s2_valid_q) acc_q <= acc_d;
    if (s2_valid_q && s2_end_q) begin
      shadow_q       <= acc_d;
      shadow_tlast_q <= s2_tlast_q;
      shadow_scale_q <= scale;
    end else if (dr_issue) begin
      shadow_q <= shadow_q >> AccBits;
    end
  end

  // ---- Output: the shadow register drains one element per cycle through the output stage ------
  assign dr_issue = shadow_busy_q && credit;

  if (ElemBits != 16) begin : g_dr8
    assign dr_in = shadow_q[31:0];
    logic unused_pre;
    assign unused_pre = ^shadow_scale_q.pre;
  end else begin : g_dr16
    assign dr_in = wide_to_i32(shadow_q[63:0], shadow_scale_q.pre);
  end

  logic [EW-1:0] y_data;
  logic          y_valid, y_last, y_ready, out_idle;
  out_stage #(.Lanes(1), .OutBits(EW), .Requant(1), .RqStages(3), .Depth(OutFifoDepth)) u_out (
    .clk, .rst_n, .credit, .issue(dr_issue),
    .in_valid(dr_issue), .in_last(shadow_tlast_q && dr_k_q == LaneWidth'(Macs - 1)),
    .in_data(dr_in), .in_scale(shadow_scale_q.scale),
    .m_axis_tdata(y_data), .m_axis_tlast(y_last), .m_axis_tvalid(y_valid), .m_axis_tready(y_ready),
    .idle(out_idle)
  );

  axis_pack #(.ElemBits(EW), .Ratio(OutLanes)) u_pack (
    .clk, .rst_n,
    .s_axis_tdata(y_data), .s_axis_tlast(y_last), .s_axis_tvalid(y_valid), .s_axis_tready(y_ready),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready
  );

  assign idle = !busy && !shadow_busy_q && out_idle && !m_axis_tvalid;

  `SLLM_ERROR_IF(clk, rst_n, issue && need_p && (s_axis_p_tlast != last_pos),
                 ("attention: softmax row ended at j=%0d, pos=%0d", j_q, pos))

endmodule

`default_nettype wire
