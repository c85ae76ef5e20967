# Every target that runs code depends on `install`, so each works alone on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SOAK_SECONDS ?= 60

.PHONY: install test lint demo bench bench-quick bench-peers bench-erlang bench-erlang-paired soak randtest randtest-quick clean
.PHONY: bench-looplag bench-sync demo-ray bench-ray test-matrix test-pure

install: $(STAMP)

$(STAMP): pyproject.toml setup.py alara/entropy/_accel.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,bench,ray]'
	touch $(STAMP)

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
# reported and skipped. MATRIX=3.13 runs one.
MATRIX ?= 3.12 3.13
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
	    .venv-$$v/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/ray || exit 1; \
	done

demo: install
	$(BIN)/python -m alara demo

demo-ray: install
	$(BIN)/python -m alara demo --ray

bench: install
	$(BIN)/python -m benchmarks --json benchmarks/results/latest.json \
		--markdown benchmarks/results/latest.md --plot docs/benchmarks.png

bench-quick: install
	$(BIN)/python -m benchmarks --quick --json benchmarks/results/quick.json \
		--markdown benchmarks/results/quick.md --plot benchmarks/results/quick.png
	$(BIN)/python -m benchmarks.peers --quick --repetitions 1 --only \
		--json benchmarks/results/peers-quick.json --markdown benchmarks/results/peers-quick.md
	$(BIN)/python -m benchmarks.erlang --quick --repetitions 1 \
		--json benchmarks/results/erlang-quick.json --markdown benchmarks/results/erlang-quick.md
	$(BIN)/python -m benchmarks.erlang_paired --quick \
		--json benchmarks/results/erlang-paired-quick.json \
		--markdown benchmarks/results/erlang-paired-quick.md

bench-looplag: install
	$(BIN)/python -m benchmarks.looplag

bench-sync: install
	$(BIN)/python -m benchmarks.sync_secrets --json benchmarks/results/sync_secrets.json

# The peer frameworks are an extra of their own (`peers`), installed only for this target.
$(VENV)/.peers-stamp: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[peers]'
	touch $@

bench-peers: install $(VENV)/.peers-stamp
	$(BIN)/python -m benchmarks.peers

# Needs erl, erlc and rebar3 (Debian: erlang-nox rebar3); skipped with a message without them.
bench-erlang: install
	$(BIN)/python -m benchmarks.erlang

# The two disputed rows of bench-erlang (sequential p50, restart p50) measured in pairs: both
# sides alive at once, alternating short bursts, so each ratio is taken in one machine phase.
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
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build alara/entropy/*.so
