// SPDX-License-Identifier: Apache-2.0
//
// dot_int_pair: two int8 dot products that share one vector, dot0 = sum_i a[i]*b0[i] and
// dot1 = sum_i a[i]*b1[i], as signed DotBits integers, with ONE multiplier per lane for both
// (combinational; lane i of a vector in bits [8i+7:8i]). Bit-exact with two dot_int.
// Why: a DSP48E2 multiplies 27 x 18 bits, and an int8 product uses 8 x 8 of it. Two columns of
// linear.sv's output-parallel step share the activation x, so one multiply serves both (the
// Xilinx INT8 packing, WP486):
//   p[i] = a[i] * (b0[i] + b1[i]*2^18)          signed 8 x 27 bits (b0 + b1*2^18 fits 27), 34 bits
//   a[i]*b0[i] = sign-extend(p[i][17:0])          exact: |a[i]*b0[i]| <= 2^14 < 2^17
//   a[i]*b1[i] = (p[i] - a[i]*b0[i]) / 2^18 = p[i][33:18] + p[i][17]
// The sums then add the unpacked halves (dot1 takes each borrow bit p[i][17] in its adder). So a
// pair of columns costs Lanes multipliers instead of 2*Lanes (yosys maps each 8 x 27 product to
// one DSP48E2); linear.sv pairs its columns (c, c+1) with it.
// Exact: each product is at most 2^14 in magnitude, so 15 + clog2(Lanes) <= DotBits is checked
// (int32: Lanes <= 2^17), as in dot_int.

`default_nettype none

module dot_int_pair #(
  parameter int Lanes   = 16,  // products summed per dot product
  parameter int DotBits = 32   // bits of each sum
) (
  input  wire logic [Lanes*8-1:0]   a,     // the shared vector
  input  wire logic [Lanes*8-1:0]   b0,
  input  wire logic [Lanes*8-1:0]   b1,
  output logic signed [DotBits-1:0] dot0,  // sum_i a[i]*b0[i]
  output logic signed [DotBits-1:0] dot1   // sum_i a[i]*b1[i]
);

  initial begin
    if (Lanes < 1 || 15 + $clog2(Lanes) > DotBits)
      $fatal(1, "dot_int_pair: Lanes (%0d) must be in [1, 2^%0d] for int8 products into %0d bits", Lanes,
             DotBits - 15, DotBits);
  end

  localparam int Shift = 18;  // b1's offset in the packed operand: above the 18-bit low product

  // One 8 x 27-bit product per lane: both columns' products in disjoint bit ranges
  logic [Lanes*34-1:0] p;
  for (genvar i = 0; i < Lanes; i++) begin : g_lane
    logic signed [26:0] b_packed;
    assign b_packed = 27'($signed(b0[8*i +: 8])) + (27'($signed(b1[8*i +: 8])) <<< Shift);
    assign p[34*i +: 34] = 34'($signed(a[8*i +: 8]) * b_packed);
  end

  // Unpack: the low halves sign-extended; the high halves plus the borrow of each negative low half
  always_comb begin
    dot0 = '0;
    dot1 = '0;
    for (int i = 0; i < Lanes; i++) begin
      dot0 = dot0 + DotBits'($signed(p[34*i +: Shift]));
      dot1 = dot1 + DotBits'($signed(p[34*i+Shift +: 34-Shift])) + DotBits'(p[34*i+Shift-1]);
    end
  end

endmodule

`default_nettype wire
