// SPDX-License-Identifier: Apache-2.0
//
// Test wrapper for requant: one operation per stream element, so the shared AXI-Stream testbench
// (stress matrix, protocol checks) drives it. Two input streams are joined element by element:
//   s_axis_tdata   = in_acc[31:0]
//   s_axis_p_tdata = {in_shift[4:0], in_mult[31:0]}                       (37 bits)
//   m_axis_tdata   = {out_sat_lo, out_sat_hi, out_sat sign-extended to 24 bits, out_rescale[31:0]}
//                    (58 bits; OutBits <= 24 here)
// The pipeline stalls as a whole: en = !out_valid || m_axis_tready (the contract in requant.sv);
// tlast (from s_axis) travels in the user sideband.

`default_nettype none

module tb_requant #(
  parameter int OutBits = 8,
  parameter int Stages  = 3
) (
  input  wire logic        clk,
  input  wire logic        rst_n,
  input  wire logic [31:0] s_axis_tdata,
  input  wire logic        s_axis_tlast,
  input  wire logic        s_axis_tvalid,
  output logic             s_axis_tready,
  input  wire logic [36:0] s_axis_p_tdata,
  input  wire logic        s_axis_p_tlast,
  input  wire logic        s_axis_p_tvalid,
  output logic             s_axis_p_tready,
  output logic      [57:0] m_axis_tdata,
  output logic             m_axis_tlast,
  output logic             m_axis_tvalid,
  input  wire logic        m_axis_tready
);

  initial begin
    if (OutBits > 24) $fatal(1, "tb_requant: OutBits must be <= 24 in this wrapper, got %0d", OutBits);
  end

  logic en, unused_last;
  logic signed [31:0] rescale;
  logic signed [OutBits-1:0] sat;
  logic hi, lo;

  assign en = !m_axis_tvalid || m_axis_tready;
  assign s_axis_tready   = en && s_axis_p_tvalid;
  assign s_axis_p_tready = en && s_axis_tvalid;
  assign unused_last = s_axis_p_tlast;

  requant #(.OutBits(OutBits), .Stages(Stages), .UserWidth(1)) dut (
    .clk, .rst_n, .en,
    .in_valid(s_axis_tvalid && s_axis_p_tvalid), .in_user(s_axis_tlast),
    .in_acc(s_axis_tdata), .in_mult(s_axis_p_tdata[31:0]), .in_shift(s_axis_p_tdata[36:32]),
    .out_valid(m_axis_tvalid), .out_user(m_axis_tlast),
    .out_rescale(rescale), .out_sat(sat), .out_sat_hi(hi), .out_sat_lo(lo)
  );

  logic signed [23:0] sat24;
  assign sat24 = 24'(sat);
  assign m_axis_tdata = {lo, hi, sat24, rescale};

endmodule

`default_nettype wire
