// SPDX-License-Identifier: Apache-2.0
//
// linear: int8 GEMV with streamed weights, bit-exact with ops.linear:
//   y[n] = requantize(sum_k x[k]*W[k,n] + bias[n], mult[n], shift[n], OutBits)   n = 0..N-1
// Lanes x Cols int8 MACs per cycle: Cols output columns computed side by side (output-parallel),
// each from Lanes inputs per cycle; an int32 accumulator per column (wrapping; ops.linear
// guarantees the exact sum fits int32), then the shared requant unit (SRDHM + RDBPOT + clamp).
// Cols is what lets one unit take more weight bytes per cycle than its input has elements
// (Lanes <= K): a d=1024 QKV at Lanes 1024, Cols 2 reads 2048 bytes per cycle (issue 13).
// The columns share x, so columns (2q, 2q+1) share one multiplier per lane: rtl/dot_int_pair.sv
// packs both weights into one 8 x 27-bit product (one DSP48E2 for two int8 MACs) and unpacks the
// two products exactly; an odd last column uses dot_int. Same numerics and timing as unpaired.
//
// Streams (AXI4-Stream; lane i of a beat in bits [8i+7:8i]; a beat moves when tvalid && tready):
//   s_axis_*    activation vector x: K/Lanes beats of Lanes int8, x[j*Lanes+i] in lane i of beat j;
//               tlast on beat K/Lanes-1 (checked by an assertion in simulation).
//   s_axis_w_*  weights, the unit's share of the weight bus: K*N/(Lanes*Cols) beats of Lanes*Cols
//               int8 per vector, in the OUTPUT-MAJOR order: for column group g in 0..N/Cols-1, for
//               j in 0..K/Lanes-1: lane c*Lanes+i = W[j*Lanes+i, g*Cols+c]. The whole matrix
//               streams once per input vector; tlast on its last beat (checked).
//   s_axis_p_*  per-output-channel parameters, one beat per column group g of Cols
//               sllm_pkg::linear_param_t words, column c's in bits [c*P +: P] (P =
//               $bits(linear_param_t); {scale: {shift, mult}, bias}: bias int32, mult in
//               [0, 2^31-1], shift 0..31); tlast on group N/Cols-1 (checked). Consumed together with
//               the last weight beat of group g.
//   m_axis_*    output vector y: N/Cols beats of Cols elements (OutBits each, two's complement),
//               y[g*Cols+c] in lane c of beat g; tlast on the last beat. Cols = 1: one element per beat.
//
// Schedule: one step per cycle, step (g, j) multiplies beat j of x with weight beat (g, j). Group 0
// consumes x straight from s_axis (and stores it); groups 1..N/Cols-1 read the stored copy, so x
// needs no separate load phase and the next vector's group 0 follows the previous vector's last
// group without a gap (the x buffer entry j is overwritten only after the old vector used it for the
// last time). A step waits for: a weight beat; in group 0 an x beat; at j = K/Lanes-1 a parameter
// beat and a free slot in the output FIFO (credit counting, so m_axis_tready never reaches the
// datapath).
// Ready/valid: no tready depends on its own tvalid; s_axis_tready and s_axis_w_tready may depend
// combinationally on the other inputs' tvalid (a join), never on m_axis_tready.
// Throughput: K*N/(Lanes*Cols) cycles per vector when weights (and, in group 0, x) arrive every
// cycle and m_axis is not backpressured; this is the weight-stream bound (Lanes*Cols bytes per cycle).
// Measured (scripts/perf_linear.py, tb_linear test_perf): K*N/(Lanes*Cols) + 7 cycles from the first
// x beat to the last y beat.
// Latency: last weight beat of group g -> its y beat valid on m_axis: 6 cycles (operand register,
// dot product, accumulate, 3 requant stages) + 1 (output FIFO) (rtl/out_stage.sv). First x beat -> y
// beat 0: K/Lanes + 6.
// idle: nothing in flight (no partial vector, pipeline and output FIFO empty).
// Reset: synchronous, active low; drops partial vectors, the pipeline and the output FIFO.
//
// The other weight order, INPUT-MAJOR (for k: for n-group g: lanes = W[k, g*Lanes+i]), is what lets
// FC2 start while FC1 -> GELU is still producing: x[k] arrives one element at a time, is broadcast
// to Lanes columns, and N int32 partial sums (an N/Lanes x Lanes*32-bit accumulator RAM, read-
// modify-write each cycle) collect the outputs, which all complete only after x[K-1]. It costs the
// N-entry accumulator RAM and an N-element output drain (N/Lanes cycles of Lanes outputs) and is NOT
// implemented here: this unit supports the output-major order only, which needs just a K-byte x
// buffer and Cols accumulators, and emits y in order, one beat every K/Lanes cycles.

`default_nettype none
`include "sllm_assert.svh"

module linear
  import sllm_pkg::*;
#(
  parameter int Lanes   = 16,  // int8 MACs per column per cycle = int8 elements per x beat
  parameter int K       = 64,  // input length (a multiple of Lanes)
  parameter int N       = 16,  // output length (a multiple of Cols)
  parameter int OutBits = 8,   // output element width (ops.linear out_bits), 2..32
  parameter int Cols    = 1,   // output columns per step (weight beat = Lanes*Cols int8), >= 1
  localparam int KBeats    = K / Lanes,
  localparam int Groups    = N / Cols,
  localparam int JWidth    = (KBeats > 1) ? $clog2(KBeats) : 1,
  localparam int GWidth    = (Groups > 1) ? $clog2(Groups) : 1,
  localparam int PBits     = $bits(linear_param_t),
  localparam int SBits     = $bits(rq_scale_t),
  localparam int FifoDepth = 16  // output FIFO; >= pipeline depth + 2 for full rate at K = Lanes
) (
  input  wire logic                      clk,
  input  wire logic                      rst_n,
  // Activation vector x
  input  wire logic [Lanes*8-1:0]        s_axis_tdata,
  input  wire logic                      s_axis_tlast,
  input  wire logic                      s_axis_tvalid,
  output logic                           s_axis_tready,
  // Weights, output-major, Cols columns per beat
  input  wire logic [Cols*Lanes*8-1:0]   s_axis_w_tdata,
  input  wire logic                      s_axis_w_tlast,
  input  wire logic                      s_axis_w_tvalid,
  output logic                           s_axis_w_tready,
  // Per-channel {shift, mult, bias}, Cols channels per beat
  input  wire logic [Cols*PBits-1:0]     s_axis_p_tdata,
  input  wire logic                      s_axis_p_tlast,
  input  wire logic                      s_axis_p_tvalid,
  output logic                           s_axis_p_tready,
  // Output vector y, Cols elements per beat
  output logic      [Cols*OutBits-1:0]   m_axis_tdata,
  output logic                           m_axis_tlast,
  output logic                           m_axis_tvalid,
  input  wire logic                      m_axis_tready,
  // Nothing in flight
  output logic                           idle
);

  initial begin
    if (Lanes < 1) $fatal(1, "linear: Lanes must be >= 1, got %0d", Lanes);
    if (Cols < 1) $fatal(1, "linear: Cols must be >= 1, got %0d", Cols);
    if (K < 1 || N < 1) $fatal(1, "linear: K and N must be >= 1, got K=%0d N=%0d", K, N);
    if (K % Lanes != 0)
      $fatal(1, "linear: K (%0d) must be a multiple of Lanes (%0d); pad K with zero weights", K, Lanes);
    if (N % Cols != 0)
      $fatal(1, "linear: N (%0d) must be a multiple of Cols (%0d); pad N with zero columns", N, Cols);
    if (K > 131071)
      $fatal(1, "linear: K (%0d) > 131071: K*2^14 products could overflow the int32 accumulator", K);
    if (OutBits < 2 || OutBits > 32) $fatal(1, "linear: OutBits must be in [2, 32], got %0d", OutBits);
  end

  localparam int RqStages = 3;

  // ---- Step counters and the handshake join --------------------------------------------------
  logic [JWidth-1:0] j_q, j_d;
  logic [GWidth-1:0] g_q, g_d;
  logic first_group, last_beat, last_group;
  logic credit, fire, x_ok, p_ok;  // credit: the output stage has room for one more group

  assign first_group = (g_q == '0);
  assign last_beat   = (j_q == JWidth'(KBeats - 1));
  assign last_group  = (g_q == GWidth'(Groups - 1));
  assign x_ok        = !first_group || s_axis_tvalid;              // x beat available (or stored)
  assign p_ok        = !last_beat || (s_axis_p_tvalid && credit);  // params + output room at group end
  assign fire        = s_axis_w_tvalid && x_ok && p_ok;

  assign s_axis_tready   = first_group && s_axis_w_tvalid && p_ok;
  assign s_axis_w_tready = x_ok && p_ok;
  assign s_axis_p_tready = last_beat && credit && s_axis_w_tvalid && x_ok;

  always_comb begin
    j_d = j_q;
    g_d = g_q;
    if (fire) begin
      if (last_beat) begin
        j_d = '0;
        g_d = last_group ? '0 : g_q + 1'b1;
      end else begin
        j_d = j_q + 1'b1;
      end
    end
  end

  // ---- x buffer: written in group 0, read in the others -----------------------------------------
  logic [Lanes*8-1:0] xbuf_q [KBeats];
  logic [Lanes*8-1:0] x_cur;
  assign x_cur = first_group ? s_axis_tdata : xbuf_q[j_q];

  always_ff @(posedge clk) begin
    if (fire && first_group) xbuf_q[j_q] <= s_axis_tdata;
  end

  // ---- S1: operand registers; S2: one dot product per column; S3: accumulate per column -------
  logic                    s1_valid_q, s1_first_q, s1_last_q, s1_tlast_q;
  logic [Lanes*8-1:0]      s1_x_q;
  logic [Cols*Lanes*8-1:0] s1_w_q;
  logic [Cols*PBits-1:0]   s1_p_q, s2_p_q;
  logic                    s2_valid_q, s2_first_q, s2_last_q, s2_tlast_q;
  logic [Cols*32-1:0]      res_q;     // each column's accumulator + bias, to the requant
  logic [Cols*SBits-1:0]   res_p_q;   // each column's requant scale
  logic                    res_valid_q, res_tlast_q;

  // S2's dot products: columns (2q, 2q+1) share one multiplier per lane (dot_int_pair), an odd
  // last column has its own (dot_int)
  logic [Cols*32-1:0] dot_d;
  for (genvar q = 0; q < Cols / 2; q++) begin : g_pair
    dot_int_pair #(.Lanes(Lanes)) u_dot (
      .a(s1_x_q), .b0(s1_w_q[2*q*Lanes*8 +: Lanes*8]), .b1(s1_w_q[(2*q+1)*Lanes*8 +: Lanes*8]),
      .dot0(dot_d[2*q*32 +: 32]), .dot1(dot_d[(2*q+1)*32 +: 32])
    );
  end
  if (Cols % 2 == 1) begin : g_single
    dot_int #(.Lanes(Lanes)) u_dot (.a(s1_x_q), .b(s1_w_q[(Cols-1)*Lanes*8 +: Lanes*8]),
                                    .dot(dot_d[(Cols-1)*32 +: 32]));
  end

  for (genvar c = 0; c < Cols; c++) begin : g_col
    logic signed [31:0] s2_dot_q, acc_q, acc_d;
    linear_param_t s2_p;
    assign s2_p = s2_p_q[c*PBits +: PBits];

    assign acc_d = (s2_first_q ? 32'sd0 : acc_q) + s2_dot_q;
    always_ff @(posedge clk) begin
      s2_dot_q <= dot_d[c*32 +: 32];
      if (s2_valid_q) acc_q <= acc_d;
      res_q[c*32 +: 32]       <= acc_d + $signed(s2_p.bias);
      res_p_q[c*SBits +: SBits] <= s2_p.scale;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      j_q         <= '0;
      g_q         <= '0;
      s1_valid_q  <= 1'b0;
      s2_valid_q  <= 1'b0;
      res_valid_q <= 1'b0;
    end else begin
      j_q         <= j_d;
      g_q         <= g_d;
      s1_valid_q  <= fire;
      s2_valid_q  <= s1_valid_q;
      res_valid_q <= s2_valid_q && s2_last_q;
    end
    // S1
    s1_x_q     <= x_cur;
    s1_w_q     <= s_axis_w_tdata;
    s1_p_q     <= s_axis_p_tdata;
    s1_first_q <= (j_q == '0);
    s1_last_q  <= last_beat;
    s1_tlast_q <= last_group;
    // S2
    s2_p_q     <= s1_p_q;
    s2_first_q <= s1_first_q;
    s2_last_q  <= s1_last_q;
    s2_tlast_q <= s1_tlast_q;
    // S3
    res_tlast_q <= s2_tlast_q;
  end

  // ---- Requantize, then the output FIFO (room reserved at the group's last step) ----------------
  logic out_idle;
  out_stage #(.Lanes(Cols), .OutBits(OutBits), .Requant(1), .RqStages(RqStages), .Depth(FifoDepth),
              .ScalePerLane(1)) u_out (
    .clk, .rst_n, .credit, .issue(fire && last_beat),
    .in_valid(res_valid_q), .in_last(res_tlast_q), .in_data(res_q), .in_scale(res_p_q),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready, .idle(out_idle)
  );

  assign idle = (j_q == '0) && (g_q == '0) && out_idle;

  // ---- Simulation checks -------------------------------------------------------------------------
  `SLLM_ERROR_IF(clk, rst_n, s_axis_tvalid && s_axis_tready && (s_axis_tlast != last_beat),
                 ("linear: s_axis_tlast=%0d on x beat %0d of %0d", s_axis_tlast, j_q, KBeats))
  `SLLM_ERROR_IF(clk, rst_n, fire && (s_axis_w_tlast != (last_beat && last_group)),
                 ("linear: s_axis_w_tlast=%0d on weight beat (g=%0d, j=%0d)", s_axis_w_tlast, g_q, j_q))
  `SLLM_ERROR_IF(clk, rst_n, s_axis_p_tvalid && s_axis_p_tready && (s_axis_p_tlast != last_group),
                 ("linear: s_axis_p_tlast=%0d on parameter beat %0d of %0d", s_axis_p_tlast, g_q, Groups))

endmodule

`default_nettype wire
