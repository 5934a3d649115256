// SPDX-License-Identifier: Apache-2.0
//
// gelu: the GELU activation as a 256-entry int8 -> int8 lookup table (ops.gelu_lut), Lanes
// elements per beat.
//
// y = table[x & 8'hFF] per lane: the table is indexed by the input's two's-complement byte, so
// entries 0..127 hold x = 0..127 and entries 128..255 hold x = -128..-1. Exact for every input.
// Each lane has its own read of the one table (Lanes combinational read ports of a 256 x 8
// register file), then an axis_register slice.
// Table load port: tbl_we writes tbl_wdata to entry tbl_addr at the clock edge. Each layer has
// its own table; load it while the unit is idle (a beat accepted in the same cycle as a write
// may see the old or the new entry). The table is not cleared by reset.
// Latency: 1 cycle (input beat accepted -> output beat valid). Throughput: 1 beat/cycle, also
// under intermittent backpressure. tlast passes through with its beat.
// Ready/valid: AXI4-Stream; no combinational path between s_axis and m_axis (axis_register).
// Reset: synchronous, active low; empties the output register.

`default_nettype none

module gelu #(
  parameter int Lanes = 1  // int8 elements per beat
) (
  input  wire logic               clk,
  input  wire logic               rst_n,
  // Table load port
  input  wire logic               tbl_we,
  input  wire logic [7:0]         tbl_addr,
  input  wire logic [7:0]         tbl_wdata,
  // Input stream: Lanes int8 values, lane 0 in the low bits
  input  wire logic [8*Lanes-1:0] s_axis_tdata,
  input  wire logic               s_axis_tlast,
  input  wire logic               s_axis_tvalid,
  output logic                    s_axis_tready,
  // Output stream: Lanes int8 values
  output logic      [8*Lanes-1:0] m_axis_tdata,
  output logic                    m_axis_tlast,
  output logic                    m_axis_tvalid,
  input  wire logic               m_axis_tready
);

  initial begin
    if (Lanes < 1) $fatal(1, "gelu: Lanes must be >= 1, got %0d", Lanes);
  end

  logic [7:0] table_q [256];

  always_ff @(posedge clk) begin
    if (tbl_we) table_q[tbl_addr] <= tbl_wdata;
  end

  logic [8*Lanes-1:0] y;
  always_comb begin
    y = '0;
    for (int l = 0; l < Lanes; l++) begin
      y[8*l +: 8] = table_q[s_axis_tdata[8*l +: 8]];
    end
  end

  axis_register #(.DataWidth(8 * Lanes)) u_out (
    .clk, .rst_n,
    .s_axis_tdata(y), .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready
  );

endmodule

`default_nettype wire
