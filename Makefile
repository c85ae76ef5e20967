# Every target that runs code depends on `install`, so each works alone on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SOAK_SECONDS ?= 60

.PHONY: install test lint demo demo-ray bench-ray bench bench-quick bench-ablation soak randtest randtest-quick clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,bench,ray]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check alara tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

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

bench-ablation: install
	$(BIN)/python -m benchmarks.ablation --json benchmarks/results/ablation.json \
		--markdown benchmarks/results/ablation.md

bench-ray: install
	$(BIN)/python -m benchmarks.ray_remote

soak: install
	$(BIN)/python -m tests.reliability.soak --seconds $(SOAK_SECONDS)

randtest: install
	$(BIN)/python -m tests.reliability.randtest

randtest-quick: install
	$(BIN)/python -m tests.reliability.randtest --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
