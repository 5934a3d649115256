// SPDX-License-Identifier: Apache-2.0
//
// axis_props: the one AXI4-Stream property set, instantiated once per stream port of a unit under
// proof (by the generated wrapper, see verif/tbkit/formal.py). Our own property set, written after
// studying the usual formal AXI-Stream master/slave property files.
//
// Input = 1: the port is an INPUT of the unit (a source drives it): the source rules below are
//            ASSUMED (the environment obeys AXI4-Stream), and the unit's tready is free.
// Input = 0: the port is an OUTPUT of the unit: the same rules are ASSERTED on the unit.
// Rules (synchronous, active-low reset, as every unit here):
//   stream_reset_valid  tvalid is low in every cycle after a reset edge (and, for a source, from
//                       the first cycle on);
//   stream_hold_valid   once tvalid && !tready, tvalid stays high until the handshake;
//   stream_hold_data    ... and tdata stays unchanged;
//   stream_hold_last    ... and tlast stays unchanged.
// Bounded liveness (MaxWait >= 0): live_wait counts the consecutive cycles in which the environment
// is cooperative (coop: out of reset, every source of the unit valid, every sink ready) and this port
// makes no handshake; it must never exceed MaxWait, i.e. after at most MaxWait such cycles the port
// moves a beat, from ANY state reached under legal traffic and backpressure (no deadlock). MaxWait
// is the latency the unit's header states plus a stated margin (per unit in verif/formal/units.toml);
// it is checked by BMC to a depth (task live) or by PDR for every reachable state (task pdr); the
// wrappers pass -1 (off) in the k-induction task, where the window counter is not inductive.
// Property names (the statement labels) are read back by tbkit/formal.py for the report; the prefix
// gives the kind: stream_ (AXI rules), live_ (liveness); _a marks an assumption.
// Not synthesizable; only read by yosys-slang for formal (no `ifdef needed: never in rtl/).

`default_nettype none

module axis_props #(
  parameter int DataWidth = 8,   // width of tdata
  parameter bit Input     = 1'b1, // 1: assume the source rules (unit input); 0: assert them (output)
  parameter int MaxWait   = -1,  // bounded liveness: max cooperative cycles without a handshake (-1: off)
  parameter bit HoldData  = 1'b1 // 0 only for a port whose header allows tdata to change under stall
) (
  input wire logic                 clk,
  input wire logic                 rst_n,
  input wire logic                 tvalid,
  input wire logic                 tready,
  input wire logic [DataWidth-1:0] tdata,
  input wire logic                 tlast,
  input wire logic                 coop,   // environment cooperative this cycle (liveness only)
  output logic                     hs      // handshake this cycle
);

  assign hs = tvalid && tready;

  logic past_valid = 1'b0;
  always_ff @(posedge clk) past_valid <= 1'b1;

  logic past_rst_n, past_stall, past_last;
  logic [DataWidth-1:0] past_data;
  always_ff @(posedge clk) begin
    past_rst_n <= rst_n;
    past_stall <= tvalid && !tready;
    past_data  <= tdata;
    past_last  <= tlast;
  end

  // Registered outputs are unknown before the first reset edge: a source is assumed idle from the
  // first cycle, a unit's output is checked from the cycle after the first reset edge on.
  wire after_reset = Input ? (!past_valid || !past_rst_n) : (past_valid && !past_rst_n);
  wire stalled     = past_valid && past_rst_n && past_stall;

  always_comb begin
    if (after_reset) begin
      if (Input) stream_reset_valid_a: assume (!tvalid);
      else       stream_reset_valid: assert (!tvalid);
    end
    if (stalled) begin
`ifndef FTWIN_NO_INPUT_HOLD  // a known-bad twin removes the source's hold assumptions
      if (Input) stream_hold_valid_a: assume (tvalid);
      else       stream_hold_valid: assert (tvalid);
      if (Input) stream_hold_last_a: assume (tlast == past_last);
      else       stream_hold_last: assert (tlast == past_last);
      if (HoldData) begin
        if (Input) stream_hold_data_a: assume (tdata == past_data);
        else       stream_hold_data: assert (tdata == past_data);
      end
`else
      if (!Input) stream_hold_valid: assert (tvalid);
      if (!Input) stream_hold_last: assert (tlast == past_last);
      if (!Input && HoldData) stream_hold_data: assert (tdata == past_data);
`endif
    end
  end

  // Bounded liveness: consecutive cooperative cycles without a handshake on this port (saturates).
  localparam int Sat = (MaxWait < 0) ? 1 : MaxWait + 1;
  localparam int WW  = $clog2(Sat + 1);
  logic [WW-1:0] wait_q = '0;
  always_ff @(posedge clk) begin
    if (!rst_n || !coop || hs) wait_q <= '0;
    else if (wait_q != WW'(Sat)) wait_q <= wait_q + 1'b1;
  end
  always_comb begin
    if (MaxWait >= 0) live_wait: assert (wait_q <= WW'(MaxWait));
  end

endmodule

`default_nettype wire
