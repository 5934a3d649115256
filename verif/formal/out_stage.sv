// SPDX-License-Identifier: Apache-2.0
//
// out_stage properties, bound into rtl/out_stage.sv (proof parameters: Requant = 0, so the items
// go straight into the FIFO, whose own conservation/order properties, verif/formal/axis_fifo.sv,
// are bound into u_fifo; the requant pipeline is proven on its own, unit requant).
// The producer (ASSUMED, as the header requires of a unit): it issues only while `credit` is high,
// and each issued item arrives on in_* exactly Pipe cycles later (its pipeline), nothing else.
//   cons_credit_count  the credit counter equals the items issued and not yet taken (in the
//                      producer's pipeline + in the FIFO): it never overflows or underflows;
//   cons_no_overflow   an arriving item always finds room in the FIFO (the credit's purpose);
//   live_drain         with the sink ready, an item in flight comes out within Pipe + 1 cycles.

`default_nettype none

module out_stage_fprops #(
  parameter int Depth    = 8,
  parameter int CntWidth = 1,
  parameter int Pipe     = 2   // the producer's pipeline in the proof: issue -> in_valid
) (
  input wire logic                clk,
  input wire logic                rst_n,
  input wire logic                credit,
  input wire logic                issue,
  input wire logic                in_valid,
  input wire logic                m_axis_tvalid,
  input wire logic                m_axis_tready,
  input wire logic                y_valid,
  input wire logic                fifo_ready,
  input wire logic [CntWidth-1:0] outstanding_q,
  input wire logic [CntWidth-1:0] fifo_level
);

  logic [Pipe-1:0] pipe_q;  // items issued, still in the producer's pipeline
  always_ff @(posedge clk) begin
    if (!rst_n) pipe_q <= '0;
    else pipe_q <= {pipe_q[Pipe-2:0], issue};
  end

  always_comb begin
    if (!rst_n) begin
      producer_idle_a: assume (!issue);
    end else begin
      producer_credit_a: assume (!issue || credit);
    end
    producer_pipe_a: assume (in_valid == (rst_n && pipe_q[Pipe-1]));
  end

  function automatic int ones(input logic [Pipe-1:0] v);
    ones = 0;
    for (int i = 0; i < Pipe; i++) ones += int'(v[i]);
  endfunction

  wire pop = m_axis_tvalid && m_axis_tready;
  always_comb begin
    if (rst_n) begin
      cons_credit_count: assert (32'(outstanding_q) == ones(pipe_q) + 32'(fifo_level) && 32'(outstanding_q) <= Depth);
      cons_no_overflow: assert (!y_valid || fifo_ready);
    end
  end

  // Bounded liveness: cycles with the sink ready and an item in flight but nothing taken.
  logic [3:0] wait_q;
  always_ff @(posedge clk) begin
    if (!rst_n || !m_axis_tready || outstanding_q == '0 || pop) wait_q <= '0;
    else if (wait_q != 4'hf) wait_q <= wait_q + 1'b1;
  end
`ifdef FORMAL_LIVE
  always_comb if (rst_n) live_drain: assert (32'(wait_q) <= Pipe + 1);
`endif

endmodule

bind out_stage out_stage_fprops #(.Depth(Depth), .CntWidth(CntWidth)) u_fprops (.*);

`default_nettype wire
