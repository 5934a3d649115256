// SPDX-License-Identifier: Apache-2.0
//
// q4_linear: GEMV with streamed Q4_1 weights, exactly as the GGUF ships them (uint4 codes plus a
// per-block-of-32 scale and min), bit-exact with llama_ops.q4_linear:
//   acc[n] = sum_g ( D[n,g] * sum_{k in g} (q[n,k]-8)*x[k]  +  C[n,g] * sum_{k in g} x[k] )
//   y[n]   = requantize_wide(acc[n], pre[n] - x_shift, mult[n], shift[n], OutBits)
// (docs/numerics.md, "Weights: Q4_1 exactly as shipped" and q4_linear). Lanes weights per cycle.
//
// Streams (AXI4-Stream; lane i of a beat in the i-th field from the low bits; tvalid && tready):
//   s_axis_*    x: K/Lanes beats of Lanes int16; tlast on beat K/Lanes-1 (checked).
//   s_axis_e_*  x_shift (6 bits, the x vector's power-of-two exponent from rtl/swiglu.sv's
//               m_axis_e), one beat per x vector, taken with its first beat. XShift = 1 only; with
//               XShift = 0 x_shift is 0 and the port is never ready.
//   s_axis_w_*  codes, one HBM pseudo-channel: K*N/Lanes beats of Lanes uint4 per x vector, in the
//               OUTPUT-MAJOR order: for n in 0..N-1, for j in 0..K/Lanes-1: lane i = q[n, j*Lanes+i];
//               tlast on the matrix's last beat (checked).
//   s_axis_g_*  group scales: one beat of GroupLanes sllm_pkg::q4_group_t {c, d} (int20 each) per
//               GroupLanes groups of 32 codes, same order (for n: for g), consumed with the group's
//               last code beat; tlast on the last beat of the matrix (checked).
//   s_axis_p_*  per-row requant, one sllm_pkg::rq_wide_t {pre, {shift, mult}} beat per output row
//               n, consumed with the row's last code beat; tlast on row N-1 (checked).
//   m_axis_*    y: N beats of one OutBits element; tlast on y[N-1].
// Weight-port bits per weight: 4 (code) + 40/32 (c, d) = 5.25 (perfmodel.units.q4_linear_bytes;
// the GGUF's fp16 d and m would be 5.0; D and C are exact integers, at most 19 bits measured).
//
// Schedule: as rtl/linear.sv, one step (n, j) per cycle: column 0 takes x from s_axis and stores
// it, the other columns read the copy; a step waits for a code beat, at n = 0 an x beat (and at
// j = 0 the x_shift beat), at a group's last beat a group-scale beat, and at a row's last beat a
// row beat and a credit of the output stage (rtl/out_stage.sv), so m_axis_tready never reaches
// the datapath. Pipeline: operand registers; per group of 32 lanes the (q-8)*x and x sums;
// group end: D*sum + C*xsum (accumulating the sums over the beats of a group when Lanes < 32);
// the row accumulator (int64; the quantiser bounds it by q4_acc_bits); at row end wide_to_i32
// (sllm_pkg), then the shared requant and the output FIFO.
// Throughput: K*N/Lanes cycles per vector when the streams keep up (the code stream's bound).
// Latency: last code beat of row n -> y[n] on m_axis: 8 cycles (perfmodel.units.q4_linear).
// Ready/valid: no tready depends on its own tvalid (the inputs are joined); none on m_axis_tready.
// idle: nothing in flight. Reset: synchronous, active low; drops partial vectors and the pipeline.

`default_nettype none
`include "sllm_assert.svh"

module q4_linear
  import sllm_pkg::*;
#(
  parameter int Lanes   = 32,  // codes per beat: divides 32, or a multiple of 32
  parameter int K       = 64,  // input length (a multiple of 32 and of Lanes)
  parameter int N       = 16,  // output length
  parameter int OutBits = 16,  // output element width (int16, or int24 into the residual), 2..32
  parameter int XShift  = 0,   // 1: take a per-vector x_shift on s_axis_e (the down projection)
  localparam int GroupLanes = (Lanes >= 32) ? Lanes / 32 : 1,  // groups of 32 codes per beat
  localparam int GroupWidth = GroupLanes * $bits(q4_group_t)
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  // Activation vector x, and its shift
  input  wire logic [Lanes*16-1:0]   s_axis_tdata,
  input  wire logic                  s_axis_tlast,
  input  wire logic                  s_axis_tvalid,
  output logic                       s_axis_tready,
  input  wire logic [5:0]            s_axis_e_tdata,
  input  wire logic                  s_axis_e_tlast,
  input  wire logic                  s_axis_e_tvalid,
  output logic                       s_axis_e_tready,
  // Codes, output-major
  input  wire logic [Lanes*4-1:0]    s_axis_w_tdata,
  input  wire logic                  s_axis_w_tlast,
  input  wire logic                  s_axis_w_tvalid,
  output logic                       s_axis_w_tready,
  // Group scales {c, d}
  input  wire logic [GroupWidth-1:0] s_axis_g_tdata,
  input  wire logic                  s_axis_g_tlast,
  input  wire logic                  s_axis_g_tvalid,
  output logic                       s_axis_g_tready,
  // Per-row {pre, shift, mult}
  input  wire rq_wide_t              s_axis_p_tdata,
  input  wire logic                  s_axis_p_tlast,
  input  wire logic                  s_axis_p_tvalid,
  output logic                       s_axis_p_tready,
  // Output vector y, one element per beat
  output logic      [OutBits-1:0]    m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tvalid,
  input  wire logic                  m_axis_tready,
  output logic                       idle
);

  localparam int Group = 32;  // llama_ops.Q4_GROUP

  initial begin
    if (Lanes < 1 || (Group % Lanes != 0 && Lanes % Group != 0))
      $fatal(1, "q4_linear: Lanes (%0d) must divide 32 or be a multiple of 32", Lanes);
    if (K < 1 || N < 1) $fatal(1, "q4_linear: K and N must be >= 1, got K=%0d N=%0d", K, N);
    if (K % Group != 0 || K % Lanes != 0)
      $fatal(1, "q4_linear: K (%0d) must be a multiple of 32 and of Lanes (%0d)", K, Lanes);
    if (OutBits < 2 || OutBits > 32) $fatal(1, "q4_linear: OutBits must be in [2, 32], got %0d", OutBits);
    if (XShift != 0 && XShift != 1) $fatal(1, "q4_linear: XShift must be 0 or 1, got %0d", XShift);
  end

  localparam int KBeats        = K / Lanes;
  localparam int SubLanes      = (Lanes >= Group) ? Group : Lanes;  // lanes per group in a beat
  localparam int BeatsPerGroup = (Lanes >= Group) ? 1 : Group / Lanes;
  localparam int JWidth        = (KBeats > 1) ? $clog2(KBeats) : 1;
  localparam int NWidth        = (N > 1) ? $clog2(N) : 1;
  localparam int FifoDepth     = 16;  // >= the 8-cycle pipeline + 2 for full rate at K = Lanes
  localparam int BpgMask       = BeatsPerGroup - 1;  // a power of two

  // ---- Step counters and the handshake join --------------------------------------------------
  logic [JWidth-1:0] j_q;
  logic [NWidth-1:0] n_q;
  logic first_col, last_beat, last_col, group_end, need_e;
  logic credit, fire, x_ok, g_ok, p_ok, e_ok;

  assign first_col = (n_q == '0);
  assign last_beat = (j_q == JWidth'(KBeats - 1));
  assign last_col  = (n_q == NWidth'(N - 1));
  assign group_end = ((32'(j_q) & BpgMask) == BpgMask);
  assign need_e    = (XShift != 0) && first_col && (j_q == '0);
  assign e_ok      = !need_e || s_axis_e_tvalid;
  assign x_ok      = !first_col || (s_axis_tvalid && e_ok);
  assign g_ok      = !group_end || s_axis_g_tvalid;
  assign p_ok      = !last_beat || (s_axis_p_tvalid && credit);
  assign fire      = s_axis_w_tvalid && x_ok && g_ok && p_ok;

  assign s_axis_tready   = first_col && e_ok && s_axis_w_tvalid && g_ok && p_ok;
  assign s_axis_e_tready = need_e && s_axis_tvalid && s_axis_w_tvalid && g_ok && p_ok;
  assign s_axis_w_tready = x_ok && g_ok && p_ok;
  assign s_axis_g_tready = group_end && s_axis_w_tvalid && x_ok && p_ok;
  assign s_axis_p_tready = last_beat && credit && s_axis_w_tvalid && x_ok && g_ok;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      j_q <= '0;
      n_q <= '0;
    end else if (fire) begin
      j_q <= last_beat ? '0 : j_q + 1'b1;
      if (last_beat) n_q <= last_col ? '0 : n_q + 1'b1;
    end
  end

  // ---- x buffer (written in column 0) and x_shift --------------------------------------------
  logic [Lanes*16-1:0] xbuf_q [KBeats];
  logic [Lanes*16-1:0] x_cur;
  logic [5:0]          xs_q, xs_cur;
  assign x_cur  = first_col ? s_axis_tdata : xbuf_q[j_q];
  assign xs_cur = (XShift == 0) ? 6'd0 : need_e ? s_axis_e_tdata : xs_q;

  always_ff @(posedge clk) begin
    if (fire && first_col) xbuf_q[j_q] <= s_axis_tdata;
    if (fire) xs_q <= xs_cur;
  end

  // ---- S1: operand registers -------------------------------------------------------------------
  logic                  s1_valid_q, s1_grp_first_q, s1_grp_end_q, s1_row_first_q, s1_row_end_q, s1_tlast_q;
  logic [Lanes*16-1:0]   s1_x_q;
  logic [Lanes*4-1:0]    s1_w_q;
  logic [GroupWidth-1:0] s1_g_q;
  rq_wide_t              s1_p_q;
  logic [5:0]            s1_xs_q;

  // ---- S2: per group of the beat, sum (q-8)*x (25 bits) and sum x (21 bits) -------------------
  logic                        s2_valid_q, s2_grp_first_q, s2_grp_end_q, s2_row_first_q, s2_row_end_q, s2_tlast_q;
  logic [GroupLanes*25-1:0]    psum_d, s2_psum_q;
  logic [GroupLanes*21-1:0]    xsum_d, s2_xsum_q;
  logic [GroupWidth-1:0]       s2_g_q;
  rq_wide_t                    s2_p_q;
  logic [5:0]                  s2_xs_q;

  // Sum of SubLanes signed 20-bit lanes (a function of the operand word: an always_comb loop
  // over lanes crawls in Icarus). |sum| <= 32 * 2^18 fits 25 bits.
  function automatic logic [24:0] sum_lanes(input logic [20*SubLanes-1:0] v);
    logic signed [24:0] acc;
    acc = '0;
    for (int i = 0; i < SubLanes; i++) acc = acc + 25'($signed(v[20*i +: 20]));
    return acc;
  endfunction

  for (genvar s = 0; s < GroupLanes; s++) begin : g_sub
    logic [20*SubLanes-1:0] prod, xw;  // (q-8)*x and x itself, signed 20 bits per lane
    logic [24:0]            xsum_wide;
    for (genvar i = 0; i < SubLanes; i++) begin : g_lane
      assign xw[20*i +: 20]   = 20'($signed(s1_x_q[16*(s*SubLanes+i) +: 16]));
      assign prod[20*i +: 20] = 20'($signed({1'b0, s1_w_q[4*(s*SubLanes+i) +: 4]}) - 5'sd8)
                                * $signed(xw[20*i +: 20]);
    end
    assign psum_d[25*s +: 25] = sum_lanes(prod);
    assign xsum_wide          = sum_lanes(xw);
    assign xsum_d[21*s +: 21] = xsum_wide[20:0];  // |sum x| <= 32 * 2^15 fits 21 bits
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_xsum_top;
    /* verilator lint_on UNUSEDSIGNAL */
    assign unused_xsum_top = ^xsum_wide[24:21];
  end

  // ---- S3: group sums over the group's beats; at its end the D*sum + C*xsum term ---------------
  logic                     s3_valid_q, s3_row_first_q, s3_row_end_q, s3_tlast_q;
  logic signed [63:0]       s3_term_q;
  rq_wide_t                 s3_p_q;
  logic [5:0]               s3_xs_q;
  logic [GroupLanes*25-1:0] gacc_q, gsum;
  logic [GroupLanes*21-1:0] xacc_q, xsum;
  logic signed [63:0]       term_d;

  function automatic logic signed [63:0] group_term(input logic [GroupLanes*25-1:0] g,
                                                    input logic [GroupLanes*21-1:0] x,
                                                    input logic [GroupWidth-1:0] scales);
    logic signed [63:0] t;
    q4_group_t sc;
    t = '0;
    for (int s = 0; s < GroupLanes; s++) begin
      sc = scales[$bits(q4_group_t)*s +: $bits(q4_group_t)];
      t = t + 64'($signed(sc.d)) * 64'($signed(g[25*s +: 25]))
            + 64'($signed(sc.c)) * 64'($signed(x[21*s +: 21]));
    end
    return t;
  endfunction

  for (genvar s = 0; s < GroupLanes; s++) begin : g_group
    assign gsum[25*s +: 25] = s2_grp_first_q ? s2_psum_q[25*s +: 25] : gacc_q[25*s +: 25] + s2_psum_q[25*s +: 25];
    assign xsum[21*s +: 21] = s2_grp_first_q ? s2_xsum_q[21*s +: 21] : xacc_q[21*s +: 21] + s2_xsum_q[21*s +: 21];
  end
  assign term_d = group_term(gsum, xsum, s2_g_q);

  // ---- S4: the row accumulator; at the row end, sat32(RDBPOT(acc, pre - x_shift)) --------------
  logic signed [63:0] acc_q, acc_d;
  logic signed [31:0] res_q;
  logic               res_valid_q, res_tlast_q;
  rq_scale_t          res_scale_q;
  logic signed [6:0]  pre_eff;
  assign acc_d   = (s3_row_first_q ? 64'sd0 : acc_q) + s3_term_q;
  assign pre_eff = $signed({1'b0, s3_p_q.pre}) - $signed({1'b0, s3_xs_q});

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      s1_valid_q  <= 1'b0;
      s2_valid_q  <= 1'b0;
      s3_valid_q  <= 1'b0;
      res_valid_q <= 1'b0;
    end else begin
      s1_valid_q  <= fire;
      s2_valid_q  <= s1_valid_q;
      s3_valid_q  <= s2_valid_q && s2_grp_end_q;
      res_valid_q <= s3_valid_q && s3_row_end_q;
    end
    // S1
    s1_x_q         <= x_cur;
    s1_w_q         <= s_axis_w_tdata;
    s1_g_q         <= s_axis_g_tdata;
    s1_p_q         <= s_axis_p_tdata;
    s1_xs_q        <= xs_cur;
    s1_grp_first_q <= ((32'(j_q) & BpgMask) == 0);
    s1_grp_end_q   <= group_end;
    s1_row_first_q <= (32'(j_q) < BeatsPerGroup);
    s1_row_end_q   <= last_beat;
    s1_tlast_q     <= last_col;
    // S2
    s2_psum_q      <= psum_d;
    s2_xsum_q      <= xsum_d;
    s2_g_q         <= s1_g_q;
    s2_p_q         <= s1_p_q;
    s2_xs_q        <= s1_xs_q;
    s2_grp_first_q <= s1_grp_first_q;
    s2_grp_end_q   <= s1_grp_end_q;
    s2_row_first_q <= s1_row_first_q;
    s2_row_end_q   <= s1_row_end_q;
    s2_tlast_q     <= s1_tlast_q;
    // S3
    if (s2_valid_q) begin
      gacc_q <= gsum;
      xacc_q <= xsum;
    end
    s3_term_q      <= term_d;
    s3_p_q         <= s2_p_q;
    s3_xs_q        <= s2_xs_q;
    s3_row_first_q <= s2_row_first_q;
    s3_row_end_q   <= s2_row_end_q;
    s3_tlast_q     <= s2_tlast_q;
    // S4
    if (s3_valid_q) acc_q <= acc_d;
    res_q       <= wide_to_i32(acc_d, (pre_eff < 0) ? 6'd0 : pre_eff[5:0]);
    res_scale_q <= s3_p_q.scale;
    res_tlast_q <= s3_tlast_q;
  end

  // ---- Requantize, then the output FIFO (room reserved at the row's last step) -----------------
  logic out_idle;
  out_stage #(.Lanes(1), .OutBits(OutBits), .Requant(1), .RqStages(3), .Depth(FifoDepth)) u_out (
    .clk, .rst_n, .credit, .issue(fire && last_beat),
    .in_valid(res_valid_q), .in_last(res_tlast_q), .in_data(res_q), .in_scale(res_scale_q),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready, .idle(out_idle)
  );

  assign idle = (j_q == '0) && (n_q == '0) && out_idle;

  /* verilator lint_off UNUSEDSIGNAL */  // one beat per vector: its tlast carries nothing
  logic unused_e_last;
  /* verilator lint_on UNUSEDSIGNAL */
  assign unused_e_last = s_axis_e_tlast;

  // ---- Simulation checks -------------------------------------------------------------------------
  `SLLM_ERROR_IF(clk, rst_n, s_axis_tvalid && s_axis_tready && (s_axis_tlast != last_beat),
                 ("q4_linear: s_axis_tlast=%0d on x beat %0d of %0d", s_axis_tlast, j_q, KBeats))
  `SLLM_ERROR_IF(clk, rst_n, fire && (s_axis_w_tlast != (last_beat && last_col)),
                 ("q4_linear: s_axis_w_tlast=%0d on code beat (n=%0d, j=%0d)", s_axis_w_tlast, n_q, j_q))
  `SLLM_ERROR_IF(clk, rst_n, s_axis_g_tvalid && s_axis_g_tready && (s_axis_g_tlast != (last_beat && last_col)),
                 ("q4_linear: s_axis_g_tlast=%0d on the group beat of (n=%0d, j=%0d)", s_axis_g_tlast, n_q, j_q))
  `SLLM_ERROR_IF(clk, rst_n, s_axis_p_tvalid && s_axis_p_tready && (s_axis_p_tlast != last_col),
                 ("q4_linear: s_axis_p_tlast=%0d on row beat %0d of %0d", s_axis_p_tlast, n_q, N))
  `SLLM_ERROR_IF(clk, rst_n, s3_valid_q && s3_row_end_q && (pre_eff < 0),
                 ("q4_linear: pre (%0d) < x_shift (%0d): the quantiser keeps pre - x_shift >= 0",
                  s3_p_q.pre, s3_xs_q))

endmodule

`default_nettype wire
