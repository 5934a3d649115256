// SPDX-License-Identifier: Apache-2.0
//
// dot_int: the dot product of two Lanes-element signed integer vectors, sum_i a[i]*b[i], as a
// signed DotBits integer (combinational; lane i of a vector in bits [ElemBits*(i+1)-1 : ElemBits*i]).
// Exact: each product is at most 2^(2*ElemBits-2) in magnitude, so DotBits >= 2*ElemBits - 1 +
// clog2(Lanes) is checked (int8 into int32: Lanes <= 2^17). The MAC array of linear.sv (int8) and
// of attention's q.K datapath (int8 into int32 for GPT-2, int16 into int64 for GQA).

`default_nettype none

module dot_int #(
  parameter int Lanes    = 16,  // products summed
  parameter int ElemBits = 8,   // bits of each a[i] and b[i]
  parameter int DotBits  = 32   // bits of the sum
) (
  input  wire logic [Lanes*ElemBits-1:0] a,
  input  wire logic [Lanes*ElemBits-1:0] b,
  output logic signed [DotBits-1:0]      dot
);

  initial begin
    if (ElemBits < 2 || ElemBits > 32) $fatal(1, "dot_int: ElemBits must be in [2, 32], got %0d", ElemBits);
    if (Lanes < 1 || 2 * ElemBits - 1 + $clog2(Lanes) > DotBits)
      $fatal(1, "dot_int: Lanes (%0d) must be in [1, 2^%0d] for %0d-bit elements into %0d bits", Lanes,
             DotBits - 2 * ElemBits + 1, ElemBits, DotBits);
  end

  always_comb begin
    dot = '0;
    for (int i = 0; i < Lanes; i++) begin
      dot = dot + DotBits'($signed(a[ElemBits*i +: ElemBits]) * $signed(b[ElemBits*i +: ElemBits]));
    end
  end

endmodule

`default_nettype wire
