// SPDX-License-Identifier: Apache-2.0
//
// start_done_props: the start/busy/done handshake of the sequential units (isqrt, divider), the
// non-stream counterpart of axis_props, instantiated by the generated wrapper from units.toml
// (`handshake`). Contract of the headers: a start is accepted when busy is low (a start while busy
// is ignored); done is high for one cycle, Latency cycles after the start edge (the clock edge
// where start && !busy); busy is high from that edge until done; the results hold from done until
// the next accepted start.
//   hs_busy        busy is high exactly while an accepted operation is in flight;
//   live_done_at_latency  done is high exactly Latency edges after the accepting edge, for one
//                  cycle (the liveness of these units: proven unbounded, not only bounded);
//   hs_result_hold the results do not change between done and the next accepted start;
// `inflight`/`remaining` are outputs so a unit's property file can tie them to its own counter.

`default_nettype none

module start_done_props #(
  parameter int Latency     = 4,  // edges from the accepting edge to done
  parameter int ResultWidth = 1   // width of the concatenated results
) (
  input  wire logic                   clk,
  input  wire logic                   rst_n,
  input  wire logic                   start,
  input  wire logic                   busy,
  input  wire logic                   done,
  input  wire logic [ResultWidth-1:0] result,
  output logic                        inflight,
  output logic [$clog2(Latency+1)-1:0] remaining,
  output logic                        accept
);

  localparam int CW = $clog2(Latency + 1);

  assign accept = rst_n && start && !busy;

  logic past_valid = 1'b0;
  logic done_expected, held;   // held: results valid since done, no start accepted since
  logic [ResultWidth-1:0] past_result;
  logic past_rst_n;
  always_ff @(posedge clk) begin
    past_valid  <= 1'b1;
    past_result <= result;
    past_rst_n  <= rst_n;
    if (!rst_n) begin
      inflight      <= 1'b0;
      done_expected <= 1'b0;
      held          <= 1'b0;
    end else begin
      done_expected <= 1'b0;
      if (accept) begin
        inflight  <= 1'b1;
        remaining <= CW'(Latency);
        held      <= 1'b0;
      end else if (inflight) begin
        remaining <= remaining - 1'b1;
        if (remaining == CW'(1)) begin
          inflight      <= 1'b0;
          done_expected <= 1'b1;
        end
      end
      if (done) held <= 1'b1;
      if (accept) held <= 1'b0;
    end
  end

  wire after_reset = past_valid && !past_rst_n;
  always_comb begin
    if (past_valid && !after_reset) begin
      hs_busy: assert (busy == inflight);
      live_done_at_latency: assert (done == done_expected);
      if (held && !done) hs_result_hold: assert (result == past_result);
      if (inflight) aux_remaining: assert (remaining != '0 && remaining <= CW'(Latency));
    end
    if (after_reset) hs_reset: assert (!busy && !done);
  end

endmodule

`default_nettype wire
