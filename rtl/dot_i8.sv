// SPDX-License-Identifier: Apache-2.0
//
// dot_i8: the int8 dot product of two Lanes-element vectors, sum_i a[i]*b[i], as an int32
// (combinational; lane i of a vector in bits [8i+7:8i]). Exact while Lanes <= 2^17: each product
// is at most 2^14 in magnitude. The MAC array of linear.sv and of attention's q.K datapath.

`default_nettype none

module dot_i8 #(
  parameter int Lanes = 16  // products summed (1..131072)
) (
  input  wire logic [Lanes*8-1:0] a,
  input  wire logic [Lanes*8-1:0] b,
  output logic signed [31:0]      dot
);

  initial begin
    if (Lanes < 1 || Lanes > 131072) $fatal(1, "dot_i8: Lanes must be in [1, 131072], got %0d", Lanes);
  end

  always_comb begin
    dot = '0;
    for (int i = 0; i < Lanes; i++) begin
      dot = dot + 32'($signed(a[8*i +: 8]) * $signed(b[8*i +: 8]));
    end
  end

endmodule

`default_nettype wire
