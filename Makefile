# spatial-llm-rtl: every target sets itself up on first use (make setup).
SHELL := /bin/bash
PY    := .venv/bin/python
CLI   := $(PY) scripts/sllm.py
# Forwarded to the simulations: SEED=<n> reproduces a run, WAVES=1 dumps FST.
export SEED WAVES

.PHONY: help setup lint test regress regress-full report tests core waves run accuracy cov perf clean

help:
	@echo "make setup         install Debian packages (as root) and the pinned .venv"
	@echo "make test          lint + default regression on Verilator and Icarus (CI runs this)"
	@echo "make regress       the default regression on Verilator and Icarus, without lint"
	@echo "make regress-full  the default regression plus the long runs"
	@echo "make report        rebuild the report of the last regression (no rerun)"
	@echo "make tests [BLOCK=<block>]  every cocotb test of every block, with what it does"
	@echo "make core          write the FuseSoC core spatial_llm_rtl.core from the source closure"
	@echo "make waves TEST=<pytest node id> [TESTCASE=<cocotb test>] [SEED=<n>]"
	@echo "make run           a trained tiny GPT-2 decoding through the simulated decoder layer"
	@echo "make accuracy [MODEL=<name>]  integer model against float transformers"
	@echo "make cov           regression with line/toggle + functional coverage, testplans, HTML reports"
	@echo "make perf          cycles vs the analytical model, resources (yosys), projections, plot"
	@echo "make lint          Verilator --lint-only -Wall and an Icarus build of every RTL top"

setup:
	@bash scripts/setup.sh

lint: setup
	@$(CLI) lint

test: lint
	@$(CLI) regress

regress: setup
	@$(CLI) regress

regress-full: lint
	@$(CLI) regress --full

report: setup
	@$(CLI) report

tests: setup
	@$(CLI) tests $(BLOCK)

core: setup
	@$(CLI) core

waves: setup
	@test -n "$(TEST)" || { echo "usage: make waves TEST=<pytest node id> [TESTCASE=<cocotb test>] [SEED=<n>]"; exit 2; }
	@$(CLI) waves "$(TEST)"

# make run [PROMPT="..."] [TOKENS=n] [SIM=icarus] [ARGS="--lanes 8 ..."]
# (scripts/run_gpt2.py has no --model option: MODEL is not forwarded to it)
run: setup
	@PROMPT="$(PROMPT)" TOKENS="$(TOKENS)" SIM="$(SIM)" $(CLI) run $(ARGS)

perf: setup
	@$(CLI) perf $(ARGS)

cov: lint
	@$(CLI) cov

# make accuracy [MODEL=<name>] [ARGS="..."]
accuracy: setup
	@$(CLI) accuracy $(if $(MODEL),--model "$(MODEL)") $(ARGS)

clean:
	rm -rf sim_build
