// SPDX-License-Identifier: Apache-2.0
//
// Test harness for linear: an SV weight-memory model (one HBM pseudo-channel) and a parameter memory
// feed s_axis_w and s_axis_p, so Python drives only x (s_axis) and takes y (m_axis).
//
// Memories (weight_stream.sv), loaded with $readmemh at every rising edge of `load`:
//   weights:    K*N/(Lanes*Cols) words of Lanes*Cols*8 bits in linear.sv's output-major order, from
//               mem0.memh in the simulation's directory (tbkit.memh.linear_weight_lines);
//   parameters: N/Cols words of Cols sllm_pkg::linear_param_t, from mem1.memh
//               (tbkit.memh.linear_param_lines).
// Both replay from word 0 for every input vector and restart from word 0 after a reset.
// Starvation: each cycle each memory withholds its next beat with probability w_stall/256.
// Counters for coverage and performance (cleared by reset): cycle, the cycle of the first accepted
// x beat, the cycle of the latest accepted y beat with tlast, cycles in which m_axis was stalled
// (tvalid && !tready) and cycles in which linear waited for a weight beat.

`default_nettype none

module tb_linear
  import sllm_pkg::*;
#(
  parameter int Lanes   = 16,
  parameter int K       = 64,
  parameter int N       = 16,
  parameter int OutBits = 8,
  parameter int Cols    = 1,
  localparam int WWords = K / Lanes * (N / Cols),
  localparam int PBits  = Cols * $bits(linear_param_t)
) (
  input  wire logic                 clk,
  input  wire logic                 rst_n,
  input  wire logic                 load,
  input  wire logic [7:0]           w_stall,
  input  wire logic [Lanes*8-1:0]   s_axis_tdata,
  input  wire logic                 s_axis_tlast,
  input  wire logic                 s_axis_tvalid,
  output logic                      s_axis_tready,
  output logic [Cols*OutBits-1:0]   m_axis_tdata,
  output logic                      m_axis_tlast,
  output logic                      m_axis_tvalid,
  input  wire logic                 m_axis_tready,
  output logic                      idle,
  output logic      [31:0]          cycle,
  output logic      [31:0]          first_in_cycle,
  output logic      [31:0]          last_out_cycle,
  output logic      [31:0]          out_stall_cycles,
  output logic      [31:0]          w_starve_cycles
);

  // ---- Weight and parameter memories (one HBM pseudo-channel each) -------------------------------
  logic [Cols*Lanes*8-1:0] w_tdata;
  logic               w_tvalid, w_tlast, w_tready;
  logic [PBits-1:0]   p_tdata;
  logic               p_tvalid, p_tlast, p_tready;

  weight_stream #(.Width(Cols * Lanes * 8), .Words(WWords), .Id(0)) u_weights (
    .clk, .rst_n, .load, .restart(1'b0), .layer(1'b0), .stall(w_stall), .go(1'b0),
    .m_axis_tdata(w_tdata), .m_axis_tlast(w_tlast), .m_axis_tvalid(w_tvalid), .m_axis_tready(w_tready)
  );

  weight_stream #(.Width(PBits), .Words(N / Cols), .Id(1)) u_params (
    .clk, .rst_n, .load, .restart(1'b0), .layer(1'b0), .stall(w_stall), .go(1'b0),
    .m_axis_tdata(p_tdata), .m_axis_tlast(p_tlast), .m_axis_tvalid(p_tvalid), .m_axis_tready(p_tready)
  );

  // ---- The unit -----------------------------------------------------------------------------------
  linear #(.Lanes(Lanes), .K(K), .N(N), .OutBits(OutBits), .Cols(Cols)) u_linear (
    .clk, .rst_n,
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .s_axis_w_tdata(w_tdata), .s_axis_w_tlast(w_tlast), .s_axis_w_tvalid(w_tvalid),
    .s_axis_w_tready(w_tready),
    .s_axis_p_tdata(p_tdata), .s_axis_p_tlast(p_tlast), .s_axis_p_tvalid(p_tvalid),
    .s_axis_p_tready(p_tready),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready,
    .idle
  );

  // ---- Counters -----------------------------------------------------------------------------------
  logic seen_in_q;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      cycle            <= '0;
      seen_in_q        <= 1'b0;
      first_in_cycle   <= '0;
      last_out_cycle   <= '0;
      out_stall_cycles <= '0;
      w_starve_cycles  <= '0;
    end else begin
      cycle <= cycle + 1;
      if (s_axis_tvalid && s_axis_tready && !seen_in_q) begin
        seen_in_q      <= 1'b1;
        first_in_cycle <= cycle;
      end
      if (m_axis_tvalid && m_axis_tready && m_axis_tlast) last_out_cycle <= cycle;
      if (m_axis_tvalid && !m_axis_tready) out_stall_cycles <= out_stall_cycles + 1;
      if (!w_tvalid && !idle) w_starve_cycles <= w_starve_cycles + 1;
    end
  end

endmodule

`default_nettype wire
