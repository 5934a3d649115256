// SPDX-License-Identifier: Apache-2.0
//
// sllm_assert.svh: the one way the library writes a simulation-only check.
//
//   `SLLM_ERROR_IF(clk, rst_n, bad, ("unit: what went wrong %0d", value))
//
// At every rising edge of clk out of reset (rst_n high), `bad` true is an $error with the message
// (a parenthesised $error argument list, so a check can print values). Synthesis (SYNTHESIS
// defined: yosys-slang, Vivado) sees nothing, so every RTL file is read as it is. Build-time
// parameter checks are not this: they stay `initial ... $fatal` in each module, so an illegal
// parameter stops elaboration in every tool.

`ifndef SLLM_ASSERT_SVH
`define SLLM_ASSERT_SVH

`ifdef SYNTHESIS
  `define SLLM_ERROR_IF(clk, rst_n, bad, msg)
`else
  `define SLLM_ERROR_IF(clk, rst_n, bad, msg) \
    always @(posedge clk) if ((rst_n) && (bad)) $error msg;
`endif

`endif
