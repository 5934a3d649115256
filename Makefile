# spatial-llm-rtl: every target sets itself up on first use (make setup).
SHELL := /bin/bash
PY    := .venv/bin/python
CLI   := $(PY) scripts/sllm.py
# Forwarded to the simulations: SEED=<n> reproduces a run, WAVES=1 dumps FST.
export SEED WAVES

.PHONY: help setup lint test regress regress-full waves run accuracy cov perf clean

help:
	@echo "make setup         install Debian packages (as root) and the pinned .venv"
	@echo "make test          lint + default regression on Verilator and Icarus (CI runs this)"
	@echo "make regress-full  the default regression plus the long runs"
	@echo "make waves TEST=<pytest node id> [TESTCASE=<cocotb test>] [SEED=<n>]"
	@echo "make run           a trained tiny GPT-2 decoding through the simulated decoder layer"
	@echo "make accuracy      integer model against float transformers"
	@echo "make cov           regression with line/toggle + functional coverage, testplans, HTML reports"
	@echo "make perf          cycles vs the analytical model, resources (yosys), projections, plot"
	@echo "make lint          Verilator --lint-only -Wall and an Icarus build of every RTL top"

setup:
	@bash scripts/setup.sh

lint: setup
	@$(CLI) lint

test: lint
	@$(CLI) regress

regress-full: lint
	@$(CLI) regress --full

waves: setup
	@test -n "$(TEST)" || { echo "usage: make waves TEST=<pytest node id> [TESTCASE=<cocotb test>] [SEED=<n>]"; exit 2; }
	@$(CLI) waves "$(TEST)"

# make run [PROMPT="..."] [TOKENS=n] [SIM=icarus] [ARGS="--lanes 8 ..."]
run: setup
	@PROMPT="$(PROMPT)" TOKENS="$(TOKENS)" SIM="$(SIM)" $(PY) scripts/run_gpt2.py $(ARGS)

perf: setup
	@$(PY) scripts/perf.py

cov: lint
	@$(CLI) cov

accuracy: setup
	@$(PY) scripts/accuracy.py

clean:
	rm -rf sim_build
