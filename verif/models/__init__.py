"""Integer golden model of the GPT-2 decode layer (the bit-exact spec of the RTL).

ops       integer operators (requantize, linear, layernorm, softmax, gelu_lut, add, attention)
layer     the pre-LN decode layer composed from ops
gpt2      whole-model decode loop with a pluggable per-layer callable
quantize  float HF state_dict -> integer parameter file (.npz)
float_ref float numpy twin of GPT-2 (calibration, float truth without torch)
corpus    training / calibration / held-out text (pydoc topics)
See docs/numerics.md.
"""
