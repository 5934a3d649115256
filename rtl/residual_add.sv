// SPDX-License-Identifier: Apache-2.0
//
// residual_add: TFLite-style add of two quantised streams with their own scales (ops.residual_add).
//
// Shift = 0: per lane, bit-exact with ops.residual_add (La = 30 - ABits, Lb = 30 - BBits):
//   ta = rescale(a << La, a_mult, a_shift)           requant #1 (|a << La| <= 2^29)
//   tb = rescale(b << Lb, b_mult, b_shift)           requant #2, in parallel
//   y  = requantize(ta + tb, out_mult, out_shift, OutBits)   requant #3 (int32 sum)
// Shift = 1: the Llama add (llama_ops.resid_add), no multiplier: the branch b is already in the
// output's units, and the residual a is brought there by a rounding shift:
//   y  = sat_OutBits(RDBPOT(a, cfg.a.shift) + b)    (cfg.a.mult, cfg.b and cfg.out unused)
// Input a (s_axis_a: the residual, int ABits) and input b (s_axis_b: the branch, int BBits) are
// joined beat by beat: a beat is taken from both streams in the same cycle, only when both are
// valid, so either input may arrive arbitrarily earlier than the other and nothing is lost or
// misaligned. The vectors must have the same length: tlast comes from a, and a b beat whose
// tlast differs is an $error in simulation.
// Scales: the configuration input `cfg` (sllm_pkg::add_cfg_t: {out, b, a}, each {shift, mult}):
// hold it stable while vectors are in flight (one unit can serve every layer by changing it
// between vectors).
// Latency (beats joined -> output beat valid): 2*RqStages + 1 cycles (Shift = 0), 2 cycles
// (Shift = 1: the add register, then the FIFO). Throughput: 1 beat/cycle
// under no backpressure; the output stage's credit counter (rtl/out_stage.sv, Depth = latency
// + 1 beats of output FIFO) stops the join while the FIFO could overflow, so backpressure never
// drops a beat.
// Ready/valid: AXI4-Stream. s_axis_a_tready depends on s_axis_b_tvalid and vice versa (the join),
// never on m_axis_tready (no combinational path through the unit).
// Reset: synchronous, active low; drops everything in flight.

`default_nettype none
`include "sllm_assert.svh"

module residual_add
  import sllm_pkg::*;
#(
  parameter int Lanes    = 1,   // elements per beat on every stream
  parameter int ABits    = 16,  // width of input a (the residual stream), 2..30
  parameter int BBits    = 8,   // width of input b (the branch), 2..30
  parameter int OutBits  = 16,  // width of the output, 2..32
  parameter int RqStages = 3,   // pipeline stages of each requant (1..3)
  parameter int Shift    = 0    // 0: the three-scale add; 1: the Llama shift-and-add
) (
  input  wire logic                      clk,
  input  wire logic                      rst_n,
  // Configuration (ops.residual_add scales), static while vectors are in flight
  input  wire add_cfg_t                  cfg,
  // Input a: Lanes x int ABits
  input  wire logic [ABits*Lanes-1:0]    s_axis_a_tdata,
  input  wire logic                      s_axis_a_tlast,
  input  wire logic                      s_axis_a_tvalid,
  output logic                           s_axis_a_tready,
  // Input b: Lanes x int BBits
  input  wire logic [BBits*Lanes-1:0]    s_axis_b_tdata,
  input  wire logic                      s_axis_b_tlast,
  input  wire logic                      s_axis_b_tvalid,
  output logic                           s_axis_b_tready,
  // Output: Lanes x int OutBits
  output logic      [OutBits*Lanes-1:0]  m_axis_tdata,
  output logic                           m_axis_tlast,
  output logic                           m_axis_tvalid,
  input  wire logic                      m_axis_tready
);

  initial begin
    if (Lanes < 1) $fatal(1, "residual_add: Lanes must be >= 1, got %0d", Lanes);
    if (ABits < 2 || ABits > 30) $fatal(1, "residual_add: ABits must be in [2, 30], got %0d", ABits);
    if (BBits < 2 || BBits > 30) $fatal(1, "residual_add: BBits must be in [2, 30], got %0d", BBits);
    if (OutBits < 2 || OutBits > 32) $fatal(1, "residual_add: OutBits must be in [2, 32], got %0d", OutBits);
    if (RqStages < 1 || RqStages > 3) $fatal(1, "residual_add: RqStages must be in [1, 3], got %0d", RqStages);
    if (Shift != 0 && Shift != 1) $fatal(1, "residual_add: Shift must be 0 or 1, got %0d", Shift);
  end

  localparam int Latency = (Shift != 0) ? 2 : 2 * RqStages + 1;
  localparam int Depth = Latency + 1;

  // Saturate to int OutBits (the Shift = 1 output)
  function automatic logic [OutBits-1:0] sat_bits(input logic signed [63:0] y);
    logic signed [63:0] hi, lo;
    hi = (64'sd1 <<< (OutBits - 1)) - 64'sd1;
    lo = -(64'sd1 <<< (OutBits - 1));
    return (y > hi) ? OutBits'(hi) : (y < lo) ? OutBits'(lo) : OutBits'(y);
  endfunction  // output FIFO: full rate needs everything in flight + 1

  // ---- Join with credit --------------------------------------------------------------------
  logic credit, fire;
  assign fire            = s_axis_a_tvalid && s_axis_b_tvalid && credit;
  assign s_axis_a_tready = s_axis_b_tvalid && credit;
  assign s_axis_b_tready = s_axis_a_tvalid && credit;

  if (Shift != 0) begin : g_shift
    // ---- Datapath: one register of Lanes shift-and-adds, then the output FIFO ------------------
    logic                      s1_valid_q, s1_last_q;
    logic [OutBits*Lanes-1:0]  s1_y_q;
    /* verilator lint_off UNUSEDSIGNAL */  // the join needs only the credit; a's mult, b, out unused
    logic out_idle;
    add_cfg_t unused_cfg;
    /* verilator lint_on UNUSEDSIGNAL */
    assign unused_cfg = cfg;

    logic [5:0] a_shift;  // a plain vector: Icarus cannot cast a struct member
    assign a_shift = {1'b0, cfg.a.shift};

    for (genvar l = 0; l < Lanes; l++) begin : g_lane
      logic signed [ABits-1:0] a;
      logic signed [BBits-1:0] b;
      logic signed [63:0] a64, b64;
      assign a   = s_axis_a_tdata[ABits*l +: ABits];
      assign b   = s_axis_b_tdata[BBits*l +: BBits];
      assign a64 = 64'(a);
      assign b64 = 64'(b);
      always_ff @(posedge clk) s1_y_q[OutBits*l +: OutBits] <= sat_bits(rdbpot64(a64, a_shift) + b64);
    end

    always_ff @(posedge clk) begin
      if (!rst_n) s1_valid_q <= 1'b0;
      else s1_valid_q <= fire;
      s1_last_q <= s_axis_a_tlast;
    end

    out_stage #(.Lanes(Lanes), .OutBits(OutBits), .Requant(0), .Depth(Depth)) u_out (
      .clk, .rst_n, .credit, .issue(fire),
      .in_valid(s1_valid_q), .in_last(s1_last_q), .in_data(s1_y_q), .in_scale({$bits(rq_scale_t){1'b0}}),
      .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready, .idle(out_idle)
    );
  end else begin : g_scales
    // ---- Datapath: Lanes x two input rescales, then the output stage requantizes the sums -------
    /* verilator lint_off UNUSEDSIGNAL */  // lane 0 carries valid and tlast for all lanes
    logic [Lanes-1:0] a_valid, a_last;
    logic out_idle;  // the join needs only the credit
    /* verilator lint_on UNUSEDSIGNAL */
    logic [32*Lanes-1:0] sums;

    for (genvar l = 0; l < Lanes; l++) begin : g_lane
      logic signed [ABits-1:0] a;
      logic signed [BBits-1:0] b;
      logic signed [31:0] a_acc, b_acc, ta, tb;
      assign a     = s_axis_a_tdata[ABits*l +: ABits];
      assign b     = s_axis_b_tdata[BBits*l +: BBits];
      assign a_acc = 32'(a) <<< (30 - ABits);
      assign b_acc = 32'(b) <<< (30 - BBits);
      assign sums[32*l +: 32] = ta + tb;

      /* verilator lint_off UNUSEDSIGNAL */  // the saturated/flag outputs, and b's copy of valid
      logic [7:0] a_sat, b_sat;
      logic a_hi, a_lo, b_hi, b_lo, b_valid, b_user;
      /* verilator lint_on UNUSEDSIGNAL */

      requant #(.OutBits(8), .Stages(RqStages), .UserWidth(1)) u_ra (
        .clk, .rst_n, .en(1'b1),
        .in_valid(fire), .in_user(s_axis_a_tlast),
        .in_acc(a_acc), .in_mult(cfg.a.mult), .in_shift(cfg.a.shift),
        .out_valid(a_valid[l]), .out_user(a_last[l]),
        .out_rescale(ta), .out_sat(a_sat), .out_sat_hi(a_hi), .out_sat_lo(a_lo)
      );
      requant #(.OutBits(8), .Stages(RqStages), .UserWidth(1)) u_rb (
        .clk, .rst_n, .en(1'b1),
        .in_valid(fire), .in_user(1'b0),
        .in_acc(b_acc), .in_mult(cfg.b.mult), .in_shift(cfg.b.shift),
        .out_valid(b_valid), .out_user(b_user),
        .out_rescale(tb), .out_sat(b_sat), .out_sat_hi(b_hi), .out_sat_lo(b_lo)
      );
    end

    out_stage #(.Lanes(Lanes), .OutBits(OutBits), .Requant(1), .RqStages(RqStages), .Depth(Depth)) u_out (
      .clk, .rst_n, .credit, .issue(fire),
      .in_valid(a_valid[0]), .in_last(a_last[0]), .in_data(sums), .in_scale(cfg.out),
      .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready, .idle(out_idle)
    );
  end

  `SLLM_ERROR_IF(clk, rst_n, fire && (s_axis_a_tlast != s_axis_b_tlast),
                 ("residual_add: tlast of a (%0d) and b (%0d) differ: vectors of different lengths",
                  s_axis_a_tlast, s_axis_b_tlast))

endmodule

`default_nettype wire
