// SPDX-License-Identifier: Apache-2.0
//
// requant properties, bound into the unit under proof (instance f_requant.dut only, so that the
// reference below is not bound in turn): the valid/enable pipeline contract of the header, for
// Stages = 3 (the registered stages are named g_reg_a/b/c in the RTL):
//   live_valid_delay  out_valid is in_valid delayed by Stages enabled cycles (proven, k-induction;
//                     the unit's liveness: a valid input always comes out, exactly then);
//   hs_hold           with en = 0 every output holds;
//   func_pipeline     (BMC task) every output equals a Stages = 0 (combinational) requant of the
//                     same inputs, delayed by the same Stages enabled cycles: the pipelining
//                     changes no result bit (bounded by the BMC depth).

`default_nettype none

module requant_fprops #(
  parameter int OutBits   = 8,
  parameter int Stages    = 3,
  parameter int UserWidth = 1
) (
  input wire logic                 clk,
  input wire logic                 rst_n,
  input wire logic                 en,
  input wire logic                 in_valid,
  input wire logic [UserWidth-1:0] in_user,
  input wire logic signed [31:0]   in_acc,
  input wire logic signed [31:0]   in_mult,
  input wire logic [4:0]           in_shift,
  input wire logic                 out_valid,
  input wire logic [UserWidth-1:0] out_user,
  input wire logic signed [31:0]   out_rescale,
  input wire logic signed [OutBits-1:0] out_sat,
  input wire logic                 out_sat_hi,
  input wire logic                 out_sat_lo,
  input wire logic [2:0]           valid_chain   // {c, b, a}: valid flags of the registered stages
);

  localparam int W = UserWidth + 32 + OutBits + 2;
  logic r_valid, r_hi, r_lo;
  logic [UserWidth-1:0] r_user;
  logic signed [31:0] r_rescale;
  logic signed [OutBits-1:0] r_sat;
  requant #(.OutBits(OutBits), .Stages(0), .UserWidth(UserWidth)) u_ref (
    .clk, .rst_n, .en, .in_valid, .in_user, .in_acc, .in_mult, .in_shift,
    .out_valid(r_valid), .out_user(r_user), .out_rescale(r_rescale), .out_sat(r_sat),
    .out_sat_hi(r_hi), .out_sat_lo(r_lo)
  );

  logic [Stages-1:0] sh_valid;
  logic [W-1:0] sh_data [Stages];
  always_ff @(posedge clk) begin
    if (!rst_n) sh_valid <= '0;
    else if (en) sh_valid <= {sh_valid[Stages-2:0], r_valid};
    if (en) begin
      sh_data[0] <= {r_user, r_rescale, r_sat, r_hi, r_lo};
      for (int i = 1; i < Stages; i++) sh_data[i] <= sh_data[i-1];
    end
  end

  logic past_valid = 1'b0;
  logic past_en, past_rst_n;
  logic [W:0] past_out;
  wire [W:0] out_all = {out_valid, out_user, out_rescale, out_sat, out_sat_hi, out_sat_lo};
  always_ff @(posedge clk) begin
    past_valid <= 1'b1;
    past_en    <= en;
    past_rst_n <= rst_n;
    past_out   <= out_all;
  end

  always_comb begin
    if (past_valid && past_rst_n) begin
      inv_valid_chain: assert (valid_chain == sh_valid);
      live_valid_delay: assert (out_valid == sh_valid[Stages-1]);
      if (!past_en && rst_n) hs_hold: assert (out_all == past_out);
`ifdef FORMAL_BMC
      if (out_valid) func_pipeline: assert ({out_user, out_rescale, out_sat, out_sat_hi, out_sat_lo} == sh_data[Stages-1]);
`endif
    end
  end

endmodule

bind f_requant.dut requant_fprops #(.OutBits(OutBits), .Stages(Stages), .UserWidth(UserWidth)) u_fprops (
  .*, .valid_chain({g_reg_c.valid_q, g_reg_b.valid_q, g_reg_a.valid_q})
);

`default_nettype wire
