// SPDX-License-Identifier: Apache-2.0
//
// layernorm properties, bound into rtl/layernorm.sv (the vector buffer's own bounds are in
// verif/formal/vec_buffer.sv, bound too):
//   inv_dim_bound  the element count d of a stored vector never exceeds MaxDim (a longer vector is
//                  ended at MaxDim, never wrapped).

`default_nettype none

module layernorm_fprops #(
  parameter int MaxDim = 768
) (
  input wire logic        clk,
  input wire logic        rst_n,
  input wire logic [12:0] d_q,
  input wire logic        row_stored   // u_buf stores the last beat of a vector this cycle
);
  logic seen_q;  // d_q holds a stored vector's length (it is not reset)
  always_ff @(posedge clk) begin
    if (!rst_n) seen_q <= 1'b0;
    else if (row_stored) seen_q <= 1'b1;
  end
  always_comb if (rst_n && seen_q) inv_dim_bound: assert (32'(d_q) <= MaxDim);
endmodule

bind layernorm layernorm_fprops #(.MaxDim(MaxDim)) u_fprops (.*, .row_stored(u_buf.take && u_buf.row_end));

`default_nettype wire
