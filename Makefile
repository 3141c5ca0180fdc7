# JLR: the two commands a newcomer needs are `make demo` and `make test`.
# Each creates .venv when it is missing and installs exactly the locked versions.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK   := requirements.lock
PYTEST_ARGS ?= -n 2 --durations=40

.PHONY: demo test test-latest lint format bench site site-check lock clean help

help:
	@echo "make demo         create .venv, install, run the flagship project (report in runs/demo)"
	@echo "make test         create .venv, install dev extras, run the whole test suite"
	@echo "make test-latest  run the suite against the newest releases (in .venv-latest)"
	@echo "make lint         ruff check and format check"
	@echo "make bench        run every benchmark in benchmarks/ (tables + JSON in benchmarks/results)"
	@echo "make site         build the offline course site into site/ (runs every lesson)"
	@echo "make site-check   open every page of site/ in headless chromium, screenshots"
	@echo "make lock         re-resolve requirements.lock from pyproject.toml"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e .
	@touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	rm -rf runs/demo
	$(BIN)/jlr run transformer --preset demo --out runs/demo

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-latest:
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade -e '.[dev]'
	.venv-latest/bin/python -m pip freeze | grep -iE '^(jax|jaxlib|flax|optax|numpy)=='
	.venv-latest/bin/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests lessons exercises benchmarks
	$(BIN)/ruff format --check src tests lessons exercises benchmarks

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests lessons exercises benchmarks
	$(BIN)/ruff check --fix src tests lessons exercises benchmarks

bench: $(VENV)/.installed-dev
	@for script in benchmarks/bench_*.py; do \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

lock: $(BIN)/python
	$(PYTHON) -m venv /tmp/jlr-lock-venv
	/tmp/jlr-lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	/tmp/jlr-lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^jlr' > $(LOCK)
	rm -rf /tmp/jlr-lock-venv

clean:
	rm -rf $(VENV) .venv-latest site runs .pytest_cache

# The course site: every lesson executed as a learner runs it (one mode),
# project reports from runs/, the API reference and MathJax, all bundled: no CDN.
site: $(VENV)/.installed-dev
	$(BIN)/python -m jlr.site --out site

# Open every page of an already built site/ in headless chromium (apt-get install chromium).
site-check: $(VENV)/.installed-dev
	$(BIN)/python -m jlr.site.browser site site-screenshots
