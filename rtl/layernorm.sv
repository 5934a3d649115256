// SPDX-License-Identifier: Apache-2.0
//
// layernorm: integer LayerNorm (ops.layernorm, GPT-2: int InBits in, int8 out) or, with Rms = 1,
// integer RMSNorm (llama_ops.rmsnorm, Llama: int InBits in, int OutBits out) over a d-vector,
// bit-exact. The two share everything but the statistics and the last output step.
//
// Per vector of d = (beats * Lanes) elements (tlast ends it; d <= MaxDim), docs/numerics.md:
//   load:   buffer x; S1 = sum x, S2 = sum x^2
//   stats:  V = d*S2 - S1^2 + eps_v (RMSNorm: V = S2 + eps_v);
//           k = (62 - bitlen(V)) / 2; Vn = V << 2k                                (2 cycles)
//           r = isqrt(Vn)             (isqrt.sv, digit by digit, 31 cycles)
//           inv = floor(2^61 / r)     (divider.sv, the one division, 62 cycles)
//   output, per element i (pipelined, Lanes per cycle):
//           c = d*x_i - S1; z = RDBPOT(c*inv, 45 - k)    (RMSNorm: c = x_i; z = RDBPOT(c*inv, 31 - k))
//           t = rescale(z, g_mult[i], g_shift[i]) (requant.sv); t = -t if g_neg[i]
//           y = sat8(RDBPOT(t + beta_q[i], 8))           (RMSNorm: y = sat_OutBits(t); beta_q unused)
// Configuration: eps_v (input port, static while a vector is in flight). The per-channel words
// (sllm_pkg::ln_chan_t: g_neg, g = {g_shift, g_mult}, beta_q) live in a MaxDim-entry memory inside
// the unit, written through the prm_* port (prm_we writes prm_wdata to channel prm_addr at the
// clock edge) so that one unit can serve every layer; load it while the unit is idle. Neither
// memory nor eps_v is cleared by reset.
// Vectors are processed one at a time: s_axis_tready is high only while a vector is loaded.
// Latency (tlast accepted -> first output beat accepted, no backpressure): 103 + RqStages cycles
// (2 stats, 32 isqrt, 63 divide, 3 + RqStages + 1 output pipeline and FIFO, 2 state changes).
// Throughput: the output streams at 1 beat/cycle; a vector of B = d/Lanes beats occupies the
// unit for 2B + 102 cycles (its output tail overlaps the next load), so back-to-back vectors are
// accepted every 2B + 102 cycles. The output pipeline issues reads only while its FIFO has room
// for everything in flight (rtl/out_stage.sv's credit counter), so backpressure stalls it without
// losing a beat.
// A vector longer than MaxDim is an error: the unit ends it at MaxDim (an $error in simulation).
// Ready/valid: AXI4-Stream; no combinational path from m_axis_tready to s_axis_tready.
// Reset: synchronous, active low; drops the vector in progress.

`default_nettype none
`include "sllm_assert.svh"

module layernorm
  import sllm_pkg::*;
#(
  parameter int Lanes    = 1,    // elements per beat (a power of two)
  parameter int InBits   = 16,   // input width: 2..16 (LayerNorm), 2..24 (RMSNorm)
  parameter int MaxDim   = 768,  // longest vector d (a multiple of Lanes, <= 4096)
  parameter int RqStages = 3,    // pipeline stages of the gamma requant (1..3)
  parameter int Rms      = 0,    // 0: LayerNorm; 1: RMSNorm (no mean, no beta)
  parameter int OutBits  = 8,    // output width: 8 (LayerNorm); 2..32 (RMSNorm)
  localparam int ChanWidth = (MaxDim > 1) ? $clog2(MaxDim) : 1
) (
  input  wire logic                    clk,
  input  wire logic                    rst_n,
  // Configuration: eps_v = max(1, round(eps * d^2 / s_x^2)) < 2^56 (RMSNorm: eps * d / s_x^2)
  input  wire logic [61:0]             eps_v,
  // Per-channel parameter load port
  input  wire logic                    prm_we,
  input  wire logic [ChanWidth-1:0]    prm_addr,
  input  wire ln_chan_t                prm_wdata,
  // Input: Lanes x int InBits
  input  wire logic [InBits*Lanes-1:0] s_axis_tdata,
  input  wire logic                    s_axis_tlast,
  input  wire logic                    s_axis_tvalid,
  output logic                         s_axis_tready,
  // Output: Lanes x int OutBits
  output logic      [OutBits*Lanes-1:0] m_axis_tdata,
  output logic                         m_axis_tlast,
  output logic                         m_axis_tvalid,
  input  wire logic                    m_axis_tready
);

  initial begin
    if (Lanes < 1 || (Lanes & (Lanes - 1)) != 0)
      $fatal(1, "layernorm: Lanes must be a power of two, got %0d", Lanes);
    if (Rms != 0 && Rms != 1) $fatal(1, "layernorm: Rms must be 0 or 1, got %0d", Rms);
    if (InBits < 2 || InBits > (Rms != 0 ? 24 : 16))
      $fatal(1, "layernorm: InBits must be in [2, %0d] (Rms = %0d), got %0d", Rms != 0 ? 24 : 16, Rms, InBits);
    if (Rms == 0 && OutBits != 8) $fatal(1, "layernorm: OutBits must be 8 for LayerNorm (Rms = 0), got %0d", OutBits);
    if (OutBits < 2 || OutBits > 32) $fatal(1, "layernorm: OutBits must be in [2, 32], got %0d", OutBits);
    if (MaxDim < 1 || MaxDim > 4096) $fatal(1, "layernorm: MaxDim must be in [1, 4096], got %0d", MaxDim);
    if (MaxDim % Lanes != 0) $fatal(1, "layernorm: MaxDim (%0d) must be a multiple of Lanes (%0d)", MaxDim, Lanes);
    if (RqStages < 1 || RqStages > 3) $fatal(1, "layernorm: RqStages must be in [1, 3], got %0d", RqStages);
  end

  localparam int Words      = MaxDim / Lanes;                      // beats per longest vector
  localparam int WordWidth  = (Words > 1) ? $clog2(Words) : 1;
  localparam int BeatWidth  = $clog2(Words + 1);                   // beat counts 0..Words
  localparam int S1Width    = InBits + 13;                         // signed, |S1| <= 2^(InBits-1) * 4096
  localparam int S2Width    = 2 * InBits + 12;                     // unsigned
  localparam int PipeStages = 3 + RqStages;                        // read, product, z, requant
  localparam int Depth      = PipeStages + 2;                      // output FIFO beats
  localparam logic signed [63:0] OutMax = (64'sd1 <<< (OutBits - 1)) - 64'sd1;
  localparam logic signed [63:0] OutMin = -(64'sd1 <<< (OutBits - 1));

  typedef enum logic [2:0] {Load, Stat, Norm, Sqrt, Div, Out} state_e;
  state_e state_q, state_d;

  logic [12:0] d_q, d_d;                   // elements in the vector (<= 4096)

  // ---- Statistics -------------------------------------------------------------------------
  logic signed [S1Width-1:0] s1_q, s1_d, beat_s1;
  logic [S2Width-1:0] s2_q, s2_d, beat_s2;
  logic [63:0] v_q, v_d;
  logic signed [63:0] s1_64;
  assign s1_64 = 64'(s1_q);
  logic [4:0]  k_q, k_d;                   // 0..30
  logic [31:0] inv_q, inv_d;               // (2^30, 2^31]
  logic [5:0]  zshift_q;                   // 45 - k

  // Sums over the lanes of one input beat.
  function automatic logic signed [S1Width-1:0] lane_sum(input logic [InBits*Lanes-1:0] data);
    logic signed [InBits-1:0] x;
    lane_sum = '0;
    for (int l = 0; l < Lanes; l++) begin
      x = data[InBits*l +: InBits];
      lane_sum = lane_sum + S1Width'(x);
    end
  endfunction

  function automatic logic [S2Width-1:0] lane_sum_sq(input logic [InBits*Lanes-1:0] data);
    logic signed [InBits-1:0] x;
    lane_sum_sq = '0;
    for (int l = 0; l < Lanes; l++) begin
      x = data[InBits*l +: InBits];
      lane_sum_sq = lane_sum_sq + S2Width'($unsigned(64'(x) * 64'(x)));
    end
  endfunction

  assign beat_s1 = lane_sum(s_axis_tdata);
  assign beat_s2 = lane_sum_sq(s_axis_tdata);

  // bitlen(V), k = (62 - bitlen) / 2 (V in [1, 2^62))
  logic [6:0] v_bitlen;
  always_comb begin
    v_bitlen = '0;
    for (int i = 0; i < 64; i++) begin
      if (v_q[i]) v_bitlen = 7'(i + 1);
    end
  end

  // ---- Sequential isqrt and divider ---------------------------------------------------------
  logic        sqrt_start, sqrt_done, div_start, div_done;
  logic [30:0] root;
  logic [61:0] vn;
  /* verilator lint_off UNUSEDSIGNAL */  // the quotient is <= 2^31; busy flags and remainder unused
  logic [61:0] quotient;
  logic [30:0] remainder;
  logic        sqrt_busy, div_busy;
  /* verilator lint_on UNUSEDSIGNAL */

  assign vn = 62'(v_q << {k_q, 1'b0});

  isqrt #(.Bits(62)) u_isqrt (
    .clk, .rst_n, .start(sqrt_start), .value(vn), .busy(sqrt_busy), .done(sqrt_done), .root(root)
  );
  divider #(.DividendWidth(62), .DivisorWidth(31)) u_div (
    .clk, .rst_n, .start(div_start), .dividend(62'h2000_0000_0000_0000), .divisor(root),
    .busy(div_busy), .done(div_done), .quotient(quotient), .remainder(remainder)
  );

  // ---- The vector buffer: the load, then the output pass (stage 1: registered reads) --------
  logic load_hs, row_end, issue, all_issued, drained, credit;
  logic [BeatWidth-1:0] cnt;               // index of the beat offered
  logic [WordWidth-1:0] rd_index;
  // Output pipeline valid flags (stage 1: reads, 2: product, 3: z), declared before their use.
  logic s1_valid_q, s1_last_q, s2_valid_q, s2_last_q, s3_valid_q, s3_last_q;
  logic [InBits*Lanes-1:0] s1_x_q;

  vec_buffer #(.Width(InBits * Lanes), .MaxBeats(Words)) u_buf (
    .clk, .rst_n, .load(state_q == Load),
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .take(load_hs), .row_end, .count(cnt),
    .rewind(state_q == Div && div_done), .issue, .all_issued, .index(rd_index),
    .rd_valid(s1_valid_q), .rd_last(s1_last_q), .rd_data(s1_x_q)
  );

  assign issue         = (state_q == Out) && !all_issued && credit;
  // The stages up to z read d, S1, inv and k, which the next vector's load overwrites.
  assign drained       = all_issued && !s1_valid_q && !s2_valid_q && !s3_valid_q;

  always_comb begin
    state_d    = state_q;
    d_d        = d_q;
    s1_d       = s1_q;
    s2_d       = s2_q;
    v_d        = v_q;
    k_d        = k_q;
    inv_d      = inv_q;
    sqrt_start = 1'b0;
    div_start  = 1'b0;
    case (state_q)
      Load: if (load_hs) begin
        s1_d  = ((cnt == '0) ? '0 : s1_q) + beat_s1;
        s2_d  = ((cnt == '0) ? '0 : s2_q) + beat_s2;
        if (row_end) begin
          d_d     = 13'((32'(cnt) + 1) * Lanes);
          state_d = Stat;
        end
      end
      Stat: begin  // V = d*S2 - S1^2 + eps_v (RMSNorm: S2 + eps_v)
        v_d = (Rms != 0) ? 64'(s2_q) + 64'(eps_v) : 64'(d_q) * 64'(s2_q) - 64'(s1_64 * s1_64) + 64'(eps_v);
        state_d = Norm;
      end
      Norm: begin
        k_d        = 5'((7'd62 - v_bitlen) >> 1);
        state_d    = Sqrt;
      end
      Sqrt: begin
        sqrt_start = !sqrt_busy && !sqrt_done;
        if (sqrt_done) begin
          div_start = 1'b1;
          state_d   = Div;
        end
      end
      Div: if (div_done) begin
        inv_d   = quotient[31:0];
        state_d = Out;
      end
      Out: if (drained) state_d = Load;
      default: state_d = Load;
    endcase
  end

  always_ff @(posedge clk) begin
    if (!rst_n) state_q <= Load;
    else state_q <= state_d;
    d_q      <= d_d;
    s1_q     <= s1_d;
    s2_q     <= s2_d;
    v_q      <= v_d;
    k_q      <= k_d;
    inv_q    <= inv_d;
    zshift_q <= ((Rms != 0) ? 6'd31 : 6'd45) - 6'(k_q);
  end

  // ---- Output pipeline -----------------------------------------------------------------------
  // stage 1: registered reads of x and the parameters; stage 2: p = c * inv;
  // stage 3: z = RDBPOT(p, zshift); requant (RqStages): t = rescale(z, g_mult, g_shift), with
  // {beta_q, g_neg, tlast} riding along as user bits; then y = sat8(RDBPOT(+-t + beta_q, 8))
  // (RMSNorm: y = sat_OutBits(+-t)).
  /* verilator lint_off UNUSEDSIGNAL */  // lane 0 carries valid and tlast for all lanes
  logic [Lanes-1:0] rq_valid, rq_last;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [OutBits*Lanes-1:0] y;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      s2_valid_q <= 1'b0;
      s3_valid_q <= 1'b0;
    end else begin
      s2_valid_q <= s1_valid_q;
      s3_valid_q <= s2_valid_q;
    end
    s2_last_q <= s1_last_q;
    s3_last_q <= s2_last_q;
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    // This lane's channels: l, l + Lanes, l + 2*Lanes, ...
    ln_chan_t prm_q [Words];
    ln_chan_t s1_prm_q, s2_prm_q, s3_prm_q;
    logic signed [63:0] s2_p_q, s3_z_q;
    logic signed [InBits-1:0] x;
    logic signed [InBits+13:0] c;  // d*x - S1 (RMSNorm: x)

    if (Lanes == 1) begin : g_one
      always_ff @(posedge clk) begin
        if (prm_we) prm_q[WordWidth'(prm_addr)] <= prm_wdata;
      end
    end else begin : g_bank
      always_ff @(posedge clk) begin
        if (prm_we && 32'(prm_addr) % Lanes == l)
          prm_q[WordWidth'(32'(prm_addr) / Lanes)] <= prm_wdata;
      end
    end

    assign x = s1_x_q[InBits*l +: InBits];
    assign c = (Rms != 0) ? (InBits+14)'(x) : $signed({1'b0, d_q}) * (InBits+14)'(x) - (InBits+14)'(s1_q);

    always_ff @(posedge clk) begin
      s1_prm_q <= prm_q[rd_index];
      s2_prm_q <= s1_prm_q;
      s3_prm_q <= s2_prm_q;
      s2_p_q   <= 64'(c) * $signed({32'd0, inv_q});
      s3_z_q   <= rdbpot64(s2_p_q, zshift_q);
    end

    // requant: t = rescale(z, g_mult, g_shift); user = {beta_q, g_neg, tlast}
    logic [33:0] rq_user;
    logic signed [31:0] t, t_signed;
    logic signed [63:0] u;
    logic signed [63:0] r;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [7:0] rq_sat;
    logic rq_hi, rq_lo;
    logic [63:0] z_unused;
    /* verilator lint_on UNUSEDSIGNAL */
    assign z_unused = s3_z_q;  // |z| < 2^23 (RMSNorm: <= 2^30): the low 32 bits go to the requant

    requant #(.OutBits(8), .Stages(RqStages), .UserWidth(34)) u_gamma (
      .clk, .rst_n, .en(1'b1),
      .in_valid(s3_valid_q), .in_user({s3_prm_q.beta_q, s3_prm_q.g_neg, s3_last_q}),
      .in_acc(s3_z_q[31:0]), .in_mult(s3_prm_q.g.mult), .in_shift(s3_prm_q.g.shift),
      .out_valid(rq_valid[l]), .out_user(rq_user),
      .out_rescale(t), .out_sat(rq_sat), .out_sat_hi(rq_hi), .out_sat_lo(rq_lo)
    );

    assign rq_last[l] = rq_user[0];
    assign t_signed   = rq_user[1] ? -t : t;
    assign u          = 64'(t_signed) + 64'($signed(rq_user[33:2]));
    assign r          = (Rms != 0) ? 64'(t_signed) : rdbpot64(u, 6'd8);
    assign y[OutBits*l +: OutBits] = (r > OutMax) ? OutMax[OutBits-1:0] : (r < OutMin) ? OutMin[OutBits-1:0] : r[OutBits-1:0];
  end

  /* verilator lint_off UNUSEDSIGNAL */  // issue is gated by the credit, not by idle
  logic out_idle;
  /* verilator lint_on UNUSEDSIGNAL */
  out_stage #(.Lanes(Lanes), .OutBits(OutBits), .Requant(0), .Depth(Depth)) u_out (
    .clk, .rst_n, .credit, .issue,
    .in_valid(rq_valid[0]), .in_last(rq_last[0]), .in_data(y), .in_scale({$bits(rq_scale_t){1'b0}}),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready, .idle(out_idle)
  );

  `SLLM_ERROR_IF(clk, rst_n, load_hs && row_end && !s_axis_tlast,
                 ("layernorm: vector longer than MaxDim = %0d; ended it at MaxDim", MaxDim))

endmodule

`default_nettype wire
