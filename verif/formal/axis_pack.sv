// SPDX-License-Identifier: Apache-2.0
//
// axis_pack properties, bound into rtl/axis_pack.sv: every input element comes out once, in its
// group's output beat, in its lane, unchanged, groups in order (unbounded, k-induction).
// Kept here from the handshakes alone: `lane` (the lane the next element goes to; a group ends
// after Ratio elements or at tlast, a partial group included) and `pend` (complete groups not yet
// sent). A tracked element is picked freely (so the check covers every element):
//   cons_no_underflow   no output beat without a complete group;
//   cons_capacity       at most one complete group waits (the output register);
//   cons_tracked_data   the tracked element leaves in the next output beat of its group, in its lane;
//   cons_tracked_last   a group's output tlast is the tlast of its last element;
//   inv_*               the unit's count/valid/group registers agree with the above.

`default_nettype none

module axis_pack_fprops #(
  parameter int ElemBits   = 8,
  parameter int Ratio      = 4,
  parameter int CountWidth = 1
) (
  input wire logic                      clk,
  input wire logic                      rst_n,
  input wire logic [ElemBits-1:0]       s_axis_tdata,
  input wire logic                      s_axis_tlast,
  input wire logic                      s_axis_tvalid,
  input wire logic                      s_axis_tready,
  input wire logic [Ratio*ElemBits-1:0] m_axis_tdata,
  input wire logic                      m_axis_tlast,
  input wire logic                      m_axis_tvalid,
  input wire logic                      m_axis_tready,
  input wire logic [Ratio*ElemBits-1:0] group_q,
  input wire logic [CountWidth-1:0]     count_q,
  input wire logic                      out_valid_q,
  input wire logic                      out_last_q
);

  wire in_hs  = s_axis_tvalid && s_axis_tready;
  wire out_hs = m_axis_tvalid && m_axis_tready;
  logic [CountWidth-1:0] lane;
  logic [1:0] pend;
  wire ends = (lane == CountWidth'(Ratio - 1)) || s_axis_tlast;

  (* anyseq *) logic pick;
  logic tracking, t_ends, t_last;
  logic [CountWidth-1:0] t_lane;
  logic [ElemBits-1:0] t_data;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      lane     <= '0;
      pend     <= '0;
      tracking <= 1'b0;
    end else begin
      if (in_hs) lane <= ends ? '0 : lane + 1'b1;
      pend <= pend + 2'(in_hs && ends) - 2'(out_hs);
      if (tracking && out_hs) tracking <= 1'b0;
      if (!tracking && in_hs && pick) begin
        tracking <= 1'b1;
        t_lane   <= lane;
        t_data   <= s_axis_tdata;
        t_last   <= s_axis_tlast;
        t_ends   <= ends;
      end
    end
  end

  always_comb begin
    if (rst_n) begin
      cons_no_underflow: assert (!out_hs || pend != '0);
      cons_capacity: assert (pend <= 2'd1);
      if (tracking && out_hs) cons_tracked_data: assert (m_axis_tdata[t_lane*ElemBits +: ElemBits] == t_data);
      if (tracking && out_hs && t_ends) cons_tracked_last: assert (m_axis_tlast == t_last);
      inv_count: assert (count_q == lane && 32'(lane) < Ratio && pend == 2'(out_valid_q) && (!out_valid_q || lane == '0));
      if (tracking) inv_tracked: assert (group_q[t_lane*ElemBits +: ElemBits] == t_data
                                         && (out_valid_q || t_lane < lane) && (!t_ends || (out_valid_q && out_last_q == t_last)));
    end
  end

endmodule

bind axis_pack axis_pack_fprops #(.ElemBits(ElemBits), .Ratio(Ratio), .CountWidth(CountWidth)) u_fprops (.*);

`default_nettype wire
