// SPDX-License-Identifier: Apache-2.0
//
// requant: the gemmlowp rescale + saturate of docs/numerics.md (ops.rescale / ops.requantize).
//
//   srdhm      = SRDHM(in_acc, in_mult)   = floor((acc*mult + 2^30) / 2^31), ties toward +inf;
//                acc = mult = -2^31 saturates to 2^31-1 (full int32 SRDHM, any signed mult)
//   out_rescale = RDBPOT(srdhm, in_shift)   x / 2^shift, ties away from zero   (int32, unsaturated)
//   out_sat     = clamp(out_rescale, -2^(OutBits-1), 2^(OutBits-1)-1)         (ops.requantize)
//   out_sat_hi / out_sat_lo flag that the clamp hit the top / bottom of the range.
// in_acc is int32; in_mult is an int32 (the contract of ops.rescale is [0, 2^31-1]; negative values
// compute ops.srdhm exactly as well); in_shift is a right shift in [0, 31].
//
// Pipeline: Stages registered stages (0..3), placed as
//   Stages = 3: [acc*mult] -> reg -> [SRDHM rounding] -> reg -> [RDBPOT + clamp] -> reg
//   Stages = 2: [acc*mult] -> reg -> [SRDHM rounding + RDBPOT + clamp] -> reg
//   Stages = 1: everything combinational -> reg
//   Stages = 0: purely combinational (out_* follow in_* in the same cycle; en is unused)
// Latency: Stages cycles. Throughput: one operation per cycle.
// Contract (valid-in/valid-out + enable, no ready): at a rising edge with en = 1 every stage advances
// by one: in_valid/in_user/in_* enter the first register and the last stage appears on out_*; with
// en = 0 every stage holds (out_* stay stable). out_valid is in_valid delayed by Stages enabled
// cycles; out_user carries in_user (e.g. tlast or an index) alongside. A stall-free user ties en to
// 1; a user behind a ready/valid sink can use en = !out_valid || sink_ready (a pipeline that stalls
// as a whole). Data registers are not reset; the valid flags are (synchronous, active low).

`default_nettype none

module requant #(
  parameter int OutBits   = 8,  // width of the saturated output out_sat (2..32)
  parameter int Stages    = 3,  // registered pipeline stages (0..3), see the header
  parameter int UserWidth = 1   // sideband bits carried alongside (>= 1)
) (
  input  wire logic                 clk,
  input  wire logic                 rst_n,
  input  wire logic                 en,           // advance the pipeline this cycle
  input  wire logic                 in_valid,
  input  wire logic [UserWidth-1:0] in_user,
  input  wire logic signed [31:0]   in_acc,       // int32 accumulator
  input  wire logic signed [31:0]   in_mult,      // multiplier, [0, 2^31-1] for ops.rescale
  input  wire logic [4:0]           in_shift,     // right shift 0..31
  output logic                      out_valid,
  output logic      [UserWidth-1:0] out_user,
  output logic signed [31:0]        out_rescale,  // RDBPOT(SRDHM(acc, mult), shift), unsaturated
  output logic signed [OutBits-1:0] out_sat,      // out_rescale clamped to OutBits (signed)
  output logic                      out_sat_hi,   // the clamp hit 2^(OutBits-1)-1 from above
  output logic                      out_sat_lo    // the clamp hit -2^(OutBits-1) from below
);

  initial begin
    if (OutBits < 2 || OutBits > 32) $fatal(1, "requant: OutBits must be in [2, 32], got %0d", OutBits);
    if (Stages < 0 || Stages > 3) $fatal(1, "requant: Stages must be in [0, 3], got %0d", Stages);
    if (UserWidth < 1) $fatal(1, "requant: UserWidth must be >= 1, got %0d", UserWidth);
  end

  localparam bit RegA = (Stages >= 2);  // register after the product
  localparam bit RegB = (Stages >= 3);  // register after the SRDHM rounding
  localparam bit RegC = (Stages >= 1);  // register at the output

  // ---- Stage A: the 64-bit product -------------------------------------------------------------
  logic signed [63:0] a_prod_d;
  logic               a_ovf_d;  // acc = mult = -2^31: SRDHM saturates
  logic signed [63:0] a_acc64, a_mult64;
  assign a_acc64  = {{32{in_acc[31]}}, in_acc};
  assign a_mult64 = {{32{in_mult[31]}}, in_mult};
  assign a_prod_d = a_acc64 * a_mult64;
  assign a_ovf_d  = (in_acc == 32'sh8000_0000) && (in_mult == 32'sh8000_0000);

  logic signed [63:0] a_prod;
  logic               a_ovf, a_valid;
  logic [4:0]         a_shift;
  logic [UserWidth-1:0] a_user;

  if (RegA) begin : g_reg_a
    logic signed [63:0] prod_q;
    logic ovf_q, valid_q;
    logic [4:0] shift_q;
    logic [UserWidth-1:0] user_q;
    always_ff @(posedge clk) begin
      if (!rst_n) valid_q <= 1'b0;
      else if (en) valid_q <= in_valid;
      if (en) begin
        prod_q  <= a_prod_d;
        ovf_q   <= a_ovf_d;
        shift_q <= in_shift;
        user_q  <= in_user;
      end
    end
    assign {a_prod, a_ovf, a_valid, a_shift, a_user} = {prod_q, ovf_q, valid_q, shift_q, user_q};
  end else begin : g_comb_a
    assign {a_prod, a_ovf, a_valid, a_shift, a_user} = {a_prod_d, a_ovf_d, in_valid, in_shift, in_user};
  end

  // ---- Stage B: SRDHM = floor((prod + 2^30) / 2^31), saturating -----------------------------
  // |prod| <= 2^62, so prod + 2^30 fits in 64 bits and, except for the saturated case, the
  // quotient fits in int32 (bits 62:31 of the sum).
  logic signed [63:0] b_sum;
  logic signed [31:0] b_srdhm_d;
  assign b_sum     = a_prod + 64'sd1073741824;
  assign b_srdhm_d = a_ovf ? 32'sh7fff_ffff : b_sum[62:31];
  logic unused_sum;  // b_sum[63] is the sign (equal to bit 62 here), [30:0] the discarded fraction
  assign unused_sum = ^{b_sum[63], b_sum[30:0]};

  logic signed [31:0] b_srdhm;
  logic               b_valid;
  logic [4:0]         b_shift;
  logic [UserWidth-1:0] b_user;

  if (RegB) begin : g_reg_b
    logic signed [31:0] srdhm_q;
    logic valid_q;
    logic [4:0] shift_q;
    logic [UserWidth-1:0] user_q;
    always_ff @(posedge clk) begin
      if (!rst_n) valid_q <= 1'b0;
      else if (en) valid_q <= a_valid;
      if (en) begin
        srdhm_q <= b_srdhm_d;
        shift_q <= a_shift;
        user_q  <= a_user;
      end
    end
    assign {b_srdhm, b_valid, b_shift, b_user} = {srdhm_q, valid_q, shift_q, user_q};
  end else begin : g_comb_b
    assign {b_srdhm, b_valid, b_shift, b_user} = {b_srdhm_d, a_valid, a_shift, a_user};
  end

  // ---- Stage C: RDBPOT (ties away from zero) and the clamp ------------------------------------
  // (x >> e) + (rem > (mask >> 1) + neg), with rem = x & mask, mask = 2^e - 1, written as
  // round bit x[e-1] and sticky bits x[e-2:0]: positive x rounds up iff the round bit is set,
  // negative x iff the round bit and at least one sticky bit are set. e = 0 never rounds.
  logic [31:0] c_mask, c_half, c_round;
  logic        c_neg, c_rbit, c_sticky, c_inc;
  logic signed [31:0] c_rescale_d;
  logic signed [OutBits-1:0] c_sat_d;
  logic c_hi_d, c_lo_d;
  localparam logic signed [31:0] SatMax = 32'sd2147483647 >>> (32 - OutBits);
  localparam logic signed [31:0] SatMin = -SatMax - 32'sd1;

  assign c_neg = b_srdhm[31];
  always_comb begin
    c_mask      = (32'd1 << b_shift) - 32'd1;
    c_half      = c_mask >> 1;
    c_round     = c_mask & ~c_half;
    c_rbit      = |(b_srdhm & c_round);
    c_sticky    = |(b_srdhm & c_half);
    c_inc       = c_rbit && (!c_neg || c_sticky);
    c_rescale_d = (b_srdhm >>> b_shift) + $signed({31'd0, c_inc});  // all-signed: >>> stays arithmetic
  end
  localparam logic signed [OutBits-1:0] SatMaxOut = SatMax[OutBits-1:0];
  localparam logic signed [OutBits-1:0] SatMinOut = SatMin[OutBits-1:0];
  assign c_hi_d  = c_rescale_d > SatMax;
  assign c_lo_d  = c_rescale_d < SatMin;
  assign c_sat_d = c_hi_d ? SatMaxOut : c_lo_d ? SatMinOut : c_rescale_d[OutBits-1:0];

  if (RegC) begin : g_reg_c
    logic signed [31:0] rescale_q;
    logic signed [OutBits-1:0] sat_q;
    logic hi_q, lo_q, valid_q;
    logic [UserWidth-1:0] user_q;
    always_ff @(posedge clk) begin
      if (!rst_n) valid_q <= 1'b0;
      else if (en) valid_q <= b_valid;
      if (en) begin
        rescale_q <= c_rescale_d;
        sat_q     <= c_sat_d;
        hi_q      <= c_hi_d;
        lo_q      <= c_lo_d;
        user_q    <= b_user;
      end
    end
    assign {out_rescale, out_sat, out_sat_hi, out_sat_lo, out_valid, out_user} =
        {rescale_q, sat_q, hi_q, lo_q, valid_q, user_q};
  end else begin : g_comb_c
    assign {out_rescale, out_sat, out_sat_hi, out_sat_lo, out_valid, out_user} =
        {c_rescale_d, c_sat_d, c_hi_d, c_lo_d, b_valid, b_user};
  end

  // Stages = 0 leaves clk, rst_n and en unused: keep lint quiet without changing behaviour.
  logic unused;
  assign unused = ^{clk, rst_n, en};

endmodule

`default_nettype wire
