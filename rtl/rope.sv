// SPDX-License-Identifier: Apache-2.0
//
// rope: rotary position embedding of q or k (llama_ops.rope), bit-exact, Lanes int16 per beat.
//
// Every adjacent pair (a, b) = (x[2i], x[2i+1]) of every head (HeadDim elements; the GGUF row
// order, docs/numerics.md) is rotated by the token's angle pos * theta_i, from an integer table:
//   a' = sat16(RDBPOT(a*cos - b*sin, 14)),  b' = sat16(RDBPOT(a*sin + b*cos, 14))
// with cos, sin = the int16 Q1.14 entry (pos, i) (sllm_pkg::rope_entry_t).
// Streams (AXI4-Stream):
//   s_axis_pos_*  one sllm_pkg::token_t beat per vector (the same beat attention takes): the
//                 position selects the table row. Taken before the vector's first beat.
//   s_axis_*      the vector (q or k of the token: a whole number of heads), Lanes int16 per beat,
//                 tlast on its last beat.
//   m_axis_*      the rotated vector, Lanes int16 per beat, tlast passed through.
// RotElems > 0: only the vector's first RotElems elements are rotated and the rest pass through
// unchanged, so one fused q|k|v vector (llama_layer: RotElems = q + k) goes through one unit.
// Table: MaxSeq x HeadDim/2 entries written through tbl_* (tbl_we writes entry tbl_addr =
// pos * HeadDim/2 + i at the clock edge; load it while idle). Not cleared by reset. The table
// covers positions 0..MaxSeq-1: a vector whose position is outside it sets the sticky
// `pos_error` (cleared only by reset) and comes out as zeros, never as a wrapped rotation.
// Latency: 2 cycles (input beat -> output beat valid: the registered table read, then the FIFO of
// rtl/out_stage.sv). Throughput: 1 beat per cycle; one cycle per vector for its position beat.
// Ready/valid: s_axis_tready depends on the output stage's credit, never on m_axis_tready in the
// same cycle; s_axis_pos_tready is high while no vector is open.
// Reset: synchronous, active low; drops the vector in progress.

`default_nettype none

module rope
  import sllm_pkg::*;
#(
  parameter int Lanes   = 2,   // int16 elements per beat (even, divides HeadDim)
  parameter int HeadDim = 64,  // elements per head (even)
  parameter int MaxSeq  = 16,  // table rows: positions 0..MaxSeq-1 (1..65535)
  parameter int RotElems = 0,  // elements rotated per vector (0: all; else whole heads), the rest pass
  localparam int Pairs     = Lanes / 2,
  localparam int BeatsHead = (Lanes > 0) ? HeadDim / Lanes : 1,           // beats per head
  localparam int Entries   = MaxSeq * HeadDim / 2,
  localparam int TblWidth  = (Entries > 1) ? $clog2(Entries) : 1,
  localparam int Words     = (Lanes > 1) ? Entries / Pairs : 1,           // Pairs entries per word
  localparam int WordWidth = (Words > 1) ? $clog2(Words) : 1
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  // Table load port
  input  wire logic                  tbl_we,
  input  wire logic [TblWidth-1:0]   tbl_addr,
  input  wire rope_entry_t           tbl_wdata,
  // Position of the next vector
  input  wire token_t                s_axis_pos_tdata,
  input  wire logic                  s_axis_pos_tlast,
  input  wire logic                  s_axis_pos_tvalid,
  output logic                       s_axis_pos_tready,
  // Vector in / out: Lanes x int16
  input  wire logic [Lanes*16-1:0]   s_axis_tdata,
  input  wire logic                  s_axis_tlast,
  input  wire logic                  s_axis_tvalid,
  output logic                       s_axis_tready,
  output logic      [Lanes*16-1:0]   m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tvalid,
  input  wire logic                  m_axis_tready,
  // Status
  output logic                       pos_error   // sticky: a vector's position was >= MaxSeq
);

  initial begin
    if (Lanes < 2 || Lanes % 2 != 0) $fatal(1, "rope: Lanes must be even and >= 2, got %0d", Lanes);
    if (HeadDim < 2 || HeadDim % Lanes != 0)
      $fatal(1, "rope: HeadDim (%0d) must be a multiple of Lanes (%0d)", HeadDim, Lanes);
    if (MaxSeq < 1 || MaxSeq > 65535) $fatal(1, "rope: MaxSeq must be in [1, 65535], got %0d", MaxSeq);
    if (RotElems < 0 || RotElems % HeadDim != 0)
      $fatal(1, "rope: RotElems (%0d) must be 0 or a multiple of HeadDim (%0d)", RotElems, HeadDim);
  end

  localparam int FifoDepth = 4;  // >= 1 read stage + 1 + 1 for a full-rate output
  localparam int BeatWidth = (BeatsHead > 1) ? $clog2(BeatsHead) : 1;
  localparam int PairWidth = (Pairs > 1) ? $clog2(Pairs) : 1;
  localparam int RotBeats  = RotElems / Lanes;                  // beats rotated (RotElems > 0)
  localparam int RotWidth  = $clog2(RotBeats + 2);

  // ---- The table: word w holds entries w*Pairs .. w*Pairs+Pairs-1 --------------------------------
  logic [Lanes*16-1:0] tbl_q [Words];
  always_ff @(posedge clk) begin
    for (int p = 0; p < Pairs; p++) begin
      if (tbl_we && (Pairs == 1 || PairWidth'(tbl_addr) == PairWidth'(p)))
        tbl_q[WordWidth'(32'(tbl_addr) / Pairs)][32*p +: 32] <= tbl_wdata;
    end
  end

  // ---- The position beat, then the vector ------------------------------------------------------
  logic                 open_q, bad_q, pos_error_q;
  logic [WordWidth-1:0] row_q;   // word of entry (pos, 0)
  logic [BeatWidth-1:0] beat_q;  // beat within the head
  logic [RotWidth-1:0]  rot_beat_q;  // beats of the vector so far, held at RotBeats (the tail)
  logic                 pass;        // this beat is in the tail that passes unchanged
  assign pass = (RotElems != 0) && (rot_beat_q == RotWidth'(RotBeats));
  logic credit, take;

  assign s_axis_pos_tready = !open_q;
  assign s_axis_tready     = open_q && credit;
  assign take              = s_axis_tvalid && s_axis_tready;
  assign pos_error         = pos_error_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      open_q      <= 1'b0;
      pos_error_q <= 1'b0;
    end else begin
      if (s_axis_pos_tvalid && !open_q) begin
        open_q <= 1'b1;
        if (32'(s_axis_pos_tdata.pos) >= MaxSeq) pos_error_q <= 1'b1;
      end
      if (take && s_axis_tlast) open_q <= 1'b0;
    end
    if (s_axis_pos_tvalid && !open_q) begin
      bad_q  <= (32'(s_axis_pos_tdata.pos) >= MaxSeq);
      row_q  <= WordWidth'(32'(s_axis_pos_tdata.pos) * BeatsHead);
      beat_q <= '0;
      rot_beat_q <= '0;
    end else if (take) begin
      beat_q <= (beat_q == BeatWidth'(BeatsHead - 1)) ? '0 : beat_q + 1'b1;
      if (!pass) rot_beat_q <= rot_beat_q + 1'b1;
    end
  end

  // ---- S1: the beat and its table word (registered read) ------------------------------------------
  logic                s1_valid_q, s1_last_q, s1_bad_q, s1_pass_q;
  logic [Lanes*16-1:0] s1_x_q, s1_tbl_q;
  always_ff @(posedge clk) begin
    if (!rst_n) s1_valid_q <= 1'b0;
    else s1_valid_q <= take;
    s1_x_q    <= s_axis_tdata;
    s1_last_q <= s_axis_tlast;
    s1_bad_q  <= bad_q;
    s1_pass_q <= pass;
    s1_tbl_q  <= tbl_q[row_q + WordWidth'(beat_q)];
  end

  // ---- The rotation, pair by pair ------------------------------------------------------------------
  function automatic logic [15:0] rotate_half(input logic signed [31:0] p1, input logic signed [31:0] p2,
                                              input logic minus);
    logic signed [63:0] r;
    r = rdbpot64(minus ? 64'(p1) - 64'(p2) : 64'(p1) + 64'(p2), 6'd14);
    return (r > 64'sd32767) ? 16'h7fff : (r < -64'sd32768) ? 16'h8000 : r[15:0];
  endfunction

  logic [Lanes*16-1:0] y;
  always_comb begin
    for (int p = 0; p < Pairs; p++) begin
      logic signed [15:0] a, b, c, s;
      rope_entry_t e;
      a = s1_x_q[32*p +: 16];
      b = s1_x_q[32*p+16 +: 16];
      e = s1_tbl_q[32*p +: 32];
      c = e.cos;
      s = e.sin;
      y[32*p +: 16]    = s1_bad_q ? 16'd0 : s1_pass_q ? a : rotate_half(32'(a) * 32'(c), 32'(b) * 32'(s), 1'b1);
      y[32*p+16 +: 16] = s1_bad_q ? 16'd0 : s1_pass_q ? b : rotate_half(32'(a) * 32'(s), 32'(b) * 32'(c), 1'b0);
    end
  end

  /* verilator lint_off UNUSEDSIGNAL */  // the take is gated by the credit, not by idle
  logic out_idle;
  logic unused_pos;
  /* verilator lint_on UNUSEDSIGNAL */
  assign unused_pos = ^{s_axis_pos_tlast, s_axis_pos_tdata.layer};

  out_stage #(.Lanes(Lanes), .OutBits(16), .Requant(0), .Depth(FifoDepth)) u_out (
    .clk, .rst_n, .credit, .issue(take),
    .in_valid(s1_valid_q), .in_last(s1_last_q), .in_data(y), .in_scale({$bits(rq_scale_t){1'b0}}),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready, .idle(out_idle)
  );

endmodule

`default_nettype wire
