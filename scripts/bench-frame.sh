#!/usr/bin/env bash
# Loads the same 1,000,000-row, 11-column query from a throwaway read replica
# with each method, side by side, in separate processes: binary COPY to
# /dev/null (psql), helpers/frame into a gota DataFrame (fetch; fetch and
# cache; cached re-run, with the replica's statement count), pandas.read_sql
# with psycopg2, and connectorx and polars when they install. Prints wall
# time, rows/s, peak RSS and the ratios (medians).
#
#   scripts/bench-frame.sh                    # ROWS=1000000 RUNS=3 BENCH_SCALE=small
#   BENCH_SCALE=large scripts/bench-frame.sh  # 5,000,000 real events rows (seeding takes ~2 min)
#
# At small scale the query repeats the 50,000 events rows with a cross join
# to reach ROWS; at large scale it reads ROWS distinct rows. The Python
# libraries (pinned below) go into $BENCH_VENV (default .venv-bench,
# git-ignored). Timings are benchmarks, never test assertions.
set -euo pipefail

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
BENCH_SCALE=${BENCH_SCALE:-small}
REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV=${BENCH_VENV:-$REPO/.venv-bench}
GO=${GO:-go}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

REQUIRED="pandas==3.1.1 numpy==2.4.6 psycopg2-binary==2.9.13"
OPTIONAL="connectorx==0.4.6 polars==2.1.0 pyarrow==26.0.1"

stamp="$VENV/.bench-frame-$(echo "$REQUIRED $OPTIONAL" | cksum | cut -d' ' -f1)"
if [ ! -e "$stamp" ]; then
	echo "installing $REQUIRED into $VENV" >&2
	[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q --disable-pip-version-check $REQUIRED
	for pkg in $OPTIONAL; do
		"$VENV/bin/pip" install -q --disable-pip-version-check "$pkg" || echo "$pkg did not install: skipped" >&2
	done
	touch "$stamp"
fi

if ! command -v psql >/dev/null; then
	echo "psql not found: the binary COPY baseline will be skipped (Debian: apt-get install postgresql-client)" >&2
fi

cd "$REPO"
exec $GO run ./scripts/benchframe run -rows "$ROWS" -runs "$RUNS" -scale "$BENCH_SCALE" -python "$VENV/bin/python"
