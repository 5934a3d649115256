// SPDX-License-Identifier: Apache-2.0
//
// out_stage: the one output stage of the library's units: an optional requant (rtl/requant.sv),
// then an output FIFO whose room is reserved by a credit counter, so a unit's datapath never
// sees m_axis_tready.
//
// A unit issues an item into its own pipeline only while `credit` is high, and pulses `issue`
// in that cycle; the item arrives on in_* some fixed number of cycles later (the unit's
// pipeline) and is pushed into the FIFO. The counter holds items issued but not yet taken at
// m_axis, so with Depth >= (unit pipeline + RqStages + 2) the unit runs at full rate, and under
// any backpressure the FIFO never overflows (an $error in simulation otherwise).
//   Requant = 1: in_data holds Lanes int32 accumulators; out = requantize(acc, in_scale, OutBits)
//                (ops.requantize), RqStages cycles; in_scale is shared by the lanes of an item
//                (ScalePerLane = 0) or holds one scale per lane, lane l's in bits
//                [l*$bits(rq_scale_t) +: $bits(rq_scale_t)] (ScalePerLane = 1: the columns of
//                an output-parallel linear.sv each have their own channel scale).
//   Requant = 0: in_data holds the Lanes output elements; in_scale is unused (tie it to zeros).
// Latency: in_valid -> m_axis_tvalid: RqStages (if Requant) + 1 (FIFO) cycles.
// Throughput: 1 beat per cycle. credit depends only on the counter (no path from issue or from
// m_axis_tready in the same cycle). idle: no item issued and not yet taken.
// Reset: synchronous, active low; empties the requant pipeline, the FIFO and the counter.

`default_nettype none
`include "sllm_assert.svh"

module out_stage
  import sllm_pkg::*;
#(
  parameter int Lanes    = 1,  // elements per beat
  parameter int OutBits  = 8,  // output element width (2..32)
  parameter int Requant  = 1,  // 1: requantize int32 accumulators; 0: pass the elements through
  parameter int RqStages = 3,  // requant pipeline stages (1..3), when Requant = 1
  parameter int Depth    = 8,  // FIFO beats = items in flight the counter allows (>= 1)
  parameter int ScalePerLane = 0,  // 1: in_scale holds one rq_scale_t per lane, 0: one shared
  localparam int InBits = (Requant != 0) ? 32 : OutBits,
  localparam int ScaleBits = $bits(rq_scale_t),
  localparam int Scales = (ScalePerLane != 0) ? Lanes : 1
) (
  input  wire logic                     clk,
  input  wire logic                     rst_n,
  // Credit: the producer may issue an item while `credit` is high; `issue` takes one credit
  output logic                          credit,
  input  wire logic                     issue,
  // The items, as they leave the producer's pipeline
  input  wire logic                     in_valid,
  input  wire logic                     in_last,
  input  wire logic [Lanes*InBits-1:0]  in_data,
  input  wire logic [Scales*ScaleBits-1:0] in_scale,
  // Output stream
  output logic      [Lanes*OutBits-1:0] m_axis_tdata,
  output logic                          m_axis_tlast,
  output logic                          m_axis_tvalid,
  input  wire logic                     m_axis_tready,
  // No item issued and not yet taken
  output logic                          idle
);

  initial begin
    if (Lanes < 1) $fatal(1, "out_stage: Lanes must be >= 1, got %0d", Lanes);
    if (OutBits < 2 || OutBits > 32) $fatal(1, "out_stage: OutBits must be in [2, 32], got %0d", OutBits);
    if (Requant != 0 && Requant != 1) $fatal(1, "out_stage: Requant must be 0 or 1, got %0d", Requant);
    if (Requant != 0 && (RqStages < 1 || RqStages > 3))
      $fatal(1, "out_stage: RqStages must be in [1, 3], got %0d", RqStages);
    if (Depth < 1) $fatal(1, "out_stage: Depth must be >= 1, got %0d", Depth);
    if (ScalePerLane != 0 && ScalePerLane != 1) $fatal(1, "out_stage: ScalePerLane must be 0 or 1, got %0d", ScalePerLane);
  end

  localparam int CntWidth = $clog2(Depth + 1);

  // ---- Credit counter: items issued, not yet taken at m_axis ---------------------------------
  logic [CntWidth-1:0] outstanding_q;
  logic pop;
  assign credit = (outstanding_q != CntWidth'(Depth));
  assign pop    = m_axis_tvalid && m_axis_tready;
  assign idle   = (outstanding_q == '0);

  always_ff @(posedge clk) begin
    if (!rst_n) outstanding_q <= '0;
    else if (issue && !pop) outstanding_q <= outstanding_q + 1'b1;
    else if (pop && !issue) outstanding_q <= outstanding_q - 1'b1;
  end

  // ---- Optional requant, one per lane --------------------------------------------------------
  logic                     y_valid, y_last;
  logic [Lanes*OutBits-1:0] y;

  if (Requant != 0) begin : g_requant
    logic [Lanes-1:0] lane_valid, lane_last;
    for (genvar l = 0; l < Lanes; l++) begin : g_lane
      /* verilator lint_off UNUSEDSIGNAL */  // lane 0 carries valid and last for all lanes
      logic lane_hi, lane_lo;
      logic signed [31:0] lane_rescale;
      /* verilator lint_on UNUSEDSIGNAL */
      rq_scale_t lane_scale;
      assign lane_scale = in_scale[((ScalePerLane != 0) ? l : 0)*ScaleBits +: ScaleBits];
      requant #(.OutBits(OutBits), .Stages(RqStages), .UserWidth(1)) u_requant (
        .clk, .rst_n, .en(1'b1),
        .in_valid, .in_user(in_last),
        .in_acc(in_data[32*l +: 32]), .in_mult(lane_scale.mult), .in_shift(lane_scale.shift),
        .out_valid(lane_valid[l]), .out_user(lane_last[l]),
        .out_rescale(lane_rescale), .out_sat(y[OutBits*l +: OutBits]), .out_sat_hi(lane_hi), .out_sat_lo(lane_lo)
      );
    end
    assign y_valid = lane_valid[0];
    assign y_last  = lane_last[0];
    logic unused_lanes;
    assign unused_lanes = ^{lane_valid, lane_last};
  end else begin : g_pass
    assign y_valid = in_valid;
    assign y_last  = in_last;
    assign y       = in_data;
    logic unused_scale;
    assign unused_scale = ^in_scale;
  end

  // ---- Output FIFO ------------------------------------------------------------------------------
  logic fifo_ready;
  /* verilator lint_off UNUSEDSIGNAL */  // the counter, not the level, reserves room
  logic [$clog2(Depth + 1)-1:0] fifo_level;
  /* verilator lint_on UNUSEDSIGNAL */
  axis_fifo #(.DataWidth(Lanes * OutBits), .Depth(Depth)) u_fifo (
    .clk, .rst_n,
    .s_axis_tdata(y), .s_axis_tlast(y_last), .s_axis_tvalid(y_valid), .s_axis_tready(fifo_ready),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready,
    .level(fifo_level)
  );

  `SLLM_ERROR_IF(clk, rst_n, y_valid && !fifo_ready,
                 ("out_stage: FIFO overflow: an item arrived without a credit (its unit issued without one)"))

endmodule

`default_nettype wire
