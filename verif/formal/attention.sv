// SPDX-License-Identifier: Apache-2.0
//
// attention properties, bound into rtl/attention.sv:
//   inv_no_error_write  a token whose beat raised pos_error or layer_error (pos >= MaxSeq or
//                       layer >= NumLayers, decided here from the accepted s_axis_pos beat) never
//                       writes a K or V cache row: no cache load write until the next token beat;
//   inv_sticky          pos_error / layer_error, once set, stay set until reset;
//   axis_props.stream_* the AXI4-Stream output rules on the internal probability stream from
//                       attn_score to attn_value (the shared checker, asserted: attn_score is its
//                       source), so the parts' one stream between them is checked too.

`default_nettype none

module attention_fprops
  import sllm_pkg::*;
#(
  parameter int MaxSeq    = 16,
  parameter int NumLayers = 1
) (
  input wire logic   clk,
  input wire logic   rst_n,
  input wire token_t s_axis_pos_tdata,
  input wire logic   s_axis_pos_tvalid,
  input wire logic   s_axis_pos_tready,
  input wire logic   pos_error,
  input wire logic   layer_error,
  input wire logic   k_we,
  input wire logic   v_we,
  input wire logic [15:0] p_data,
  input wire logic   p_last,
  input wire logic   p_valid,
  input wire logic   p_ready
);
  axis_props #(.DataWidth(16), .Input(1'b0), .MaxWait(-1)) u_p_stream (
    .clk, .rst_n, .tvalid(p_valid), .tready(p_ready), .tdata(p_data), .tlast(p_last), .coop(1'b0), .hs()
  );
  wire tok_hs  = s_axis_pos_tvalid && s_axis_pos_tready;
  wire tok_bad = (32'(s_axis_pos_tdata.pos) >= MaxSeq) || (32'(s_axis_pos_tdata.layer) >= NumLayers);
  logic bad_q, past_pos_err, past_layer_err, past_rst_n;
  always_ff @(posedge clk) begin
    if (!rst_n) bad_q <= 1'b0;
    else if (tok_hs) bad_q <= tok_bad;
    past_pos_err   <= pos_error;
    past_layer_err <= layer_error;
    past_rst_n     <= rst_n;
  end
  always_comb begin
    if (rst_n && bad_q) inv_no_error_write: assert (!k_we && !v_we);
    if (rst_n && past_rst_n) inv_sticky: assert ((!past_pos_err || pos_error) && (!past_layer_err || layer_error));
  end
endmodule

bind attention attention_fprops #(.MaxSeq(MaxSeq), .NumLayers(NumLayers)) u_fprops (
  .*, .k_we(u_cache.ld_k_we), .v_we(u_cache.ld_v_we)
);

`default_nettype wire
