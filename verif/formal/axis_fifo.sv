// SPDX-License-Identifier: Apache-2.0
//
// axis_fifo properties, bound into rtl/axis_fifo.sv (the RTL file is not touched): conservation and
// order through axis_track (Capacity = Depth), plus the invariants that make it k-inductive:
//   inv_level      the level counter equals the beats in flight (never over/underflows: occ is
//                  bounded by cons_capacity);
//   inv_ptrs       both pointers stay below Depth, and wr_ptr = rd_ptr + level (mod Depth);
//   inv_tracked    the tracked beat sits in memory at rd_ptr + pos (mod Depth).

`default_nettype none

module axis_fifo_fprops #(
  parameter int DataWidth = 8,
  parameter int Depth     = 16,
  parameter int PtrWidth  = 1,
  parameter int LevelWidth = 1
) (
  input wire logic                  clk,
  input wire logic                  rst_n,
  input wire logic [DataWidth-1:0]  s_axis_tdata,
  input wire logic                  s_axis_tlast,
  input wire logic                  s_axis_tvalid,
  input wire logic                  s_axis_tready,
  input wire logic [DataWidth-1:0]  m_axis_tdata,
  input wire logic                  m_axis_tlast,
  input wire logic                  m_axis_tvalid,
  input wire logic                  m_axis_tready,
  input wire logic [DataWidth:0]    mem_q [Depth],
  input wire logic [PtrWidth-1:0]   wr_ptr_q,
  input wire logic [PtrWidth-1:0]   rd_ptr_q,
  input wire logic [LevelWidth-1:0] level_q
);

  localparam int OccWidth = $clog2(Depth + 2);
  logic [OccWidth-1:0] occ, pos;
  logic tracking;
  logic [DataWidth:0] beat;

  axis_track #(.BeatWidth(DataWidth + 1), .Capacity(Depth)) u_track (
    .clk, .rst_n,
    .in_hs(s_axis_tvalid && s_axis_tready), .in_beat({s_axis_tlast, s_axis_tdata}),
    .out_hs(m_axis_tvalid && m_axis_tready), .out_beat({m_axis_tlast, m_axis_tdata}),
    .occ, .tracking, .pos, .beat
  );

  // (rd_ptr + n) mod Depth, computed wide enough not to wrap.
  function automatic logic [PtrWidth-1:0] add_mod(input logic [PtrWidth-1:0] p, input logic [OccWidth-1:0] n);
    logic [PtrWidth+OccWidth:0] s;
    s = (PtrWidth + OccWidth + 1)'(p) + (PtrWidth + OccWidth + 1)'(n);
    if (s >= (PtrWidth + OccWidth + 1)'(Depth)) s = s - (PtrWidth + OccWidth + 1)'(Depth);
    add_mod = s[PtrWidth-1:0];
  endfunction

  always_comb begin
    if (rst_n) begin
      inv_level: assert (OccWidth'(level_q) == occ);
      inv_ptrs: assert (32'(rd_ptr_q) < Depth && 32'(wr_ptr_q) < Depth
                        && wr_ptr_q == add_mod(rd_ptr_q, OccWidth'(level_q)));
      if (tracking) inv_tracked: assert (mem_q[add_mod(rd_ptr_q, pos)] == beat);
    end
  end

endmodule

bind axis_fifo axis_fifo_fprops #(
  .DataWidth(DataWidth), .Depth(Depth), .PtrWidth(PtrWidth), .LevelWidth(LevelWidth)
) u_fprops (.*);

`default_nettype wire
