# amrwatch — two commands for users: `make demo` and `make test`.
# Each creates or refreshes .venv from pyproject.toml, so a fresh clone needs nothing else.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system-packages

.PHONY: demo test install system-packages refdata bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $@

install: $(STAMP)

# Debian packages that tests drive for real (headless Chromium for the dashboard tests,
# R + surveillance as the reference for aberration detection). Installed once per machine.
$(SYSTEM_STAMP): scripts/system-packages.sh
	bash scripts/system-packages.sh
	@mkdir -p $(VENV) && touch $@

system-packages: $(SYSTEM_STAMP)

# At a terminal the demo ends by serving the dashboard (Ctrl+C stops it); run from a script or CI
# it finishes after printing where to look, so it never blocks an unattended run.
demo: $(STAMP)
	$(BIN)/amrwatch demo $$( [ -t 0 ] && [ -t 1 ] && echo --serve )

test: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/python -m pytest

# Rebuild the vendored AMR R package tables from ../shared/refdata/amr-r (see docs/refdata.md).
refdata: $(STAMP)
	$(BIN)/amrwatch refdata build --source ../shared/refdata/amr-r

# Every stage's benchmark at the sizes its issue names (several minutes; prints figures only).
BENCHMARKS := codes interpret read ingest synth analyse scan alerts web
bench: $(STAMP)
	@for name in $(BENCHMARKS); do echo "== amrwatch bench $$name"; $(BIN)/amrwatch bench $$name || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info src/*.egg-info
