// SPDX-License-Identifier: Apache-2.0
//
// weight_prefetch: a Linear unit's end of the shared weight bus (rtl/weight_router.sv): a width
// converter from the bus (BusBytes per word) to the unit's beat (Lanes bytes), then a FIFO of
// unit beats holding Depth bus words' worth. While the unit waits for its input vector (a
// LayerNorm's statistics pass, attention), the bus keeps streaming into this FIFO; the FIFO is read
// a whole unit beat per cycle, so a unit wider than the bus catches up afterwards, and the gaps
// between units cost bus cycles only where they outlast the FIFO. (The converter must come first:
// a FIFO of bus words behind it could feed the unit no faster than the bus.)
//
// Streams (AXI4-Stream): s_axis_* bus words (BusBytes*8 bits), tlast on the matrix's last word;
// m_axis_* the unit's weight beats (Lanes*8 bits, byte order kept), tlast on the matrix's last
// beat. The matrix (tlast to tlast) must be a whole number of both widths (axis_resize.sv).
// Latency: 1 cycle (width converter, unless Lanes == BusBytes) + 1 (FIFO).
// The FIFO's level (u_fifo.level, unit beats) shows the prefetch in waves.
// Reset: synchronous, active low; empties both.

`default_nettype none

module weight_prefetch #(
  parameter int BusBytes = 64,   // bytes per bus word
  parameter int Lanes    = 128,  // bytes per unit beat (the Linear's Lanes, int8 weights)
  parameter int Depth    = 256,  // bus words the FIFO holds
  localparam int FifoBeats  = (Depth * BusBytes + Lanes - 1) / Lanes,  // in unit beats
  localparam int LevelWidth = $clog2(FifoBeats + 1)
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  input  wire logic [BusBytes*8-1:0] s_axis_tdata,
  input  wire logic                  s_axis_tlast,
  input  wire logic                  s_axis_tvalid,
  output logic                       s_axis_tready,
  output logic      [Lanes*8-1:0]    m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tvalid,
  input  wire logic                  m_axis_tready
);

  // The converter's unit: the largest byte count dividing both widths. (Evaluated at elaboration
  // only: no line of it runs in simulation, so it is left out of line coverage.)
  /* verilator coverage_off */
  function automatic int gcd(input int a, input int b);
    int x, y, t;
    x = a;
    y = b;
    while (y != 0) begin
      t = x % y;
      x = y;
      y = t;
    end
    return x;
  endfunction
  /* verilator coverage_on */

  localparam int UnitBytes = gcd(BusBytes, Lanes);

  initial begin
    if (BusBytes < 1 || Lanes < 1 || Depth < 1)
      $fatal(1, "weight_prefetch: BusBytes (%0d), Lanes (%0d) and Depth (%0d) must be >= 1", BusBytes, Lanes, Depth);
  end

  /* verilator lint_off UNUSEDSIGNAL */
  logic [LevelWidth-1:0] level;  // for waves
  /* verilator lint_on UNUSEDSIGNAL */
  logic [Lanes*8-1:0] wide_tdata;
  logic               wide_tlast, wide_tvalid, wide_tready;

  axis_resize #(.UnitBits(UnitBytes * 8), .InUnits(BusBytes / UnitBytes), .OutUnits(Lanes / UnitBytes)) u_resize (
    .clk, .rst_n,
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .m_axis_tdata(wide_tdata), .m_axis_tlast(wide_tlast), .m_axis_tvalid(wide_tvalid), .m_axis_tready(wide_tready)
  );

  axis_fifo #(.DataWidth(Lanes * 8), .Depth(FifoBeats)) u_fifo (
    .clk, .rst_n,
    .s_axis_tdata(wide_tdata), .s_axis_tlast(wide_tlast), .s_axis_tvalid(wide_tvalid), .s_axis_tready(wide_tready),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready,
    .level
  );

endmodule

`default_nettype wire
