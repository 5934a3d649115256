// SPDX-License-Identifier: Apache-2.0
//
// token_counters: the decoder-layer harnesses' cycle counters (tb_decoder_layer.sv,
// tb_llama_layer.sv), watched on the layer's own x, x' and weight-bus handshakes.
// Counters (cleared by reset): cycle; first_in_cycle, the cycle of a token's first x beat;
// last_out_cycle, the cycle of its last x' beat; weight_words, bus words taken.
// token_start is high in the cycle of a token's first x beat (combinational: it starts the
// token's pass of the weight bus, weight_stream.sv `go`).

`default_nettype none

module token_counters (
  input  wire logic        clk,
  input  wire logic        rst_n,
  input  wire logic        x_fire,   // an x beat handshakes
  input  wire logic        x_last,
  input  wire logic        y_fire,   // an x' beat handshakes
  input  wire logic        y_last,
  input  wire logic        w_fire,   // a weight-bus word handshakes
  output logic             token_start,
  output logic [31:0]      cycle,
  output logic [31:0]      first_in_cycle,
  output logic [31:0]      last_out_cycle,
  output logic [31:0]      weight_words
);

  logic in_vector_q;  // inside an x vector
  logic armed_q;      // waiting for a token's first x beat

  assign token_start = x_fire && !in_vector_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      cycle          <= '0;
      armed_q        <= 1'b1;
      in_vector_q    <= 1'b0;
      weight_words   <= '0;
      first_in_cycle <= '0;
      last_out_cycle <= '0;
    end else begin
      cycle <= cycle + 1;
      if (x_fire) in_vector_q <= !x_last;
      if (w_fire) weight_words <= weight_words + 1;
      if (x_fire && armed_q) begin
        armed_q        <= 1'b0;
        first_in_cycle <= cycle;
      end
      if (y_fire && y_last) begin
        armed_q        <= 1'b1;
        last_out_cycle <= cycle;
      end
    end
  end

endmodule

`default_nettype wire
