// SPDX-License-Identifier: Apache-2.0
//
// axis_register properties, bound into rtl/axis_register.sv: conservation and order through
// axis_track (Capacity = 2: output and skid registers), plus the invariants for k-induction:
//   inv_occupancy  the beats in flight are exactly the valid flags (out first, then skid);
//   inv_tracked    the tracked beat sits in the output register (pos 0) or the skid (pos 1).

`default_nettype none

module axis_register_fprops #(
  parameter int DataWidth = 8
) (
  input wire logic                 clk,
  input wire logic                 rst_n,
  input wire logic [DataWidth-1:0] s_axis_tdata,
  input wire logic                 s_axis_tlast,
  input wire logic                 s_axis_tvalid,
  input wire logic                 s_axis_tready,
  input wire logic [DataWidth-1:0] m_axis_tdata,
  input wire logic                 m_axis_tlast,
  input wire logic                 m_axis_tvalid,
  input wire logic                 m_axis_tready,
  input wire logic [DataWidth:0]   out_q,
  input wire logic [DataWidth:0]   skid_q,
  input wire logic                 out_valid_q,
  input wire logic                 skid_valid_q
);

  logic [1:0] occ, pos;
  logic tracking;
  logic [DataWidth:0] beat;

  axis_track #(.BeatWidth(DataWidth + 1), .Capacity(2)) u_track (
    .clk, .rst_n,
    .in_hs(s_axis_tvalid && s_axis_tready), .in_beat({s_axis_tlast, s_axis_tdata}),
    .out_hs(m_axis_tvalid && m_axis_tready), .out_beat({m_axis_tlast, m_axis_tdata}),
    .occ, .tracking, .pos, .beat
  );

  always_comb begin
    if (rst_n) begin
      inv_occupancy: assert (occ == 2'(out_valid_q) + 2'(skid_valid_q) && (!skid_valid_q || out_valid_q));
      if (tracking) inv_tracked: assert (pos == 2'd0 ? out_q == beat : skid_q == beat);
    end
  end

endmodule

bind axis_register axis_register_fprops #(.DataWidth(DataWidth)) u_fprops (.*);

`default_nettype wire
