// SPDX-License-Identifier: Apache-2.0
//
// gelu properties, bound into rtl/gelu.sv: every accepted beat comes out once, in order, as
// {tlast, table[x] per lane} with the table as it was when the beat was accepted (table writes are
// free in every cycle: a write never changes a beat already accepted). Capacity 2 (the output
// axis_register; its own properties, verif/formal/axis_register.sv, are bound into u_out, and
// inv_tracked ties the tracked beat to u_out's registers through hierarchical references).

`default_nettype none

module gelu_fprops #(
  parameter int Lanes = 1
) (
  input wire logic               clk,
  input wire logic               rst_n,
  input wire logic [8*Lanes-1:0] s_axis_tdata,
  input wire logic               s_axis_tlast,
  input wire logic               s_axis_tvalid,
  input wire logic               s_axis_tready,
  input wire logic [8*Lanes-1:0] m_axis_tdata,
  input wire logic               m_axis_tlast,
  input wire logic               m_axis_tvalid,
  input wire logic               m_axis_tready,
  input wire logic [7:0]         table_q [256],
  input wire logic [8*Lanes:0]   out_q,       // u_out's output and skid registers ({tlast, data})
  input wire logic [8*Lanes:0]   skid_q,
  input wire logic               out_valid_q,
  input wire logic               skid_valid_q
);

  logic [8*Lanes-1:0] expect_y;
  always_comb begin
    for (int l = 0; l < Lanes; l++) expect_y[8*l +: 8] = table_q[s_axis_tdata[8*l +: 8]];
  end

  logic [1:0] occ, pos;
  logic tracking;
  logic [8*Lanes:0] beat;
  axis_track #(.BeatWidth(8 * Lanes + 1), .Capacity(2)) u_track (
    .clk, .rst_n,
    .in_hs(s_axis_tvalid && s_axis_tready), .in_beat({s_axis_tlast, expect_y}),
    .out_hs(m_axis_tvalid && m_axis_tready), .out_beat({m_axis_tlast, m_axis_tdata}),
    .occ, .tracking, .pos, .beat
  );

  // The tracked beat sits in the slice's output register (pos 0) or its skid register (pos 1);
  // the beats in flight are the slice's valid flags.
  always_comb begin
    if (rst_n) inv_occupancy: assert (occ == 2'(out_valid_q) + 2'(skid_valid_q));
    if (rst_n && tracking) inv_tracked: assert (pos == 2'd0 ? out_q == beat : skid_q == beat);
  end

endmodule

bind gelu gelu_fprops #(.Lanes(Lanes)) u_fprops (
  .*, .out_q(u_out.out_q), .skid_q(u_out.skid_q), .out_valid_q(u_out.out_valid_q), .skid_valid_q(u_out.skid_valid_q)
);

`default_nettype wire
