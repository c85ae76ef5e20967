# Every target that runs code depends on the install step it needs, so each works alone on a
# fresh clone, and installs no more than it uses: `make demo` the core only (anyio, structlog);
# `make install` (lint, test, benches) the dev, bench and ray extras; `make docs` the docs extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOAK_SECONDS ?= 60
BUILD_INPUTS := pyproject.toml setup.py alara/entropy/_accel.c alara/entropy/_cpurng.c

.PHONY: install test lint docs demo demo-ray bench bench-quick bench-peers bench-erlang-paired
.PHONY: bench-native bench-ray bench-looplag soak randtest randtest-quick clean test-matrix test-pure

install: $(VENV)/.installed-stamp

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.core-stamp: $(BUILD_INPUTS) | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-stamp: $(BUILD_INPUTS) | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,bench,ray]'
	touch $@ $(VENV)/.core-stamp

$(VENV)/.docs-stamp: $(BUILD_INPUTS) | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[docs]'
	touch $@

lint: install
	$(BIN)/ruff check alara tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# The entropy tests once more on the pure-Python twins of the C module (alara.entropy._native),
# which every install without a C compiler runs.
test-pure: install
	ALARA_PURE_PYTHON=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/entropy

# The suite (without the Ray tests) under each other Python found: `python3.12`, `python3.13`
# on PATH or under pyenv. One venv per version (.venv-3.12, ...); a version not found is
# reported and skipped. MATRIX=3.13 runs one; MATRIX_TESTS="tests/native ..." a part.
MATRIX ?= 3.12 3.13
MATRIX_TESTS ?= tests
test-matrix:
	@for v in $(MATRIX); do \
	    py=; for c in $$(ls -d $$HOME/.pyenv/versions/$$v.*/bin/python 2>/dev/null) \
	                  $$(command -v python$$v); do \
	        if "$$c" -c 'import sys' 2>/dev/null; then py=$$c; break; fi; \
	    done; \
	    if [ -z "$$py" ]; then echo "test-matrix: SKIPPED Python $$v (not found)" >&2; continue; fi; \
	    echo "test-matrix: Python $$v ($$py)"; \
	    [ -x .venv-$$v/bin/python ] || $$py -m venv .venv-$$v || exit 1; \
	    .venv-$$v/bin/python -m pip install -q -e '.[dev,uvloop]' || exit 1; \
	    .venv-$$v/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/ray \
	        $(MATRIX_TESTS) || exit 1; \
	done

demo: $(VENV)/.core-stamp
	$(BIN)/python -m alara demo

demo-ray: install
	$(BIN)/python -m alara demo --ray

# The site, offline (no inventories, no link checks) and with warnings as errors.
docs: $(VENV)/.docs-stamp
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

# Figures land in benchmarks/results/ (git-ignored); docs/benchmarks.md quotes them.
bench: install
	$(BIN)/python -m benchmarks

# The CI smoke run: every row with few samples, and the peer and Erlang tables' plumbing.
bench-quick: install
	$(BIN)/python -m benchmarks --quick --json benchmarks/results/quick.json \
		--markdown benchmarks/results/quick.md
	$(BIN)/python -m benchmarks.peers --quick --repetitions 1 --no-peers \
		--json benchmarks/results/peers-quick.json --markdown benchmarks/results/peers-quick.md
	$(BIN)/python -m benchmarks.erlang_paired --quick \
		--json benchmarks/results/erlang-paired-quick.json \
		--markdown benchmarks/results/erlang-paired-quick.md

# The drop-ins (keyed generator) against the standard library, and two real apps (bench extra).
bench-native: install
	$(BIN)/python -m benchmarks --only sync apps --json benchmarks/results/native.json \
		--markdown benchmarks/results/native.md

bench-looplag: install
	$(BIN)/python -m benchmarks.looplag

# The peer frameworks are an extra of their own (`peers`), installed only for this target.
$(VENV)/.peers-stamp: $(VENV)/.installed-stamp
	$(BIN)/python -m pip install -q -e '.[peers]'
	touch $@

bench-peers: install $(VENV)/.peers-stamp
	$(BIN)/python -m benchmarks.peers

# alara next to the Erlang original in paired bursts, so each ratio is taken in one machine
# phase. Needs erl, erlc and rebar3 (Debian: erlang-nox rebar3); skipped with a message without.
bench-erlang-paired: install
	$(BIN)/python -m benchmarks.erlang_paired

bench-ray: install
	$(BIN)/python -m benchmarks.ray_remote

soak: install
	$(BIN)/python -m tests.reliability.soak --seconds $(SOAK_SECONDS)

randtest: install
	$(BIN)/python -m tests.reliability.randtest

randtest-quick: install
	$(BIN)/python -m tests.reliability.randtest --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build docs/_build alara/entropy/*.so
