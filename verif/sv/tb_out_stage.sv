// SPDX-License-Identifier: Apache-2.0
//
// Test harness for out_stage: a model producer around it, so the shared AXI-Stream testbench
// (stress matrix, protocol checks, scoreboard) drives its credit/issue contract.
//
//   s_axis_tdata   = Lanes elements of InBits (int32 accumulators with Requant = 1, the output
//                    elements themselves with Requant = 0), lane 0 in the low bits
//   s_axis_p_tdata = the item's rq_scale_t (sllm_pkg: {shift, mult}), one per beat, joined
//                    beat by beat with s_axis (random with Requant = 0: out_stage must ignore it)
//   m_axis         = out_stage's output stream, passed out as it is
//
// The producer: a beat is accepted (and `issue` pulsed) only while `credit` is high and both
// inputs are valid; the item then walks through a Delay-cycle shift register (the producer's
// pipeline; Delay = 0: in_valid in the issue cycle) and arrives on in_valid/in_last/in_data/
// in_scale. Nothing is accepted in reset. `idle` is out_stage's own (no item issued and not taken).

`default_nettype none

module tb_out_stage
  import sllm_pkg::*;
#(
  parameter int Lanes    = 1,
  parameter int OutBits  = 8,
  parameter int Requant  = 1,
  parameter int RqStages = 3,
  parameter int Depth    = 8,
  parameter int Delay    = 2,  // producer pipeline: issue -> in_valid cycles (>= 0)
  localparam int InBits = (Requant != 0) ? 32 : OutBits,
  localparam int ScaleBits = $bits(rq_scale_t)
) (
  input  wire logic                     clk,
  input  wire logic                     rst_n,
  input  wire logic [Lanes*InBits-1:0]  s_axis_tdata,
  input  wire logic                     s_axis_tlast,
  input  wire logic                     s_axis_tvalid,
  output logic                          s_axis_tready,
  input  wire logic [ScaleBits-1:0]     s_axis_p_tdata,
  input  wire logic                     s_axis_p_tlast,
  input  wire logic                     s_axis_p_tvalid,
  output logic                          s_axis_p_tready,
  output logic      [Lanes*OutBits-1:0] m_axis_tdata,
  output logic                          m_axis_tlast,
  output logic                          m_axis_tvalid,
  input  wire logic                     m_axis_tready,
  output logic                          credit,
  output logic                          issue,
  output logic                          in_valid,
  output logic                          idle
);

  initial begin
    if (Delay < 0) $fatal(1, "tb_out_stage: Delay must be >= 0, got %0d", Delay);
  end

  // ---- The producer: issue only with a credit ---------------------------------------------------
  assign issue           = rst_n && credit && s_axis_tvalid && s_axis_p_tvalid;
  assign s_axis_tready   = rst_n && credit && s_axis_p_tvalid;
  assign s_axis_p_tready = rst_n && credit && s_axis_tvalid;
  logic unused_p_last;
  assign unused_p_last = s_axis_p_tlast;

  // ---- Its pipeline: Delay cycles from issue to in_valid ----------------------------------------
  localparam int W = 1 + Lanes * InBits + ScaleBits;  // {last, data, scale}
  logic [W-1:0] item, in_item;
  assign item = {s_axis_tlast, s_axis_tdata, s_axis_p_tdata};

  if (Delay == 0) begin : g_nodelay
    assign in_valid = issue;
    assign in_item  = item;
  end else begin : g_delay
    logic [Delay-1:0] valid_q;
    logic [W-1:0]     item_q [Delay];
    always_ff @(posedge clk) begin
      if (!rst_n) valid_q <= '0;
      else begin
        valid_q[0] <= issue;
        for (int i = 1; i < Delay; i++) valid_q[i] <= valid_q[i-1];
      end
      item_q[0] <= item;
      for (int i = 1; i < Delay; i++) item_q[i] <= item_q[i-1];
    end
    assign in_valid = valid_q[Delay-1];
    assign in_item  = item_q[Delay-1];
  end

  logic                    in_last;
  logic [Lanes*InBits-1:0] in_data;
  rq_scale_t               in_scale;
  assign {in_last, in_data, in_scale} = in_item;

  out_stage #(.Lanes(Lanes), .OutBits(OutBits), .Requant(Requant), .RqStages(RqStages), .Depth(Depth)) u_out (
    .clk, .rst_n,
    .credit, .issue,
    .in_valid, .in_last, .in_data, .in_scale,
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready,
    .idle
  );

endmodule

`default_nettype wire
