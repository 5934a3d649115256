// SPDX-License-Identifier: Apache-2.0
//
// Test wrapper for weight_router: exposes each unit's stream as its own AXI-Stream port (m0_axis_*,
// m1_axis_*, ...) so that cocotbext-axi can bind one sink per unit. Up to 4 units.

`default_nettype none

module tb_weight_router #(
  parameter int Width    = 8,
  parameter int NumUnits = 2
) (
  input  wire logic             clk,
  input  wire logic             rst_n,
  input  wire logic [Width-1:0] s_axis_tdata,
  input  wire logic             s_axis_tlast,
  input  wire logic             s_axis_tvalid,
  output logic                  s_axis_tready,
  output logic      [Width-1:0] m0_axis_tdata, m1_axis_tdata, m2_axis_tdata, m3_axis_tdata,
  output logic                  m0_axis_tlast, m1_axis_tlast, m2_axis_tlast, m3_axis_tlast,
  output logic                  m0_axis_tvalid, m1_axis_tvalid, m2_axis_tvalid, m3_axis_tvalid,
  input  wire logic             m0_axis_tready, m1_axis_tready, m2_axis_tready, m3_axis_tready,
  output logic      [1:0]       turn
);

  initial begin
    if (NumUnits > 4) $fatal(1, "tb_weight_router: at most 4 units, got %0d", NumUnits);
  end

  logic [Width-1:0] data;
  logic last;
  logic [3:0] valid;
  /* verilator lint_off UNUSEDSIGNAL */  // readies of the unused unit ports
  logic [3:0] ready;
  /* verilator lint_on UNUSEDSIGNAL */
  localparam int TurnWidth = (NumUnits > 1) ? $clog2(NumUnits) : 1;
  logic [TurnWidth-1:0] dut_turn;

  weight_router #(.Width(Width), .NumUnits(NumUnits)) dut (
    .clk, .rst_n,
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata(data), .m_axis_tlast(last),
    .m_axis_tvalid(valid[NumUnits-1:0]), .m_axis_tready(ready[NumUnits-1:0]),
    .turn(dut_turn)
  );

  if (NumUnits < 4) begin : g_unused
    assign valid[3:NumUnits] = '0;
  end

  assign turn  = 2'(dut_turn);
  assign ready = {m3_axis_tready, m2_axis_tready, m1_axis_tready, m0_axis_tready};
  assign {m3_axis_tvalid, m2_axis_tvalid, m1_axis_tvalid, m0_axis_tvalid} = valid;
  assign {m0_axis_tdata, m1_axis_tdata, m2_axis_tdata, m3_axis_tdata} = {4{data}};
  assign {m0_axis_tlast, m1_axis_tlast, m2_axis_tlast, m3_axis_tlast} = {4{last}};

endmodule

`default_nettype wire
