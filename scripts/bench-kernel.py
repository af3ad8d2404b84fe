#!/usr/bin/env python3
"""make bench-kernel: the "Go (replica)" kernel through jupyter_client, side by side in one run, against a
throwaway demo primary + streaming replica (scripts/demodb on free ports in a temporary folder).

Measured (medians; timings are benchmarks, never test assertions):

  start       status idle after the kernel process starts; first Go completion answered after start
  build       the decomposition of a helper-importing cell as GoNB builds it (goimports, compile, link,
              run), with and without the kernel's -ldflags=-s
  cells       a %%sql cell with a small result and the equivalent Go cell using the helpers, warm, in one
              kernel, alternating
  notebook    10 %%sql + 5 Go cells run twice in one kernel, counted on the replica itself:
              pg_stat_database.sessions (sessions established) and pg_stat_statements (statements of the
              analyst role)

Usage: .venv/bin/python scripts/bench-kernel.py [--runs 10] [--starts 5]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parent.parent
KERNEL = "replicalab"
TOOLS = REPO / ".tools" / "bin"
ENV = dict(os.environ)  # the environment the benchmark was started with (before the demo's settings)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class Demo:
    """A throwaway demo replica, and an observer that counts what the replica sees."""

    def __init__(self, base: Path):
        self.base = base
        self.demodb = base / "demodb"
        subprocess.run(["go", "build", "-o", str(self.demodb), "./scripts/demodb"], cwd=REPO, check=True)
        env_file = base / "demo.env"
        self.args = ["--dir", str(base / "data")]
        proc = subprocess.run([str(self.demodb), "start", *self.args, "--primary-port", str(free_port()),
                               "--replica-port", str(free_port()), "--env-file", str(env_file)],
                              cwd=REPO, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"demodb start failed:\n{proc.stdout}\n{proc.stderr}")
        self.env = {}
        for line in env_file.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                self.env[k.strip()] = v.strip()
        state = json.loads((base / "data" / "demodb.json").read_text())
        self.socket_dir, self.port = state["socket_dir"], state["replicas"][0]["port"]
        self.observer_sessions = 0

    def sql(self, query: str) -> str:
        """Runs query as the superuser on the replica (through its private socket): one session."""
        self.observer_sessions += 1
        out = subprocess.run(["psql", "-X", "-At", "-h", self.socket_dir, "-p", str(self.port), "-U", "postgres",
                              "-d", self.env["RDS_DB_NAME"], "-c", query], capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def counts(self) -> tuple[int, int]:
        """(sessions established on the database, statements run by the analyst role), excluding the
        observer's own sessions."""
        row = self.sql(
            "SELECT (SELECT sessions FROM pg_stat_database WHERE datname = current_database()), "
            "(SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
            f" WHERE r.rolname = '{self.env['RDS_USERNAME']}')")
        sessions, statements = (int(x) for x in row.split("|"))
        return sessions - self.observer_sessions, statements

    def stop(self):
        subprocess.run([str(self.demodb), "stop", *self.args], cwd=REPO, capture_output=True)


class Kernel:
    def __init__(self, cwd: Path):
        self.km = KernelManager(kernel_name=KERNEL)
        self.t0 = time.monotonic()
        self.km.start_kernel(cwd=str(cwd))
        self.kc = self.km.client()
        self.kc.start_channels()

    def shell_reply(self, msg_id, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            m = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if m["parent_header"].get("msg_id") == msg_id:
                return m

    def run(self, code: str, timeout=300) -> tuple[float, dict, list]:
        msgs = []
        t = time.monotonic()
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=msgs.append)
        return time.monotonic() - t, reply["content"], msgs

    def stop(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)


def text_of(msgs) -> str:
    parts = []
    for m in msgs:
        c = m["content"]
        if m["msg_type"] == "stream":
            parts.append(c["text"])
        elif m["msg_type"] == "error":
            parts.append(c["ename"] + ": " + c["evalue"])
        elif "data" in c:
            parts.append(c["data"].get("text/plain", ""))
    return "".join(parts)


def bench_start(cwd: Path, starts: int):
    """Status idle and the first completion, measured from the moment the kernel process starts."""
    idle, completion = [], []
    code = 'import "strings"\nfunc f() { strings.ToUpp'
    for _ in range(starts):
        k = Kernel(cwd)
        got_idle = None
        # The client's first request (as JupyterLab sends kernel_info at once) and a completion right after.
        info = k.kc.kernel_info()
        comp = k.kc.complete(code, len(code))
        while got_idle is None:
            m = k.kc.get_iopub_msg(timeout=60)
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                got_idle = time.monotonic() - k.t0
        k.shell_reply(info)
        reply = k.shell_reply(comp)
        completion.append(time.monotonic() - k.t0)
        if "ToUpper" not in reply["content"]["matches"]:
            print(f"  warning: first completion answered {reply['content']}", file=sys.stderr)
        idle.append(got_idle)
        k.stop()
    return idle, completion


HELPER_IMPORTS = '''import (
	"github.com/replicalab/replicalab/helpers/frame"
)
'''

# A small result: the statuses of the orders and how many of each.
QUERY = "SELECT status::text AS status, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1"

# The Go cell using the helpers, notebook style: the rows through the notebook's session (or the cache).
GO_CELL = HELPER_IMPORTS + "%%\nframe.SQL(`" + QUERY + "`).Show()\n"

# The equivalent SQL cell.
SQL_CELL = "%%sql\n" + QUERY

CHART_IMPORTS = '''import (
	"github.com/replicalab/replicalab/helpers/chart"
	"github.com/replicalab/replicalab/helpers/frame"
)
'''

# A notebook as an analyst writes it: SQL cells for the data, Go cells for charts and what SQL does badly.
NOTEBOOK = [
    "%%sql by_status\nSELECT status::text AS status, count(*) AS n, sum(total) AS total FROM orders GROUP BY 1 ORDER BY 1",
    "%%sql monthly\nSELECT date_trunc('month', placed_at) AS month, count(*) AS orders, sum(total) AS revenue\n"
    "FROM orders WHERE deleted_at IS NULL GROUP BY 1 ORDER BY 1",
    CHART_IMPORTS + "%%\nchart.TimeSeries(frame.Named(\"monthly\").DataFrame, \"month\", []string{\"revenue\"}).Show()",
    "%%sql top_buyers\nSELECT buyer_company_id, count(*) AS orders FROM orders GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
    "%%sql\nSELECT c.name, c.country_code, count(*) AS orders\nFROM orders o JOIN companies c ON c.id = o.buyer_company_id\n"
    "WHERE o.buyer_company_id = ANY({{top_buyers.buyer_company_id}}) GROUP BY 1, 2 ORDER BY 3 DESC",
    "%%sql\nSELECT currency, avg(total) AS average, percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median\n"
    "FROM orders GROUP BY 1 ORDER BY 1",
    HELPER_IMPORTS + "%%\nframe.SQL(`SELECT method, status, count(*) AS n, sum(amount) AS amount FROM payments GROUP BY 1, 2 ORDER BY 1, 2`).Show()",
    "%%sql parts\nSELECT category, count(*) AS parts, avg(unit_price) AS price FROM parts GROUP BY 1 ORDER BY 2 DESC",
    CHART_IMPORTS + "%%\nchart.Bar(frame.Named(\"by_status\").DataFrame, \"status\").Show()",
    "%%sql --limit 20\nSELECT id, order_number, status::text AS status, total, placed_at FROM orders ORDER BY placed_at DESC",
    "%%sql\nSELECT date_trunc('week', placed_at) AS week, count(*) AS orders FROM orders GROUP BY 1 ORDER BY 1 DESC LIMIT 12",
    HELPER_IMPORTS + "%%\nframe.SQL(`SELECT country_code, count(*) AS companies FROM companies WHERE NOT is_test GROUP BY 1 ORDER BY 2 DESC`).Summary().Show()",
    "%%sql\nSELECT method, count(*) AS payments, sum(amount) AS amount FROM payments WHERE status = 'succeeded' GROUP BY 1",
    HELPER_IMPORTS + "%%\nframe.SQL(`SELECT o.status::text AS status, p.method, count(*) AS n FROM orders o JOIN payments p ON p.order_id = o.id GROUP BY 1, 2 ORDER BY 1, 2`).Show()",
    "%%sql\nSELECT count(*) AS companies, count(*) FILTER (WHERE is_test) AS test_accounts FROM companies",
]

TIMER_SRC = """package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

func main() {
	start := time.Now()
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if f, ferr := os.OpenFile(os.Getenv("TOOLLOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); ferr == nil {
		fmt.Fprintf(f, "%s %d\\n", filepath.Base(os.Args[1]), time.Since(start).Microseconds())
		f.Close()
	}
	if err != nil {
		os.Exit(1)
	}
}
"""


def bench_build(runs: int):
    """A helper-importing main.go built the way GoNB builds a cell, step by step."""
    work = Path(tempfile.mkdtemp(prefix="gonb_bench"))
    try:
        env = dict(os.environ, PATH=f"{REPO / '.tools' / 'shim'}:{TOOLS}:{os.environ['PATH']}")
        # A small timer for -toolexec (a shell script would add more than it measures).
        tdir = work / "timer"
        tdir.mkdir()
        (tdir / "main.go").write_text(TIMER_SRC)
        timer = work / "toolexec-timer"
        subprocess.run(["go", "build", "-o", str(timer), "main.go"], cwd=tdir, check=True, capture_output=True,
                       env=dict(env, GOFLAGS=""))
        for args in (["mod", "init", work.name], ["mod", "edit", "-replace", f"github.com/replicalab/replicalab={REPO}"],
                     ["work", "init"], ["work", "use", ".", str(REPO)]):
            subprocess.run(["go", *args], cwd=work, env=env, check=True, capture_output=True)
        main = work / "main.go"
        body = ('package main\n\nimport (\n\t"fmt"\n\n\t"github.com/replicalab/replicalab/helpers/chart"\n'
                '\t"github.com/replicalab/replicalab/helpers/explore"\n\t"github.com/replicalab/replicalab/helpers/frame"\n)\n\n'
                'func main() {\n\t_ = chart.Histogram\n\t_ = explore.ShowTables\n\t_ = frame.SQL\n\tfmt.Println(%d)\n}\n')
        results = {}
        for label, flags in (("default", []), ("-ldflags=-s", ["-ldflags=-s"])):
            steps = {"goimports": [], "compile": [], "link": [], "go command": [], "build total": [], "run": []}
            for i in range(runs + 1):
                main.write_text(body % (i + 1000 * len(results)))
                t = time.monotonic()
                subprocess.run([str(TOOLS / "goimports"), "-w", str(main)], cwd=work, check=True)
                goimports = time.monotonic() - t
                log = work / "tool.log"
                log.unlink(missing_ok=True)
                t = time.monotonic()
                subprocess.run(["go", "build", *flags, f"-toolexec={timer}", "-o", str(work / "cell")], cwd=work,
                               env=dict(env, TOOLLOG=str(log)), check=True, capture_output=True)
                total = time.monotonic() - t
                tools = {}
                for line in log.read_text().splitlines():
                    name, us = line.split()
                    tools[name] = tools.get(name, 0) + int(us) / 1e6
                t = time.monotonic()
                subprocess.run([str(work / "cell")], check=True, capture_output=True)
                run = time.monotonic() - t
                if i == 0:
                    continue  # the first build compiles the main package for these flags
                steps["goimports"].append(goimports)
                steps["compile"].append(tools.get("compile", 0))
                steps["link"].append(tools.get("link", 0))
                steps["go command"].append(total - tools.get("compile", 0) - tools.get("link", 0))
                steps["build total"].append(total)
                steps["run"].append(run)
            results[label] = {k: median(v) for k, v in steps.items()}
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_conformance():
    """Runs tests/test_kernel_conformance.py (jupyter_kernel_test) and returns {check: outcome}."""
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}",
                        str(REPO / "tests" / "test_kernel_conformance.py")], cwd=REPO, env=ENV, capture_output=True)
        if not xml.exists():
            return {"(pytest did not run)": "error"}
        import xml.etree.ElementTree as ET
        outcomes = {}
        for case in ET.parse(xml).iter("testcase"):
            kinds = {child.tag for child in case}
            outcome = ("failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed")
            outcomes[case.get("name").removeprefix("test_")] = outcome
        return outcomes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10, help="runs per timed cell (after one warm-up)")
    ap.add_argument("--starts", type=int, default=5, help="kernel starts for the start-up figures")
    args = ap.parse_args()
    if not (TOOLS / "replicalab-kernel").exists():
        sys.exit("the kernel is not installed: run make kernel (go run ./kernel install) first")

    base = Path(tempfile.mkdtemp(prefix="replicalab-bench-kernel-"))
    os.chmod(base, 0o755)  # the demo servers run as another user when we are root
    demo = None
    rows = []
    try:
        print("starting a demo primary + replica ...", file=sys.stderr)
        demo = Demo(base)
        os.environ.update(demo.env)
        cache = base / "cache"
        os.environ["REPLICALAB_CACHE_DIR"] = str(cache)
        nbdir = base / "nb"
        nbdir.mkdir()

        print("kernel start-up ...", file=sys.stderr)
        idle, completion = bench_start(nbdir, args.starts)
        rows.append(("status idle after start", median(idle), "≤ 2 s", f"{args.starts} starts"))
        rows.append(("first Go completion after start", median(completion), "≤ 3 s", f"{args.starts} starts"))

        print("cell build decomposition ...", file=sys.stderr)
        build = bench_build(args.runs)

        print("SQL cell and Go cell with the helpers ...", file=sys.stderr)
        k = Kernel(nbdir)
        k.kc.wait_for_ready(timeout=120)
        for code in (SQL_CELL, GO_CELL):  # warm: the first load fetches and caches, the first Go cell builds more
            dt, content, msgs = k.run(code)
            if content["status"] != "ok":
                sys.exit(f"the cell failed:\n{code}\n" + text_of(msgs))
        sql_times, go_times = [], []
        for _ in range(args.runs):
            sql_times.append(k.run(SQL_CELL)[0])
            go_times.append(k.run(GO_CELL)[0])
        k.stop()
        rows.append(("%%sql cell, warm, small result (cached)", median(sql_times), "≤ 0.1 s", f"{args.runs} runs"))
        rows.append(("Go cell using the helpers, warm (cached)", median(go_times), "≤ 0.6 s", f"{args.runs} runs"))
        rows.append(("%%sql / Go cell", median(sql_times) / median(go_times), "≤ 0.15", "ratio of medians"))

        print("notebook of 10 SQL + 5 Go cells run twice, counted on the replica ...", file=sys.stderr)
        shutil.rmtree(cache, ignore_errors=True)
        k = Kernel(nbdir)
        k.kc.wait_for_ready(timeout=120)
        s0, q0 = demo.counts()
        t = time.monotonic()
        for code in NOTEBOOK:
            dt, content, msgs = k.run(code)
            if content["status"] != "ok":
                sys.exit(f"the notebook cell failed:\n{code}\n" + text_of(msgs))
        first = time.monotonic() - t
        s1, q1 = demo.counts()
        t = time.monotonic()
        for code in NOTEBOOK:
            k.run(code)
        second = time.monotonic() - t
        s2, q2 = demo.counts()
        k.stop()
        time.sleep(1)
        s3, q3 = demo.counts()
        counts = [("first run", s1 - s0, q1 - q0, first), ("second run (cached)", s2 - s1, q2 - q1, second)]
        kernel_sessions = s3 - s0
    finally:
        if demo:
            demo.stop()
        shutil.rmtree(base, ignore_errors=True)

    print("jupyter_kernel_test conformance ...", file=sys.stderr)
    conformance = bench_conformance()

    print()
    print("| figure | median | target | over |")
    print("|---|---|---|---|")
    for name, value, target, over in rows:
        shown = f"{value:.3f}" if "/" in name else f"{value:.3f} s"
        print(f"| {name} | {shown} | {target} | {over} |")
    print()
    print("Cell build as GoNB runs it (a main importing helpers/chart, explore and frame, one line changed; medians):")
    print()
    print("| step | " + " | ".join(build) + " |")
    print("|---|" + "---|" * len(build))
    for step in next(iter(build.values())):
        print(f"| {step} | " + " | ".join(f"{build[label][step]:.3f} s" for label in build) + " |")
    print()
    print(f"Notebook of {sum(c.startswith('%%sql') for c in NOTEBOOK)} %%sql + {sum(not c.startswith('%%sql') for c in NOTEBOOK)} Go cells "
          "in one kernel, run twice; counted on the replica (pg_stat_database.sessions, pg_stat_statements of the analyst role):")
    print()
    print("| run | wall | sessions opened | statements |")
    print("|---|---|---|---|")
    for name, sessions, statements, wall in counts:
        print(f"| {name} | {wall:.2f} s | {sessions} | {statements} |")
    print(f"| whole kernel session, until shutdown | | {kernel_sessions} | |")
    print()
    print("jupyter_kernel_test (tests/test_kernel_conformance.py):")
    print()
    print("| check | outcome |")
    print("|---|---|")
    for name in sorted(conformance, key=lambda n: (n not in ("is_complete", "history"), n)):
        print(f"| {name} | {conformance[name]} |")


if __name__ == "__main__":
    main()
