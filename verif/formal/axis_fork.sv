// SPDX-License-Identifier: Apache-2.0
//
// axis_fork properties, bound into rtl/axis_fork.sv: every input beat reaches every output exactly
// once, unchanged, in order (unbounded, k-induction). `got[i]`: output i already took the beat now
// offered on s_axis (kept here from the handshakes alone; the input beat holds until its handshake,
// which the source rules assume):
//   cons_no_duplicate   an output never takes the same input beat twice;
//   cons_no_skip        the input beat is acknowledged only once every output has taken it;
//   cons_beat           what an output takes is the input beat now offered (data and tlast);
//   inv_taken           the unit's taken mask equals got.

`default_nettype none

module axis_fork_fprops #(
  parameter int DataWidth  = 8,
  parameter int NumOutputs = 2
) (
  input wire logic                  clk,
  input wire logic                  rst_n,
  input wire logic [DataWidth-1:0]  s_axis_tdata,
  input wire logic                  s_axis_tlast,
  input wire logic                  s_axis_tvalid,
  input wire logic                  s_axis_tready,
  input wire logic [DataWidth-1:0]  m_axis_tdata,
  input wire logic                  m_axis_tlast,
  input wire logic [NumOutputs-1:0] m_axis_tvalid,
  input wire logic [NumOutputs-1:0] m_axis_tready,
  input wire logic [NumOutputs-1:0] taken_q
);

  wire s_hs = s_axis_tvalid && s_axis_tready;
  wire [NumOutputs-1:0] m_hs = m_axis_tvalid & m_axis_tready;
  logic [NumOutputs-1:0] got;

  always_ff @(posedge clk) begin
    if (!rst_n || s_hs) got <= '0;
    else got <= got | m_hs;
  end

  always_comb begin
    if (rst_n) begin
      inv_taken: assert (taken_q == got);
      cons_no_duplicate: assert ((m_hs & got) == '0);
      if (s_hs) cons_no_skip: assert ((got | m_hs) == '1);
      if (m_hs != '0) cons_beat: assert (s_axis_tvalid && m_axis_tdata == s_axis_tdata && m_axis_tlast == s_axis_tlast);
    end
  end

endmodule

bind axis_fork axis_fork_fprops #(.DataWidth(DataWidth), .NumOutputs(NumOutputs)) u_fprops (.*);

`default_nettype wire
