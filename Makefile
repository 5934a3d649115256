# spatial-llm-rtl: every target sets itself up on first use (make setup).
SHELL := /bin/bash
PY    := .venv/bin/python
CLI   := $(PY) scripts/sllm.py
# Forwarded to the simulations: SEED=<n> reproduces a run, WAVES=1 dumps FST. Every variable
# reaches the command line behind the targets as an environment variable and is validated there
# before anything is built (tbkit/cli.py: one line "error: ...; accepted: ...", exit status 2):
# SEED, TESTCASE, SHARD=i/N (make test / regress / soak: shard i of N), SEEDS=N (make soak),
# SIM_TIMEOUT=<s> (wall-clock limit per simulation, default 1200, 0 = none),
# TOKENS, SIM, MODEL (make run). PROMPT is exported only when given, so PROMPT= is an empty prompt.
export SEED WAVES TESTCASE SHARD SEEDS SIM_TIMEOUT TOKENS SIM MODEL TEST
ifneq ($(origin PROMPT),undefined)
export PROMPT
endif

.PHONY: help setup lint test regress regress-full report tests core waves run accuracy cov perf formal soak merge-reports clean

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
	@echo "make run MODEL=smollm2 [PROMPT=...]  SmolLM2-135M-Instruct answering a chat prompt through the Llama layer"
	@echo "make accuracy [MODEL=<name>]  integer model against float transformers"
	@echo "make cov           regression with line/toggle + functional coverage, testplans, HTML reports"
	@echo "make perf          cycles vs the analytical model, resources (yosys), projections, plot"
	@echo "make formal [ARGS=--full]  SymbiYosys proofs of the stream contracts and their known-bad twins"
	@echo "make lint          Verilator --lint-only -Wall and an Icarus build of every RTL top"
	@echo "make soak SEEDS=<n>  every block's default tests with n fresh seeds each; failing seeds in soak.json"
	@echo "make test|regress|soak SHARD=<i>/<n>  shard i of n (deterministic; n machines run the set once)"
	@echo "make merge-reports DIRS=\"a b c\"  one report from the shards' sim_build folders"

setup:
	@bash scripts/setup.sh

lint: setup
	@$(CLI) lint

test: setup
	@$(CLI) regress --lint

regress: setup
	@$(CLI) regress

regress-full: setup
	@$(CLI) regress --full --lint

report: setup
	@$(CLI) report

tests: setup
	@$(CLI) tests $(BLOCK)

core: setup
	@$(CLI) core

waves: setup
	@test -n "$$TEST" || { echo "error: make waves needs TEST; accepted: make waves TEST=<pytest node id> [TESTCASE=<cocotb test>] [SEED=<n>]" >&2; exit 2; }
	@$(CLI) waves "$$TEST"

# make run [PROMPT="..."] [TOKENS=n] [SIM=icarus] [MODEL=gpt2] [ARGS="--lanes 8 ..."]
# (PROMPT, TOKENS, SIM and MODEL reach scripts/run_gpt2.py as environment variables, unquoted by
# the shell: any bytes of a prompt arrive as they are and are checked as UTF-8 there)
run: setup
	@$(CLI) run $(ARGS)

# make soak SEEDS=<n> [SHARD=i/N]
soak: setup
	@$(CLI) soak

# make merge-reports DIRS="shard1/sim_build shard2/sim_build ..."
merge-reports: setup
	@$(CLI) merge $(DIRS)

perf: setup
	@$(CLI) perf $(ARGS)

# make formal [ARGS="--full"]: every proof and twin; sim_build/reports/formal.json
formal: setup
	@$(PY) verif/tbkit/formal.py $(ARGS)

cov: setup
	@$(CLI) cov --lint

# make accuracy [MODEL=<name>] [ARGS="..."]
accuracy: setup
	@$(CLI) accuracy $(if $(MODEL),--model "$(MODEL)") $(ARGS)

clean:
	rm -rf sim_build
