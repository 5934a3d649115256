// SPDX-License-Identifier: Apache-2.0
//
// isqrt: sequential integer square root, floor(sqrt(value)), by the bitwise digit-by-digit
// method of ops.isqrt_bitwise: one root bit per cycle, Bits/2 iterations of compare, subtract
// and shift (no multiplier):
//   rem = value; root = 0; bit = 2^(Bits-2)
//   repeat Bits/2 times: if rem >= root + bit: rem -= root + bit; root = (root >> 1) + bit
//                        else: root >>= 1
//                        bit >>= 2
// Handshake: start is accepted when busy is low (a start while busy is ignored); value is sampled
// with start. done is high for one cycle, Bits/2 cycles after the start edge; root is valid from
// done until the next start.
// Latency: Bits/2 cycles. Throughput: one root per Bits/2 + 1 cycles.
// Reset: synchronous, active low; abandons a root in progress.

`default_nettype none

module isqrt #(
  parameter int Bits = 62,  // input width in bits (even); the root has Bits/2 bits
  localparam int CountWidth = $clog2(Bits / 2 + 1)
) (
  input  wire logic                clk,
  input  wire logic                rst_n,
  input  wire logic                start,
  input  wire logic [Bits-1:0]     value,
  output logic                     busy,
  output logic                     done,
  output logic      [Bits/2-1:0]   root
);

  initial begin
    if (Bits < 4 || Bits % 2 != 0) $fatal(1, "isqrt: Bits must be even and >= 4, got %0d", Bits);
  end

  logic [Bits-1:0]       rem_q, rem_d, root_q, root_d, trial;
  // Toggle coverage off: bit = 2^(Bits-2-2i) is a data-independent schedule; its odd bits are always 0.
  /* verilator coverage_off */
  logic [Bits-1:0]       bit_q, bit_d;
  /* verilator coverage_on */
  logic [CountWidth-1:0] count_q, count_d;
  logic                  busy_q, busy_d, done_q, done_d;

  assign trial = root_q + bit_q;

  always_comb begin
    rem_d   = rem_q;
    root_d  = root_q;
    bit_d   = bit_q;
    count_d = count_q;
    busy_d  = busy_q;
    done_d  = 1'b0;
    if (busy_q) begin
      if (rem_q >= trial) begin
        rem_d  = rem_q - trial;
        root_d = (root_q >> 1) + bit_q;
      end else begin
        root_d = root_q >> 1;
      end
      bit_d   = bit_q >> 2;
      count_d = count_q - 1'b1;
      if (count_q == CountWidth'(1)) begin
        busy_d = 1'b0;
        done_d = 1'b1;
      end
    end else if (start) begin
      rem_d   = value;
      root_d  = '0;
      bit_d   = {2'b01, {(Bits - 2){1'b0}}};
      count_d = CountWidth'(Bits / 2);
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
    rem_q   <= rem_d;
    root_q  <= root_d;
    bit_q   <= bit_d;
    count_q <= count_d;
  end

  assign busy = busy_q;
  assign done = done_q;
  assign root = root_q[Bits/2-1:0];

endmodule

`default_nettype wire
