# focalbot: `make run` runs the bot on one machine; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint catalogs extract bench clean axe

install: $(STAMP) catalogs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Compile the gettext catalogs (translations/<lang>/LC_MESSAGES/messages.po -> .mo).
catalogs: $(STAMP)
	$(BIN)/pybabel -q compile -d translations -D messages

# Re-extract the source strings and update every catalog (after changing a string).
extract: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l -k lazy_ngettext:1,2 -o translations/messages.pot --no-location --sort-output --width=100 .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching --ignore-obsolete --width=100

# The demo policy sends at any hour, so that a newcomer sees mail at once.
run: install
	POLICY_FILE=$${POLICY_FILE:-bot/data/policies/demo.toml} $(BIN)/focalbot run

# axe-core for the accessibility checks the browser tests run in Chromium (npm registry).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(AXE)

axe: $(AXE)

test: install
	bash scripts/test-services.sh
	$(MAKE) --no-print-directory axe
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check bot forms tasks tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/outbox_throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache node_modules
