// SPDX-License-Identifier: Apache-2.0
//
// weight_stream: test-harness model of one HBM pseudo-channel. A memory holding every layer's
// words streams the selected layer's Words words in order on m_axis, tlast on the last word, and
// wraps to the layer's first word for the next vector. Python never drives these beats.
//
// Loading: $readmemh at every rising edge of `load`, from the file named by the plusarg
// +mem<Id>=<path> (Id is this instance's parameter), by default mem<Id>.memh in the simulation's
// directory: NumLayers*Words lines of Width bits, layer l's word w on line l*Words + w.
// Layer switch: set `layer`, then pulse `restart` for a cycle (drops the prefetched word and
// restarts at word 0 of that layer). Reset does the same.
// Starvation: each cycle the next word is withheld with probability stall/256 (xorshift LFSR
// seeded by Id), so the unit's weight-starved paths are exercised; 0 streams every cycle.
// Packets (LastInWord = 1): each memory line holds one more bit above the word, the beat's tlast,
// so one stream carries several matrices back to back (the layer's weight bus); otherwise tlast
// marks word Words-1.
// Passes (Gated = 1): the stream sends one pass of the layer's Words words per `go` pulse (pulses
// arriving during a pass are counted), then waits: the weight bus of tb_decoder_layer starts a
// token's weights at the token's first x beat, so no token is measured with weights fetched before
// it arrived. Gated = 0 wraps at once (a free-running channel).
// Latency: the output register is refilled in the cycle after it is read (1 beat/cycle).

`default_nettype none

module weight_stream #(
  parameter int Width     = 64, // bits per word (one beat)
  parameter int Words     = 16, // words per layer (one pass per vector)
  parameter int NumLayers = 1,  // layers held
  parameter int Id        = 0,  // names the plusarg (+mem<Id>=file) and seeds the LFSR
  parameter bit LastInWord = 1'b0, // tlast is the bit above each memory word
  parameter bit Gated     = 1'b0, // one pass per `go` pulse
  localparam int LayerWidth = (NumLayers > 1) ? $clog2(NumLayers) : 1,
  localparam int PtrWidth   = $clog2(NumLayers * Words + 1),
  localparam int AddrWidth  = (NumLayers * Words > 1) ? $clog2(NumLayers * Words) : 1
) (
  input  wire logic                  clk,
  input  wire logic                  rst_n,
  input  wire logic                  load,
  input  wire logic                  restart,
  input  wire logic [LayerWidth-1:0] layer,
  input  wire logic [7:0]            stall,
  input  wire logic                  go,
  output logic      [Width-1:0]      m_axis_tdata,
  output logic                       m_axis_tlast,
  output logic                       m_axis_tvalid,
  input  wire logic                  m_axis_tready
);

  initial begin
    if (Words < 1 || NumLayers < 1) $fatal(1, "weight_stream: Words and NumLayers must be >= 1");
  end

  logic [Width+LastInWord-1:0] mem [NumLayers * Words];

  // The file name is resolved at the load itself: an initial block may not have run yet at time 0.
  `include "tb_mem_file.svh"  // mem_file(id)

  always @(posedge load) $readmemh(mem_file(Id), mem);

  function automatic logic [31:0] xorshift(input logic [31:0] s);
    logic [31:0] x;
    x = s ^ (s << 13);
    x = x ^ (x >> 17);
    return x ^ (x << 5);
  endfunction

  logic [PtrWidth-1:0] word_q, base;  // word within the layer; the layer's first line
  logic [31:0] lfsr_q;
  logic hold, active_q, start;
  logic [7:0] passes_q;  // passes asked for (go) and not yet started

  assign base  = PtrWidth'(layer) * PtrWidth'(Words);
  assign start = Gated && !active_q && (passes_q != 0);
  assign hold  = (lfsr_q[7:0] < stall) || (Gated && !active_q && !start);

  always_ff @(posedge clk) begin
    if (!rst_n || restart) begin
      m_axis_tvalid <= 1'b0;
      m_axis_tlast  <= 1'b0;
      word_q        <= '0;
      lfsr_q        <= 32'h2545_f491 ^ 32'(Id * 32'h9e37_79b9);
      active_q      <= 1'b0;
      passes_q      <= '0;
    end else begin
      lfsr_q   <= xorshift(lfsr_q);
      passes_q <= passes_q + 8'(go) - 8'(!hold && start && (!m_axis_tvalid || m_axis_tready));
      if (!m_axis_tvalid || m_axis_tready) begin
        m_axis_tvalid <= !hold;
        if (!hold) begin
          {m_axis_tlast, m_axis_tdata} <= LastInWord ? (Width + 1)'(mem[AddrWidth'(base + word_q)])
                                                     : {word_q == PtrWidth'(Words - 1), mem[AddrWidth'(base + word_q)][Width-1:0]};
          word_q   <= (word_q == PtrWidth'(Words - 1)) ? '0 : word_q + 1'b1;
          active_q <= Gated && (word_q != PtrWidth'(Words - 1));
        end
      end
    end
  end

endmodule

`default_nettype wire
