// SPDX-License-Identifier: Apache-2.0
//
// Test harness for linear: an SV weight-memory model (one HBM pseudo-channel) and a parameter memory
// feed s_axis_w and s_axis_p, so Python drives only x (s_axis) and takes y (m_axis).
//
// Memories, loaded with $readmemh at every rising edge of `load` (no clock needed):
//   weights:    K*N/Lanes words of Lanes*8 bits, in the output-major order of linear.sv
//               (word n*K/Lanes + j, lane i = W[j*Lanes+i, n]; lane 0 in the low bits);
//               file from +linear_w=<path>, default "linear_w.memh" in the simulation's directory;
//   parameters: N words of 72 bits {3'b0, shift[4:0], mult[31:0], bias[31:0]};
//               file from +linear_p=<path>, default "linear_p.memh".
// Both memories replay from word 0 for every input vector (the pointer wraps after the last word),
// and restart from word 0 after a reset.
// Starvation: each cycle the weight (and, independently, the parameter) source withholds its next
// beat with probability w_stall/256 (an LFSR per stream); 0 streams a beat every cycle.
// Counters for coverage and performance (cleared by reset): cycle, the cycle of the first accepted
// x beat, the cycle of the latest accepted y beat with tlast, cycles in which m_axis was stalled
// (tvalid && !tready) and cycles in which linear waited for a weight beat.

`default_nettype none

module tb_linear #(
  parameter int Lanes   = 16,
  parameter int K       = 64,
  parameter int N       = 16,
  parameter int OutBits = 8,
  localparam int WWords = K / Lanes * N
) (
  input  wire logic                 clk,
  input  wire logic                 rst_n,
  input  wire logic                 load,
  input  wire logic [7:0]           w_stall,
  input  wire logic [Lanes*8-1:0]   s_axis_tdata,
  input  wire logic                 s_axis_tlast,
  input  wire logic                 s_axis_tvalid,
  output logic                      s_axis_tready,
  output logic      [OutBits-1:0]   m_axis_tdata,
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

  // ---- Memories ---------------------------------------------------------------------------------
  logic [Lanes*8-1:0] wmem [WWords];
  logic [71:0]        pmem [N];
  string wfile, pfile;

  initial begin
    if (!$value$plusargs("linear_w=%s", wfile)) wfile = "linear_w.memh";
    if (!$value$plusargs("linear_p=%s", pfile)) pfile = "linear_p.memh";
  end

  always @(posedge load) begin
    $readmemh(wfile, wmem);
    $readmemh(pfile, pmem);
  end

  // ---- Streaming sources with random starvation ---------------------------------------------------
  localparam int WPtrWidth = (WWords > 1) ? $clog2(WWords) : 1;
  localparam int PPtrWidth = (N > 1) ? $clog2(N) : 1;

  logic [Lanes*8-1:0] w_tdata_q;
  logic               w_tvalid_q, w_tlast_q, w_tready;
  logic [WPtrWidth-1:0] w_ptr_q;
  logic [71:0]        p_tdata_q;
  logic               p_tvalid_q, p_tlast_q, p_tready;
  logic [PPtrWidth-1:0] p_ptr_q;
  logic [31:0]        w_lfsr_q, p_lfsr_q;
  logic               w_hold, p_hold;

  function automatic logic [31:0] xorshift(input logic [31:0] s);
    logic [31:0] x;
    x = s ^ (s << 13);
    x = x ^ (x >> 17);
    return x ^ (x << 5);
  endfunction

  assign w_hold = (w_lfsr_q[7:0] < w_stall);
  assign p_hold = (p_lfsr_q[7:0] < w_stall);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      w_tvalid_q <= 1'b0;
      p_tvalid_q <= 1'b0;
      w_ptr_q    <= '0;
      p_ptr_q    <= '0;
      w_lfsr_q   <= 32'h2545_f491;
      p_lfsr_q   <= 32'h9e37_79b9;
    end else begin
      w_lfsr_q <= xorshift(w_lfsr_q);
      p_lfsr_q <= xorshift(p_lfsr_q);
      if (!w_tvalid_q || w_tready) begin
        w_tvalid_q <= !w_hold;
        if (!w_hold) begin
          w_tdata_q <= wmem[w_ptr_q];
          w_tlast_q <= (w_ptr_q == WPtrWidth'(WWords - 1));
          w_ptr_q   <= (w_ptr_q == WPtrWidth'(WWords - 1)) ? '0 : w_ptr_q + 1'b1;
        end
      end
      if (!p_tvalid_q || p_tready) begin
        p_tvalid_q <= !p_hold;
        if (!p_hold) begin
          p_tdata_q <= pmem[p_ptr_q];
          p_tlast_q <= (p_ptr_q == PPtrWidth'(N - 1));
          p_ptr_q   <= (p_ptr_q == PPtrWidth'(N - 1)) ? '0 : p_ptr_q + 1'b1;
        end
      end
    end
  end

  // ---- The unit -----------------------------------------------------------------------------------
  linear #(.Lanes(Lanes), .K(K), .N(N), .OutBits(OutBits)) u_linear (
    .clk, .rst_n,
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .s_axis_w_tdata(w_tdata_q), .s_axis_w_tlast(w_tlast_q), .s_axis_w_tvalid(w_tvalid_q),
    .s_axis_w_tready(w_tready),
    .s_axis_p_tdata(p_tdata_q), .s_axis_p_tlast(p_tlast_q), .s_axis_p_tvalid(p_tvalid_q),
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
      if (!w_tvalid_q && !idle) w_starve_cycles <= w_starve_cycles + 1;
    end
  end

endmodule

`default_nettype wire
