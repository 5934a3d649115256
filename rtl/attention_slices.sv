// SPDX-License-Identifier: Apache-2.0
//
// attention_slices: decode attention split by heads over Slices rtl/attention.sv units that run
// at the same time, bit-exact with the single unit (ops.attention_decode, llama_ops.gqa_attention).
//
// Why: attention.sv scores one cache row of one head per cycle, head after head, so a token costs
// about (pos+1)*(D/Macs + HeadDim/Macs + 1) cycles: at long contexts more than the layer's whole
// weight stream (docs/performance.md). Heads are independent, so slice s takes heads
// s*Heads/Slices .. (s+1)*Heads/Slices-1 (KV heads likewise, GQA) with its own KV cache of those
// columns, its own q.K, softmax units and p.V, and a token costs what one slice of D/Slices
// columns costs: about (pos+1)*(D/(Slices*Macs) + HeadDim/Macs + 1). Resources: Slices times an
// attention.sv of D/Slices.
//
// Ports, streams and timing contract are attention.sv's (same parameters, plus Slices), except:
//   cache_addr = {slice, word address within the slice's cache}: the low LocalWidth bits are the
//     attention.sv word address of slice `slice` ((layer*MaxSeq + row)*(KvD/Slices/Macs) + word
//     of the slice's columns); the port reaches one slice per cycle, cache_rdata the next cycle.
//   Latency: the per-slice attention, plus 1 (output FIFO) and the concatenation: the slices'
//     outputs leave in head order through one FIFO per slice that holds a whole slice vector
//     (D/Slices elements), so no slice ever waits for another; then, if OutLanes exceeds a
//     slice's D/Slices, an axis_pack joins OutLanes*Slices/D slice vectors per beat.
// The QKV vector [q | k | v] is dealt out as it arrives: q elements s*D/Slices.. go to slice s,
// then k and v segments likewise (each section is head-major), Lanes elements per beat; each
// slice's vector ends (tlast) with its v segment. The token beat goes to every slice
// (rtl/axis_fork.sv); pos_error / layer_error are any slice's (they see the same token).
// Slices = 1: exactly one attention.sv, nothing added.
// idle: every slice idle, nothing dealt or waiting to be concatenated.
// Reset: synchronous, active low; drops the token in progress (the caches keep their rows).

`default_nettype none
`include "sllm_assert.svh"

module attention_slices
  import sllm_pkg::*;
#(
  parameter int D            = 64,     // model width d (elements of q, k, v and y)
  parameter int Heads        = 4,      // attention heads (a multiple of Slices)
  parameter int MaxSeq       = 16,     // KV cache rows per layer
  parameter int NumLayers    = 1,      // cache regions
  parameter int Lanes        = 1,      // QKV input elements per beat (divides each slice's segments and Macs)
  parameter int Macs         = 16,     // MACs per cycle of each datapath of each slice
  parameter int OutLanes     = 1,      // output elements per beat (divides D)
  parameter int SoftmaxUnits = 2,      // softmax units per slice
  parameter int KvHeads      = Heads,  // KV heads (a multiple of Slices)
  parameter int ElemBits     = 8,      // 8 (GPT-2) or 16 (GQA)
  parameter int Slices       = 1,      // attention.sv units, each for Heads/Slices heads
  localparam int HeadDim    = (Heads > 0) ? D / Heads : 1,
  localparam int KvD        = KvHeads * HeadDim,
  localparam int SliceD     = (Slices > 0) ? D / Slices : D,
  localparam int SliceKvD   = (Slices > 0) ? KvD / Slices : KvD,
  localparam int SliceOut   = (OutLanes < SliceD) ? OutLanes : SliceD,    // a slice's output beat
  localparam int SliceWpr   = (Macs > 0 && SliceKvD >= Macs) ? SliceKvD / Macs : 1,
  localparam int LocalWords = NumLayers * MaxSeq * SliceWpr,
  localparam int LocalWidth = (LocalWords > 1) ? $clog2(LocalWords) : 1,  // a slice's AddrWidth
  localparam int SliceWidth = (Slices > 1) ? $clog2(Slices) : 1,
  localparam int AddrWidth  = (Slices > 1) ? SliceWidth + LocalWidth : LocalWidth
) (
  input  wire logic                      clk,
  input  wire logic                      rst_n,
  input  wire logic [Lanes*ElemBits-1:0] s_axis_tdata,
  input  wire logic                      s_axis_tlast,
  input  wire logic                      s_axis_tvalid,
  output logic                           s_axis_tready,
  input  wire token_t                    s_axis_pos_tdata,
  input  wire logic                      s_axis_pos_tlast,
  input  wire logic                      s_axis_pos_tvalid,
  output logic                           s_axis_pos_tready,
  output logic [OutLanes*ElemBits-1:0]   m_axis_tdata,
  output logic                           m_axis_tlast,
  output logic                           m_axis_tvalid,
  input  wire logic                      m_axis_tready,
  input  wire attn_cfg_t                 cfg,
  input  wire gqa_cfg_t                  gqa_cfg,
  input  wire logic                      cache_req,
  input  wire logic                      cache_we,
  input  wire logic                      cache_sel,
  input  wire logic [AddrWidth-1:0]      cache_addr,
  input  wire logic [Macs*ElemBits-1:0]  cache_wdata,
  output logic      [Macs*ElemBits-1:0]  cache_rdata,
  output logic                           pos_error,
  output logic                           layer_error,
  output logic                           idle
);

  initial begin
    if (Slices < 1 || Heads % Slices != 0 || KvHeads % Slices != 0)
      $fatal(1, "attention_slices: Slices (%0d) must divide Heads (%0d) and KvHeads (%0d)", Slices, Heads, KvHeads);
    if (Slices > 1 && (Lanes < 1 || SliceD % Lanes != 0 || SliceKvD % Lanes != 0))
      $fatal(1, "attention_slices: Lanes (%0d) must divide each slice's q and k/v segments (%0d, %0d elements)",
             Lanes, SliceD, SliceKvD);
    if (Slices > 1 && (OutLanes < 1 || D % OutLanes != 0 || (OutLanes > SliceD && OutLanes % SliceD != 0)
        || (OutLanes < SliceD && SliceD % OutLanes != 0)))
      $fatal(1, "attention_slices: OutLanes (%0d) must divide a slice's %0d outputs or be a multiple of them, and divide D (%0d)",
             OutLanes, SliceD, D);
  end

  if (Slices == 1) begin : g_one
    attention #(
      .D(D), .Heads(Heads), .MaxSeq(MaxSeq), .NumLayers(NumLayers), .Lanes(Lanes), .Macs(Macs),
      .OutLanes(OutLanes), .SoftmaxUnits(SoftmaxUnits), .KvHeads(KvHeads), .ElemBits(ElemBits)
    ) u_attn (.*);
  end else begin : g_slices
    localparam int EW      = ElemBits;
    localparam int QSeg    = SliceD / Lanes;    // beats of a slice's q segment
    localparam int KvSeg   = SliceKvD / Lanes;  // beats of its k (and v) segment
    localparam int SegW    = $clog2(QSeg + 1);
    localparam int OutBeats = SliceD / SliceOut;  // one slice vector in its output FIFO

    // ---- The token beat to every slice --------------------------------------------------------
    logic [Slices-1:0] pos_tvalid, pos_tready;
    token_t            pos_tdata;
    logic              pos_tlast;
    axis_fork #(.DataWidth($bits(token_t)), .NumOutputs(Slices)) u_pos_fork (
      .clk, .rst_n,
      .s_axis_tdata(s_axis_pos_tdata), .s_axis_tlast(s_axis_pos_tlast),
      .s_axis_tvalid(s_axis_pos_tvalid), .s_axis_tready(s_axis_pos_tready),
      .m_axis_tdata(pos_tdata), .m_axis_tlast(pos_tlast), .m_axis_tvalid(pos_tvalid), .m_axis_tready(pos_tready)
    );

    // ---- Deal the QKV vector: section (q, k, v), slice, beat of the slice's segment -----------
    logic [1:0]            sec_q;
    logic [SliceWidth-1:0] sl_q;
    logic [SegW-1:0]       beat_q;
    logic                  seg_end, in_hs, in_last;
    logic [Slices-1:0]     in_tvalid, in_tready;
    assign seg_end = (beat_q == ((sec_q == 2'd0) ? SegW'(QSeg - 1) : SegW'(KvSeg - 1)));
    assign in_last = (sec_q == 2'd2) && seg_end;                  // a slice's vector ends with its v
    assign in_hs   = s_axis_tvalid && s_axis_tready;
    assign s_axis_tready = in_tready[sl_q];
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        sec_q  <= '0;
        sl_q   <= '0;
        beat_q <= '0;
      end else if (in_hs) begin
        beat_q <= seg_end ? '0 : beat_q + 1'b1;
        if (seg_end) begin
          sl_q <= (sl_q == SliceWidth'(Slices - 1)) ? '0 : sl_q + 1'b1;
          if (sl_q == SliceWidth'(Slices - 1)) sec_q <= (sec_q == 2'd2) ? 2'd0 : sec_q + 1'b1;
        end
      end
    end

    // ---- The slices and their output FIFOs ------------------------------------------------------
    logic [Slices-1:0]                   sl_pos_err, sl_layer_err, sl_idle, fifo_empty;
    logic [Slices-1:0]                   o_tvalid, o_tready, o_tlast, f_tvalid, f_tready, f_tlast;
    logic [Slices*SliceOut*EW-1:0]       o_tdata, f_tdata;
    logic [Slices*Macs*EW-1:0]           sl_rdata;
    logic [SliceWidth-1:0]               rd_slice_q;  // the slice whose word cache_rdata shows

    for (genvar s = 0; s < Slices; s++) begin : g_slice
      localparam logic [SliceWidth-1:0] Id = SliceWidth'(s);
      logic [$clog2(OutBeats + 1)-1:0] level;
      assign in_tvalid[s] = s_axis_tvalid && (sl_q == Id);
      attention #(
        .D(SliceD), .Heads(Heads / Slices), .MaxSeq(MaxSeq), .NumLayers(NumLayers), .Lanes(Lanes), .Macs(Macs),
        .OutLanes(SliceOut), .SoftmaxUnits(SoftmaxUnits), .KvHeads(KvHeads / Slices), .ElemBits(ElemBits)
      ) u_attn (
        .clk, .rst_n,
        .s_axis_tdata, .s_axis_tlast(in_last), .s_axis_tvalid(in_tvalid[s]), .s_axis_tready(in_tready[s]),
        .s_axis_pos_tdata(pos_tdata), .s_axis_pos_tlast(pos_tlast), .s_axis_pos_tvalid(pos_tvalid[s]),
        .s_axis_pos_tready(pos_tready[s]),
        .m_axis_tdata(o_tdata[s*SliceOut*EW +: SliceOut*EW]), .m_axis_tlast(o_tlast[s]),
        .m_axis_tvalid(o_tvalid[s]), .m_axis_tready(o_tready[s]),
        .cfg, .gqa_cfg,
        .cache_req(cache_req && cache_addr[AddrWidth-1 -: SliceWidth] == Id), .cache_we, .cache_sel,
        .cache_addr(cache_addr[LocalWidth-1:0]), .cache_wdata, .cache_rdata(sl_rdata[s*Macs*EW +: Macs*EW]),
        .pos_error(sl_pos_err[s]), .layer_error(sl_layer_err[s]), .idle(sl_idle[s])
      );
      axis_fifo #(.DataWidth(SliceOut * EW), .Depth(OutBeats)) u_out_fifo (
        .clk, .rst_n,
        .s_axis_tdata(o_tdata[s*SliceOut*EW +: SliceOut*EW]), .s_axis_tlast(o_tlast[s]),
        .s_axis_tvalid(o_tvalid[s]), .s_axis_tready(o_tready[s]),
        .m_axis_tdata(f_tdata[s*SliceOut*EW +: SliceOut*EW]), .m_axis_tlast(f_tlast[s]),
        .m_axis_tvalid(f_tvalid[s]), .m_axis_tready(f_tready[s]), .level
      );
      assign fifo_empty[s] = (level == '0);
    end

    always_ff @(posedge clk) begin
      if (cache_req) rd_slice_q <= cache_addr[AddrWidth-1 -: SliceWidth];
    end
    assign cache_rdata = sl_rdata[rd_slice_q*Macs*EW +: Macs*EW];
    assign pos_error   = |sl_pos_err;
    assign layer_error = |sl_layer_err;

    // ---- Concatenate: slice 0's vector, then slice 1's, ... (head order) ------------------------
    logic [SliceWidth-1:0] out_q;
    logic                  cat_tvalid, cat_tready, cat_tlast, cat_hs;
    logic [SliceOut*EW-1:0] cat_tdata;
    assign cat_tvalid = f_tvalid[out_q];
    assign cat_tdata  = f_tdata[out_q*SliceOut*EW +: SliceOut*EW];
    assign cat_tlast  = f_tlast[out_q] && (out_q == SliceWidth'(Slices - 1));
    assign cat_hs     = cat_tvalid && cat_tready;
    for (genvar s = 0; s < Slices; s++) begin : g_cat
      assign f_tready[s] = cat_tready && (out_q == SliceWidth'(s));
    end
    always_ff @(posedge clk) begin
      if (!rst_n) out_q <= '0;
      else if (cat_hs && f_tlast[out_q]) out_q <= (out_q == SliceWidth'(Slices - 1)) ? '0 : out_q + 1'b1;
    end

    if (OutLanes > SliceD) begin : g_join  // several slice vectors per output beat
      axis_pack #(.ElemBits(SliceOut * EW), .Ratio(OutLanes / SliceOut)) u_pack (
        .clk, .rst_n,
        .s_axis_tdata(cat_tdata), .s_axis_tlast(cat_tlast), .s_axis_tvalid(cat_tvalid), .s_axis_tready(cat_tready),
        .m_axis_tdata, .m_axis_tlast, .m_axis_tvalid, .m_axis_tready
      );
    end else begin : g_direct
      assign m_axis_tdata  = cat_tdata;
      assign m_axis_tlast  = cat_tlast;
      assign m_axis_tvalid = cat_tvalid;
      assign cat_tready    = m_axis_tready;
    end

    assign idle = (&sl_idle) && (&fifo_empty) && (out_q == '0) && !m_axis_tvalid
                  && (sec_q == '0) && (sl_q == '0) && (beat_q == '0);

    `SLLM_ERROR_IF(clk, rst_n, in_hs && (s_axis_tlast != (in_last && sl_q == SliceWidth'(Slices - 1))),
                   ("attention_slices: s_axis_tlast=%0d on QKV beat (section %0d, slice %0d, beat %0d)",
                    s_axis_tlast, sec_q, sl_q, beat_q))
  end

endmodule

`default_nettype wire
