// SPDX-License-Identifier: Apache-2.0
//
// isqrt properties, bound into rtl/isqrt.sv: the start/busy/done contract (start_done_props,
// Latency = Bits/2; unbounded, k-induction with inv_count tying the unit's counter to the
// checker's) and, in the BMC task, the result: root = floor(sqrt(value sampled with start)),
// i.e. root^2 <= value < (root+1)^2, for every value (func_root; bounded by the BMC depth, which
// covers whole operations).

`default_nettype none

module isqrt_fprops #(
  parameter int Bits       = 62,
  parameter int CountWidth = 1
) (
  input wire logic                  clk,
  input wire logic                  rst_n,
  input wire logic                  start,
  input wire logic [Bits-1:0]       value,
  input wire logic                  busy,
  input wire logic                  done,
  input wire logic [Bits/2-1:0]     root,
  input wire logic [CountWidth-1:0] count_q
);

  localparam int L = Bits / 2;
  logic inflight, accept;
  logic [$clog2(L+1)-1:0] remaining;
  start_done_props #(.Latency(L), .ResultWidth(Bits / 2)) u_hs (
    .clk, .rst_n, .start, .busy, .done, .result(root), .inflight, .remaining, .accept
  );

  logic [Bits-1:0] value_q;
  always_ff @(posedge clk) if (accept) value_q <= value;

  always_comb begin
    if (rst_n && inflight) inv_count: assert (32'(count_q) == 32'(remaining));
`ifdef FORMAL_BMC
    if (rst_n && done) begin
      func_root: assert ((2*Bits)'(root) * (2*Bits)'(root) <= (2*Bits)'(value_q)
                         && ((2*Bits)'(root) + 1) * ((2*Bits)'(root) + 1) > (2*Bits)'(value_q));
    end
`endif
  end

endmodule

bind isqrt isqrt_fprops #(.Bits(Bits), .CountWidth(CountWidth)) u_fprops (.*);

`default_nettype wire
