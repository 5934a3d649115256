// SPDX-License-Identifier: Apache-2.0
//
// Test wrapper for divider: one division per stream beat, so the shared AXI-Stream testbench
// (stress matrix, protocol checks) drives it. Two lanes of LaneBits = max(DividendWidth,
// DivisorWidth) bits per beat, lane 0 in the low bits:
//   s_axis_tdata = {divisor, dividend}    (each zero-extended to LaneBits; the upper bits of a
//                                          narrower operand are ignored)
//   m_axis_tdata = {remainder, quotient}  (each zero-extended to LaneBits)
// One division at a time: a beat is accepted (start) only when the divider is idle and no result
// is waiting; the result is offered from done until it is accepted (the divider holds it until
// the next start). tlast is carried across in a register.

`default_nettype none

module tb_divider #(
  parameter int DividendWidth = 62,  // divider's DividendWidth
  parameter int DivisorWidth  = 31,  // divider's DivisorWidth
  localparam int LaneBits = (DividendWidth > DivisorWidth) ? DividendWidth : DivisorWidth
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  input  wire logic [2*LaneBits-1:0] s_axis_tdata,
  input  wire logic                  s_axis_tlast,
  input  wire logic                  s_axis_tvalid,
  output logic                       s_axis_tready,
  output logic      [2*LaneBits-1:0] m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tvalid,
  input  wire logic                  m_axis_tready
);

  logic busy, done, start, out_valid_q, last_q;
  logic [DividendWidth-1:0] quotient;
  logic [DivisorWidth-1:0]  remainder;
  /* verilator lint_off UNUSEDSIGNAL */  // the zero-extension bits of the narrower operand
  logic [LaneBits-1:0] dividend_lane, divisor_lane;
  /* verilator lint_on UNUSEDSIGNAL */

  assign dividend_lane = s_axis_tdata[LaneBits-1:0];
  assign divisor_lane  = s_axis_tdata[2*LaneBits-1:LaneBits];
  assign s_axis_tready = !busy && !done && !out_valid_q;
  assign start         = s_axis_tvalid && s_axis_tready;

  divider #(.DividendWidth(DividendWidth), .DivisorWidth(DivisorWidth)) dut (
    .clk, .rst_n, .start,
    .dividend(dividend_lane[DividendWidth-1:0]), .divisor(divisor_lane[DivisorWidth-1:0]),
    .busy, .done, .quotient, .remainder
  );

  always_ff @(posedge clk) begin
    if (!rst_n) out_valid_q <= 1'b0;
    else if (done) out_valid_q <= 1'b1;
    else if (m_axis_tready) out_valid_q <= 1'b0;
    if (start) last_q <= s_axis_tlast;
  end

  assign m_axis_tvalid = out_valid_q;
  assign m_axis_tlast  = last_q;
  assign m_axis_tdata  = {LaneBits'(remainder), LaneBits'(quotient)};

endmodule

`default_nettype wire
