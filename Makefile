# The README's two commands: `make demo` and `make test`. Both build their own venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/perso: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/perso

demo: $(BIN)/perso
	PATH=$(CURDIR)/$(BIN):$$PATH bash examples/demo.sh

test: $(BIN)/perso
	$(BIN)/ruff check perso_iac tests benchmarks
	$(BIN)/pytest -n 2 -q

bench: $(BIN)/perso
	$(BIN)/python benchmarks/bench_plan_apply.py

clean:
	rm -rf $(VENV) .perso
