// SPDX-License-Identifier: Apache-2.0
//
// axis_resize properties, bound into rtl/axis_resize.sv (InUnits != OutUnits: the buffered
// converter): every input unit comes out once, in order, unchanged, in the output lane of its
// position, and an output beat's tlast is the tlast of the input beat whose last unit it ends
// with (unbounded, k-induction). A tracked unit is picked freely (beat and unit within it), so
// the checks cover every unit:
//   cons_tracked_data   the tracked unit leaves in the output beat and lane of its position;
//   cons_tracked_last   the output beat ending with the tracked unit carries its tlast;
//   cons_capacity       the buffer never holds more than Cap units (no overflow, no underflow);
//   inv_*               the level, the tracked unit's slot and its last flag agree with the above.

`default_nettype none

module axis_resize_fprops #(
  parameter int UnitBits   = 8,
  parameter int InUnits    = 2,
  parameter int OutUnits   = 3,
  parameter int Cap        = 8,
  parameter int LevelWidth = 4
) (
  input wire logic                         clk,
  input wire logic                         rst_n,
  input wire logic [InUnits*UnitBits-1:0]  s_axis_tdata,
  input wire logic                         s_axis_tlast,
  input wire logic                         s_axis_tvalid,
  input wire logic                         s_axis_tready,
  input wire logic [OutUnits*UnitBits-1:0] m_axis_tdata,
  input wire logic                         m_axis_tlast,
  input wire logic                         m_axis_tvalid,
  input wire logic                         m_axis_tready,
  input wire logic [UnitBits-1:0]          buf_q [Cap],
  input wire logic [Cap-1:0]               last_q,
  input wire logic [LevelWidth-1:0]        level_q
);

  logic in_hs, out_hs;
  assign in_hs  = s_axis_tvalid && s_axis_tready;
  assign out_hs = m_axis_tvalid && m_axis_tready;

  // Units held, from the handshakes alone; kept: after this cycle's output beat.
  logic [LevelWidth:0] held, kept;
  assign kept = held - (out_hs ? (LevelWidth + 1)'(OutUnits) : '0);

  (* anyseq *) logic pick;                       // which beat
  (* anyseq *) logic [LevelWidth-1:0] which_free;  // which unit of it
  // The free value is registered before use: the solver then reads one value in all three uses
  // below (an unregistered free value may differ between its uses).
  logic [LevelWidth-1:0] which;
  always_ff @(posedge clk) which <= which_free;
  logic [LevelWidth:0] which_w;
  logic which_ok, which_last;
  assign which_w    = {1'b0, which};
  assign which_ok   = (which_w < (LevelWidth + 1)'(InUnits));
  assign which_last = (which_w == (LevelWidth + 1)'(InUnits - 1));
  logic tracking, t_flag;
  logic [LevelWidth:0] t_pos;  // slot of the tracked unit
  logic [UnitBits-1:0] t_data;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      held     <= '0;
      tracking <= 1'b0;
    end else begin
      held <= kept + (in_hs ? (LevelWidth + 1)'(InUnits) : '0);
      if (tracking && out_hs) begin
        if (t_pos < (LevelWidth + 1)'(OutUnits)) tracking <= 1'b0;
        else t_pos <= t_pos - (LevelWidth + 1)'(OutUnits);
      end
      if (!tracking && in_hs && pick && which_ok) begin
        tracking <= 1'b1;
        t_pos    <= kept + which_w;
        t_data   <= s_axis_tdata[which*UnitBits +: UnitBits];
        t_flag   <= s_axis_tlast && which_last;
      end
    end
  end

  always_comb begin
    if (rst_n) begin
      cons_capacity: assert (held <= (LevelWidth + 1)'(Cap));
      if (tracking && out_hs && t_pos < (LevelWidth + 1)'(OutUnits))
        cons_tracked_data: assert (m_axis_tdata[t_pos*UnitBits +: UnitBits] == t_data);
      if (tracking && out_hs && t_pos == (LevelWidth + 1)'(OutUnits - 1))
        cons_tracked_last: assert (m_axis_tlast == t_flag);
      inv_level: assert ((LevelWidth + 1)'(level_q) == held);
      if (tracking) inv_tracked: assert (t_pos < held && buf_q[t_pos] == t_data && last_q[t_pos] == t_flag);
    end
  end

endmodule

bind axis_resize axis_resize_fprops #(
  .UnitBits(UnitBits), .InUnits(InUnits), .OutUnits(OutUnits), .Cap(Cap), .LevelWidth(LevelWidth)
) u_fprops (.*);

`default_nettype wire
