# `make book` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: book test lint figures verify clean

# torch==2.13.0 first: it is the CPU wheel on this machine; the project's range admits it,
# so the second install keeps it instead of pulling a CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

verify: $(STAMP)
	$(PY) -m verify

figures: $(STAMP)
	$(PY) -m figures --out _build/figures

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick

clean:
	rm -rf _build
