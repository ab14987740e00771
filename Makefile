# `make test` and `make demo` work on a fresh machine: they create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# `make test` runs the whole suite on the default Python and on the oldest and the newest Python
# we support, side by side, each of those in its own .venv-X.Y made from pyenv's X.Y (or
# pythonX.Y on PATH). The oldest runs on the oldest IPython pyproject.toml allows
# (ipython>=8.10), the newest on the newest IPython. `make test-default` runs the default only,
# `make test-versions` the two others only; `make test PYTHONS=` skips them.
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHONS    := 3.10 3.13
IPYTHON_3.10 := ipython==8.10.0
IPYTHON_3.13 :=
PY_STAMPS  := $(PYTHONS:%=.venv-%/.installed)

.PHONY: test test-default test-versions test-all $(PYTHONS:%=test-%) demo lint format bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

.venv-%/.installed: pyproject.toml
	@py=$$(ls -d $(PYENV_ROOT)/versions/$*.*/bin/python 2>/dev/null | sort -V | tail -n 1); \
	[ -n "$$py" ] || py=$$(command -v python$* || true); \
	if [ -z "$$py" ]; then \
	  echo "make test needs Python $*: not in $(PYENV_ROOT)/versions nor python$* on PATH." >&2; \
	  echo "Install it (pyenv install $*) or run only this Python: make test PYTHONS=" >&2; \
	  exit 1; \
	fi; \
	echo "$@: $$py"; \
	rm -rf .venv-$* && $$py -m venv .venv-$*
	.venv-$*/bin/pip install -q --upgrade pip
	.venv-$*/bin/pip install -q -e '.[dev]' $(IPYTHON_$*)
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check lineage tests benchmarks
	$(BIN)/ruff format --check lineage tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format lineage tests benchmarks
	$(BIN)/ruff check --fix lineage tests benchmarks

test: test-all

# the venvs are installed one after the other (each editable install writes the same egg-info),
# then the suites run side by side, each one's output printed whole when it ends
test-versions: lint $(PY_STAMPS)
	$(MAKE) --no-print-directory -j -O $(PYTHONS:%=test-%)

test-all: lint $(PY_STAMPS)
	$(MAKE) --no-print-directory -j -O test-default $(PYTHONS:%=test-%)

test-default: $(STAMP)
	LINEAGE_DEV_MODE=1 $(BIN)/python -m pytest -q -p no:cacheprovider

$(PYTHONS:%=test-%): test-%: .venv-%/.installed
	@echo "== Python $*: $$(.venv-$*/bin/python --version), IPython $$(.venv-$*/bin/python -c 'import IPython; print(IPython.__version__)')"
	LINEAGE_DEV_MODE=1 .venv-$*/bin/python -m pytest -q -p no:cacheprovider

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
	rm -rf $(VENV) $(PYTHONS:%=.venv-%) .pytest_cache .mypy_cache .ruff_cache
