"""%%sql cells and the kernel's line magics, through a real Jupyter client on the real kernel against the
real demo replica: results equal psql's for every type frame maps, named results read by Go cells,
cached re-runs that send nothing (counted on the replica), interrupts, clear errors, completion."""
from __future__ import annotations

import math
import os
import re
import threading
import time

import pytest
from jupyter_client.manager import KernelManager, start_new_kernel

from conftest import KERNEL, psql
from test_kernel_front import interrupt_once_running, run, shell_reply, text_of


@pytest.fixture
def kernel(demo_replica, tmp_path, monkeypatch):
    """A kernel with a cache of its own (so that "cached" means cached by this test)."""
    monkeypatch.setenv("REPLICALAB_CACHE_DIR", str(tmp_path / "cache"))
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=120, cwd=str(tmp_path))
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def statements(settings) -> int:
    """Statements the analyst role ran on the replica, as pg_stat_statements counts them (this query aside)."""
    return int(psql(settings, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
                              "WHERE r.rolname = current_user AND s.query NOT LIKE '%pg_stat_statements%'"))


# Every type frame maps, with a NULL row.
TYPES_SQL = """SELECT * FROM (VALUES
 (1::int2, 2::int4, 3000000000::int8, 4::oid, 1.5::float4, 2.25::float8, 12345.678::numeric(10,3), true,
  'text é'::text, 'vc'::varchar(5), 'c'::char(3), 'nm'::name, '11111111-2222-3333-4444-555555555555'::uuid,
  'paid'::order_status, '10.0.0.1'::inet, '10.0.0.0/8'::cidr, '\\x01ff'::bytea, '{"a": 1}'::json, '{"b": [2]}'::jsonb,
  '{1,2,NULL}'::int[], '{"a b",c}'::text[], '2024-01-02 03:04:05.123456+00'::timestamptz,
  '2024-01-02 03:04:05'::timestamp, '2024-01-02'::date, '03:04:05.5'::time, '1 day 02:03:04'::interval),
 (NULL, NULL, NULL, NULL, 'NaN', '-Infinity', NULL, false, 'NA', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, 'infinity', NULL, '1969-12-31', NULL, '-1 mon')
) AS t(i2, i4, i8, o, f4, f8, num, b, txt, vc, ch, nm, id, st, ip, net, bin, js, jsb, ints, texts, tstz, ts, d, tm, iv)"""

TIME_COLUMNS = {"tstz", "ts", "d", "tm", "iv"}
NUMBER_COLUMNS = {"i2", "i4", "i8", "o", "f4", "f8", "num"}

# Prints each value of a named result in a canonical form: numbers and times as numbers (times in
# seconds), booleans as true/false, the rest as text.
CANONICAL_CELL = '''import "github.com/replicalab/replicalab/helpers/frame"
%%
r := frame.Named("types")
for _, c := range r.Columns {
	s := r.DataFrame.Col(c.Name)
	for i := 0; i < s.Len(); i++ {
		v := "NULL"
		switch {
		case r.IsNull(c.Name, i):
		case c.Kind == frame.Integer:
			n, _ := s.Elem(i).Int()
			v = fmt.Sprint(n)
		case c.Kind == frame.Boolean:
			b, _ := s.Elem(i).Bool()
			v = fmt.Sprint(b)
		case c.Kind == frame.Text || c.Kind == frame.JSON || c.Kind == frame.Array:
			v = s.Elem(i).String()
		default:
			v = strconv.FormatFloat(s.Elem(i).Float(), 'g', -1, 64)
		}
		fmt.Printf("%s|%d|%q\\n", c.Name, i, v)
	}
}
'''


def psql_canonical(settings) -> dict[tuple[str, int], str]:
    """The same values as psql prints them, in the same canonical form."""
    cols = re.search(r"AS t\((.*)\)", TYPES_SQL).group(1).split(", ")
    exprs = []
    for c in cols:
        if c == "d":
            exprs.append("extract(epoch FROM d::timestamp AT TIME ZONE 'UTC')::float8::text")
        elif c in TIME_COLUMNS:
            exprs.append(f"extract(epoch FROM {c})::float8::text")
        elif c in NUMBER_COLUMNS:
            exprs.append(f"{c}::text")
        elif c == "b":
            exprs.append("CASE WHEN b THEN 'true' ELSE 'false' END")
        else:
            exprs.append(f"format('%s', {c})")  # the type's own output, as psql prints it
    out = psql(settings, "SELECT " + ", ".join(f"CASE WHEN {c} IS NULL THEN 'NULL' ELSE {e} END" for c, e in zip(cols, exprs))
               + " FROM (" + TYPES_SQL + ") q")
    values = {}
    for i, line in enumerate(out.splitlines()):
        for c, v in zip(cols, line.split("|")):
            values[(c, i)] = v
    return values


def same(col: str, got: str, want: str) -> bool:
    if got == want:
        return True
    if col in NUMBER_COLUMNS | TIME_COLUMNS and got != "NULL" and want != "NULL":
        g, w = float(got.replace("+Inf", "inf").replace("-Inf", "-inf")), float(want.replace("Infinity", "inf"))
        if math.isnan(g) or math.isnan(w):
            return False
        return g == w or abs(g - w) <= 1e-9 * max(1.0, abs(w))
    return False


def test_sql_cell_values_equal_psqls_for_every_type(demo_replica, kernel):
    settings = demo_replica["env"]
    _, kc = kernel
    content, msgs = run(kc, "%%sql types\n" + TYPES_SQL)
    assert content["status"] == "ok", text_of(msgs)
    assert any(m["msg_type"] == "execute_result" for m in msgs), "the table is the cell's execute_result"
    content, msgs = run(kc, CANONICAL_CELL)
    assert content["status"] == "ok", text_of(msgs)
    got = {}
    for line in text_of(msgs).splitlines():
        m = re.match(r'^(\w+)\|(\d+)\|"(.*)"$', line)
        if m:
            got[(m.group(1), int(m.group(2)))] = m.group(3).encode().decode("unicode_escape").encode("latin-1").decode()
    want = psql_canonical(settings)
    assert set(got) == set(want), f"columns/rows differ: {sorted(set(got) ^ set(want))}"
    # PostgreSQL's NaN is a missing value to gota: frame keeps it apart from NULL, but reads it back as NaN.
    want[("f4", 1)] = "NaN"
    bad = {k: (got[k], want[k]) for k in want if not same(k[0], got[k], want[k]) and not (k == ("f4", 1) and got[k] == "NULL")}
    assert not bad, f"values that differ from psql's (got, psql): {bad}"


def test_named_result_is_read_by_a_go_cell_without_touching_the_replica(demo_replica, kernel):
    settings = demo_replica["env"]
    _, kc = kernel
    content, msgs = run(kc, "%%sql by_status\nSELECT status::text AS status, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1")
    assert content["status"] == "ok", text_of(msgs)
    assert 'frame.Named("by_status")' in text_of(msgs)
    run(kc, '%%\nfmt.Println("warm")')  # the first Go cell may build more
    orders = psql(settings, "SELECT count(*) FROM orders")
    before = statements(settings)
    content, msgs = run(kc, 'import "github.com/replicalab/replicalab/helpers/frame"\n%%\n'
                            'r := frame.Named("by_status")\nn, _ := r.DataFrame.Col("n").Int()\ntotal := 0\n'
                            'for _, v := range n { total += v }\nfmt.Println("total", total)')
    assert content["status"] == "ok", text_of(msgs)
    assert f"total {orders}" in text_of(msgs)
    assert statements(settings) == before, "reading a named result sent statements to the replica"


def test_a_cached_rerun_sends_nothing_and_refresh_does(demo_replica, kernel):
    settings = demo_replica["env"]
    _, kc = kernel
    cell = "%%sql\nSELECT status::text AS status, sum(total) AS total FROM orders GROUP BY 1 ORDER BY 1"
    content, msgs = run(kc, cell)
    assert content["status"] == "ok", text_of(msgs)
    before = statements(settings)
    content, msgs = run(kc, cell)
    assert content["status"] == "ok" and "from cache" in text_of(msgs), text_of(msgs)
    assert statements(settings) == before, "a cached re-run sent statements to the replica"
    content, msgs = run(kc, cell.replace("%%sql", "%%sql --refresh"))
    assert content["status"] == "ok" and "from cache" not in text_of(msgs), text_of(msgs)
    assert statements(settings) > before


def test_limit_keeps_the_first_rows_and_says_so(kernel):
    _, kc = kernel
    content, msgs = run(kc, "%%sql --limit 7\nSELECT id FROM orders ORDER BY id")
    assert content["status"] == "ok", text_of(msgs)
    assert "7 rows" in text_of(msgs), text_of(msgs)


def test_parameters_from_a_named_result(demo_replica, kernel):
    settings = demo_replica["env"]
    _, kc = kernel
    content, msgs = run(kc, "%%sql top\nSELECT buyer_company_id FROM orders GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3")
    assert content["status"] == "ok", text_of(msgs)
    content, msgs = run(kc, "%%sql\nSELECT count(*) AS n FROM orders WHERE buyer_company_id = ANY({{top.buyer_company_id}})")
    assert content["status"] == "ok", text_of(msgs)
    want = psql(settings, "SELECT count(*) FROM orders WHERE buyer_company_id IN "
                          "(SELECT buyer_company_id FROM orders GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3)")
    assert re.search(rf"\b{int(want):,}\b", text_of(msgs)), (want, text_of(msgs))
    content, msgs = run(kc, "%%sql\nSELECT {{nope.x}}")
    assert content["status"] == "error" and "nope" in text_of(msgs)


def test_syntax_error_shows_a_caret_under_the_mistake(kernel):
    _, kc = kernel
    content, msgs = run(kc, "%%sql\nSELECT id,\n       total,\nFROM orders")
    assert content["status"] == "error"
    tb = "\n".join(content["traceback"])
    assert 'syntax error at or near "FROM"' in tb, tb
    lines = tb.splitlines()
    i = next(i for i, l in enumerate(lines) if l.startswith("LINE 3: "))
    assert lines[i] == "LINE 3: FROM orders" and lines[i + 1] == " " * len("LINE 3: ") + "^", tb
    # A semantic error points at the name, as psql would.
    content, msgs = run(kc, "%%sql\nSELECT id, no_such_column FROM orders")
    tb = "\n".join(content["traceback"])
    lines = tb.splitlines()
    i = next(i for i, l in enumerate(lines) if l.startswith("LINE 1: "))
    assert lines[i + 1] == " " * len("LINE 1: SELECT id, ") + "^", tb


def test_a_missing_table_suggests_the_closest_names(kernel):
    _, kc = kernel
    content, _ = run(kc, "%%sql\nSELECT * FROM ordres")
    tb = "\n".join(content["traceback"])
    assert content["status"] == "error" and 'relation "ordres" does not exist' in tb and "did you mean orders" in tb, tb
    content, _ = run(kc, "%describe compnies")
    tb = "\n".join(content["traceback"])
    assert content["status"] == "error" and "did you mean companies" in tb, tb


def test_magic_line_mistakes_say_what_was_expected(kernel):
    _, kc = kernel
    content, _ = run(kc, "%%sql --limit many\nSELECT 1")
    assert content["status"] == "error" and '--limit expects a number of rows' in content["evalue"], content
    content, _ = run(kc, "%%sql\n\n")
    assert content["status"] == "error" and "no query" in content["evalue"], content


def test_line_magics_list_and_describe_tables(demo_replica, kernel):
    settings = demo_replica["env"]
    _, kc = kernel
    content, msgs = run(kc, "%tables")
    text = text_of(msgs)
    assert content["status"] == "ok", text
    for table in psql(settings, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").split():
        assert table in text, f"{table} missing from %tables:\n{text}"
    content, msgs = run(kc, "%describe orders")
    text = text_of(msgs)
    assert content["status"] == "ok", text
    for col in psql(settings, "SELECT attname FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 AND NOT attisdropped").split():
        assert col in text, f"column {col} missing from %describe orders:\n{text}"


def statements_and_rows(settings) -> tuple[int, int]:
    """Statements and rows of the analyst role on the replica per pg_stat_statements (these reads aside)."""
    calls, rows = psql(settings, "SELECT coalesce(sum(calls), 0), coalesce(sum(rows), 0) FROM pg_stat_statements s "
                                 "JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = current_user "
                                 "AND s.query NOT LIKE '%pg_stat_statements%'").split("|")
    return int(calls), int(rows)


LEDGER_RE = re.compile(r"load on the replica \(this notebook session\): ([\d,]+) statements, ([\d,]+) rows returned")


def test_ledger_counts_sql_cells_magics_and_go_cells_as_pg_stat_statements_does(demo_replica, kernel):
    """%ledger: the kernel counts the notebook's load where its traffic passes — SQL cells, magics and every Go
    cell's queries through the session — and the figures are what pg_stat_statements saw on the replica."""
    settings = demo_replica["env"]
    _, kc = kernel
    before = statements_and_rows(settings)
    content, msgs = run(kc, "%ledger")
    assert content["status"] == "ok" and "this analysis sent no statement to the replica" in text_of(msgs), text_of(msgs)

    for cell in ("%%sql\nSELECT id, status::text AS status FROM orders WHERE id <= 250",
                 "%tables",
                 'import (\n\t"github.com/replicalab/replicalab/helpers/chart"\n\t"github.com/replicalab/replicalab/helpers/frame"\n)\n'
                 '%%\nr := frame.SQL("SELECT id, total FROM orders WHERE id <= $1", frame.Args(120), frame.NoCache())\n'
                 'fmt.Println(r.Rows, "rows")\nchart.BarSQL("SELECT kind FROM events").Show()'):
        content, msgs = run(kc, cell)
        assert content["status"] == "ok", text_of(msgs)

    # The session ends a Go cell's client with a rollback and DISCARD ALL once the program is gone: read
    # both sides until they agree (the ledger is a file; reading it sends nothing to the replica).
    for _ in range(20):
        content, msgs = run(kc, "%ledger")
        text = text_of(msgs)
        assert content["status"] == "ok", text
        m = LEDGER_RE.search(text)
        assert m, text
        ledger = (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", "")))
        after = statements_and_rows(settings)
        seen = (after[0] - before[0], after[1] - before[1])
        if ledger == seen:
            break
        time.sleep(0.5)
    assert ledger == seen, f"ledger {ledger} (statements, rows); pg_stat_statements on the replica {seen}\n{text}"
    assert seen[0] >= 4 and seen[1] >= 250 + 120, f"pg_stat_statements saw {seen}: fewer than the cells ran"
    assert "this analysis read" in text and settings["RDS_PASSWORD"] not in text
    # Shown, the ledger carries the appendix line of exported reports.
    shown = [m["content"]["data"].get("text/html", "") for m in msgs
             if m["msg_type"] in ("display_data", "execute_result", "update_display_data")]
    assert any('data-replicalab-note-key="ledger"' in h and "this analysis read" in h for h in shown), \
        ([m["msg_type"] for m in msgs], shown)

    content, msgs = run(kc, "%ledger now")
    assert content["status"] == "error" and "%ledger takes nothing" in text_of(msgs), text_of(msgs)


def test_interrupt_cancels_a_sql_cells_query_on_the_server(demo_replica, kernel):
    settings = demo_replica["env"]
    km, kc = kernel
    msg_id = kc.execute("%%sql\nSELECT pg_sleep(60) /* sql-interrupt */")
    interrupt_once_running(km, settings, "sql-interrupt", start_within=60)
    reply = shell_reply(kc, msg_id, timeout=30)
    assert reply["content"]["status"] == "error" and "interrupted" in reply["content"]["evalue"], reply["content"]
    content, msgs = run(kc, "%%sql\nSELECT 1 AS still_here")
    assert content["status"] == "ok", text_of(msgs)


def test_completion_offers_tables_and_columns(kernel):
    _, kc = kernel
    code = "%%sql\nSELECT * FROM ord"
    reply = shell_reply(kc, kc.complete(code, len(code)))["content"]
    assert {"orders", "order_items"} <= set(reply["matches"]), reply
    assert reply["cursor_start"] == len(code) - 3
    code = "%%sql\nSELECT o.tot FROM orders o"
    pos = len("%%sql\nSELECT o.tot")
    reply = shell_reply(kc, kc.complete(code, pos))["content"]
    assert reply["matches"] == ["total"], reply
    code = "%describe comp"
    reply = shell_reply(kc, kc.complete(code, len(code)))["content"]
    assert "companies" in reply["matches"], reply


def test_a_broken_env_gives_the_same_clear_error_in_sql_and_go_cells(demo_replica, tmp_path, monkeypatch):
    """A wrong password in .env: the SQL cell says what the Go cell says (the session refuses, the helpers
    connect directly and explain), and neither shows the password."""
    settings = demo_replica["env"]
    for k in settings:
        monkeypatch.delenv(k, raising=False)
    wrong = "Wr0ng-Secret-In-Dotenv"
    env = dict(settings, RDS_PASSWORD=wrong)
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items() if k.startswith("RDS_")))
    monkeypatch.setenv("REPLICALAB_CACHE_DIR", str(tmp_path / "cache"))
    km = KernelManager(kernel_name=KERNEL)
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        sql, sql_msgs = run(kc, "%%sql\nSELECT 1")
        go, go_msgs = run(kc, 'import "github.com/replicalab/replicalab/helpers/frame"\n%%\nframe.SQL("SELECT 1").Show()')
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    sql_text, go_text = "\n".join(sql["traceback"]), text_of(go_msgs)
    assert sql["status"] == "error" and go["status"] == "error"
    for text in (sql_text, go_text):
        assert "authentication failed" in text and "RDS_PASSWORD" in text, text
        assert wrong not in text and settings["RDS_PASSWORD"] not in text
    first = lambda t: next(l for l in t.splitlines() if "authentication failed" in l)
    assert first(sql_text).strip() in go_text, (sql_text, go_text)
