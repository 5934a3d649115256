// SPDX-License-Identifier: Apache-2.0
//
// divider properties, bound into rtl/divider.sv: the start/busy/done contract (start_done_props,
// Latency = DividendWidth; unbounded, k-induction with inv_count) and, in the BMC task, the
// result for the operands sampled with start: quotient*divisor + remainder = dividend and
// remainder < divisor for every divisor != 0 (func_divide; bounded by the BMC depth, which covers
// whole operations; a division by 0 is unspecified by the header).

`default_nettype none

module divider_fprops #(
  parameter int DividendWidth = 48,
  parameter int DivisorWidth  = 32,
  parameter int CountWidth    = 1
) (
  input wire logic                     clk,
  input wire logic                     rst_n,
  input wire logic                     start,
  input wire logic [DividendWidth-1:0] dividend,
  input wire logic [DivisorWidth-1:0]  divisor,
  input wire logic                     busy,
  input wire logic                     done,
  input wire logic [DividendWidth-1:0] quotient,
  input wire logic [DivisorWidth-1:0]  remainder,
  input wire logic [CountWidth-1:0]    count_q
);

  localparam int L = DividendWidth;
  localparam int W = DividendWidth + DivisorWidth + 1;
  logic inflight, accept;
  logic [$clog2(L+1)-1:0] remaining;
  start_done_props #(.Latency(L), .ResultWidth(DividendWidth + DivisorWidth)) u_hs (
    .clk, .rst_n, .start, .busy, .done, .result({quotient, remainder}), .inflight, .remaining, .accept
  );

  logic [DividendWidth-1:0] dividend_q;
  logic [DivisorWidth-1:0]  divisor_q;
  always_ff @(posedge clk) if (accept) {dividend_q, divisor_q} <= {dividend, divisor};

  always_comb begin
    if (rst_n && inflight) inv_count: assert (32'(count_q) == 32'(remaining));
`ifdef FORMAL_BMC
    if (rst_n && done && divisor_q != '0) begin
      func_divide: assert (W'(quotient) * W'(divisor_q) + W'(remainder) == W'(dividend_q) && remainder < divisor_q);
    end
`endif
  end

endmodule

bind divider divider_fprops #(
  .DividendWidth(DividendWidth), .DivisorWidth(DivisorWidth), .CountWidth(CountWidth)
) u_fprops (.*);

`default_nettype wire
