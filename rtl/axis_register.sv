// SPDX-License-Identifier: Apache-2.0
//
// axis_register: AXI4-Stream register slice (skid buffer).
//
// Breaks every combinational path between the two sides: m_axis_* are driven from the output
// register, and s_axis_tready from the skid register's state only (never from m_axis_tready).
// Latency: 1 cycle. Throughput: 1 beat/cycle, also under intermittent backpressure.
// Ready/valid: AXI4-Stream. A beat is transferred when tvalid && tready at a rising edge;
// m_axis_tvalid stays high and m_axis_tdata/tlast stay stable until accepted.
// Reset: synchronous, active low; clears both valid flags (data registers need no reset).

`default_nettype none

module axis_register #(
  parameter int DataWidth = 8  // width of tdata in bits
) (
  input  wire logic                 clk,
  input  wire logic                 rst_n,
  // Input stream
  input  wire logic [DataWidth-1:0] s_axis_tdata,
  input  wire logic                 s_axis_tlast,
  input  wire logic                 s_axis_tvalid,
  output logic                      s_axis_tready,
  // Output stream
  output logic      [DataWidth-1:0] m_axis_tdata,
  output logic                      m_axis_tlast,
  output logic                      m_axis_tvalid,
  input  wire logic                 m_axis_tready
);

  initial begin
    if (DataWidth < 1) $fatal(1, "axis_register: DataWidth must be >= 1, got %0d", DataWidth);
  end

  // {tlast, tdata} travel together.
  logic [DataWidth:0] out_q, out_d, skid_q, skid_d;
  logic out_valid_q, out_valid_d, skid_valid_q, skid_valid_d;

  // Ready is registered: the skid register always has room when it is empty.
  assign s_axis_tready = !skid_valid_q;

  always_comb begin
    out_d        = out_q;
    out_valid_d  = out_valid_q;
    skid_d       = skid_q;
    skid_valid_d = skid_valid_q;
    if (m_axis_tready || !out_valid_q) begin
      // The output register is free this cycle: refill from the skid register first, to keep order.
      if (skid_valid_q) begin
        out_d        = skid_q;
        out_valid_d  = 1'b1;
        skid_valid_d = 1'b0;
      end else begin
        out_d       = {s_axis_tlast, s_axis_tdata};
        out_valid_d = s_axis_tvalid;
      end
    end else if (s_axis_tvalid && s_axis_tready) begin
      // Output stalled: park the accepted beat in the skid register.
      skid_d       = {s_axis_tlast, s_axis_tdata};
      skid_valid_d = 1'b1;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      out_valid_q  <= 1'b0;
      skid_valid_q <= 1'b0;
    end else begin
      out_valid_q  <= out_valid_d;
      skid_valid_q <= skid_valid_d;
    end
    out_q  <= out_d;
    skid_q <= skid_d;
  end

  assign m_axis_tvalid = out_valid_q;
  assign {m_axis_tlast, m_axis_tdata} = out_q;

endmodule

`default_nettype wire
