// SPDX-License-Identifier: Apache-2.0
//
// Test wrapper for axis_fork: exposes each consumer as its own AXI-Stream port (m0_axis_*,
// m1_axis_*, ...) so that cocotbext-axi can bind one sink per consumer. Up to 4 consumers.

`default_nettype none

module tb_axis_fork #(
  parameter int DataWidth  = 8,
  parameter int NumOutputs = 2
) (
  input  wire logic                 clk,
  input  wire logic                 rst_n,
  input  wire logic [DataWidth-1:0] s_axis_tdata,
  input  wire logic                 s_axis_tlast,
  input  wire logic                 s_axis_tvalid,
  output logic                      s_axis_tready,
  output logic      [DataWidth-1:0] m0_axis_tdata, m1_axis_tdata, m2_axis_tdata, m3_axis_tdata,
  output logic                      m0_axis_tlast, m1_axis_tlast, m2_axis_tlast, m3_axis_tlast,
  output logic                      m0_axis_tvalid, m1_axis_tvalid, m2_axis_tvalid, m3_axis_tvalid,
  input  wire logic                 m0_axis_tready, m1_axis_tready, m2_axis_tready, m3_axis_tready
);

  initial begin
    if (NumOutputs > 4) $fatal(1, "tb_axis_fork: at most 4 outputs, got %0d", NumOutputs);
  end

  logic [DataWidth-1:0] data;
  logic last;
  logic [3:0] valid;
  /* verilator lint_off UNUSEDSIGNAL */  // readies of the unused consumer ports
  logic [3:0] ready;
  /* verilator lint_on UNUSEDSIGNAL */

  axis_fork #(.DataWidth(DataWidth), .NumOutputs(NumOutputs)) dut (
    .clk, .rst_n,
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata(data), .m_axis_tlast(last),
    .m_axis_tvalid(valid[NumOutputs-1:0]), .m_axis_tready(ready[NumOutputs-1:0])
  );

  if (NumOutputs < 4) begin : g_unused
    assign valid[3:NumOutputs] = '0;
  end

  assign ready = {m3_axis_tready, m2_axis_tready, m1_axis_tready, m0_axis_tready};
  assign {m3_axis_tvalid, m2_axis_tvalid, m1_axis_tvalid, m0_axis_tvalid} = valid;
  assign {m0_axis_tdata, m1_axis_tdata, m2_axis_tdata, m3_axis_tdata} = {4{data}};
  assign {m0_axis_tlast, m1_axis_tlast, m2_axis_tlast, m3_axis_tlast} = {4{last}};

endmodule

`default_nettype wire
