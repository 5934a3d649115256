// SPDX-License-Identifier: Apache-2.0
//
// vec_buffer properties (the row/vector buffer of layernorm and softmax), bound into every
// rtl/vec_buffer.sv instance of a unit under proof (units.toml `bind`):
//   inv_count_bound  the load counter stays below MaxBeats: a vector longer than MaxBeats (layernorm's
//                    MaxDim, softmax's MaxLen) is ended at MaxBeats, never wrapped over the buffer;
//   inv_len_bound    the stored length (softmax's row length counter) is 1..MaxBeats once a vector
//                    is stored, and never exceeds MaxBeats;
//   inv_issue_bound  a read never reads past the stored length: a beat is issued only while
//                    issue_q < len_q. (Between passes issue_q may exceed len_q: after a pass over a
//                    longer vector, layernorm loads a shorter one and rewinds only before its output
//                    pass; the earlier form, issue_q <= len_q in every cycle, failed there at BMC
//                    depth 109, a 2-beat vector then a 1-beat one, with no read out of range.)

`default_nettype none

module vec_buffer_fprops #(
  parameter int MaxBeats   = 16,
  parameter int CountWidth = 1
) (
  input wire logic                  clk,
  input wire logic                  rst_n,
  input wire logic [CountWidth-1:0] count_q,
  input wire logic [CountWidth-1:0] len_q,
  input wire logic [CountWidth-1:0] issue_q,
  input wire logic                  issue
);
  always_comb begin
    if (rst_n) begin
      inv_count_bound: assert (32'(count_q) < MaxBeats);
      inv_len_bound: assert (32'(len_q) <= MaxBeats);
      if (issue) inv_issue_bound: assert (issue_q < len_q);
    end
  end
endmodule

bind vec_buffer vec_buffer_fprops #(.MaxBeats(MaxBeats), .CountWidth(CountWidth)) u_fprops (.*);

`default_nettype wire
