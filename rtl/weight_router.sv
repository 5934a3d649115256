// SPDX-License-Identifier: Apache-2.0
//
// weight_router: the layer's one weight memory bus, handed to its Linear units in turn. The memory
// (N HBM pseudo-channels side by side, Width bits per cycle in all) streams the matrices in the
// order the units consume them for a token: unit 0's whole matrix, tlast on its last word, then
// unit 1's, ..., unit NumUnits-1's, then unit 0's again (the next token or layer). The router
// sends every word to the unit whose turn it is and moves on at each tlast, so the units share the
// bandwidth and the one that computes can take all of it; the bus never carries more than one
// Width-bit word per cycle, whatever the units ask.
//
// Streams (AXI4-Stream): s_axis_* the memory bus; m_axis_* one stream per unit: tdata is shared
// (broadcast), tvalid[u] / tready[u] / tlast are unit u's.
// turn: the unit the next word goes to (for waves and the layer's timeline).
// Ready/valid: s_axis_tready = m_axis_tready[turn] and m_axis_tvalid[u] = s_axis_tvalid for the unit
// whose turn it is (a demux, no register). Reset: synchronous, active low; turn back to unit 0.

`default_nettype none

module weight_router #(
  parameter int Width    = 512,  // bus bits per cycle
  parameter int NumUnits = 4,    // units taking turns
  localparam int TurnWidth = (NumUnits > 1) ? $clog2(NumUnits) : 1
) (
  input  wire logic                 clk,
  input  wire logic                 rst_n,
  input  wire logic [Width-1:0]     s_axis_tdata,
  input  wire logic                 s_axis_tlast,
  input  wire logic                 s_axis_tvalid,
  output logic                      s_axis_tready,
  output logic      [Width-1:0]     m_axis_tdata,
  output logic                      m_axis_tlast,
  output logic      [NumUnits-1:0]  m_axis_tvalid,
  input  wire logic [NumUnits-1:0]  m_axis_tready,
  output logic      [TurnWidth-1:0] turn
);

  initial begin
    if (Width < 1 || NumUnits < 1)
      $fatal(1, "weight_router: Width (%0d) and NumUnits (%0d) must be >= 1", Width, NumUnits);
  end

  logic [TurnWidth-1:0] turn_q;

  assign turn          = turn_q;
  assign m_axis_tdata  = s_axis_tdata;
  assign m_axis_tlast  = s_axis_tlast;
  assign s_axis_tready = m_axis_tready[turn_q];
  for (genvar u = 0; u < NumUnits; u++) begin : g_valid
    assign m_axis_tvalid[u] = s_axis_tvalid && (turn_q == TurnWidth'(u));
  end

  always_ff @(posedge clk) begin
    if (!rst_n)
      turn_q <= '0;
    else if (s_axis_tvalid && s_axis_tready && s_axis_tlast)
      turn_q <= (turn_q == TurnWidth'(NumUnits - 1)) ? '0 : turn_q + 1'b1;
  end

endmodule

`default_nettype wire
