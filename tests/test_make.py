"""The Makefile as a person uses it: `make help` lists every target, and `make hooks` works in a git worktree
(where .git is a file, not a folder)."""
from __future__ import annotations

import re
import subprocess

from conftest import REPO


def test_help_lists_every_documented_target():
    documented = re.findall(r"^([a-zA-Z0-9_.-]+):[^\n]*## ", (REPO / "Makefile").read_text(), re.M)
    shown = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    listed = re.findall(r"^  make (\S+)", shown, re.M)
    assert "test-e2e" in documented
    assert listed == documented, f"make help lists {listed}, the Makefile documents {documented}"


def test_hooks_install_from_a_git_worktree(tmp_path):
    clone, worktree = tmp_path / "clone", tmp_path / "wt"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "worktree", "add", "-q", str(worktree), "-b", "wt"], check=True)
    assert (worktree / ".git").is_file()
    venv = REPO / ".venv"  # the set-up of this checkout: the worktree needs its Python tools only to exist
    proc = subprocess.run(["make", "-s", "hooks", f"VENV={venv}", f"PY={venv / 'bin' / 'python'}"], cwd=worktree,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hook = clone / ".git" / "hooks" / "pre-commit"
    assert hook.is_file() and "replicalab-hook" in hook.read_text(), proc.stdout + proc.stderr
    # The program lives in the git folder every work tree shares, like the hook that runs it: removing the
    # work tree it was installed from leaves commits working in the clone.
    assert str(clone / ".git" / "replicalab" / "replicalab-hook") in hook.read_text(), hook.read_text()
    subprocess.run(["git", "-C", str(clone), "worktree", "remove", "--force", str(worktree)], check=True)
    (clone / "hooks-check.txt").write_text("a plain file\n")
    subprocess.run(["git", "-C", str(clone), "add", "hooks-check.txt"], check=True)
    commit = subprocess.run(["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@example.com",
                             "commit", "-q", "-m", "after the work tree is gone"], capture_output=True, text=True)
    assert commit.returncode == 0 and "is missing" not in commit.stderr, commit.stdout + commit.stderr
