#!/usr/bin/env bash
# Times the replicalab pre-commit hook and nbstripout side by side on the same
# commit: N notebooks of about SIZE bytes each (default 20 x 5 MB), mostly
# outputs (base64 images, long streams, HTML tables).
#
#   scripts/bench-hook.sh            # N=20 SIZE=5000000 RUNS=5
#   N=5 SIZE=1000000 scripts/bench-hook.sh
#
# nbstripout (pinned) is pip-installed into $BENCH_VENV (default .venv-bench,
# git-ignored). Prints a table of medians, in seconds.
set -euo pipefail

N=${N:-20}
SIZE=${SIZE:-5000000}
RUNS=${RUNS:-5}
NBSTRIPOUT_VERSION=0.9.1
REPO=$(cd "$(dirname "$0")/.." && pwd)
VENV=${BENCH_VENV:-$REPO/.venv-bench}
GO=${GO:-go}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$VENV/bin/nbstripout" ]; then
	echo "installing nbstripout $NBSTRIPOUT_VERSION into $VENV" >&2
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "nbstripout==$NBSTRIPOUT_VERSION"
fi
PY=$VENV/bin/python
(cd "$REPO" && $GO build -o "$work/replicalab-hook" ./scripts/hook)
HOOK=$work/replicalab-hook

export GIT_CONFIG_GLOBAL=$work/gitconfig GIT_CONFIG_NOSYSTEM=1
git config --global user.email bench@example.com
git config --global user.name bench

echo "generating $N notebooks of ~$SIZE bytes" >&2
mkdir -p "$work/nb"
"$PY" - "$work/nb" "$N" "$SIZE" <<'EOF'
import base64, json, random, sys
out, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for k in range(n):
    rng = random.Random(k)
    cells, total, i = [], 0, 0
    while total < size:
        i += 1
        img = base64.b64encode(rng.randbytes(90_000)).decode() + "\n"
        stream = ["day %d: %d orders, %.3f avg\n" % (d, rng.randrange(10**6), rng.random()) for d in range(400)]
        html = ["<table>\n"] + ["<tr><td>%d</td><td>é東 \"q\" %d</td></tr>\n" % (r, rng.randrange(1000)) for r in range(300)] + ["</table>"]
        cells.append({"cell_type": "code", "execution_count": i, "id": "c%06d" % i,
                      "metadata": {"ExecuteTime": {"start_time": "2026-11-25T10:00:00Z"}},
                      "outputs": [{"name": "stdout", "output_type": "stream", "text": stream},
                                  {"data": {"image/png": img, "text/plain": ["<Figure size 640x480 with 1 Axes>"]}, "metadata": {}, "output_type": "display_data"},
                                  {"data": {"text/html": html, "text/plain": ["df"]}, "execution_count": i, "metadata": {}, "output_type": "execute_result"}],
                      "source": ["rows, err := db.Query(ctx, `select day, count(*) from orders group by 1`)\n", "plot(rows)"]})
        total += len(img) + sum(map(len, stream)) + sum(map(len, html)) + 400
    nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"}}, "nbformat": 4, "nbformat_minor": 5}
    with open("%s/%02d analysis.ipynb" % (out, k), "w", encoding="utf-8") as f:
        f.write(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
EOF
total=$(du -cb "$work"/nb/*.ipynb | tail -1 | cut -f1)

# median RUNS CMD...: runs CMD (after the setup function `before`, untimed)
# RUNS times and prints the median wall time.
before() { :; }
median() {
	local runs=$1
	shift
	local times=()
	for _ in $(seq "$runs"); do
		before
		local t0 t1
		t0=$(date +%s%N)
		{ "$@" 2>>"$work/errors" || true; } | cat >/dev/null # a pipe: nbstripout cannot truncate /dev/null
		t1=$(date +%s%N)
		times+=("$((t1 - t0))")
	done
	printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) / 1e9}'
}

# Repository A: plain git add, then our hook (as git runs it before a commit).
mkdir -p "$work/a" && cp "$work"/nb/*.ipynb "$work/a/"
cd "$work/a"
t_add=$(before() { rm -rf .git && git init -q; }; median "$RUNS" git add -A) # a fresh object store each time
rm -rf .git && git init -q && git add -A
saved=$(git ls-files -s)
before() { printf '%s\n' "$saved" | git update-index --index-info; }
t_hook=$(median "$RUNS" "$HOOK" pre-commit)
t_check=$(median "$RUNS" "$HOOK" pre-commit --check)
# Working copies differ from the index (partial staging): blobs come from git.
for f in *.ipynb; do printf ' ' >>"$f"; done
t_hook_obj=$(median "$RUNS" "$HOOK" pre-commit)
before() { :; }

# nbstripout on the same files: one process for all, and as git's clean filter.
cd "$work/nb"
t_nbs=$(median "$RUNS" "$VENV/bin/nbstripout" --textconv ./*.ipynb)
mkdir -p "$work/b" && cp "$work"/nb/*.ipynb "$work/b/"
cd "$work/b"
before() { rm -rf .git && git init -q && PATH="$VENV/bin:$PATH" "$VENV/bin/nbstripout" --install; }
t_filter=$(PATH="$VENV/bin:$PATH" median "$RUNS" git add -A)
before() { :; }

# The cleaned output is the same (nbstripout's textconv vs ours).
same=yes
for f in "$work"/nb/*.ipynb; do
	cmp -s <("$VENV/bin/nbstripout" --textconv "$f") <("$HOOK" textconv "$f") || same=no
done

echo
echo "$N notebooks, $((total / 1000000)) MB in all; median of $RUNS runs on $(nproc) cores; byte-identical output: $same"
echo
printf '| %-66s | %9s |\n' "what" "seconds"
printf '|%s|%s|\n' "$(printf -- '-%.0s' $(seq 68))" "$(printf -- '-%.0s' $(seq 11))"
printf '| %-66s | %9s |\n' "replicalab-hook pre-commit (working copies = staged, usual case)" "$t_hook"
printf '| %-66s | %9s |\n' "replicalab-hook pre-commit --check" "$t_check"
printf '| %-66s | %9s |\n' "replicalab-hook pre-commit (partial staging: blobs from git)" "$t_hook_obj"
printf '| %-66s | %9s |\n' "nbstripout --textconv, one process for all files" "$t_nbs"
printf '| %-66s | %9s |\n' "git add, no filter (what precedes our hook), fresh repository" "$t_add"
printf '| %-66s | %9s |\n' "git add with nbstripout --install's clean filter, fresh repository" "$t_filter"
