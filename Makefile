# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test install bench lint clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch first and pinned: that CPU wheel is on disk; any other torch pulls gigabytes of CUDA.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# Compiled catalogues (.mo) are build products, not committed: each is rebuilt when its .po changes.
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --domain=messages --locale=$* -i $< -o $@

install: $(VENV)/.installed $(CATALOGUES:.po=.mo)

run: install
	mkdir -p instance
	$(BIN)/consult db upgrade
	$(BIN)/consult demo load --if-empty
	$(BIN)/consult run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python benchmarks/opinion_groups.py
	$(BIN)/python benchmarks/themes.py

lint: install
	$(BIN)/ruff check consult clustering tests benchmarks
	$(BIN)/ruff format --check consult clustering tests benchmarks

# Interface strings: extract from code and templates, merge into each catalogue (new or changed
# strings come out empty or fuzzy), copy English msgids, compile, then list what needs translating.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext --add-location=file -w 100 \
		--project=Consult --copyright-holder="Consult contributors" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -w 100 --ignore-obsolete
	$(BIN)/python -m consult.i18n english
	$(BIN)/pybabel compile -d translations --statistics
	$(BIN)/python -m consult.i18n check || echo "Translate the entries above in translations/*/LC_MESSAGES/messages.po, then run make translations again."

clean:
	rm -rf $(VENV) .pytest_cache
