"""Analytical performance model of the spatial decode layer, validated against the RTL.

  units      per-unit cycle formulas, each from its RTL header (the one place they live)
  layer      the decoder layer composed as in docs/architecture.md §2, bound naming, balanced lanes
  validate   predicted vs measured cycles (perf_linear.json, perf_attention.json, run.json, ...)
  project    GPT-2 small/medium projections against the HBM roofline (assumed clock)
  simspeed   simulated cycles per second, regression wall time

See docs/performance.md.
"""
