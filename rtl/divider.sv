// SPDX-License-Identifier: Apache-2.0
//
// divider: sequential unsigned restoring divider, one quotient bit per cycle.
//
// quotient = floor(dividend / divisor), remainder = dividend - quotient * divisor.
// A division by 0 gives an unspecified quotient (all ones only if dividend < 2^DivisorWidth)
// and remainder = dividend's low DivisorWidth bits
// (callers never divide by 0: the softmax sum is >= 2^15 and the LayerNorm root >= 2^30).
// Handshake: start is accepted when busy is low (a start while busy is ignored). The operands
// are sampled with start. done is high for one cycle, DividendWidth cycles after the start edge
// (the edge where start && !busy); quotient/remainder are valid from done until the next start.
// Latency: DividendWidth cycles. Throughput: one division per DividendWidth + 1 cycles.
// Reset: synchronous, active low; abandons a division in progress.

`default_nettype none

module divider #(
  parameter int DividendWidth = 48,  // dividend (and quotient) width in bits
  parameter int DivisorWidth  = 32,  // divisor (and remainder) width in bits
  localparam int CountWidth = $clog2(DividendWidth + 1)
) (
  input  wire logic                     clk,
  input  wire logic                     rst_n,
  input  wire logic                     start,
  input  wire logic [DividendWidth-1:0] dividend,
  input  wire logic [DivisorWidth-1:0]  divisor,
  output logic                          busy,
  output logic                          done,
  output logic      [DividendWidth-1:0] quotient,
  output logic      [DivisorWidth-1:0]  remainder
);

  initial begin
    if (DividendWidth < 2) $fatal(1, "divider: DividendWidth must be >= 2, got %0d", DividendWidth);
    if (DivisorWidth < 1) $fatal(1, "divider: DivisorWidth must be >= 1, got %0d", DivisorWidth);
  end

  // quo_q starts as the dividend and shifts left, taking one quotient bit in at the bottom.
  logic [DividendWidth-1:0] quo_q, quo_d;
  logic [DivisorWidth-1:0]  rem_q, rem_d, div_q;
  logic [CountWidth-1:0]    count_q, count_d;
  logic                     busy_q, busy_d, done_q, done_d;
  logic [DivisorWidth:0]    trial, diff;

  assign trial = {rem_q, quo_q[DividendWidth-1]};
  assign diff  = trial - {1'b0, div_q};

  always_comb begin
    quo_d   = quo_q;
    rem_d   = rem_q;
    count_d = count_q;
    busy_d  = busy_q;
    done_d  = 1'b0;
    if (busy_q) begin
      if (!diff[DivisorWidth]) begin  // trial >= divisor
        rem_d = diff[DivisorWidth-1:0];
        quo_d = {quo_q[DividendWidth-2:0], 1'b1};
      end else begin
        rem_d = trial[DivisorWidth-1:0];
        quo_d = {quo_q[DividendWidth-2:0], 1'b0};
      end
      count_d = count_q - 1'b1;
      if (count_q == CountWidth'(1)) begin
        busy_d = 1'b0;
        done_d = 1'b1;
      end
    end else if (start) begin
      quo_d   = dividend;
      rem_d   = '0;
      count_d = CountWidth'(DividendWidth);
      busy_d  = 1'b1;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      busy_q <= 1'b0;
      done_q <= 1'b0;
    end else begin
      busy_q <= busy_d;
      done_q <= done_d;
    end
    quo_q   <= quo_d;
    rem_q   <= rem_d;
    count_q <= count_d;
    if (!busy_q && start) div_q <= divisor;
  end

  assign busy      = busy_q;
  assign done      = done_q;
  assign quotient  = quo_q;
  assign remainder = rem_q;

endmodule

`default_nettype wire
