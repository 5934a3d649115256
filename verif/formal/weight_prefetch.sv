// SPDX-License-Identifier: Apache-2.0
//
// weight_prefetch properties, bound into rtl/weight_prefetch.sv. Its two parts prove their own
// conservation and order (verif/formal/axis_resize.sv and axis_fifo.sv, bound too); what is left
// is the wiring between them, which a dropped or doubled beat on the inner stream would break:
//   cons_units_held  the byte units taken from the bus and not yet given to the unit are exactly
//                    those the converter holds plus those in the FIFO's beats (k-induction).

`default_nettype none

module weight_prefetch_fprops #(
  parameter int InUnits    = 2,   // units (UnitBytes bytes) per bus word
  parameter int OutUnits   = 3,   // units per unit beat
  parameter int Capacity   = 12,  // the converter's Cap + OutUnits x the FIFO's beats
  parameter int ConvWidth  = 4,
  parameter int FifoWidth  = 2
) (
  input wire logic                 clk,
  input wire logic                 rst_n,
  input wire logic                 s_axis_tvalid,
  input wire logic                 s_axis_tready,
  input wire logic                 m_axis_tvalid,
  input wire logic                 m_axis_tready,
  input wire logic [ConvWidth-1:0] conv_level,   // u_resize.level_q (units)
  input wire logic [FifoWidth-1:0] fifo_level    // u_fifo.level_q (unit beats)
);
  localparam int W = $clog2(Capacity + InUnits + 1);
  logic [W-1:0] held_q;  // units in minus units out since reset
  always_ff @(posedge clk) begin
    if (!rst_n) held_q <= '0;
    else held_q <= held_q + (s_axis_tvalid && s_axis_tready ? W'(InUnits) : '0)
                          - (m_axis_tvalid && m_axis_tready ? W'(OutUnits) : '0);
  end
  always_comb if (rst_n) cons_units_held: assert (32'(held_q) == 32'(conv_level) + OutUnits * 32'(fifo_level)
                                                  && 32'(held_q) <= Capacity);
endmodule

bind weight_prefetch weight_prefetch_fprops #(
  .InUnits(BusBytes / UnitBytes), .OutUnits(Lanes / UnitBytes),
  .Capacity(BusBytes / UnitBytes + 2 * (Lanes / UnitBytes) + (Lanes / UnitBytes) * FifoBeats),
  .ConvWidth($clog2(BusBytes / UnitBytes + 2 * (Lanes / UnitBytes) + 1)), .FifoWidth(LevelWidth)
) u_fprops (.*, .conv_level(u_resize.level_q), .fifo_level(u_fifo.level_q));

`default_nettype wire
