// SPDX-License-Identifier: Apache-2.0
//
// softmax: integer softmax of one attention row (ops.softmax_row), bit-exact.
//
// Input: one int32 base-2 logit per beat (8 fraction bits, u = x*log2(e)*2^8); tlast ends the
// row, 1..MaxLen scores. Output: one uint16 Q0.16 probability per beat, in input order, tlast
// on the row's last one. Per row (docs/numerics.md):
//   1. m = max u (while the row is buffered);  delta = m - u, n = delta >> 8, f = delta & 255
//   2. e = RoundShift(E[f], n) = (E[f] + 2^(n-1)) >> n, 0 for n >= 16 (E: 256 x 16-bit exp2 ROM)
//   3. Z = sum e                                  (pass 2 over the buffer)
//   4. R = floor(2^47 / Z)                        (divider.sv, 48 cycles, the one division)
//   5. p = min(65535, (e*R + 2^30) >> 31)         (pass 3 over the buffer, e recomputed)
// The row is buffered in a MaxLen x 32-bit memory with a registered read (block-RAM style).
// Rows are processed one at a time: s_axis_tready is high only while a row is being loaded.
// Latency (tlast accepted -> first probability accepted, no backpressure): L + 56 cycles for a
// row of L scores. Throughput: the output streams at 1 beat/cycle; one row of L scores occupies
// the unit for 3L + 55 cycles (L load, L + 3 sum, 49 divide, L + 3 out), so back-to-back rows
// are accepted every 3L + 55 cycles. Pass 3 issues reads only when the 4-entry output FIFO has
// room for everything in flight (rtl/out_stage.sv's credit counter), so backpressure stalls it
// without losing a beat.
// A row longer than MaxLen is an error: the unit ends it at MaxLen (an $error in simulation).
// Ready/valid: AXI4-Stream; no combinational path from m_axis_tready to s_axis_tready.
// Reset: synchronous, active low; drops the row in progress.

`default_nettype none
`include "sllm_assert.svh"

module softmax
  import sllm_pkg::*;
#(
  parameter int MaxLen = 1024,  // longest row in scores (1..65535)
  localparam int AddrWidth  = (MaxLen > 1) ? $clog2(MaxLen) : 1,
  localparam int CountWidth = $clog2(MaxLen + 1),
  localparam int SumWidth   = 15 + $clog2(MaxLen + 1)  // Z <= MaxLen * 2^15
) (
  input  wire logic        clk,
  input  wire logic        rst_n,
  // Scores: int32, 8 fraction bits (base-2 logits)
  input  wire logic [31:0] s_axis_tdata,
  input  wire logic        s_axis_tlast,
  input  wire logic        s_axis_tvalid,
  output logic             s_axis_tready,
  // Probabilities: uint16 Q0.16, saturated at 65535
  output logic      [15:0] m_axis_tdata,
  output logic             m_axis_tlast,
  output logic             m_axis_tvalid,
  input  wire logic        m_axis_tready
);

  initial begin
    if (MaxLen < 1 || MaxLen > 65535) $fatal(1, "softmax: MaxLen must be in [1, 65535], got %0d", MaxLen);
  end

  localparam int FifoDepth = 4;  // >= 2 pipeline registers + 2 for a full-rate output

  // exp2 ROM: E[f] = round(2^15 * 2^(-f/256)), ops.EXP2_TABLE (generated from the model).
  function automatic logic [15:0] exp2_rom(input logic [7:0] f);
    logic [15:0] e;
    case (f)
      8'd0  : e = 16'd32768;  8'd1  : e = 16'd32679;  8'd2  : e = 16'd32591;  8'd3  : e = 16'd32503;
      8'd4  : e = 16'd32415;  8'd5  : e = 16'd32327;  8'd6  : e = 16'd32240;  8'd7  : e = 16'd32153;
      8'd8  : e = 16'd32066;  8'd9  : e = 16'd31979;  8'd10 : e = 16'd31893;  8'd11 : e = 16'd31806;
      8'd12 : e = 16'd31720;  8'd13 : e = 16'd31635;  8'd14 : e = 16'd31549;  8'd15 : e = 16'd31464;
      8'd16 : e = 16'd31379;  8'd17 : e = 16'd31294;  8'd18 : e = 16'd31209;  8'd19 : e = 16'd31125;
      8'd20 : e = 16'd31041;  8'd21 : e = 16'd30957;  8'd22 : e = 16'd30873;  8'd23 : e = 16'd30790;
      8'd24 : e = 16'd30706;  8'd25 : e = 16'd30623;  8'd26 : e = 16'd30541;  8'd27 : e = 16'd30458;
      8'd28 : e = 16'd30376;  8'd29 : e = 16'd30293;  8'd30 : e = 16'd30212;  8'd31 : e = 16'd30130;
      8'd32 : e = 16'd30048;  8'd33 : e = 16'd29967;  8'd34 : e = 16'd29886;  8'd35 : e = 16'd29805;
      8'd36 : e = 16'd29725;  8'd37 : e = 16'd29644;  8'd38 : e = 16'd29564;  8'd39 : e = 16'd29484;
      8'd40 : e = 16'd29405;  8'd41 : e = 16'd29325;  8'd42 : e = 16'd29246;  8'd43 : e = 16'd29167;
      8'd44 : e = 16'd29088;  8'd45 : e = 16'd29009;  8'd46 : e = 16'd28931;  8'd47 : e = 16'd28852;
      8'd48 : e = 16'd28774;  8'd49 : e = 16'd28697;  8'd50 : e = 16'd28619;  8'd51 : e = 16'd28542;
      8'd52 : e = 16'd28464;  8'd53 : e = 16'd28388;  8'd54 : e = 16'd28311;  8'd55 : e = 16'd28234;
      8'd56 : e = 16'd28158;  8'd57 : e = 16'd28082;  8'd58 : e = 16'd28006;  8'd59 : e = 16'd27930;
      8'd60 : e = 16'd27855;  8'd61 : e = 16'd27779;  8'd62 : e = 16'd27704;  8'd63 : e = 16'd27629;
      8'd64 : e = 16'd27554;  8'd65 : e = 16'd27480;  8'd66 : e = 16'd27406;  8'd67 : e = 16'd27332;
      8'd68 : e = 16'd27258;  8'd69 : e = 16'd27184;  8'd70 : e = 16'd27110;  8'd71 : e = 16'd27037;
      8'd72 : e = 16'd26964;  8'd73 : e = 16'd26891;  8'd74 : e = 16'd26818;  8'd75 : e = 16'd26746;
      8'd76 : e = 16'd26674;  8'd77 : e = 16'd26601;  8'd78 : e = 16'd26530;  8'd79 : e = 16'd26458;
      8'd80 : e = 16'd26386;  8'd81 : e = 16'd26315;  8'd82 : e = 16'd26244;  8'd83 : e = 16'd26173;
      8'd84 : e = 16'd26102;  8'd85 : e = 16'd26031;  8'd86 : e = 16'd25961;  8'd87 : e = 16'd25891;
      8'd88 : e = 16'd25821;  8'd89 : e = 16'd25751;  8'd90 : e = 16'd25681;  8'd91 : e = 16'd25612;
      8'd92 : e = 16'd25543;  8'd93 : e = 16'd25474;  8'd94 : e = 16'd25405;  8'd95 : e = 16'd25336;
      8'd96 : e = 16'd25268;  8'd97 : e = 16'd25199;  8'd98 : e = 16'd25131;  8'd99 : e = 16'd25063;
      8'd100: e = 16'd24995;  8'd101: e = 16'd24928;  8'd102: e = 16'd24860;  8'd103: e = 16'd24793;
      8'd104: e = 16'd24726;  8'd105: e = 16'd24659;  8'd106: e = 16'd24593;  8'd107: e = 16'd24526;
      8'd108: e = 16'd24460;  8'd109: e = 16'd24394;  8'd110: e = 16'd24328;  8'd111: e = 16'd24262;
      8'd112: e = 16'd24196;  8'd113: e = 16'd24131;  8'd114: e = 16'd24066;  8'd115: e = 16'd24001;
      8'd116: e = 16'd23936;  8'd117: e = 16'd23871;  8'd118: e = 16'd23806;  8'd119: e = 16'd23742;
      8'd120: e = 16'd23678;  8'd121: e = 16'd23614;  8'd122: e = 16'd23550;  8'd123: e = 16'd23486;
      8'd124: e = 16'd23423;  8'd125: e = 16'd23359;  8'd126: e = 16'd23296;  8'd127: e = 16'd23233;
      8'd128: e = 16'd23170;  8'd129: e = 16'd23108;  8'd130: e = 16'd23045;  8'd131: e = 16'd22983;
      8'd132: e = 16'd22921;  8'd133: e = 16'd22859;  8'd134: e = 16'd22797;  8'd135: e = 16'd22735;
      8'd136: e = 16'd22674;  8'd137: e = 16'd22613;  8'd138: e = 16'd22552;  8'd139: e = 16'd22491;
      8'd140: e = 16'd22430;  8'd141: e = 16'd22369;  8'd142: e = 16'd22309;  8'd143: e = 16'd22248;
      8'd144: e = 16'd22188;  8'd145: e = 16'd22128;  8'd146: e = 16'd22068;  8'd147: e = 16'd22009;
      8'd148: e = 16'd21949;  8'd149: e = 16'd21890;  8'd150: e = 16'd21831;  8'd151: e = 16'd21772;
      8'd152: e = 16'd21713;  8'd153: e = 16'd21654;  8'd154: e = 16'd21595;  8'd155: e = 16'd21537;
      8'd156: e = 16'd21479;  8'd157: e = 16'd21421;  8'd158: e = 16'd21363;  8'd159: e = 16'd21305;
      8'd160: e = 16'd21247;  8'd161: e = 16'd21190;  8'd162: e = 16'd21133;  8'd163: e = 16'd21076;
      8'd164: e = 16'd21019;  8'd165: e = 16'd20962;  8'd166: e = 16'd20905;  8'd167: e = 16'd20849;
      8'd168: e = 16'd20792;  8'd169: e = 16'd20736;  8'd170: e = 16'd20680;  8'd171: e = 16'd20624;
      8'd172: e = 16'd20568;  8'd173: e = 16'd20513;  8'd174: e = 16'd20457;  8'd175: e = 16'd20402;
      8'd176: e = 16'd20347;  8'd177: e = 16'd20292;  8'd178: e = 16'd20237;  8'd179: e = 16'd20182;
      8'd180: e = 16'd20127;  8'd181: e = 16'd20073;  8'd182: e = 16'd20019;  8'd183: e = 16'd19965;
      8'd184: e = 16'd19911;  8'd185: e = 16'd19857;  8'd186: e = 16'd19803;  8'd187: e = 16'd19750;
      8'd188: e = 16'd19696;  8'd189: e = 16'd19643;  8'd190: e = 16'd19590;  8'd191: e = 16'd19537;
      8'd192: e = 16'd19484;  8'd193: e = 16'd19431;  8'd194: e = 16'd19379;  8'd195: e = 16'd19326;
      8'd196: e = 16'd19274;  8'd197: e = 16'd19222;  8'd198: e = 16'd19170;  8'd199: e = 16'd19118;
      8'd200: e = 16'd19066;  8'd201: e = 16'd19015;  8'd202: e = 16'd18963;  8'd203: e = 16'd18912;
      8'd204: e = 16'd18861;  8'd205: e = 16'd18810;  8'd206: e = 16'd18759;  8'd207: e = 16'd18708;
      8'd208: e = 16'd18658;  8'd209: e = 16'd18607;  8'd210: e = 16'd18557;  8'd211: e = 16'd18507;
      8'd212: e = 16'd18457;  8'd213: e = 16'd18407;  8'd214: e = 16'd18357;  8'd215: e = 16'd18308;
      8'd216: e = 16'd18258;  8'd217: e = 16'd18209;  8'd218: e = 16'd18160;  8'd219: e = 16'd18110;
      8'd220: e = 16'd18061;  8'd221: e = 16'd18013;  8'd222: e = 16'd17964;  8'd223: e = 16'd17915;
      8'd224: e = 16'd17867;  8'd225: e = 16'd17819;  8'd226: e = 16'd17770;  8'd227: e = 16'd17722;
      8'd228: e = 16'd17674;  8'd229: e = 16'd17627;  8'd230: e = 16'd17579;  8'd231: e = 16'd17531;
      8'd232: e = 16'd17484;  8'd233: e = 16'd17437;  8'd234: e = 16'd17390;  8'd235: e = 16'd17343;
      8'd236: e = 16'd17296;  8'd237: e = 16'd17249;  8'd238: e = 16'd17202;  8'd239: e = 16'd17156;
      8'd240: e = 16'd17109;  8'd241: e = 16'd17063;  8'd242: e = 16'd17017;  8'd243: e = 16'd16971;
      8'd244: e = 16'd16925;  8'd245: e = 16'd16879;  8'd246: e = 16'd16834;  8'd247: e = 16'd16788;
      8'd248: e = 16'd16743;  8'd249: e = 16'd16697;  8'd250: e = 16'd16652;  8'd251: e = 16'd16607;
      8'd252: e = 16'd16562;  8'd253: e = 16'd16518;  8'd254: e = 16'd16473;  8'd255: e = 16'd16428;
      default: e = 16'd0;
    endcase
    return e;
  endfunction

  // e = RoundShift(E[f], n) of delta = m - u (delta >= 0, < 2^32).
  function automatic logic [15:0] exp_term(input logic signed [31:0] m, input logic signed [31:0] u);
    logic [31:0] delta;  // m - u modulo 2^32 is exact: 0 <= m - u < 2^32
    logic [16:0] half, sum;  // sum <= 32768 + 2^14
    logic [15:0] v;          // <= 32768 after the shift
    delta = m - u;
    if (delta[31:12] != '0) return 16'd0;  // n >= 16
    half = (17'd1 << delta[11:8]) >> 1;    // 2^(n-1), 0 for n = 0
    sum = 17'(exp2_rom(delta[7:0])) + half;
    v = 16'(sum >> delta[11:8]);
    return v;
  endfunction

  typedef enum logic [1:0] {Load, Sum, Div, Out} state_e;
  state_e state_q, state_d;

  logic signed [31:0]    max_q, max_d;
  logic [SumWidth-1:0]   z_q, z_d;
  logic [32:0]           r_q, r_d;          // R = floor(2^47 / Z), in [2^16, 2^32]

  // Read pipeline: stage 1 = registered memory read, stage 2 = e.
  logic        s1_valid_q, s1_last_q, s2_valid_q, s2_last_q;
  logic [31:0] s1_data_q;
  logic [15:0] s2_e_q;

  // Output stage
  logic [15:0] p;
  logic        credit;

  // Divider
  logic        div_start, div_done;
  /* verilator lint_off UNUSEDSIGNAL */  // the quotient is < 2^33; busy and remainder unused
  logic [47:0] div_quotient;
  logic        div_busy;
  logic [SumWidth-1:0] div_remainder;
  /* verilator lint_on UNUSEDSIGNAL */

  logic load_hs, issue, row_end, drained, all_issued;
  logic [CountWidth-1:0] cnt;  // index of the score offered
  /* verilator lint_off UNUSEDSIGNAL */  // softmax keeps no per-beat table to read alongside
  logic [AddrWidth-1:0] rd_index;
  /* verilator lint_on UNUSEDSIGNAL */

  // The row buffer: the load (pass 1), then passes 2 and 3 over it.
  vec_buffer #(.Width(32), .MaxBeats(MaxLen)) u_buf (
    .clk, .rst_n, .load(state_q == Load),
    .s_axis_tdata, .s_axis_tlast, .s_axis_tvalid, .s_axis_tready,
    .take(load_hs), .row_end, .count(cnt),
    .rewind((load_hs && row_end) || (state_q == Div && div_done)), .issue, .all_issued, .index(rd_index),
    .rd_valid(s1_valid_q), .rd_last(s1_last_q), .rd_data(s1_data_q)
  );

  assign drained       = all_issued && !s1_valid_q && !s2_valid_q;

  always_comb begin
    issue = 1'b0;
    if (!all_issued) begin
      if (state_q == Sum) issue = 1'b1;
      // Pass 3: everything in flight must fit into the output FIFO.
      if (state_q == Out) issue = credit;
    end
  end

  always_comb begin
    state_d   = state_q;
    max_d     = max_q;
    z_d       = z_q;
    r_d       = r_q;
    div_start = 1'b0;
    case (state_q)
      Load: if (load_hs) begin
        if (cnt == '0 || $signed(s_axis_tdata) > max_q) max_d = s_axis_tdata;
        if (row_end) begin
          z_d     = '0;
          state_d = Sum;
        end
      end
      Sum: begin
        if (s2_valid_q) z_d = z_q + SumWidth'(s2_e_q);
        if (drained) begin
          div_start = 1'b1;
          state_d   = Div;
        end
      end
      Div: if (div_done) begin
        r_d     = div_quotient[32:0];
        state_d = Out;
      end
      Out: if (drained) state_d = Load;
      default: state_d = Load;
    endcase
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      state_q    <= Load;
      s2_valid_q <= 1'b0;
    end else begin
      state_q    <= state_d;
      s2_valid_q <= s1_valid_q;
    end
    max_q <= max_d;
    z_q   <= z_d;
    r_q   <= r_d;
    s2_e_q    <= exp_term(max_q, s1_data_q);
    s2_last_q <= s1_last_q;
  end

  `SLLM_ERROR_IF(clk, rst_n, load_hs && row_end && !s_axis_tlast,
                 ("softmax: row longer than MaxLen = %0d; ended it at MaxLen", MaxLen))

  divider #(.DividendWidth(48), .DivisorWidth(SumWidth)) u_div (
    .clk, .rst_n,
    .start(div_start), .dividend(48'h8000_0000_0000), .divisor(z_q),
    .busy(div_busy), .done(div_done), .quotient(div_quotient), .remainder(div_remainder)
  );

  // p = min(65535, (e*R + 2^30) >> 31)
  logic [48:0] prod;
  logic [17:0] p_full;
  assign prod   = 49'(s2_e_q) * 49'(r_q) + 49'h4000_0000;
  assign p_full = 18'(prod >> 31);
  assign p      = (p_full > 18'd65535) ? 16'hFFFF : p_full[15:0];

  /* verilator lint_off UNUSEDSIGNAL */  // pass 3 is gated by the credit, not by idle
  logic out_idle;
  /* verilator lint_on UNUSEDSIGNAL */
  out_stage #(.Lanes(1), .OutBits(16), .Requant(0), .Depth(FifoDepth)) u_out (
    .clk, .rst_n, .credit, .issue(issue && state_q == Out),
    .in_valid(state_q == Out && s2_valid_q), .in_last(s2_last_q), .in_data(p), .in_scale({$bits(rq_scale_t){1'b0}}),
    .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready, .idle(out_idle)
  );

endmodule

`default_nettype wire
