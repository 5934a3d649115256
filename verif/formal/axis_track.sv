// SPDX-License-Identifier: Apache-2.0
//
// axis_track: conservation and order of a one-input, one-output store-and-forward stream unit
// (register slice, FIFO, output stage), for k-induction. Instantiated by a unit's property file
// (verif/formal/<unit>.sv), which adds the invariants that tie `pos`/`beat` to the unit's storage.
//
//   occ           beats accepted and not yet emitted (in - out), from the handshakes alone;
//   cons_no_underflow  no output beat without an earlier input beat (latency >= 1);
//   cons_capacity      occ never exceeds Capacity (the level the unit may hold);
//   a tracked beat: in any cycle the solver may pick (free `pick`) the accepted input beat; its
//   value is kept and `pos` counts the beats still ahead of it; at the output handshake where
//   pos = 0 it must come out unchanged (cons_tracked_data). Because the pick is free, this holds
//   for every beat, so every beat comes out once, in order, unchanged. Beat = {tlast, tdata}.
//   cons_pos_in_range  the tracked beat is still inside the unit (pos < occ).

`default_nettype none

module axis_track #(
  parameter int BeatWidth = 9,  // {tlast, tdata}
  parameter int Capacity  = 2,  // beats the unit may hold
  localparam int OccWidth = $clog2(Capacity + 2)
) (
  input  wire logic                 clk,
  input  wire logic                 rst_n,
  input  wire logic                 in_hs,
  input  wire logic [BeatWidth-1:0] in_beat,
  input  wire logic                 out_hs,
  input  wire logic [BeatWidth-1:0] out_beat,
  output logic      [OccWidth-1:0]  occ,
  output logic                      tracking,
  output logic      [OccWidth-1:0]  pos,
  output logic      [BeatWidth-1:0] beat
);

  (* anyseq *) logic pick;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      occ      <= '0;
      tracking <= 1'b0;
    end else begin
      occ <= occ + OccWidth'(in_hs) - OccWidth'(out_hs);
      if (tracking && out_hs) begin
        if (pos == '0) tracking <= 1'b0;
        pos <= pos - 1'b1;
      end
      if (!tracking && in_hs && pick) begin
        tracking <= 1'b1;
        beat     <= in_beat;
        pos      <= occ - OccWidth'(out_hs);
      end
    end
  end

  always_comb begin
    if (rst_n) begin
      cons_no_underflow: assert (!out_hs || occ != '0);
      cons_capacity: assert (occ <= OccWidth'(Capacity));
      if (tracking) cons_pos_in_range: assert (pos < occ);
      if (tracking && out_hs && pos == '0) cons_tracked_data: assert (out_beat == beat);
    end
  end

endmodule

`default_nettype wire
