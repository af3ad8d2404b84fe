"""Notebook templates run top to bottom on the real kernel against a real demo read replica."""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, outputs_text, psql, run_notebook

NOTEBOOKS = REPO / "notebooks"


def execute(name: str):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    run_notebook(nb, cwd=NOTEBOOKS)
    return nb


def all_text(nb) -> str:
    return "\n".join(outputs_text(c) for c in nb.cells if c.cell_type == "code")


def table_rows(text: str) -> list[list[str]]:
    """The rows of the text tables helpers/frame shows ("0  public  11"), thousands separators removed."""
    rows = []
    for line in text.splitlines():
        line = line.split("<", 1)[0]  # outputs_text puts a display's HTML right after its text
        cells = line.split()
        if len(cells) >= 2 and cells[0].isdigit() and not re.search(r" rows? × ", line):
            rows.append([c.replace(",", "") if c.replace(",", "").replace(".", "").isdigit() else c for c in cells[1:]])
    return rows


def test_templates_are_committed_clean():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs, f"{path.name} has outputs"
                assert cell.execution_count is None, f"{path.name} has execution counts"


# The seven templates took 581 lines of Go before the helpers' notebook style (commit 897cff3; `make lines`
# shows them side by side). They keep the same steps in at most 60% of that: no set-up repeated in cells.
TEMPLATES_BEFORE = {"1.0": 45, "2.0": 181, "3.0": 72, "4.0": 76, "5.0": 43, "6.0": 84, "7.0": 80}


def test_templates_take_at_most_60_percent_of_their_old_lines():
    sys.path.insert(0, str(Path(__file__).parent))
    from golines import notebook_lines
    now = {n: notebook_lines(template(n)) for n in TEMPLATES_BEFORE}
    assert sum(now.values()) <= 0.6 * sum(TEMPLATES_BEFORE.values()), now
    for n, lines in now.items():
        assert lines > 0, f"template {n} has no code left"


def test_setup_notebook_imports_helpers_and_queries_the_replica(demo_replica):
    """Fails if the kernel, the go.work wiring (helpers import) or the replica is broken."""
    settings = demo_replica["env"]
    nb = execute("1.0-setup-read-replica.ipynb")
    text = all_text(nb)
    for cell in nb.cells:
        assert not any(o.get("output_type") == "error" for o in cell.get("outputs", [])), outputs_text(cell)

    banner = outputs_text(nb.cells[1])
    assert f"{settings['RDS_USERNAME']}@127.0.0.1:{settings['RDS_PORT']}/{settings['RDS_DB_NAME']}" in banner, banner
    assert "read replica" in banner and "read-only" in banner, banner
    assert "connected to a replica: true" in text
    assert "a write is refused: true" in text
    assert "read-only transaction" in text, "the refused write should show the server's reason"
    assert re.search(r"read replica, lag \d+\.\d s", outputs_text(nb.cells[5])), outputs_text(nb.cells[5])

    expected = psql(settings, """
        SELECT table_schema || ':' || count(*) FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'
        GROUP BY table_schema ORDER BY 1""").splitlines()
    shown = [f"{s}:{n}" for s, n in table_rows(outputs_text(nb.cells[7]))]
    assert shown == expected, f"notebook shows {shown}, the replica has {expected}"
    assert settings["RDS_PASSWORD"] not in text


# --- Templates 2.0 ... 7.0 -----------------------------------------------------------------------------------

FIGURES = REPO / "reports" / "figures"
SAVED_FIGURES = ["orders-per-month", "orders-per-status", "order-totals"]  # what 6.0 saves for the report


def template(number: str):
    paths = sorted(NOTEBOOKS.glob(f"{number}-*.ipynb"))
    assert len(paths) == 1, f"expected one template numbered {number}, found {paths}"
    return paths[0]


def run_template(number: str, cwd=NOTEBOOKS, path=None):
    """Runs a template top to bottom on the real kernel and fails on any error output."""
    nb = nbformat.read(path or template(number), as_version=4)
    run_notebook(nb, cwd=cwd)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not any(o.get("output_type") == "error" for o in cell.outputs), \
                f"{number}, cell {cell.id}: {outputs_text(cell)[:3000]}"
    return nb


def code_text(nb) -> list[str]:
    return [outputs_text(c) for c in nb.cells if c.cell_type == "code"]


def git(cwd, *args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
                          cwd=cwd, capture_output=True, text=True, check=check)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """The frame cache and the questions log in a temporary folder (the kernels inherit the environment);
    the repository's own questions log must come out untouched."""
    repo_log = NOTEBOOKS / "questions.md"
    before = repo_log.read_bytes() if repo_log.exists() else None
    box = {"cache": tmp_path / "cache", "log": tmp_path / "questions.md"}
    monkeypatch.setenv("REPLICALAB_CACHE_DIR", str(box["cache"]))
    monkeypatch.setenv("REPLICALAB_QUESTIONS", str(box["log"]))
    yield box
    after = repo_log.read_bytes() if repo_log.exists() else None
    assert after == before, "a template run changed notebooks/questions.md"


@pytest.fixture
def figures(tmp_path):
    """Keeps the figures 6.0 saves into reports/figures (the kernel fixes REPLICALAB_REPO) and puts back
    whatever was there before."""
    backup = tmp_path / "figures-backup"
    backup.mkdir()
    names = [f"{n}.{ext}" for n in SAVED_FIGURES for ext in ("png", "svg", "json")]
    existed = {n for n in names if (FIGURES / n).exists()}
    for n in existed:
        shutil.copy2(FIGURES / n, backup / n)
    yield FIGURES
    for n in names:
        if n in existed:
            shutil.copy2(backup / n, FIGURES / n)
        else:
            (FIGURES / n).unlink(missing_ok=True)


def check_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("ok ", "FIX "))]


def test_secure_version_control_reports_this_repository_as_git_sees_it():
    nb = run_template("2.0")
    lines = check_lines("\n".join(code_text(nb)))
    text = "\n".join(lines)
    root = git(NOTEBOOKS, "rev-parse", "--show-toplevel").stdout.strip()

    for path in (".env", "data/"):
        ignored = git(root, "check-ignore", "-q", "--no-index", path, check=False).returncode == 0
        assert (f"ok   {path} is ignored by git" in text) == ignored, text
        assert (f"FIX  {path} is not ignored by git" in text) == (not ignored), text

    hook = Path(root, git(root, "rev-parse", "--git-path", "hooks/pre-commit").stdout.strip())
    installed = hook.exists() and "replicalab-hook" in hook.read_text() and os.access(hook, os.X_OK)
    assert any(line.startswith("ok   the pre-commit hook is installed") for line in lines) == installed, text

    tracked = [f for f in git(root, "ls-files").stdout.splitlines()
               if Path(f).name == ".env" or (Path(f).name.startswith(".env.") and Path(f).name != ".env.example")]
    assert ("ok   no .env file is tracked by git" in text) == (not tracked), text

    # The .env the helpers would use: the first found walking up from the notebooks folder.
    env = next((d / ".env" for d in [NOTEBOOKS, *NOTEBOOKS.parents] if (d / ".env").is_file()), None)
    if env is None:
        assert "ok   no .env file: settings come from the environment" in text, text
    else:
        private = stat.S_IMODE(env.stat().st_mode) & 0o077 == 0
        assert any(line.startswith("ok   ") and str(env) in line and "readable by you alone" in line
                   for line in lines) == private, text

    fixes = {line for line in lines if line.startswith("FIX ")}  # the last cell lists them again
    summary = code_text(nb)[-1]
    if fixes:
        assert f"{len(fixes)} of " in summary and "need a fix" in summary, summary
    else:
        assert "checks pass" in summary, summary


def test_secure_version_control_says_how_to_fix_a_careless_repository(tmp_path):
    repo = tmp_path / "careless"
    (repo / "notebooks").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / ".gitignore").write_text("*.log\n")
    env = repo / ".env"
    env.write_text("RDS_HOSTNAME=db.example.invalid\n")
    env.chmod(0o644)
    git(repo, "add", ".gitignore", ".env")
    git(repo, "commit", "-q", "-m", "settings")
    shutil.copy(template("2.0"), repo / "notebooks")

    nb = run_template("2.0", cwd=repo / "notebooks", path=repo / "notebooks" / template("2.0").name)
    text = "\n".join(code_text(nb))
    lines = check_lines(text)
    assert f"checking the repository {repo}" in text, text
    expected = [
        f'FIX  .env is not ignored by git: add a line "/.env" to {repo}/.gitignore',
        f'FIX  data/ is not ignored by git: add a line "/data/" to {repo}/.gitignore',
        "FIX  the pre-commit hook is not installed",
        'FIX  .env is tracked by git: git rm --cached ".env", commit, and change the password it holds',
        "FIX  a .env file is in the history (commit ",
        f"FIX  {env} has mode 0644: others can read the password: chmod 600 {env}",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in lines), f"missing {want!r} in:\n{text}"
    assert not any(line.startswith("ok ") for line in lines), text
    assert f"{len(expected)} of {len(expected)} checks need a fix" in code_text(nb)[-1]


def test_investigate_visually_shows_the_catalog_of_the_replica(demo_replica):
    settings = demo_replica["env"]
    nb = run_template("3.0")
    text = "\n".join(code_text(nb))
    # The look-ups are line magics the kernel answers itself: each cell shows its own table, no Go cell needed.
    magic = {c.source: outputs_text(c) for c in nb.cells
             if c.cell_type == "code" and c.source.startswith("%") and not c.source.startswith("%%")}
    assert set(magic) == {"%tables", "%describe orders", "%sample orders 10"}, list(magic)

    tables = psql(settings, "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
    assert magic["%tables"].startswith(f"{tables} tables\n"), magic["%tables"][:3000]
    assert f"<b>{tables} tables</b>" in magic["%tables"], "the HTML table should say how many tables it lists"
    for table in psql(settings, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").splitlines():
        assert f">{table}<" in magic["%tables"], f"%tables lacks the table {table}"
    for column in psql(settings, "SELECT column_name FROM information_schema.columns "
                                 "WHERE table_schema = 'public' AND table_name = 'orders'").splitlines():
        assert f">{column}<" in magic["%describe orders"], f"the detail of orders lacks its column {column}"
    assert re.match(r"\d+ sample rows of public\.orders \(TABLESAMPLE SYSTEM ", magic["%sample orders 10"]), \
        magic["%sample orders 10"][:3000]
    rows = int(psql(settings, "SELECT count(*) FROM orders"))
    assert f"public.orders: {rows:,} rows (exact" in text, text
    fks = psql(settings, "SELECT conname FROM pg_constraint WHERE contype = 'f' "
                         "AND connamespace = 'public'::regnamespace").splitlines()
    assert fks, "the demo has foreign keys"
    for fk in fks:
        assert f"fk:{fk}" in text, f"the ER diagram lacks {fk}"
    assert "sample rows of public.orders" in text
    # Headless: the picker gives up waiting for a browser, leaves the detail of the initial table, and ends.
    assert "last table shown: public.orders" in text, text[-2000:]
    assert settings["RDS_PASSWORD"] not in text


def test_ask_questions_records_each_question_once_in_the_redirected_log(demo_replica, sandbox):
    settings = demo_replica["env"]
    log = sandbox["log"]
    nb = run_template("4.0")
    text = "\n".join(code_text(nb))
    duplicates = psql(settings, "SELECT count(*) FROM (SELECT lower(email) FROM users WHERE deleted_at IS NULL "
                                "GROUP BY 1 HAVING count(*) > 1) AS d")
    shown = code_text(nb)[1]  # the %%sql duplicate_emails cell: its table, and where the result is kept
    assert table_rows(shown) == [[duplicates]], shown
    assert 'kept as duplicate_emails: frame.Named("duplicate_emails") in a Go cell' in shown, shown
    written = log.read_text()
    asked = re.findall(r"^## Q(\d+): (.+)$", written, re.M)
    assert [n for n, _ in asked] == ["1", "2", "3"], written
    for n, question in asked:
        assert f"Q{n} recorded for " in text and question in text
    assert "3 questions, 3 open" in text
    assert written.count("- **Status:** open") == 3
    # Q1 is prompted by the SQL cell's query, read back from its kept result in the Go cell.
    q1 = written[written.index("## Q1:"):written.index("## Q2:")]
    assert "SELECT lower(email) FROM users WHERE deleted_at IS NULL GROUP BY 1 HAVING count(*) > 1" in q1, q1

    again = "\n".join(code_text(run_template("4.0")))
    assert len(re.findall(r"^Q\d+ already in the log: ", again, re.M)) == 3 and "recorded for" not in again, again
    assert log.read_text() == written, "a second run must not add or change questions"


def test_start_simple_counts_what_it_says_and_reruns_from_the_cache(demo_replica, sandbox):
    settings = demo_replica["env"]
    target = f"{settings['RDS_USERNAME']}@127.0.0.1:{settings['RDS_PORT']}/{settings['RDS_DB_NAME']}"
    kept = """FROM orders AS o JOIN companies AS buyer ON buyer.id = o.buyer_company_id
        JOIN suppliers AS s ON s.id = o.supplier_id JOIN companies AS seller ON seller.id = s.company_id"""
    real = "o.deleted_at IS NULL AND NOT buyer.is_test AND NOT seller.is_test"
    expected = [line.split("|") for line in psql(settings, f"""
        SELECT o.status, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 1)
        {kept} WHERE {real} GROUP BY 1 ORDER BY 2 DESC, 1""").splitlines()]
    excluded = psql(settings, f"""SELECT count(*), count(*) FILTER (WHERE o.deleted_at IS NOT NULL),
        count(*) FILTER (WHERE buyer.is_test OR seller.is_test), count(*) FILTER (WHERE {real}) {kept}""").split("|")

    first = run_template("5.0")
    texts = code_text(first)
    per_status = table_rows(texts[-1])
    assert per_status == expected, f"notebook: {per_status}\nreplica: {expected}"
    assert table_rows(texts[2]) == [excluded], "the exclusions table differs from the replica"
    sql_cell = [c for c in first.cells if c.cell_type == "code" and c.source.startswith("%%sql")]
    assert len(sql_cell) == 1 and [o.output_type for o in sql_cell[0].outputs].count("execute_result") == 1, \
        "the exclusions are a SQL cell whose table is the cell's result"
    loads = [t for t in texts if re.search(r"rows? ×", t)]
    assert len(loads) == 3 and all(f"from {target} in " in t for t in loads), loads
    assert any(sandbox["cache"].iterdir()), "results should be cached in REPLICALAB_CACHE_DIR"

    second = code_text(run_template("5.0"))
    again = [t for t in second if re.search(r"rows? ×", t)]
    assert len(again) == 3 and all(" from cache, fetched " in t for t in again), again
    assert table_rows(second[-1]) == expected


LOG = """# Questions log

## Q1: Are refunds counted in revenue?

- **For:** finance
- **Asked:** 2026-11-20
- **Status:** answered 2026-11-24
- **Prompted by:** `orders.status`

**Answer:**

No: refunded orders are excluded from revenue.

## Q2: Which accounts are internal besides is_test?

- **For:** platform team
- **Asked:** 2026-11-21
- **Status:** open
- **Prompted by:** `companies.is_test`
"""


def export(nb, tmp_path, name: str, log) -> str:
    """Exports an executed notebook with the report command, as `make report` does, with its PDF and .docx,
    and checks it in Chromium (--check: nothing wider than the page on screen, A4 or Letter; one freshness
    statement; every figure and table with its query in the appendix); returns the HTML."""
    executed = tmp_path / name
    nbformat.write(nb, executed)
    out = tmp_path / (executed.stem + ".html")
    proc = subprocess.run(["go", "run", "./scripts/report", "--check", "--pdf", "--docx", "--out", str(out),
                           "--questions", str(log), str(executed)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 overflowing" in proc.stdout and "1 statement in the header" in proc.stdout, proc.stdout
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert out.with_suffix(".docx").read_bytes().startswith(b"PK")
    html = out.read_text()
    assert html.count('class="freshness"') == 1 and "Data read" not in html, "one freshness statement, in the header"
    return html


def test_partial_results_charts_tables_and_a_clean_report(demo_replica, sandbox, figures, tmp_path):
    settings = demo_replica["env"]
    sandbox["log"].write_text(LOG)
    started = time.time()
    nb = run_template("6.0")
    texts = code_text(nb)
    real = """FROM orders AS o JOIN companies AS buyer ON buyer.id = o.buyer_company_id
        JOIN suppliers AS s ON s.id = o.supplier_id JOIN companies AS seller ON seller.id = s.company_id
        WHERE o.deleted_at IS NULL AND NOT buyer.is_test AND NOT seller.is_test"""
    n, first, last, currencies = psql(settings, f"SELECT count(*), min(o.placed_at)::date, max(o.placed_at)::date, "
                                                f"count(DISTINCT o.currency) {real}").split("|")
    assert table_rows(texts[2]) == [[n, first, last, currencies]], texts[2][:3000]

    charts = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "display_data" and {"image/svg+xml", "image/png"} & set(o.get("data", {}))]
    titles = [o["data"]["text/plain"] for o in charts]
    assert len(charts) == 3, titles
    assert titles[0].startswith(f"Orders per month (n = {int(n):,}"), titles
    assert titles[1].startswith(f"Orders per status (n = {int(n):,};"), titles
    top = psql(settings, f"SELECT o.currency {real} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    assert titles[2].startswith(f"Order totals in {top}, up to the 95th percentile"), titles
    for name in SAVED_FIGURES:
        for ext in ("png", "svg", "json"):
            f = figures / f"{name}.{ext}"
            assert f.exists() and f.stat().st_mtime >= started - 1, f"{f} was not saved for the report"
        # Beside each figure, where its numbers came from: the query, its arguments, rows, time and lag.
        record = json.loads((figures / f"{name}.json").read_text())
        assert record["kind"] == "figure" and record["name"] == name and record["sources"], record
        for source in record["sources"]:
            assert "is_test" in source["sql"] and source["rows"] > 0 and "fetched_at" in source, source
            assert "lag_seconds" in source and source["numbers"]["total"] == source["rows"], source

    html = export(nb, tmp_path, "6.0-partial-results.ipynb", sandbox["log"])
    assert html.count('src="data:image/') >= 3, "the three charts should be embedded"
    appendix = html[html.index('id="sources"'):]
    for figure in ("Figure 1", "Figure 2", "Figure 3"):
        assert f'id="source-{figure.lower().replace(" ", "-")}"' in appendix, f"{figure} is not traced in the appendix"
    assert "func load(" not in html and "import (" not in html, "hidden set-up code reached the report"
    assert "WHERE o.deleted_at IS NULL AND NOT buyer.is_test" in html, "the appendix should show the query"
    assert "Caveats" in html and "What we see so far" in html
    assert "Which accounts are internal besides is_test?" in html[html.index("Questions and answers"):]
    assert settings["RDS_PASSWORD"] not in html
    assert f"{settings['RDS_USERNAME']}@" not in html, "the report should not name the login or the server"




def test_living_report_shows_open_questions_and_appends_the_log(demo_replica, sandbox, tmp_path):
    settings = demo_replica["env"]
    sandbox["log"].write_text(LOG)
    nb = run_template("7.0")
    texts = code_text(nb)
    text = "\n".join(texts)
    n = psql(settings, """SELECT count(*) FROM orders AS o JOIN companies AS buyer ON buyer.id = o.buyer_company_id
        JOIN suppliers AS s ON s.id = o.supplier_id JOIN companies AS seller ON seller.id = s.company_id
        WHERE o.deleted_at IS NULL AND NOT buyer.is_test AND NOT seller.is_test""")
    assert f"{n} orders in all" in text, text[:2000]
    questions = next(t for t in texts if " open" in t and "question" in t)
    assert "1 question, 1 open" in questions, questions
    assert "Which accounts are internal besides is_test?" in questions
    assert "Are refunds counted in revenue?" not in questions, "answered questions are not open"

    html = export(nb, tmp_path, "7.0-report.ipynb", sandbox["log"])
    assert "Open questions" in html and "How the figures were made" in html
    appendix = html[html.index("Questions and answers"):]
    assert "Are refunds counted in revenue?" in appendix and "excluded from revenue" in appendix, \
        "the questions log, answers included, should close the report"
    assert 'src="data:image/' in html
    assert "func load(" not in html
    assert settings["RDS_PASSWORD"] not in html


def test_make_new_copies_a_template_clean(tmp_path):
    """The Go command behind `make new` on the real templates (its unit tests are in internal/newnb)."""
    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns("questions.md", ".ipynb_checkpoints"))
    proc = subprocess.run(["go", "run", "./scripts/newnb", "--dir", str(work), "--name", "Orders by region",
                           "--initials", "ab"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    highest = max(int(p.name.split(".")[0]) for p in NOTEBOOKS.glob("[0-9]*.ipynb"))
    new = work / f"{highest + 1}.0-ab-orders-by-region.ipynb"
    nb = nbformat.read(new, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].source.startswith("# Orders by region\n"), nb.cells[0].source
    assert "5.0-start-simple.ipynb" in nb.cells[0].source
    assert [c.id for c in nb.cells] == [str(i) for i in range(len(nb.cells))]
    original = nbformat.read(template("5.0"), as_version=4)
    assert [c.source for c in nb.cells[1:]] == [c.source for c in original.cells[1:]]
