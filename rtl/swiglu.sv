// SPDX-License-Identifier: Apache-2.0
//
// swiglu: h = silu(gate) * up = gate * sigma(gate) * up with a per-token power-of-two output
// shift (llama_ops.swiglu), bit-exact, Lanes int16 of each input per beat.
//
// Per element (docs/numerics.md, SwiGLU):
//   u = g + 2^15, i = u >> F, f = u & (2^F - 1), F = 16 - IndexBits
//   sig = T[i] + RDBPOT((T[i+1] - T[i]) * f, F)        (interpolated 2^IndexBits + 1 entry table)
//   p = g * sig * up                                    (signed 49 bits)
// Per vector: e = max(0, bitlen(max |p|) - 15); y = sat16(RDBPOT(p, e)). e goes to the down
// projection with the token (llama_ops.q4_linear's x_shift) on m_axis_e, one beat per vector,
// valid from the start of the vector's output pass; y's scale is s_g * s_u * 2^-16 * 2^e.
// Streams (AXI4-Stream): s_axis_g (gate) and s_axis_u (up) are joined beat by beat: a beat is
// taken from both in the same cycle (either may run ahead); tlast comes from g (a u beat whose
// tlast differs is an $error in simulation). m_axis: y, Lanes int16 per beat; m_axis_e: e (6 bits).
// Table: T[0..2^IndexBits] (uint16, sigma in Q0.16) written through tbl_* (tbl_we writes tbl_wdata
// to entry tbl_addr); load it while idle. Not cleared by reset.
// Schedule: the products of a whole vector are buffered (rtl/vec_buffer.sv) while max |p| is
// found, then read out through the shift: a vector of B = d/Lanes beats occupies the unit for
// 2B + 3 cycles (perfmodel.units.swiglu). The output pass issues reads only while the
// output stage has room (rtl/out_stage.sv), so backpressure stalls it without losing a beat.
// A vector longer than MaxDim is an error: the unit ends it at MaxDim (an $error in simulation).
// Reset: synchronous, active low; drops the vector in progress.

`default_nettype none
`include "sllm_assert.svh"

module swiglu
  import sllm_pkg::*;
#(
  parameter int Lanes     = 1,     // elements per beat of g, up and y
  parameter int MaxDim    = 1536,  // longest vector (the FFN width; a multiple of Lanes)
  parameter int IndexBits = 8,     // sigmoid table: 2^IndexBits + 1 entries (1..15)
  localparam int TblAddrWidth = IndexBits + 1
) (
  input  wire logic                    clk,
  input  wire logic                    rst_n,
  // Sigmoid table load port
  input  wire logic                    tbl_we,
  input  wire logic [TblAddrWidth-1:0] tbl_addr,
  input  wire logic [15:0]             tbl_wdata,
  // Gate and up: Lanes x int16 each
  input  wire logic [Lanes*16-1:0]     s_axis_g_tdata,
  input  wire logic                    s_axis_g_tlast,
  input  wire logic                    s_axis_g_tvalid,
  output logic                         s_axis_g_tready,
  input  wire logic [Lanes*16-1:0]     s_axis_u_tdata,
  input  wire logic                    s_axis_u_tlast,
  input  wire logic                    s_axis_u_tvalid,
  output logic                         s_axis_u_tready,
  // y: Lanes x int16
  output logic      [Lanes*16-1:0]     m_axis_tdata,
  output logic                         m_axis_tlast,
  output logic                         m_axis_tvalid,
  input  wire logic                    m_axis_tready,
  // e: the vector's output shift
  output logic      [5:0]              m_axis_e_tdata,
  output logic                         m_axis_e_tlast,
  output logic                         m_axis_e_tvalid,
  input  wire logic                    m_axis_e_tready
);

  initial begin
    if (Lanes < 1) $fatal(1, "swiglu: Lanes must be >= 1, got %0d", Lanes);
    if (MaxDim < 1 || MaxDim % Lanes != 0)
      $fatal(1, "swiglu: MaxDim (%0d) must be a positive multiple of Lanes (%0d)", MaxDim, Lanes);
    if (IndexBits < 1 || IndexBits > 15) $fatal(1, "swiglu: IndexBits must be in [1, 15], got %0d", IndexBits);
  end

  localparam int Words     = MaxDim / Lanes;
  localparam int BeatWidth = $clog2(Words + 1);
  localparam int WordWidth = (Words > 1) ? $clog2(Words) : 1;
  localparam int FracBits  = 16 - IndexBits;
  localparam logic [15:0] FracMask = 16'((32'd1 << FracBits) - 32'd1);  // a mask, not [F-1:0]: F may be 0
  localparam int PBits     = 49;              // |g * sig * up| <= 2^15 * 2^16 * 2^15
  localparam int FifoDepth = 4;               // >= 1 read stage + 1 + 1 for a full-rate output

  typedef enum logic [1:0] {Load, Shift, Out} state_e;
  state_e state_q;

  // ---- The table and the products ----------------------------------------------------------------
  logic [15:0] tbl_q [2**IndexBits + 1];
  always_ff @(posedge clk) begin
    if (tbl_we) tbl_q[tbl_addr] <= tbl_wdata;
  end

  // max |p| over the lanes of one beat
  function automatic logic [PBits-1:0] beat_max_of(input logic [Lanes*PBits-1:0] beat);
    logic signed [PBits-1:0] v;
    logic [PBits-1:0] m;
    m = '0;
    for (int l = 0; l < Lanes; l++) begin
      v = beat[PBits*l +: PBits];
      if (PBits'(v < 0 ? -v : v) > m) m = PBits'(v < 0 ? -v : v);
    end
    return m;
  endfunction

  // Per lane as continuous assignments in a generate loop, not an always_comb loop: Icarus 11
  // re-evaluates such a loop (block-local variables, table reads, part selects of a port) so
  // often that the simulation crawled at ~10 ns of simulated time per second.
  logic [Lanes*PBits-1:0] p;
  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic signed [15:0]    g, up;
    logic [15:0]           uidx;
    logic [IndexBits-1:0]  i;
    logic signed [16:0]    t0, t1, sig;  // uint16 table entries; sig lies between them
    assign g    = s_axis_g_tdata[16*l +: 16];
    assign up   = s_axis_u_tdata[16*l +: 16];
    assign uidx = g + 16'sh8000;
    assign i    = uidx[15:FracBits];
    assign t0   = {1'b0, tbl_q[TblAddrWidth'(i)]};
    assign t1   = {1'b0, tbl_q[TblAddrWidth'(i) + 1'b1]};
    assign sig  = t0 + 17'(rdbpot64(64'(t1 - t0) * 64'(uidx & FracMask), 6'(FracBits)));
    assign p[PBits*l +: PBits] = PBits'(64'(g) * 64'(sig) * 64'(up));
  end

  // max |p| over the beat's lanes (a function: a loop that reads the variable it writes would
  // retrigger itself forever in Icarus' always_comb)
  logic [PBits-1:0] beat_max;
  assign beat_max = beat_max_of(p);

  // ---- Load: join g and up into the buffer, tracking max |p| ---------------------------------------
  logic load_hs, row_end, issue, all_issued, credit;
  logic [BeatWidth-1:0] cnt;
  logic [WordWidth-1:0] rd_index;
  logic                   rd_valid, rd_last;
  logic [Lanes*PBits-1:0] rd_p;
  logic                   join_valid, buf_ready;
  logic [PBits-1:0]       max_q;
  logic [5:0]             e_q;
  logic                   e_valid_q;

  assign join_valid      = s_axis_g_tvalid && s_axis_u_tvalid;
  assign s_axis_g_tready = buf_ready && s_axis_u_tvalid;
  assign s_axis_u_tready = buf_ready && s_axis_g_tvalid;

  vec_buffer #(.Width(Lanes * PBits), .MaxBeats(Words)) u_buf (
    .clk, .rst_n, .load(state_q == Load),
    .s_axis_tdata(p), .s_axis_tlast(s_axis_g_tlast), .s_axis_tvalid(join_valid), .s_axis_tready(buf_ready),
    .take(load_hs), .row_end, .count(cnt),
    .rewind(state_q == Load), .issue, .all_issued, .index(rd_index),
    .rd_valid, .rd_last, .rd_data(rd_p)
  );

  // e = max(0, bitlen(max |p|) - 15)
  function automatic logic [5:0] shift_of(input logic [PBits-1:0] m);
    logic [6:0] len;
    len = '0;
    for (int b = 0; b < PBits; b++) if (m[b]) len = 7'(b + 1);
    return (len > 7'd15) ? 6'(len - 7'd15) : 6'd0;
  endfunction

  assign issue = (state_q == Out) && !all_issued && credit;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state_q   <= Load;
      e_valid_q <= 1'b0;
    end else begin
      if (m_axis_e_tvalid && m_axis_e_tready) e_valid_q <= 1'b0;
      case (state_q)
        Load: if (load_hs && row_end) state_q <= Shift;
        Shift: begin  // the vector's e, once the previous one was taken
          if (!e_valid_q || m_axis_e_tready) begin
            e_q       <= shift_of(max_q);
            e_valid_q <= 1'b1;
            state_q   <= Out;
          end
        end
        Out: if (all_issued && !rd_valid) state_q <= Load;
        default: state_q <= Load;
      endcase
    end
    if (load_hs) max_q <= (cnt == '0 || beat_max > max_q) ? beat_max : max_q;
  end

  assign m_axis_e_tdata  = e_q;
  assign m_axis_e_tlast  = 1'b1;
  assign m_axis_e_tvalid = e_valid_q;

  // ---- Out: y = sat16(RDBPOT(p, e)) ----------------------------------------------------------------
  logic [Lanes*16-1:0] y;
  for (genvar l = 0; l < Lanes; l++) begin : g_out_lane
    logic signed [63:0] r;
    assign r = rdbpot64(64'($signed(rd_p[PBits*l +: PBits])), e_q);
    assign y[16*l +: 16] = (r > 64'sd32767) ? 16'h7fff : (r < -64'sd32768) ? 16'h8000 : r[15:0];
  end

  /* verilator lint_off UNUSEDSIGNAL */  // issue is gated by the credit; no per-beat side table
  logic out_idle;
  logic [WordWidth-1:0] unused_index;
  /* verilator lint_on UNUSEDSIGNAL */
  assign unused_index = rd_index;

  out_stage #(.Lanes(Lanes), .OutBits(16), .Requant(0), .Depth(FifoDepth)) u_out (
    .clk, .rst_n, .credit, .issue,
    .in_valid(rd_valid), .in_last(rd_last), .in_data(y), .in_scale({$bits(rq_scale_t){1'b0}}),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready, .idle(out_idle)
  );

  `SLLM_ERROR_IF(clk, rst_n, load_hs && row_end && !s_axis_g_tlast,
                 ("swiglu: vector longer than MaxDim = %0d; ended it at MaxDim", MaxDim))
  `SLLM_ERROR_IF(clk, rst_n, load_hs && (s_axis_g_tlast != s_axis_u_tlast),
                 ("swiglu: tlast of gate (%0d) and up (%0d) differ: vectors of different lengths",
                  s_axis_g_tlast, s_axis_u_tlast))

endmodule

`default_nettype wire
