// SPDX-License-Identifier: Apache-2.0
//
// vec_buffer: the vector buffer of the units that need a whole vector before they can produce
// (layernorm.sv, softmax.sv): it takes one vector from s_axis while its owner is in its load
// phase, then serves read passes over it, one beat per cycle.
//
// Load: while `load` is high, s_axis_tready is high and every beat is stored. The vector ends at
// tlast or after MaxBeats beats, whichever comes first (row_end; the owner flags a missing tlast
// as an error); then `count` is 0 again. `count` is the index of the beat offered, so count == 0
// marks a vector's first beat.
// Read passes: `rewind` points the pass at beat 0; `issue` reads beat `index` (only while
// !all_issued) and moves to the next; the beat appears on rd_* one cycle later (a registered,
// block-RAM style read), rd_last on the vector's last beat.
// Reset: synchronous, active low; empties the buffer (all_issued) and drops the read in
// flight. The memory itself is not cleared.

`default_nettype none

module vec_buffer #(
  parameter int Width    = 32,  // bits per beat
  parameter int MaxBeats = 16,  // longest vector in beats (>= 1)
  localparam int CountWidth = $clog2(MaxBeats + 1),
  localparam int AddrWidth  = (MaxBeats > 1) ? $clog2(MaxBeats) : 1
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  // Load phase
  input  wire logic                  load,
  input  wire logic [Width-1:0]      s_axis_tdata,
  input  wire logic                  s_axis_tlast,
  input  wire logic                  s_axis_tvalid,
  output logic                       s_axis_tready,
  output logic                       take,      // a beat is stored this cycle
  output logic                       row_end,   // the beat offered ends the vector
  output logic      [CountWidth-1:0] count,     // index of the beat offered
  // Read passes
  input  wire logic                  rewind,
  input  wire logic                  issue,
  output logic                       all_issued,
  output logic      [AddrWidth-1:0]  index,     // the beat `issue` reads
  output logic                       rd_valid,
  output logic                       rd_last,
  output logic      [Width-1:0]      rd_data
);

  initial begin
    if (Width < 1) $fatal(1, "vec_buffer: Width must be >= 1, got %0d", Width);
    if (MaxBeats < 1) $fatal(1, "vec_buffer: MaxBeats must be >= 1, got %0d", MaxBeats);
  end

  logic [Width-1:0]      mem_q [MaxBeats];
  logic [CountWidth-1:0] count_q, len_q, issue_q;  // beats offered, in the vector, read

  assign s_axis_tready = load;
  assign take          = s_axis_tvalid && load;
  assign row_end       = s_axis_tlast || (count_q == CountWidth'(MaxBeats - 1));
  assign count         = count_q;
  assign all_issued    = (issue_q == len_q);
  assign index         = AddrWidth'(issue_q);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      count_q  <= '0;
      len_q    <= '0;
      issue_q  <= '0;
      rd_valid <= 1'b0;
    end else begin
      if (take) begin
        count_q <= row_end ? '0 : count_q + 1'b1;
        if (row_end) len_q <= count_q + 1'b1;
      end
      if (rewind) issue_q <= '0;
      else if (issue) issue_q <= issue_q + 1'b1;
      rd_valid <= issue;
    end
    if (take) mem_q[AddrWidth'(count_q)] <= s_axis_tdata;
    rd_data <= mem_q[index];
    rd_last <= (issue_q == len_q - 1'b1);
  end

endmodule

`default_nettype wire
