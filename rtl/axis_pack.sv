// SPDX-License-Identifier: Apache-2.0
//
// axis_pack: AXI4-Stream width converter, one element per input beat to Ratio elements per output
// beat (element j of a group in lane j, lane 0 in the low bits). Joins units that emit one element
// per beat (linear.sv, gelu with Lanes = 1) to units that take Lanes per beat.
//
// A vector's length must be a multiple of Ratio: tlast must come on the last element of a group
// (an $error in simulation otherwise; the partial group is then sent with its tlast).
// Latency: 1 cycle after the group's last element. Throughput: 1 input beat per cycle; the output
// register frees itself in the same cycle it is read, so a stream at full rate never stalls.
// Ready/valid: s_axis_tready = !(group complete and output still held), so it depends on
// m_axis_tready combinationally only through that held output (like a FIFO's full flag).
// Reset: synchronous, active low; drops a partial group and the held output.

`default_nettype none
`include "sllm_assert.svh"

module axis_pack #(
  parameter int ElemBits = 8,  // bits per element
  parameter int Ratio    = 4   // elements per output beat (>= 1)
) (
  input  wire logic                      clk,
  input  wire logic                      rst_n,
  input  wire logic [ElemBits-1:0]       s_axis_tdata,
  input  wire logic                      s_axis_tlast,
  input  wire logic                      s_axis_tvalid,
  output logic                           s_axis_tready,
  output logic      [Ratio*ElemBits-1:0] m_axis_tdata,
  output logic                           m_axis_tlast,
  output logic                           m_axis_tvalid,
  input  wire logic                      m_axis_tready
);

  localparam int CountWidth = (Ratio > 1) ? $clog2(Ratio) : 1;

  initial begin
    if (ElemBits < 1) $fatal(1, "axis_pack: ElemBits must be >= 1, got %0d", ElemBits);
    if (Ratio < 1) $fatal(1, "axis_pack: Ratio must be >= 1, got %0d", Ratio);
  end

  logic [Ratio*ElemBits-1:0] group_q;     // elements collected so far (and the held output)
  logic [CountWidth-1:0]     count_q;     // elements in the group being collected
  logic                      out_valid_q, out_last_q;
  logic                      take, group_done;

  // The output register is group_q itself: collecting the next group waits until it is read.
  assign s_axis_tready = !out_valid_q || m_axis_tready;
  assign take          = s_axis_tvalid && s_axis_tready;
  assign group_done    = (count_q == CountWidth'(Ratio - 1)) || s_axis_tlast;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      count_q     <= '0;
      out_valid_q <= 1'b0;
      out_last_q  <= 1'b0;
    end else begin
      if (m_axis_tready) out_valid_q <= 1'b0;
      if (take) begin
        group_q[count_q*ElemBits +: ElemBits] <= s_axis_tdata;
        if (group_done) begin
          count_q     <= '0;
          out_valid_q <= 1'b1;
          out_last_q  <= s_axis_tlast;
        end else begin
          count_q <= count_q + 1'b1;
        end
      end
    end
  end

  // A vector must end on a group boundary.
  `SLLM_ERROR_IF(clk, rst_n, take && s_axis_tlast && count_q != CountWidth'(Ratio - 1),
                 ("axis_pack: tlast after %0d elements of a %0d-element group", count_q + 1, Ratio))

  assign m_axis_tdata  = group_q;
  assign m_axis_tlast  = out_last_q;
  assign m_axis_tvalid = out_valid_q;

endmodule

`default_nettype wire
