"""`make lab` as a newcomer runs it: JupyterLab on localhost with a token, listing "Go (replica)"; and a
.env that points nowhere stops it with the variable to fix, without starting the demo."""
from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, free_port


def lab_env(env_file: Path, demo_args: list[str], port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("RDS_") or k.startswith("PG") or k == "DATABASE_URL")}
    env.update({
        "REPLICALAB_ENV_FILE": str(env_file),
        "REPLICALAB_DEMO_ARGS": " ".join(demo_args),
        "LAB_ARGS": f"--no-browser --port={port} --ServerApp.port_retries=0",
        "LAB_OPEN_BROWSER": "False",
    })
    return env


def test_make_lab_serves_the_kernel_on_localhost_with_a_token(demo_replica, tmp_path):
    env_dir = tmp_path / "proj"
    env_dir.mkdir()
    env_file = env_dir / ".env"
    # The session's demo .env (it carries REPLICALAB_DEMO=1), so make lab takes the demo path.
    env_file.write_text((demo_replica["dir"].parent / "demo.env").read_text())
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(["make", "--no-print-directory", "lab"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            env=lab_env(env_file, demo_replica["args"], port))
    out = []
    url = None
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and url is None:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                line = proc.stdout.readline()
                if not line and proc.poll() is not None:
                    break
                out.append(line)
                m = re.search(rf"(http://127\.0\.0\.1:{port}/lab\?token=(\w+))", line)
                if m:
                    url, token = m.group(1), m.group(2)
        log = "".join(out)
        assert url, f"make lab printed no localhost URL with a token:\n{log}"
        print(f"make lab → JupyterLab URL in {time.monotonic() - started:.1f}s")
        assert "Using the demo read replica" in log, log

        api = f"http://127.0.0.1:{port}/api/kernelspecs"
        for _ in range(100):  # the URL is printed just before the socket accepts connections
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except urllib.error.HTTPError:
                break
            except urllib.error.URLError:
                time.sleep(0.2)
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(api, timeout=10)
        assert denied.value.code == 403, "the server answers without a token"

        req = urllib.request.Request(api, headers={"Authorization": f"token {token}"})
        specs = json.load(urllib.request.urlopen(req, timeout=10))["kernelspecs"]
        assert "replicalab" in specs, sorted(specs)
        assert specs["replicalab"]["spec"]["display_name"] == "Go (replica)"
        assert f"--go_work={REPO}" in specs["replicalab"]["spec"]["argv"]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def test_make_lab_with_a_env_that_points_nowhere_names_the_variable(tmp_path):
    env_dir = tmp_path / "proj"
    env_dir.mkdir()
    env_file = env_dir / ".env"
    closed = free_port()
    secret = "n0t-the-real-Passw0rd"
    env_file.write_text(
        f"RDS_HOSTNAME=127.0.0.1\nRDS_PORT={closed}\nRDS_DB_NAME=app\nRDS_USERNAME=analyst\nRDS_PASSWORD={secret}\n")
    env_file.chmod(0o600)
    demo_dir = tmp_path / "must-not-exist"
    port = free_port()
    proc = subprocess.run(["make", "--no-print-directory", "lab"], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env=lab_env(env_file, ["--dir", str(demo_dir)], port))
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log
    assert "RDS_PORT" in log, log
    assert "demo database was not started" in log, log
    assert secret not in log
    assert not demo_dir.exists(), "make lab started the demo although the user has a .env"
    assert "Starting JupyterLab" not in log
