# The README's two commands are the contract: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
NPM_FLAGS := --ignore-scripts --no-audit --no-fund --loglevel=error

.PHONY: run test package bench browser clean tab-themes

# The first run installs for a few minutes: say so, and let pip list what it fetches.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo ">>> First run: creating the Python environment in $(VENV) and installing its packages."
	@echo ">>> This takes a few minutes once; later runs start at once."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -r requirements-dev.txt
	@echo ">>> Python packages installed."
	touch $@

node_modules/.installed: package.json package-lock.json
	@echo ">>> Installing Agents Playground and the Adaptive Cards validator with npm (once)..."
	npm ci $(NPM_FLAGS)
	@echo ">>> npm packages installed."
	touch $@

## Start the bot on the embedded default and Agents Playground pointed at it. Ctrl-C stops both.
run: $(VENV)/.installed node_modules/.installed
	$(PY) -m scripts.run_local

## Lint, then the whole test suite (unit, end to end over HTTP, Agents Playground smoke test).
test: $(VENV)/.installed node_modules/.installed browser
	$(PY) -m ruff check .
	$(PY) -m pytest -q

## The Teams app package (build/appPackage.zip), validated against the manifest schema.
package: $(VENV)/.installed node_modules/.installed
	$(PY) -m scripts.package

## Fluent 2's theme tokens for the Den tab (static/tab/fluent-themes.css), from the lockfile's @fluentui/tokens.
tab-themes: node_modules/.installed
	node scripts/fluent_themes.cjs

browser:
	@bash scripts/ensure_chromium.sh

bench: $(VENV)/.installed
	$(PY) -m bench.approval_click
	$(PY) -m bench.digest_build
	$(PY) -m bench.den_report
	$(PY) -m bench.dashboard
	$(PY) -m bench.room_view
	$(PY) -m bench.graph_round_trips
	$(PY) -m bench.graph_idle_cost
	$(PY) -m bench.idle_instance_cost
	$(PY) -m bench.peoples_choice_burst
	$(PY) -m bench.idea_lifecycle_cost
	$(PY) -m bench.vote_click
	$(PY) -m bench.telemetry_cost
	$(PY) -m bench.tab_search
	$(PY) -m bench.tab_index_cost

clean:
	rm -rf $(VENV) node_modules var build test-output .pytest_cache .ruff_cache
