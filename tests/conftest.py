"""Shared fixtures for the notebook and kernel tests.

They drive the real "Go (replica)" kernel (installed by `make kernel` into the project's .venv) through
jupyter_client/nbclient, against a real demo primary + streaming replica started for the test session by
scripts/demodb on free loopback ports, in a temporary folder. The repository's own .env and demo are never
touched: the replica's settings reach the kernels through the process environment, which the config
loader ranks above any .env file.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
KERNEL = "replicalab"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        env[k.strip()] = v.strip().strip("'\"")
    return env


@pytest.fixture(scope="session")
def go_bin(tmp_path_factory) -> Path:
    """Binaries of the project's commands, built once per session."""
    out = tmp_path_factory.mktemp("bin")
    for cmd in ("demodb",):
        subprocess.run(["go", "build", "-o", str(out / cmd), f"./scripts/{cmd}"], cwd=REPO, check=True)
    return out


@pytest.fixture(scope="session")
def demo_replica(tmp_path_factory, go_bin):
    """A demo primary + replica for this test session; yields the replica's RDS_* settings.

    The settings are exported into os.environ so every kernel started afterwards inherits them.
    """
    base = tmp_path_factory.mktemp("demodb")
    env_file = base / "demo.env"
    demodb = str(go_bin / "demodb")
    args = ["--dir", str(base / "data")]
    start = [demodb, "start", *args, "--primary-port", str(free_port()), "--replica-port", str(free_port()),
             "--env-file", str(env_file)]
    proc = subprocess.run(start, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"demodb start failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    settings = read_env_file(env_file)
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        yield {"env": settings, "dir": base / "data", "demodb": demodb, "args": args}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        subprocess.run([demodb, "stop", *args], cwd=REPO, capture_output=True, text=True)


def psql(settings: dict[str, str], sql: str) -> str:
    """Runs sql on the replica with psql as the read-only login (an independent client for assertions)."""
    env = dict(os.environ, PGPASSWORD=settings["RDS_PASSWORD"])
    out = subprocess.run(
        ["psql", "-X", "-At", "-h", settings["RDS_HOSTNAME"], "-p", settings["RDS_PORT"],
         "-U", settings["RDS_USERNAME"], "-d", settings["RDS_DB_NAME"], "-c", sql],
        env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def run_cells(cells: list[str], cwd: Path | None = None, timeout: int = 300, allow_errors: bool = False):
    """Executes code cells on the real kernel and returns the executed notebook."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return run_notebook(nb, cwd=cwd, timeout=timeout, allow_errors=allow_errors)


def run_notebook(nb, cwd: Path | None = None, timeout: int = 300, allow_errors: bool = False):
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=timeout, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(cwd or REPO / "notebooks")}})
    client.execute()
    return nb


def outputs_text(cell) -> str:
    """Everything a person would read in a cell's output area: streams, text/plain, text/html, errors."""
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif o.get("output_type") in ("display_data", "execute_result", "update_display_data"):
            data = o.get("data", {})
            parts.append(data.get("text/plain", "") + data.get("text/html", ""))
        elif o.get("output_type") == "error":
            parts.append(o.get("ename", "") + ": " + o.get("evalue", "") + "\n" + "\n".join(o.get("traceback", [])))
    return "\n".join(parts)


@pytest.fixture(scope="session")
def spark_server(tmp_path_factory):
    """The test run's Spark Connect server: the one `make test` started (REPLICALAB_TEST_SPARK_DIR), else one
    started for this session (stopped at its end, or by its watchdog when pytest dies). Kernels started
    afterwards find it through REPLICALAB_SPARK_DIR; SPARK_REMOTE is cleared so a developer's cluster is never
    used. Skips when Spark is not installed, unless REPLICALAB_REQUIRE_SPARK is set (make test sets it)."""
    folder = os.environ.get("REPLICALAB_TEST_SPARK_DIR")
    own = folder is None
    if own:
        folder = str(tmp_path_factory.mktemp("spark"))
        proc = subprocess.run(["go", "run", "./scripts/spark", "start", "--dir", folder, "--port", "0",
                               "--stop-with", str(os.getpid())], cwd=REPO, capture_output=True, text=True)
        if proc.returncode != 0:
            if "not installed" in proc.stderr and not os.environ.get("REPLICALAB_REQUIRE_SPARK"):
                pytest.skip(f"Spark is not installed (make spark-install): {proc.stderr.strip()}")
            pytest.fail(f"starting Spark failed:\n{proc.stdout}\n{proc.stderr}")
    deadline = time.time() + 420
    while True:  # started in the background by make test: wait until it accepts clients
        status = subprocess.run(["go", "run", "./scripts/spark", "status", "--dir", folder], cwd=REPO,
                                capture_output=True, text=True)
        if status.stdout.startswith("running"):
            break
        if time.time() > deadline:
            pytest.fail(f"the Spark server in {folder} is not ready:\n{status.stdout}{status.stderr}")
        time.sleep(2)
    saved = {k: os.environ.get(k) for k in ("REPLICALAB_SPARK_DIR", "SPARK_REMOTE")}
    os.environ["REPLICALAB_SPARK_DIR"] = folder
    os.environ.pop("SPARK_REMOTE", None)
    try:
        yield folder
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if own:
            subprocess.run(["go", "run", "./scripts/spark", "stop", "--dir", folder], cwd=REPO, capture_output=True)


class ReplicaSessions:
    """Counts the sessions the replica has seen (pg_stat_database.sessions), through one psql connection kept
    open for the count's whole life, so that counting adds no session. Backends report their start
    asynchronously: a reading waits until two readings a second apart agree."""

    def __init__(self, settings: dict[str, str]):
        env = dict(os.environ, PGPASSWORD=settings["RDS_PASSWORD"], PGAPPNAME="replicalab-session-counter")
        self.proc = subprocess.Popen(
            ["psql", "-X", "-At", "-q", "-h", settings["RDS_HOSTNAME"], "-p", settings["RDS_PORT"],
             "-U", settings["RDS_USERNAME"], "-d", settings["RDS_DB_NAME"]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def _query(self, sql: str) -> str:
        marker = f"--end-{time.monotonic_ns()}--"
        self.proc.stdin.write(f"{sql};\n\\echo {marker}\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("psql ended")
            if line.strip() == marker:
                return "\n".join(lines)
            if line.strip():
                lines.append(line.strip())

    def count(self) -> int:
        def read() -> int:
            self._query("SELECT pg_stat_clear_snapshot()")
            return int(self._query("SELECT sessions FROM pg_stat_database WHERE datname = current_database()"))
        last = read()
        for _ in range(10):
            time.sleep(1.1)
            now = read()
            if now == last:
                return now
            last = now
        return last

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
