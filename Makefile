# deepspeech_nb: the README's two commands are `make demo` and `make test`.
# Both first run `setup`, which is quick when nothing changed (a stamp file records the last install).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= work/demo
# TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notes) hides the results; errors still show.
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup demo test check nbtest pytest export clean-nbs readme lab slow-tests bench

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml scripts/setup-system.sh scripts/setup-venv.sh scripts/build-kenlm.sh
	bash scripts/setup-system.sh
	bash scripts/setup-venv.sh $(PYTHON)
	touch $(STAMP)

demo: setup  ## import LDC93S1 -> train -> test -> export -> transcribe, on bundled data
	bash scripts/demo.sh $(DEMO_DIR)

test: setup check nbtest pytest  ## every test CI runs

check: setup  ## notebooks are clean and deepspeech_nb/ is exactly what nbdev-export makes of them
	bash scripts/check-generated.sh

nbtest: setup
	$(BIN)/nbdev-test --n-workers 2 --timing

pytest: setup
	$(BIN)/pytest -q -m "not slow" tests

slow-tests: setup  ## the long checks (overfit runs, benchmarks' smoke runs): run them before a release
	$(BIN)/nbdev-test --n-workers 2 --flags slow
	$(BIN)/pytest -q -m slow tests

export: setup
	$(BIN)/nbdev-export

clean-nbs: setup
	$(BIN)/nbdev-clean

readme: setup  ## README.md is generated from nbs/index.ipynb
	$(BIN)/python tools/make_readme.py

lab: setup
	$(BIN)/jupyter lab nbs

bench: setup  ## every bench/ script, one table: BENCHMARKS.md (BENCH_QUICK=1: small sizes, a few minutes)
	BENCH_QUICK=$(BENCH_QUICK) $(BIN)/python bench/make_table.py
