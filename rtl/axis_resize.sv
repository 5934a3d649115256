// SPDX-License-Identifier: Apache-2.0
//
// axis_resize: AXI4-Stream width converter between two beat widths that are both whole numbers of
// a unit (UnitBits): InUnits units per input beat, OutUnits per output beat, any ratio (2:3, 1:2,
// 4:1, ...). It feeds a Linear whose Lanes differ from the weight memory's bus width
// (rtl/weight_prefetch.sv). Unit u of a beat is tdata[u*UnitBits +: UnitBits]; the stream's unit
// order is kept: output units are the input units in order, lowest unit first.
//
// tlast: a packet (tlast to tlast) must hold a whole number of output beats; the output beat that
// ends with the input's last unit carries tlast. A packet that ends inside an output beat is an
// error (assertion in simulation): its tail would merge with the next packet.
// Throughput: full rate on the narrower side (one beat per cycle in or out, whichever is narrower;
// the other side at the ratio). Latency: 1 cycle (a beat is visible on m_axis once it has enough
// units). InUnits == OutUnits is a wire.
// Ready/valid: s_axis_tready and m_axis_tvalid depend only on the fill level (registered), so no
// path runs between the two sides.
// Reset: synchronous, active low; empties the buffer.

`default_nettype none
`include "sllm_assert.svh"

module axis_resize #(
  parameter int UnitBits = 8,  // bits per unit
  parameter int InUnits  = 2,  // units per input beat
  parameter int OutUnits = 3,  // units per output beat
  // The buffer holds up to Cap units: room for an input beat while two output beats wait keeps
  // the narrow side at full rate for every ratio.
  localparam int Cap        = InUnits + 2 * OutUnits,
  localparam int LevelWidth = $clog2(Cap + 1)
) (
  input  wire logic                         clk,
  input  wire logic                         rst_n,
  input  wire logic [InUnits*UnitBits-1:0]  s_axis_tdata,
  input  wire logic                         s_axis_tlast,
  input  wire logic                         s_axis_tvalid,
  output logic                              s_axis_tready,
  output logic      [OutUnits*UnitBits-1:0] m_axis_tdata,
  output logic                              m_axis_tlast,
  output logic                              m_axis_tvalid,
  input  wire logic                         m_axis_tready
);

  initial begin
    if (UnitBits < 1 || InUnits < 1 || OutUnits < 1)
      $fatal(1, "axis_resize: UnitBits (%0d), InUnits (%0d) and OutUnits (%0d) must be >= 1",
             UnitBits, InUnits, OutUnits);
  end

  // The buffer (used when the widths differ; declared here so the formal properties can bind it).
  // Toggle coverage off: a wire build has it but never uses it, and what it carries is checked by
  // every test's scoreboard; the level and tlast paths are covered by line coverage and the
  // packet-length bins.
  /* verilator lint_off UNUSEDSIGNAL */
  /* verilator coverage_off */
  logic [UnitBits-1:0]   buf_q [Cap];
  logic [Cap-1:0]        last_q;   // unit i ends a packet
  logic [LevelWidth-1:0] level_q;  // units held, in buf_q[0 .. level_q-1]
  /* verilator coverage_on */
  /* verilator lint_on UNUSEDSIGNAL */

  if (InUnits == OutUnits) begin : g_wire
    assign m_axis_tdata  = s_axis_tdata;
    assign m_axis_tlast  = s_axis_tlast;
    assign m_axis_tvalid = s_axis_tvalid;
    assign s_axis_tready = m_axis_tready;
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_clock;  // a wire needs no clock
    assign unused_clock = clk ^ rst_n;
    /* verilator lint_on UNUSEDSIGNAL */
    assign level_q = '0;
    assign last_q  = '0;
  end else begin : g_resize
    logic                  push, pop;
    logic [LevelWidth-1:0] kept;     // units left after this cycle's pop: the write position

    assign m_axis_tvalid = (level_q >= LevelWidth'(OutUnits));
    assign m_axis_tlast  = last_q[OutUnits-1];
    assign s_axis_tready = (level_q <= LevelWidth'(Cap - InUnits));
    assign push = s_axis_tvalid && s_axis_tready;
    assign pop  = m_axis_tvalid && m_axis_tready;
    assign kept = pop ? level_q - LevelWidth'(OutUnits) : level_q;

    for (genvar u = 0; u < OutUnits; u++) begin : g_out
      assign m_axis_tdata[u*UnitBits +: UnitBits] = buf_q[u];
    end

    // Each buffer slot: the unit OutUnits above it after a pop, or input unit (slot - kept) when
    // the slot falls inside this cycle's write window.
    localparam int IdxWidth = (InUnits > 1) ? $clog2(InUnits) : 1;
    logic [Cap-1:0]      in_window;
    logic [IdxWidth-1:0] idx [Cap];  // input unit written into slot p (0 outside the window)
    for (genvar p = 0; p < Cap; p++) begin : g_slot
      assign in_window[p] = push && (LevelWidth'(p) >= kept) && (LevelWidth'(p) < kept + LevelWidth'(InUnits));
      assign idx[p] = in_window[p] ? IdxWidth'(LevelWidth'(p) - kept) : '0;
    end

    always_ff @(posedge clk) begin
      for (int p = 0; p < Cap; p++) begin
        if (in_window[p]) begin
          buf_q[p]  <= s_axis_tdata[idx[p]*UnitBits +: UnitBits];
          last_q[p] <= s_axis_tlast && (idx[p] == IdxWidth'(InUnits - 1));
        end else if (pop) begin
          buf_q[p]  <= (p + OutUnits < Cap) ? buf_q[(p + OutUnits) % Cap] : '0;
          last_q[p] <= (p + OutUnits < Cap) ? last_q[(p + OutUnits) % Cap] : 1'b0;
        end
      end
    end

    always_ff @(posedge clk) begin
      if (!rst_n) level_q <= '0;
      else        level_q <= kept + (push ? LevelWidth'(InUnits) : '0);
    end

    // A packet ending inside an output beat would hand its tail to the next packet's beat.
    if (OutUnits > 1) begin : g_early
      `SLLM_ERROR_IF(clk, rst_n, pop && (last_q[OutUnits-2:0] != '0),
                     ("axis_resize: a packet ended inside an output beat of %0d units", OutUnits))
    end
  end

endmodule

`default_nettype wire
