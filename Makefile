# deepspeech_nb: the README's two commands are `make demo` and `make test`.
# Both first run `setup`, which is quick when nothing changed (a stamp file records the last install).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DEMO_DIR ?= work/demo
# TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notes) hides the results; errors still show.
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup test-setup test-deps demo test check nbtest pytest export clean-nbs readme lab slow-tests notebooks docs bench

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml scripts/setup-system.sh scripts/setup-venv.sh scripts/build-kenlm.sh
	bash scripts/setup-system.sh
	bash scripts/setup-venv.sh $(PYTHON)
	touch $(STAMP)

demo: setup  ## synthesise a multi-voice corpus (+ Spanish prompts when installed) -> import -> train -> evaluate greedy and with a scorer -> export -> transcribe
	bash scripts/demo.sh $(DEMO_DIR)

test: setup test-setup check nbtest pytest docs  ## every test CI runs (the site builds in about 30 s)

test-setup: setup test-deps  ## what only the tests need: pytest, Selenium, Sphinx (requirements-test.txt), headless Chromium + chromedriver
	bash scripts/setup-test.sh

test-deps: $(TEST_STAMP)

$(TEST_STAMP): $(STAMP) requirements-test.txt
	$(BIN)/python -m pip install -q --no-compile -r requirements-test.txt -c requirements.txt
	touch $(TEST_STAMP)

check: setup  ## notebooks are clean and deepspeech_nb/ is exactly what nbdev-export makes of them
	bash scripts/check-generated.sh

nbtest: setup
	$(BIN)/nbdev-test --n-workers 2 --timing

pytest: setup test-setup
	$(BIN)/pytest -q -m "not slow" tests

slow-tests: setup test-setup  ## the long checks (overfit runs, benchmarks' smoke runs): run them before a release
	$(BIN)/nbdev-test --n-workers 2 --flags slow
	$(BIN)/pytest -q -m slow tests

export: setup
	$(BIN)/nbdev-export

clean-nbs: setup
	$(BIN)/nbdev-clean

readme: setup  ## README.md is generated from nbs/index.ipynb
	$(BIN)/python tools/make_readme.py

# JupyterLab on this machine only; the kernel is named as nbdev-clean stores it, so opening a notebook keeps it unmodified.
LAB_PORT ?= 8888
lab: setup
	$(BIN)/python tools/execute_notebooks.py --kernelspec work/jupyter >/dev/null
	JUPYTER_PATH=$(CURDIR)/work/jupyter $(BIN)/jupyter lab --ip 127.0.0.1 --port $(LAB_PORT) \
	  $$([ "$$(id -u)" -eq 0 ] && echo --allow-root) nbs

# NB_FLAGS='--flags slow' also runs the slow cells; NB='nbs/18_widgets.ipynb ...' executes only those.
notebooks: setup  ## execute every notebook in order, storing outputs and widget state in it (then commit them)
	$(BIN)/python tools/execute_notebooks.py $(NB_FLAGS) $(NB)
	$(BIN)/nbdev-clean
	for nb in nbs/tutorials/*.ipynb; do [ -e "$$nb" ] && $(BIN)/nbdev-clean --fname "$$nb"; done; true
	$(BIN)/jupyter trust -y nbs/*.ipynb nbs/*/*.ipynb  # on this machine: JupyterLab then draws their saved widgets

docs: setup test-deps  ## the rendered site in _docs/: Sphinx + myst-nb show the committed outputs (nothing is executed)
	$(BIN)/sphinx-build -q -b html -c docs nbs _docs

# pyctcdecode (the decoder's peer) needs numpy < 2 and the kenlm module: its own environment, git-ignored.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV) && $(BENCH_VENV)/bin/pip install -q pyctcdecode==0.5.0 "numpy<2" kenlm==0.3.0 \
	  && touch $@ || echo "could not create $(BENCH_VENV): the pyctcdecode rows will say not measured"

bench: setup $(BENCH_VENV)/.installed  ## every bench/ script, one table: BENCHMARKS.md (BENCH_QUICK=1: small sizes, a few minutes)
	BENCH_QUICK=$(BENCH_QUICK) $(BIN)/python bench/make_table.py
