# `make test` and `make demo` work on a fresh machine: they create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo lint format bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check lineage tests benchmarks
	$(BIN)/ruff format --check lineage tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format lineage tests benchmarks
	$(BIN)/ruff check --fix lineage tests benchmarks

test: lint
	LINEAGE_DEV_MODE=1 $(BIN)/python -m pytest -q

# capture overhead, save/code scaling and memory; prints a table and writes docs/benchmarks.md
# (keep in step with MAKE_BENCH in benchmarks/run.py)
BENCH_ARGS ?= --instructions
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# the differential fuzzer (tests/fuzz, docs/fuzzing.md): random sessions run plain and traced,
# each slice re-run alone; prints a minimised table Case per failure class
FUZZ_SECONDS ?= 120
FUZZ_SEED    ?= 1
FUZZ_ARGS    ?=
fuzz: $(STAMP)
	LINEAGE_DEV_MODE=1 $(BIN)/python -m tests.fuzz --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) $(FUZZ_ARGS)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
