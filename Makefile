# Everything this project needs is installed from here: `make setup` is idempotent.
# As root it installs missing Debian packages; it always (re)uses .venv and the
# sandbox environments under $(ENVS_DIR).

PYTHON      ?= python3
VENV        ?= .venv
VPY         := $(VENV)/bin/python
ENVS_DIR    ?= /opt/evalplatform/envs
ML_ENV      := $(ENVS_DIR)/python-ml
DEB_PACKAGES := redis-server postgresql bubblewrap tini runsc libseccomp2 iproute2 procps chromium
ML_PACKAGES := numpy pandas scipy scikit-learn
PYTEST_ARGS ?=
# Parallel scenarios in `make acceptance`: pytest-xdist workers sharing one embedded stack
# (support/sharing.py), so waiting scenarios wait at the same time, plus the first worker,
# which runs the @exclusive scenarios on a stack of its own: one per core on the shared
# stack and that one (docs/performance.md has the measurements); 0 runs them one after another.
ACCEPTANCE_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
# `loadgroup`: the @exclusive scenarios go, as one group, to the first worker, which has a
# stack of its own; every other scenario to whichever worker runs short, the long ones first
# (support/sharing.py). Without the API fuzzing plugins (tests/fuzz's), which cost each
# worker two seconds of imports for nothing the scenarios use.
ACCEPTANCE_PLUGINS := --dist loadgroup -p no:schemathesis -p no:hypothesispytest
# The gate's reports (cucumber.json, junit.xml, results.sarif, report.html, summary.json)
# and its policy: e.g. make acceptance GATE_ARGS="--waivers waivers.yaml --fail-on medium"
REPORT_DIR  ?= reports
GATE_ARGS   ?=
# Bytecode caches (__pycache__, git-ignored) are written for this project's runs even where
# the environment sets PYTHONDONTWRITEBYTECODE (this machine's does): without them every
# pytest worker and every service of every embedded stack compiles the project's modules,
# and pytest rewrites its assertions, on each start: 1.5 s of the gate's 27 on 2 cores
# (docs/performance.md). `make setup` compiles the platform's modules too, for services
# started outside make (`python -m evalplatform up`), which read caches they may not write.
unexport PYTHONDONTWRITEBYTECODE
BYTECODE_DIRS := evalplatform support steps features bench

.PHONY: setup system-packages venv ml-env pg-template bytecode test acceptance chaos unit doctor bench clean lock

setup: system-packages venv ml-env pg-template bytecode

system-packages:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "missing Debian packages (run make setup as root):$$missing"; exit 1; fi; \
	fi

venv: $(VENV)/.installed

# Exact versions from requirements.lock (what the suite passed with), then a check that they
# meet requirements.txt's bounds. `make lock` rewrites the lock from this venv.
$(VENV)/.installed: requirements.txt requirements.lock
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements.lock
	$(VPY) -m pip install -q -r requirements.txt
	touch $@

lock:
	$(VPY) -m evalgate.lock requirements.txt > requirements.lock

# The python-ml sandbox environment: a venv of the platform's base interpreter,
# outside the project directory, bound read-only into every sandbox that asks for it.
ml-env: $(ML_ENV)/.installed

$(ML_ENV)/.installed:
	mkdir -p $(ENVS_DIR)
	test -x $(ML_ENV)/bin/python || $$($(VPY) -c 'import sys;print(sys.base_prefix)')/bin/python3 -m venv $(ML_ENV)
	$(ML_ENV)/bin/python -m pip install -q $(ML_PACKAGES)
	chmod -R a+rX $(ENVS_DIR)
	touch $@

# A pristine, migrated PostgreSQL cluster that every embedded stack copies (cold start < 3 s).
pg-template: venv
	$(VPY) -m evalplatform.pgcluster

# Up-to-date caches are only checked (their source's mtime and size): hundredths of a second.
bytecode: venv
	$(VPY) -m compileall -q $(BYTECODE_DIRS)

doctor: setup
	$(VPY) -m evalplatform doctor

# The project's own tests, which include the acceptance suite against the embedded platform.
# The isolation features run a second time with bubblewrap, so both local engines are gated.
# The reference platform must pass every scenario: any failure fails (--fail-on low).
test: setup
	$(VPY) -m pytest --fail-on=low --report-dir=$(REPORT_DIR) $(PYTEST_ARGS)
	EVALPLATFORM_SANDBOX_ENGINE=bwrap $(VPY) -m pytest features -m isolation --fail-on=low --report-dir=$(REPORT_DIR)/bwrap $(PYTEST_ARGS)

unit: setup
	$(VPY) -m pytest tests/unit $(PYTEST_ARGS)

# The main job: the acceptance suite against the embedded platform, one line per scenario,
# every report written to $(REPORT_DIR)/ (docs/reports.md).
# @chaos scenarios restart the platform's own processes on stacks of their own (about a
# minute): they run in `make test` and `make chaos`, not here. The scenarios run in
# $(ACCEPTANCE_WORKERS) parallel workers against one embedded stack; @exclusive ones alone.
acceptance: setup
	$(VPY) -m pytest features -m "not chaos" -n $(ACCEPTANCE_WORKERS) $(ACCEPTANCE_PLUGINS) --report-dir=$(REPORT_DIR) $(GATE_ARGS) $(PYTEST_ARGS)

chaos: setup
	$(VPY) -m pytest features -m chaos --report-dir=$(REPORT_DIR)/chaos $(GATE_ARGS) $(PYTEST_ARGS)

# Benchmarks print ratios against a baseline measured in the same run; never asserted.
bench: setup
	$(VPY) bench/sandbox_overhead.py
	$(VPY) bench/cold_start.py
	$(VPY) bench/latency.py
	$(VPY) bench/throughput.py
	$(VPY) bench/floor.py

clean:
	rm -rf $(VENV) .pytest_cache reports .data
