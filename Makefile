# Two entry points for people (see README): `make run` and `make test`.
# Both create .venv on first use and reinstall when pyproject.toml changes.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run chat test lint check bench bench-quick soak fuzz clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit("baken needs Python 3.11 or newer; set PY=python3.11") if sys.version_info < (3, 11) else None'
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

## Start the assistant: on Telegram when TELEGRAM_BOT_TOKEN is set, else the terminal chat.
run: $(STAMP)
	$(BIN)/baken

chat: $(STAMP)
	$(BIN)/baken chat

## Everything CI runs: lint, types, content check, tests.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/baken content check
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(STAMP)
	$(BIN)/baken content check

## Benchmarks: writes BENCHMARKS.md in about ten minutes; bench-quick: tiny numbers, < 60 s.
bench: $(STAMP)
	$(BIN)/python -m bench.run

bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick --out /tmp/BENCHMARKS-quick.md

## The long soak run (120 simulated people, ten minutes, on 127.0.0.1); see RELIABILITY.md.
soak: $(STAMP)
	$(BIN)/python -m tests.soak --minutes 10 --users 120

## Fuzz the text normaliser and the crisis detector for five minutes (hypothesis).
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz --minutes 5

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
