// SPDX-License-Identifier: Apache-2.0
//
// sllm_pkg: the typed words of the library, one place for every multi-field word that crosses a
// port or a memory file. Fields are listed most significant first (packed struct order), so the
// last field of a struct sits in its low bits.
//
// The Python side never restates these layouts: verif/tbkit/words.py reads this file and packs
// and unpacks the same structs by field name (memory files, configuration ports), and
// verif/tests/test_words.py checks it against the RTL itself.
//
// Use: `module m import sllm_pkg::*; #(...) (...)`, then the bare type names. Icarus 11 accepts a
// package's packed structs as port types that way; a package-qualified nested struct type
// (`sllm_pkg::linear_param_t` in a port list) crashes its elaborator (measured). It also rejects
// named assignment patterns `'{field: ...}` and `32'(s.field)` casts: read fields by name.

`default_nettype none

package sllm_pkg;

  // ---- Requantization (rtl/requant.sv, docs/numerics.md) -------------------------------------
  // y = RDBPOT(SRDHM(acc, mult), shift): one scale of the gemmlowp scheme.
  typedef struct packed {
    logic [4:0]  shift;  // right shift, 0..31
    logic [31:0] mult;   // multiplier, [0, 2^31-1]
  } rq_scale_t;

  // RDBPOT(x, e) = x / 2^e rounded to nearest, ties away from zero (gemmlowp, docs/numerics.md).
  function automatic logic signed [63:0] rdbpot64(input logic signed [63:0] x, input logic [5:0] e);
    logic [63:0] mask, rem, thr;
    mask = (64'd1 << e) - 64'd1;
    rem  = x & mask;
    thr  = (mask >> 1) + {63'd0, x[63]};
    return (x >>> e) + ((rem > thr) ? 64'sd1 : 64'sd0);
  endfunction

  // The first half of llama_ops.requantize_wide: sat32(RDBPOT(acc, pre)), pre in [0, 62]. A wide
  // accumulator goes through this, then through requant (ops.requantize) like any int32 one.
  function automatic logic signed [31:0] wide_to_i32(input logic signed [63:0] acc, input logic [5:0] pre);
    logic signed [63:0] t;
    t = rdbpot64(acc, pre);
    return (t > 64'sd2147483647) ? 32'h7fffffff : (t < -64'sd2147483648) ? 32'h80000000 : t[31:0];
  endfunction

  // ---- Wide requant scale (llama_ops.requantize_wide): pre-shift, then an rq_scale_t ----------
  typedef struct packed {
    logic [5:0] pre;    // right shift of the wide accumulator, 0..62
    rq_scale_t  scale;  // then ops.requantize
  } rq_wide_t;

  // ---- Linear (rtl/linear.sv): one s_axis_p beat per output channel ---------------------------
  typedef struct packed {
    rq_scale_t   scale;  // the channel's requant scale
    logic [31:0] bias;   // int32, added to the accumulator before the requant
  } linear_param_t;

  // ---- Q4_1 Linear (rtl/q4_linear.sv): one block of 32 codes' integer scale and min ----------
  typedef struct packed {
    logic [19:0] c;  // int20 C = (m + 8d) / 2^e_n: w = 2^e_n * (D*(q-8) + C)
    logic [19:0] d;  // int20 D = d / 2^e_n
  } q4_group_t;

  // ---- LayerNorm (rtl/layernorm.sv): one per-channel parameter word ---------------------------
  typedef struct packed {
    logic        g_neg;   // gamma < 0: the rescaled value is negated
    rq_scale_t   g;       // |gamma| as a requant scale
    logic [31:0] beta_q;  // int32 beta, 8 fraction bits below the output's LSB
  } ln_chan_t;

  // ---- Residual add (rtl/residual_add.sv): the three scales of ops.residual_add ---------------
  typedef struct packed {
    rq_scale_t out;  // the sum to the output width
    rq_scale_t b;    // input b (the branch) to the common scale
    rq_scale_t a;    // input a (the residual) to the common scale
  } add_cfg_t;

  // ---- Attention (rtl/attention.sv): the per-layer scales, sampled with the token beat --------
  typedef struct packed {
    rq_scale_t out;    // p.V accumulator -> int8 output
    rq_scale_t score;  // q.K accumulator << 8 -> base-2 logit with 8 fraction bits
  } attn_cfg_t;

  // ---- GQA attention (rtl/attention.sv with ElemBits = 16): the wide scales of gqa_attention --
  typedef struct packed {
    rq_wide_t out;    // p.V accumulator (int64) -> int16 output
    rq_wide_t score;  // q.K accumulator (int64) -> base-2 logit, 8 fraction bits, int24
  } gqa_cfg_t;

  // ---- The per-token beat of attention and the layers (s_axis_pos) ----------------------------
  typedef struct packed {
    logic [15:0] layer;  // KV-cache region (model layer)
    logic [15:0] pos;    // position of the token = KV-cache row
  } token_t;

  // ---- RoPE (rtl/rope.sv): one entry of the cos/sin table, int16 Q1.14 each --------------------
  typedef struct packed {
    logic [15:0] sin;  // round(2^14 sin(pos * theta_i))
    logic [15:0] cos;  // round(2^14 cos(pos * theta_i))
  } rope_entry_t;

  // ---- GPT-2 decoder layer (rtl/decoder_layer.sv): every per-layer scalar ---------------------
  typedef struct packed {
    add_cfg_t    add2;       // MLP residual add
    add_cfg_t    add1;       // attention residual add
    attn_cfg_t   attn;       // attention scales
    logic [61:0] ln2_eps_v;  // LayerNorm 2 epsilon in variance units (layernorm.sv eps_v)
    logic [61:0] ln1_eps_v;  // LayerNorm 1 epsilon
  } layer_cfg_t;

  // ---- Llama decoder layer (rtl/llama_layer.sv): every per-layer scalar ------------------------
  typedef struct packed {
    logic [4:0]  add2_shift;     // FFN residual add: the residual's rounding right shift (resid_add a_shift)
    logic [4:0]  add1_shift;     // attention residual add
    gqa_cfg_t    attn;           // attention scales
    logic [61:0] ffn_norm_eps_v; // RMSNorm 2 epsilon (layernorm.sv eps_v, Rms = 1)
    logic [61:0] attn_norm_eps_v;// RMSNorm 1 epsilon
  } llama_cfg_t;

endpackage

`default_nettype wire
