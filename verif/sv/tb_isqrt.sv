// SPDX-License-Identifier: Apache-2.0
//
// Test wrapper for isqrt: one square root per stream beat, so the shared AXI-Stream testbench
// (stress matrix, protocol checks) drives it.
//   s_axis_tdata = value (Bits)    m_axis_tdata = root (Bits/2)
// One root at a time: a beat is accepted (start) only when isqrt is idle and no result is
// waiting; the result is offered from done until it is accepted (isqrt holds it until the next
// start). tlast is carried across in a register.

`default_nettype none

module tb_isqrt #(
  parameter int Bits = 62  // isqrt's Bits
) (
  input  wire logic              clk,
  input  wire logic              rst_n,
  input  wire logic [Bits-1:0]   s_axis_tdata,
  input  wire logic              s_axis_tlast,
  input  wire logic              s_axis_tvalid,
  output logic                   s_axis_tready,
  output logic      [Bits/2-1:0] m_axis_tdata,
  output logic                   m_axis_tlast,
  output logic                   m_axis_tvalid,
  input  wire logic              m_axis_tready
);

  logic busy, done, start, out_valid_q, last_q;

  assign s_axis_tready = !busy && !done && !out_valid_q;
  assign start         = s_axis_tvalid && s_axis_tready;

  isqrt #(.Bits(Bits)) dut (
    .clk, .rst_n, .start, .value(s_axis_tdata), .busy, .done, .root(m_axis_tdata)
  );

  always_ff @(posedge clk) begin
    if (!rst_n) out_valid_q <= 1'b0;
    else if (done) out_valid_q <= 1'b1;
    else if (m_axis_tready) out_valid_q <= 1'b0;
    if (start) last_q <= s_axis_tlast;
  end

  assign m_axis_tvalid = out_valid_q;
  assign m_axis_tlast  = last_q;

endmodule

`default_nettype wire
