// SPDX-License-Identifier: Apache-2.0
//
// axis_fifo: synchronous AXI4-Stream FIFO with a fill-level output.
//
// First-word fall-through: a beat written into an empty FIFO is visible on m_axis one cycle later.
// Latency: 1 cycle. Throughput: 1 beat/cycle while neither empty nor full (when full, a read and a
// write cannot happen in the same cycle). s_axis_tready depends only on the fill level, and
// m_axis_tvalid only on the fill level, so there is no combinational path between the two sides.
// level: number of beats stored, 0..Depth.
// Reset: synchronous, active low; empties the FIFO.

`default_nettype none

module axis_fifo #(
  parameter int DataWidth = 8,  // width of tdata in bits
  parameter int Depth     = 16, // number of beats it can hold (>= 1)
  localparam int LevelWidth = $clog2(Depth + 1),
  localparam int PtrWidth   = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  // Input stream
  input  wire logic [DataWidth-1:0]  s_axis_tdata,
  input  wire logic                  s_axis_tlast,
  input  wire logic                  s_axis_tvalid,
  output logic                       s_axis_tready,
  // Output stream
  output logic      [DataWidth-1:0]  m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tvalid,
  input  wire logic                  m_axis_tready,
  // Number of beats held
  output logic      [LevelWidth-1:0] level
);

  initial begin
    if (DataWidth < 1) $fatal(1, "axis_fifo: DataWidth must be >= 1, got %0d", DataWidth);
    if (Depth < 1) $fatal(1, "axis_fifo: Depth must be >= 1, got %0d", Depth);
  end

  logic [DataWidth:0] mem_q [Depth];  // {tlast, tdata}
  logic [PtrWidth-1:0] wr_ptr_q, rd_ptr_q;
  logic [LevelWidth-1:0] level_q;
  logic push, pop;

  assign s_axis_tready = (level_q != LevelWidth'(Depth));
  assign m_axis_tvalid = (level_q != '0);
  assign {m_axis_tlast, m_axis_tdata} = mem_q[rd_ptr_q];
  assign level = level_q;

  assign push = s_axis_tvalid && s_axis_tready;
  assign pop  = m_axis_tvalid && m_axis_tready;

  // Pointer increment with wrap at Depth (Depth need not be a power of two).
  function automatic logic [PtrWidth-1:0] next_ptr(input logic [PtrWidth-1:0] ptr);
    next_ptr = (ptr == PtrWidth'(Depth - 1)) ? '0 : ptr + 1'b1;
  endfunction

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      wr_ptr_q <= '0;
      rd_ptr_q <= '0;
      level_q  <= '0;
    end else begin
      if (push) wr_ptr_q <= next_ptr(wr_ptr_q);
      if (pop) rd_ptr_q <= next_ptr(rd_ptr_q);
      if (push && !pop) level_q <= level_q + 1'b1;
      else if (pop && !push) level_q <= level_q - 1'b1;
    end
    if (push) mem_q[wr_ptr_q] <= {s_axis_tlast, s_axis_tdata};
  end

endmodule

`default_nettype wire
