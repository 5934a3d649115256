// SPDX-License-Identifier: Apache-2.0
//
// weight_router properties, bound into rtl/weight_router.sv: every bus word goes to exactly one
// unit, the one whose turn it is, unchanged, and the turns follow the packets (unbounded,
// k-induction). `expect_turn` is kept here from the handshakes alone (it moves on at every
// accepted tlast, wrapping after NumUnits-1):
//   cons_one_unit       at most one unit is offered the word, and only the unit whose turn it is;
//   cons_offered        the word is offered to that unit whenever the bus has one;
//   cons_ready          the bus accepts the word exactly when that unit does (no word is lost or
//                       taken by a unit whose turn it is not);
//   cons_beat           what a unit sees is the bus word (data and tlast);
//   inv_turn            the unit's turn register equals expect_turn.

`default_nettype none

module weight_router_fprops #(
  parameter int Width     = 8,
  parameter int NumUnits  = 2,
  parameter int TurnWidth = 1
) (
  input wire logic                 clk,
  input wire logic                 rst_n,
  input wire logic [Width-1:0]     s_axis_tdata,
  input wire logic                 s_axis_tlast,
  input wire logic                 s_axis_tvalid,
  input wire logic                 s_axis_tready,
  input wire logic [Width-1:0]     m_axis_tdata,
  input wire logic                 m_axis_tlast,
  input wire logic [NumUnits-1:0]  m_axis_tvalid,
  input wire logic [NumUnits-1:0]  m_axis_tready,
  input wire logic [TurnWidth-1:0] turn_q
);

  logic [TurnWidth-1:0] expect_turn;

  always_ff @(posedge clk) begin
    if (!rst_n) expect_turn <= '0;
    else if (s_axis_tvalid && s_axis_tready && s_axis_tlast)
      expect_turn <= (32'(expect_turn) == NumUnits - 1) ? '0 : expect_turn + 1'b1;
  end

  always_comb begin
    if (rst_n) begin
      cons_one_unit: assert ((m_axis_tvalid & ~(NumUnits'(1) << expect_turn)) == '0);
      cons_offered: assert (m_axis_tvalid[expect_turn] == s_axis_tvalid);
      cons_ready: assert (s_axis_tready == m_axis_tready[expect_turn]);
      cons_beat: assert (m_axis_tdata == s_axis_tdata && m_axis_tlast == s_axis_tlast);
      inv_turn: assert (turn_q == expect_turn && 32'(expect_turn) < NumUnits);
    end
  end

endmodule

bind weight_router weight_router_fprops #(.Width(Width), .NumUnits(NumUnits), .TurnWidth(TurnWidth)) u_fprops (.*);

`default_nettype wire
