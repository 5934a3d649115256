// SPDX-License-Identifier: Apache-2.0
//
// axis_fork: broadcast one AXI4-Stream to NumOutputs consumers that may each stall independently.
//
// Every input beat is offered to every output; an output that has taken the beat is masked until
// all outputs have it, then the input beat is acknowledged. Used for the residual bypass.
// Latency: 0 cycles (combinational). Throughput: 1 beat/cycle when all consumers are ready.
// s_axis_tready depends combinationally on the m_axis_tready bits (put an axis_register after an
// output if that path must be broken). Output i is m_axis_tvalid[i] / m_axis_tready[i], sharing
// m_axis_tdata and m_axis_tlast.
// Reset: synchronous, active low; forgets which outputs already took the current beat.

`default_nettype none

module axis_fork #(
  parameter int DataWidth  = 8, // width of tdata in bits
  parameter int NumOutputs = 2  // number of consumers (>= 1)
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  // Input stream
  input  wire logic [DataWidth-1:0]  s_axis_tdata,
  input  wire logic                  s_axis_tlast,
  input  wire logic                  s_axis_tvalid,
  output logic                       s_axis_tready,
  // Output streams: shared data, one valid/ready pair per consumer
  output logic      [DataWidth-1:0]  m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic      [NumOutputs-1:0] m_axis_tvalid,
  input  wire logic [NumOutputs-1:0] m_axis_tready
);

  initial begin
    if (DataWidth < 1) $fatal(1, "axis_fork: DataWidth must be >= 1, got %0d", DataWidth);
    if (NumOutputs < 1) $fatal(1, "axis_fork: NumOutputs must be >= 1, got %0d", NumOutputs);
  end

  // Outputs that already took the current input beat.
  logic [NumOutputs-1:0] taken_q, taken_d;

  assign m_axis_tdata  = s_axis_tdata;
  assign m_axis_tlast  = s_axis_tlast;
  assign m_axis_tvalid = {NumOutputs{s_axis_tvalid}} & ~taken_q;
  // Done when every output has either taken the beat earlier or takes it now.
  assign s_axis_tready = &(taken_q | m_axis_tready);

  always_comb begin
    taken_d = taken_q | (m_axis_tvalid & m_axis_tready);
    if (s_axis_tvalid && s_axis_tready) taken_d = '0;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) taken_q <= '0;
    else taken_q <= taken_d;
  end

endmodule

`default_nettype wire
