# replicalab — `make help` lists the targets. Every target installs what it needs first.
SHELL       := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

REPO    := $(CURDIR)
VENV    := $(REPO)/.venv
PY      := $(VENV)/bin/python
TOOLS   := $(REPO)/.tools/bin
GO      ?= go
# Extra arguments for `jupyter lab`, e.g. make lab LAB_ARGS="--port 9999 --no-browser"
LAB_ARGS ?=
# The folder JupyterLab opens on
LAB_ROOT ?= $(REPO)/notebooks
# Extra arguments for go test and pytest, e.g. make test GOTEST_ARGS="-run Replica" PYTEST_ARGS="-k kernel"
GOTEST_ARGS ?=
PYTEST_ARGS ?=

export GOTOOLCHAIN := local

.PHONY: help lab test test-go test-e2e test-notebooks bench bench-frame bench-load bench-report bench-hook bench-merge bench-scale bench-kernel nbdiff check-notebooks report new setup go-check postgres graphviz chromium pandoc venv kernel kernel-status hooks \
        demo demo-stop demo-status demo-reset demo-traffic lock clean

help: ## List the targets
	@echo "replicalab: analyse a production database's read replica from JupyterLab, safely."
	@echo
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-15s %s\n", $$1, $$2}'

lab: setup ## Set up what is missing, start the demo replica when there is no .env, open JupyterLab on notebooks/
	$(GO) run ./scripts/lab prepare
	@echo "Starting JupyterLab on $(LAB_ROOT) (localhost only, token protected). Stop it with Ctrl-C."
	cd "$(LAB_ROOT)" && exec $(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(LAB_ROOT)" \
		--ServerApp.open_browser=$${LAB_OPEN_BROWSER:-True} $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

test: setup test-go test-notebooks ## Install what is missing and run every test

test-go: go-check venv postgres chromium pandoc staticcheck ## Go unit and integration tests (real PostgreSQL primary + replica on loopback)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.*')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted (run gofmt -w on them):"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS)/staticcheck ./...
	REPLICALAB_REQUIRE_PG=1 REPLICALAB_REQUIRE_CHROMIUM=1 REPLICALAB_REQUIRE_PANDOC=1 REPLICALAB_REQUIRE_NBDIME=1 \
		$(GO) test -count=1 -timeout 30m $(GOTEST_ARGS) $$($(GO) list ./... | grep -v '/tests/e2e$$')
	@# The browser test last and alone: it is one person's session in JupyterLab, and compiles of other
	@# packages running beside it on a small machine would starve its kernel.
	REPLICALAB_REQUIRE_PG=1 REPLICALAB_REQUIRE_E2E=1 $(GO) test -count=1 -timeout 20m $(GOTEST_ARGS) ./tests/e2e/

test-e2e: setup chromium ## The whole flow in JupyterLab, driven in Chromium (screenshots in data/e2e/)
	REPLICALAB_REQUIRE_E2E=1 $(GO) test -count=1 -v -timeout 20m ./tests/e2e/

test-notebooks: setup chromium pandoc ## Notebooks and kernel conformance through a real Jupyter client on the real kernel
	REPLICALAB_REQUIRE_PG=1 $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) tests

bench: setup ## Benchmarks (timings live here, never in tests): Go benchmarks, then loading vs pandas, hook vs nbstripout, merges
	REPLICALAB_REQUIRE_PG=1 $(GO) test -run '^$$' -bench . -benchtime 3x -timeout 60m ./...
	scripts/bench-frame.sh
	scripts/bench-hook.sh
	$(MAKE) --no-print-directory bench-merge
	$(MAKE) --no-print-directory bench-spark
	$(MAKE) --no-print-directory bench-scale
	$(MAKE) --no-print-directory bench-cache
	$(MAKE) --no-print-directory bench-kernel
	$(MAKE) --no-print-directory bench-load

setup: go-check postgres graphviz venv kernel hooks

go-check:
	@command -v $(GO) >/dev/null || { echo "Go is required: install Go $$(sed -n 's/^go //p' go.mod) or newer from https://go.dev/dl/"; exit 1; }
	@want=$$(sed -n 's/^go //p' go.mod); have=$$($(GO) env GOVERSION | sed 's/^go//'); \
	if [ "$$(printf '%s\n%s\n' "$$want" "$$have" | sort -V | head -1)" != "$$want" ]; then \
		echo "go.mod needs Go $$want, found $$have: install a newer Go from https://go.dev/dl/"; exit 1; fi

postgres: ## Install PostgreSQL from Debian's packages if its server binaries are missing
	@if command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing PostgreSQL (apt-get install postgresql)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "PostgreSQL server binaries not found. Install them (Debian/Ubuntu: sudo apt-get install postgresql;"; \
		echo "macOS: brew install postgresql@16) and run make again."; exit 1; \
	fi

graphviz: ## Install Graphviz from Debian's packages if missing (ER diagrams; a built-in layout is used without it)
	@if command -v dot >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Graphviz (apt-get install graphviz)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "Graphviz not found: ER diagrams use the built-in layout (install graphviz for a better one)."; \
	fi

pandoc: ## Install pandoc and rsvg-convert from Debian's packages if missing (the .docx export of reports)
	@if command -v pandoc >/dev/null 2>&1 && command -v rsvg-convert >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing pandoc and librsvg2-bin (apt-get install pandoc librsvg2-bin)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pandoc librsvg2-bin >/dev/null; \
	else \
		echo "pandoc or rsvg-convert not found: install them (Debian/Ubuntu: sudo apt-get install pandoc librsvg2-bin) for .docx reports."; exit 1; \
	fi

chromium: ## Install Chromium from Debian's packages if missing (PDF reports, browser tests)
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium (apt-get install chromium)..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium not found: install it (Debian/Ubuntu: sudo apt-get install chromium) for PDF reports and browser tests."; exit 1; \
	fi

# staticcheck, pinned: make installs it into .tools/bin (it runs in test-go, after go vet).
STATICCHECK_VERSION := v0.8.2

.PHONY: staticcheck
staticcheck: go-check ## Install the pinned staticcheck into .tools/bin
	@if ! $(TOOLS)/staticcheck -version 2>/dev/null | grep -q '($(patsubst v%,%,$(STATICCHECK_VERSION)))'; then \
		echo "Installing staticcheck $(STATICCHECK_VERSION) into $(TOOLS)..."; \
		GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi

venv: $(VENV)/.installed ## Create .venv with the pinned Jupyter tooling (requirements.txt)

$(VENV)/.installed: requirements.txt
	@command -v python3 >/dev/null || { echo "python3 (3.9 or newer, with venv) is required"; exit 1; }
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@# No news feed from the internet in the lab (it has none to reach, and asks every user otherwise).
	mkdir -p $(VENV)/share/jupyter/lab/settings
	echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}' > $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $@

kernel: go-check venv ## Build the pinned tools and install the "Go (replica)" kernelspec into .venv
	$(GO) run ./kernel install

kernel-status: ## Show the kernel's tools, kernelspec and what is missing
	$(GO) run ./kernel status

hooks: venv ## Install the git hooks (notebook outputs and secrets) and the notebook merge driver (nbdime, this repository only)
	@# .git is a folder in a clone and a file in a git worktree: ask git.
	@if [ -d scripts/hook ] && git rev-parse --git-dir >/dev/null 2>&1; then $(GO) run ./scripts/hook install; fi

new: ## Start a notebook from a template: make new NAME=orders-by-region [FROM=6.0] [INITIALS=ab]
	@test -n "$(NAME)" || { echo "usage: make new NAME=<description> [FROM=5.0] [INITIALS=ab]"; exit 2; }
	$(GO) run ./scripts/newnb --name "$(NAME)" $(if $(FROM),--from "$(FROM)") $(if $(INITIALS),--initials "$(INITIALS)")

report: $(if $(EXECUTE)$(PARAMS)$(PARAMS_FILE),setup) $(if $(DOCX),pandoc) $(if $(PDF)$(CHECK),chromium) ## Export a notebook as a report: make report NB=notebooks/6.0-partial-results.ipynb [EXECUTE=1] [PDF=1] [DOCX=1] [PARAMS="a=1 b=x"|PARAMS_FILE=f.yaml] [VERIFY=1] [CHECK=1] [PAPER=letter]
	@test -n "$(NB)" || { echo "usage: make report NB=notebooks/<name>.ipynb [EXECUTE=1] [PDF=1] [DOCX=1] [PARAMS=\"name=value ...\"] [PARAMS_FILE=variants.yaml] [VERIFY=1] [CHECK=1] [PAPER=a4|letter]"; exit 2; }
	@# Running the notebook or re-running its queries needs a replica: the demo's when there is no .env, as in make lab.
	$(if $(EXECUTE)$(PARAMS)$(PARAMS_FILE)$(VERIFY),$(GO) run ./scripts/lab prepare)
	$(GO) run ./scripts/report $(if $(EXECUTE),--execute) $(if $(PDF),--pdf) $(if $(DOCX),--docx) $(if $(VERIFY),--verify) $(if $(CHECK),--check) \
		$(if $(PAPER),--paper "$(PAPER)") $(if $(TOLERANCE),--tolerance "$(TOLERANCE)") $(if $(PARAMS),--params '$(PARAMS)') $(if $(PARAMS_FILE),--params-file "$(PARAMS_FILE)") "$(NB)"

check-notebooks: ## Check, without changing anything, that tracked notebooks are clean and hold no secret
	$(GO) run ./scripts/hook pre-commit --check --all

.PHONY: lines
lines: ## Lines of Go in the templates now, against the commit before the notebook style (897cff3)
	python3 tests/golines.py --before 897cff3 notebooks/*.ipynb

.PHONY: bench-cache
bench-kernel: setup ## Time the kernel through a Jupyter client: start-up, first completion, %%sql vs Go cells, a cell's build, 10 SQL + 5 Go cells run twice (counted on the replica), jupyter_kernel_test
	$(PY) scripts/bench-kernel.py $(BENCH_KERNEL_ARGS)

bench-cache: go-check ## Compare frame's cache file with Arrow IPC and Parquet (arrow-go): size, write from and re-read into the same gota DataFrame, raw re-read; 1M rows
	cd scripts/benchcache && $(GO) run .

bench-frame: ## Time loading 1M rows: binary COPY vs frame (fetch, cached) vs pandas/connectorx/polars (.venv-bench)
	scripts/bench-frame.sh

bench-report: go-check chromium pandoc ## Time the report of a 100-cell, 30-chart notebook: HTML, PDF, .docx, layout check, nbconvert
	$(GO) test -run '^$$' -bench . -benchtime 5x ./internal/report

bench-scale: go-check postgres graphviz chromium ## At scale, on a large demo + 3,000 tables: truncated loads, lag under VACUUM/bulk load, schema map in Chromium, bucket refusal (BENCH_SCALE_ARGS)
	$(GO) run ./scripts/benchscale $(BENCH_SCALE_ARGS)

bench-load: go-check postgres ## The load spared to the replica at scale large: cost preview, bytes of server-side charts vs client-side, table reads; seeds data/demodb-large once (BENCH_LOAD_ARGS="-huge")
	REPLICALAB_REQUIRE_PG=1 $(GO) run ./scripts/benchload $(BENCH_LOAD_ARGS)

bench-hook: ## Time the pre-commit hook against nbstripout on 20 notebooks of 5 MB
	scripts/bench-hook.sh

bench-merge: venv ## Time a notebook merge (replicalab driver, nbdime's, git's text merge) and merge the scenario corpus with each
	REPLICALAB_REQUIRE_NBDIME=1 REPLICALAB_BENCH_MERGE_CORPUS=1 $(GO) test -run '^$$' -bench 'Merge' -benchtime 1x -timeout 60m ./internal/hook/

nbdiff: venv ## A notebook's changes in the browser (nbdime, 127.0.0.1 only): make nbdiff NB=notebooks/x.ipynb [REF=HEAD] [REF2=main]
	@test -n "$(NB)" || { echo "usage: make nbdiff NB=notebooks/<name>.ipynb [REF=HEAD] [REF2=<branch>]  (REF alone: against your working copy)"; exit 2; }
	cd "$(dir $(abspath $(NB)))" && exec $(VENV)/bin/nbdiff-web $(NBDIFF_ARGS) --ip 127.0.0.1 $(or $(REF),HEAD) $(REF2) "$(notdir $(NB))"

# Spark: the engine of helpers/spark when SPARK_REMOTE names no cluster (installed into .spark/, git-ignored).
.PHONY: spark spark-install spark-stop spark-status spark-test-server bench-spark
SPARK_TEST_DIR := $(REPO)/data/spark-test

spark-install: go-check venv ## Install Spark 4 (from PyPI's pyspark), the PostgreSQL JDBC driver (Maven Central) and Java 17+ if missing
	PIP=$(VENV)/bin/pip scripts/spark-install.sh

spark: spark-install ## Start the local Spark Connect server on 127.0.0.1:15002 (helpers/spark starts it too when needed)
	$(GO) run ./scripts/spark start

spark-stop: ## Stop the local Spark Connect server
	$(GO) run ./scripts/spark stop

spark-status: ## Say whether the local Spark Connect server runs, where, and where its log is
	-$(GO) run ./scripts/spark status

# One Spark server for a whole test run, started in the background while the tests build; it stops when
# make exits (its watchdog watches make's process). The tests find it through REPLICALAB_TEST_SPARK_DIR.
spark-test-server: spark-install
	$(GO) run ./scripts/spark start --dir $(SPARK_TEST_DIR) --port 0 --ui --cores 4 --no-wait --stop-with $$PPID

bench-spark: spark-install ## Time one analysis on 5M events: SQL on a replica vs Spark on 1 and 2 replicas, snapshot (BENCH_SPARK_ARGS="-runs 5")
	$(GO) run ./scripts/benchspark $(BENCH_SPARK_ARGS)

test-go test-notebooks: spark-test-server
test-go test-notebooks: export REPLICALAB_TEST_SPARK_DIR := $(SPARK_TEST_DIR)
test-go test-notebooks: export REPLICALAB_REQUIRE_SPARK := 1

demo: go-check postgres ## Start the demo primary + read replica and write .env for it
	$(GO) run ./scripts/demodb start

demo-stop: ## Stop the demo database
	$(GO) run ./scripts/demodb stop

demo-status: ## Show both demo servers, replication state and lag
	$(GO) run ./scripts/demodb status

demo-reset: ## Recreate the demo database from scratch
	$(GO) run ./scripts/demodb reset

demo-traffic: ## Keep writing on the demo primary so you can watch the replica follow
	$(GO) run ./scripts/demodb traffic

lock: ## Refreeze requirements.txt from requirements.in
	rm -rf $(REPO)/.venv-lock && python3 -m venv $(REPO)/.venv-lock
	$(REPO)/.venv-lock/bin/pip install -q -r requirements.in
	{ echo "# Frozen from requirements.in by 'make lock'. Installed into .venv by make."; $(REPO)/.venv-lock/bin/pip freeze; } > requirements.txt
	rm -rf $(REPO)/.venv-lock

clean: ## Remove built tools and the venv (keeps .env, data/ and the demo database)
	-$(GO) run ./kernel uninstall
	-$(GO) run ./scripts/spark stop
	rm -rf .tools .venv .spark
