# classifier_monitor — the two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: venv demo test bench bench-next-hour build clean

venv: $(STAMP)

# Install the fully pinned set, then make the python/ package importable.
$(STAMP): requirements.lock requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -c "import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], 'classifier_monitor.pth').write_text('$(CURDIR)/python\n')"
	touch $(STAMP)

demo: venv
	$(BIN)/python -m classifier_monitor demo

# Two pytest workers (one per core of the reference machine): most of a test's
# time is dbt's single-threaded Python, so two processes finish much sooner.
# Whole files go to one worker, so a module's shared warehouse is built once,
# in the order tests/python/conftest.py gives them (longest first; without
# --no-loadscope-reorder xdist would order files by their number of tests).
TEST_WORKERS ?= 2

test: venv
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder tests/python

bench: venv
	$(BIN)/python -m classifier_monitor bench

# Re-measure only the incremental run, on the warehouses `make bench` left.
bench-next-hour: venv
	$(BIN)/python -m classifier_monitor bench --next-hour

build: venv
	$(BIN)/dbt build --project-dir . --profiles-dir profiles

clean:
	rm -rf $(VENV) target logs warehouse/*.duckdb*
