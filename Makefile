# Everything a fresh clone needs; nothing installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-fast bench docs lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" "setuptools>=68"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Checks the courtcase app as a first run does (bare cdkcheck, no config), then both environments
# by name, then replays recorded account facts for a live-style production verdict (no AWS account needed).
# NO-GO (exit 1) is the expected answer for production, so only exits > 1 fail the demo.
export PATH := $(abspath $(BIN)):$(PATH)
demo: install
	@echo "== cd fixtures/apps/courtcase && cdkcheck --offline   (no config: every stack as one environment)"
	@cd fixtures/apps/courtcase && $(abspath $(BIN))/cdkcheck --offline; \
	  rc=$$?; echo "cdkcheck exit code: $$rc"; test $$rc -le 1
	@echo
	@echo "== cdkcheck staging production --app fixtures/apps/courtcase --offline"
	@$(BIN)/cdkcheck staging production --app fixtures/apps/courtcase --offline; \
	  rc=$$?; echo "cdkcheck exit code: $$rc"; test $$rc -le 1
	@echo
	@echo "== cdkcheck production --app fixtures/apps/courtcase --facts fixtures/facts/courtcase-production.json"
	@$(BIN)/cdkcheck production --app fixtures/apps/courtcase --facts fixtures/facts/courtcase-production.json; \
	  rc=$$?; echo "cdkcheck exit code: $$rc"; test $$rc -le 1

test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: install
	$(BIN)/python -m pytest -n 2 -m "not slow"

# cdkcheck against the naive pipeline, side by side; `make bench BENCH_ARGS=--quick` for fewer rounds.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

docs: install
	$(BIN)/python -m cdkcheck.cli.docs > docs/rules.md

clean:
	rm -rf $(VENV) .cdkcheck-cache build *.egg-info
