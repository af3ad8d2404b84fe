"""The kernel's own front, through a real Jupyter client: status, is_complete, history, the execution
queue, interrupts, input, and shutdown/restart hygiene (no process and no replica backend left)."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL, REPO, psql


def shell_reply(kc, msg_id, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def interrupt_once_running(km, settings, marker: str, start_within: float) -> None:
    """Wait until the query carrying the comment marker runs on the replica, interrupt the kernel, and check
    on the replica (pg_stat_activity) that the query is gone within 1 s."""
    sleeping = ("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                f"AND query LIKE '%{marker}%' AND pid <> pg_backend_pid()")
    deadline = time.monotonic() + start_within
    while psql(settings, sleeping) == "0":
        assert time.monotonic() < deadline, "the query never started"
        time.sleep(0.1)
    km.interrupt_kernel()
    t = time.monotonic()
    while psql(settings, sleeping) != "0":
        assert time.monotonic() - t < 1.0, "the query still runs 1 s after the interrupt"
        time.sleep(0.05)


def run(kc, code, timeout=180, **kw):
    """Executes code; returns (reply content, iopub messages of this request)."""
    msgs = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=msgs.append, **kw)
    return reply["content"], msgs


def outputs_of(kc, msg_id, quiet: float) -> list:
    """The IOPub messages of one request, read until none has come for `quiet` seconds."""
    outputs = []
    while True:
        try:
            m = kc.get_iopub_msg(timeout=quiet)
        except Exception:
            return outputs
        if m["parent_header"].get("msg_id") == msg_id:
            outputs.append(m)


def text_of(msgs) -> str:
    out = []
    for m in msgs:
        c = m["content"]
        if m["msg_type"] == "stream":
            out.append(c["text"])
        elif m["msg_type"] in ("display_data", "execute_result", "update_display_data"):
            out.append(c["data"].get("text/plain", "") + c["data"].get("text/html", ""))
        elif m["msg_type"] == "error":
            out.append(c["ename"] + ": " + c["evalue"])
    return "\n".join(out)


@pytest.fixture
def kernel():
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=120)
    yield km, kc
    kc.stop_channels()
    if km.is_alive():
        km.shutdown_kernel(now=False)


# --- processes ------------------------------------------------------------------------------------------

def proc_stats():
    """(pid, fields after the command name) of every process in /proc."""
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
        except OSError:
            continue
        yield int(p.name), stat[stat.rindex(")") + 2:].split()


def children(pid: int) -> list[int]:
    return [p for p, fields in proc_stats() if int(fields[1]) == pid]


def session_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[3])


def session_members(sid: int) -> list[int]:
    return [p for p, fields in proc_stats() if fields[0] != "Z" and int(fields[3]) == sid]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def gonb_of(kernel_pid: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for c in children(kernel_pid):
            if "/gonb " in cmdline(c) or cmdline(c).split(" ")[0].endswith("/gonb"):
                return c
        time.sleep(0.1)
    raise AssertionError(f"no GoNB child under kernel {kernel_pid}: {[cmdline(c) for c in children(kernel_pid)]}")


def wait_gone(pids, timeout=10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if Path(f"/proc/{p}").exists() and "Z" != Path(f"/proc/{p}/stat").read_text().split(") ")[-1][:1]]
        time.sleep(0.1)
    return alive


def kernel_backends(settings) -> int:
    """Backends of the analyst role on the replica other than psql's own (which asks)."""
    return int(psql(settings, "SELECT count(*) FROM pg_stat_activity WHERE usename = current_user "
                              "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"))


# --- protocol -------------------------------------------------------------------------------------------

def test_kernel_info_is_the_kernels_own_and_status_follows_it(kernel):
    km, kc = kernel
    msg_id = kc.kernel_info()
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["implementation"] == "replicalab"
    assert reply["content"]["language_info"]["name"] == "go"
    states = []
    deadline = time.monotonic() + 10
    while "idle" not in states and time.monotonic() < deadline:
        m = kc.get_iopub_msg(timeout=10)
        if m["msg_type"] == "status" and m["parent_header"].get("msg_id") == msg_id:
            states.append(m["content"]["execution_state"])
    assert states == ["busy", "idle"], states


def test_is_complete_for_go_and_sql(kernel):
    _, kc = kernel
    for code, want in [('%%\nfmt.Println("x")', "complete"), ("func f() {", "incomplete"),
                       ("x := []int{1,\n", "incomplete"), ("fmt.Println(1))", "invalid"),
                       ("%%sql\nSELECT (1", "incomplete"), ("%%sql\nSELECT 1", "complete")]:
        reply = shell_reply(kc, kc.is_complete(code))
        assert reply["content"]["status"] == want, (code, reply["content"])


def test_history_lists_executed_cells_with_their_counts(kernel):
    _, kc = kernel
    codes = ['%%\nfmt.Println("one")', 'func double(x int) int { return 2 * x }', '%%\nfmt.Println(double(21))']
    counts = [run(kc, c)[0]["execution_count"] for c in codes]
    assert counts == [1, 2, 3]
    tail = shell_reply(kc, kc.history(hist_access_type="tail", n=2, output=False, raw=True))["content"]["history"]
    assert [h[2] for h in tail] == codes[1:]
    session = tail[0][0]
    rng = shell_reply(kc, kc.history(hist_access_type="range", session=session, start=1, stop=2, output=False, raw=True))
    assert rng["content"]["history"] == [[session, 1, codes[0]]]
    found = shell_reply(kc, kc.history(hist_access_type="search", pattern="*double*", output=False, raw=True, unique=True))
    assert [h[1] for h in found["content"]["history"]] == [2, 3]


def test_a_failing_cell_aborts_the_cells_queued_behind_it(kernel):
    _, kc = kernel
    ids = [kc.execute('%%\npanic("stop here")'), kc.execute('%%\nfmt.Println("never")'), kc.execute('%%\nfmt.Println("nor")')]
    statuses = [shell_reply(kc, i, timeout=180)["content"]["status"] for i in ids]
    assert statuses == ["error", "aborted", "aborted"], statuses
    content, msgs = run(kc, '%%\nfmt.Println("after")')
    assert content["status"] == "ok" and "after" in text_of(msgs)


def test_a_cell_sent_as_soon_as_the_error_arrives_runs(demo_replica, kernel):
    """Only cells queued before the failing cell's reply went out are aborted: a cell the client sends the
    moment the error reply arrives (a fast user, a script, an agent; before the kernel is even idle) runs,
    for kernel cells and Go cells alike."""
    _, kc = kernel
    cells = [("%%sql\nSELECT 1/0 AS boom", "%%sql\nSELECT {i} AS right_after")] * 20 + \
            [('%%\npanic("stop here")', '%%\nfmt.Println("right after {i}")')] * 3
    for i, (failing, following) in enumerate(cells):
        failed = shell_reply(kc, kc.execute(failing), timeout=180)["content"]
        assert failed["status"] == "error", failed
        after = shell_reply(kc, kc.execute(following.format(i=i)), timeout=180)["content"]
        assert after["status"] == "ok", (i, following, after)


def test_statements_without_percent_percent_get_a_hint(kernel):
    _, kc = kernel
    content, msgs = run(kc, 'import "strings"\n\nfmt.Println(strings.ToUpper("x"))')
    assert content["status"] == "error"
    text = text_of(msgs)
    assert "%%" in text and "line 3" in text, text


def test_first_completion_is_answered_with_gopls_matches():
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=120)
    try:
        code = 'import "strings"\nfunc f() { strings.ToUpp'
        reply = shell_reply(kc, kc.complete(code, len(code)), timeout=60)
        assert "ToUpper" in reply["content"]["matches"], reply["content"]
        assert reply["content"]["cursor_start"] == len(code) - len("ToUpp")
        # The cell after it runs normally.
        content, msgs = run(kc, '%%\nfmt.Println("after completion")')
        assert content["status"] == "ok" and "after completion" in text_of(msgs)
        reply = shell_reply(kc, kc.inspect('import "strings"\nvar s = strings.ToUpper'), timeout=60)
        assert reply["content"]["found"] and "ToUpper" in json.dumps(reply["content"]["data"]), reply["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_input_requests_reach_the_client(kernel):
    """Every question a cell asks reaches the client, and each answer reaches the program, even when the
    client answers at once (a script does; GoNB drops an answer that beats its own bookkeeping)."""
    _, kc = kernel
    prompts = []

    def answer(msg):
        prompts.append(msg["content"]["prompt"])
        kc.input(f"answer {len(prompts)}")

    code = ('%%\nvar a, b string\ngonbui.RequestInput("first? ", false)\nfmt.Scanln(&a, &b)\nfmt.Println("got", a, b)\n'
            'gonbui.RequestInput("second? ", false)\nfmt.Scanln(&a, &b)\nfmt.Println("then", a, b)')
    for _ in range(3):
        prompts.clear()
        content, msgs = run(kc, code, timeout=120, allow_stdin=True, stdin_hook=answer)
        assert prompts == ["first? ", "second? "]
        assert content["status"] == "ok" and "got answer 1" in text_of(msgs) and "then answer 2" in text_of(msgs), text_of(msgs)


def test_interrupt_stops_a_go_cell_and_the_kernel_goes_on(kernel):
    km, kc = kernel
    msg_id = kc.execute('%%\nfmt.Println("sleeping")\ntime.Sleep(time.Minute)')
    deadline = time.monotonic() + 120
    while True:
        m = kc.get_iopub_msg(timeout=120)
        if m["msg_type"] == "stream" and "sleeping" in m["content"]["text"]:
            break
        assert time.monotonic() < deadline
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=30)
    assert reply["content"]["status"] == "error"
    content, msgs = run(kc, '%%\nfmt.Println("still here")')
    assert "still here" in text_of(msgs)


# --- the replica session --------------------------------------------------------------------------------

SESSION_CELL = '''import "github.com/jackc/pgx/v5"
%%
ctx := context.Background()
conn, err := pgx.Connect(ctx, os.Getenv("REPLICALAB_SESSION"))
if err != nil { fmt.Println("connect:", err); return }
defer conn.Close(ctx)
var n int
if err := conn.QueryRow(ctx, "SELECT count(*) FROM companies").Scan(&n); err != nil { fmt.Println(err); return }
fmt.Println("target", conn.PgConn().ParameterStatus("replicalab.target"), "companies", n)
'''


def test_go_cells_reach_the_replica_through_the_session(demo_replica, kernel):
    settings = demo_replica["env"]
    _, kc = kernel
    want = f"target {settings['RDS_USERNAME']}@{settings['RDS_HOSTNAME']}:{settings['RDS_PORT']}/{settings['RDS_DB_NAME']}"
    companies = psql(settings, "SELECT count(*) FROM companies")
    for _ in range(3):
        content, msgs = run(kc, SESSION_CELL)
        text = text_of(msgs)
        assert content["status"] == "ok" and f"{want} companies {companies}" in text, text
    # Three programs, one pool: at most the session's two backends.
    assert kernel_backends(settings) <= 2


def test_interrupt_cancels_a_go_cells_query_on_the_server_even_if_the_program_ignores_it(demo_replica, kernel):
    settings = demo_replica["env"]
    km, kc = kernel
    code = SESSION_CELL.replace('var n int', 'signal.Ignore(os.Interrupt)\n_, err = conn.Exec(ctx, "SELECT pg_sleep(60) /* front-interrupt */")\nfmt.Println("returned:", err)\nvar n int')
    msg_id = kc.execute(code)
    interrupt_once_running(km, settings, "front-interrupt", start_within=120)
    reply = shell_reply(kc, msg_id, timeout=60)
    assert reply["content"]["status"] == "ok"


def test_no_message_ever_carries_the_password(demo_replica):
    settings = demo_replica["env"]
    password = settings["RDS_PASSWORD"]
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=120)
    seen = []
    try:
        for code in [SESSION_CELL, '%%\nfmt.Println(os.Getenv("REPLICALAB_SESSION"))',
                     SESSION_CELL.replace("SELECT count(*) FROM companies", "SELECT count(*) FROM no_such_table"),
                     "%%sql\nSELECT current_user, inet_server_port()", "%%sql\nSELECT * FROM no_such_table", "%tables",
                     "%describe orders"]:
            msgs = []
            reply = kc.execute_interactive(code, timeout=180, output_hook=msgs.append)
            seen.append(json.dumps(reply, default=str))
            seen += [json.dumps(m, default=str) for m in msgs]
        for call in (kc.kernel_info, lambda: kc.history(hist_access_type="tail", n=10)):
            seen.append(json.dumps(shell_reply(kc, call()), default=str))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    everything = "\n".join(seen)
    assert "no_such_table" in everything  # the error did come back
    assert password not in everything


# --- shutdown and restart -------------------------------------------------------------------------------

def test_shutdown_leaves_no_process_and_no_backend(demo_replica):
    settings = demo_replica["env"]
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=120)
    kernel_pid = km.provisioner.process.pid
    gonb = gonb_of(kernel_pid)
    gonb_session = session_of(gonb)
    run(kc, SESSION_CELL)
    # A program still running, holding the session, when the kernel shuts down.
    kc.execute(SESSION_CELL.replace('var n int', 'conn.Exec(ctx, "SELECT pg_sleep(60)")\nvar n int'))
    deadline = time.monotonic() + 60
    while not [p for p in session_members(gonb_session) if "gonb_" in cmdline(p) and "gopls" not in cmdline(p)]:
        assert time.monotonic() < deadline, "the cell's program never started"
        time.sleep(0.1)
    everything = session_members(gonb_session) + [kernel_pid]
    assert kernel_backends(settings) >= 1
    kc.stop_channels()
    km.shutdown_kernel(now=False)
    left = wait_gone(everything)
    assert not left, f"left running after shutdown: {[cmdline(p) for p in left]}"
    deadline = time.monotonic() + 5
    while kernel_backends(settings) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kernel_backends(settings) == 0, "a backend stayed open on the replica after shutdown"


def test_restart_and_a_killed_kernel_leave_nothing_behind(demo_replica):
    settings = demo_replica["env"]
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=120)
    first = km.provisioner.process.pid
    first_gonb = session_members(session_of(gonb_of(first)))
    run(kc, SESSION_CELL)
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=120)
    left = wait_gone(first_gonb + [first])
    assert not left, f"left running after restart: {[cmdline(p) for p in left]}"

    # Killed outright (as Jupyter does when a kernel does not stop in time): the watchdog cleans up.
    second = km.provisioner.process.pid
    gonb_session = session_of(gonb_of(second))
    kc.execute('%%\ntime.Sleep(time.Hour)')
    time.sleep(3)
    members = session_members(gonb_session)
    os.kill(second, signal.SIGKILL)
    left = wait_gone(members + [second])
    assert not left, f"left running after SIGKILL: {[cmdline(p) for p in left]}"
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    deadline = time.monotonic() + 5
    while kernel_backends(settings) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kernel_backends(settings) == 0


def test_interrupt_during_the_build_stops_the_cell_before_its_program_runs(kernel):
    km, kc = kernel
    run(kc, '%%\nfmt.Println("warm")')
    kernel_pid = km.provisioner.process.pid
    gonb_session = session_of(gonb_of(kernel_pid))
    # Enough generated code to keep the compiler busy for a while.
    funcs = "\n".join(f"func f{i}(x int) int {{ s := 0; for j := 0; j < x; j++ {{ s += j * {i} % 7 }}; return s }}"
                      for i in range(4000))
    msg_id = kc.execute(funcs + '\n%%\nfmt.Println("the program ran")')
    deadline = time.monotonic() + 60
    while not any(" build " in cmdline(p) for p in session_members(gonb_session)):
        assert time.monotonic() < deadline, "the cell's build never started"
        time.sleep(0.02)
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=120)
    outputs = outputs_of(kc, msg_id, quiet=2)
    assert reply["content"]["status"] == "error", reply["content"]
    assert reply["content"]["ename"] == "Interrupted", reply["content"]
    assert "the program ran" not in text_of(outputs)


BUSY_CELL = "\n".join(f"func f{i}(x int) int {{ s := 0; for j := 0; j < x; j++ {{ s += j * {i} % 7 }}; return s }}"
                      for i in range(4000)) + '\n%%\nfmt.Println("the program ran")\ntime.Sleep(time.Hour)'


def wait_busy(kc, msg_id, timeout=60):
    """Waits until the kernel says it is busy with this request: from then on the cell is running."""
    deadline = time.monotonic() + timeout
    while True:
        m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if (m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                and m["content"]["execution_state"] == "busy"):
            return


def test_an_interrupt_stops_a_go_cell_at_any_step(kernel):
    """From the moment the kernel is busy with a cell, an interrupt stops it, whatever step the cell is at:
    GoNB composing the program, goimports, the build (the go command, the compiler, the linker, and the
    moments between them), or the program. The program here would sleep an hour, so a lost interrupt
    shows as a cell that never ends. Afterwards nothing of the cell is left running."""
    km, kc = kernel
    run(kc, '%%\nfmt.Println("warm")')
    gonb = gonb_of(km.provisioner.process.pid)
    gonb_session = session_of(gonb)
    for delay in (0, 0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.5, 2.5, 4.0):
        msg_id = kc.execute(BUSY_CELL)
        wait_busy(kc, msg_id)
        time.sleep(delay)
        km.interrupt_kernel()
        reply = shell_reply(kc, msg_id, timeout=60)["content"]
        assert reply["status"] == "error", (delay, reply)
        assert reply["ename"] == "Interrupted" and "shim" not in reply["evalue"], (delay, reply)
        deadline = time.monotonic() + 10
        while set(session_members(gonb_session)) - {gonb} and time.monotonic() < deadline:
            time.sleep(0.05)
        left = set(session_members(gonb_session)) - {gonb}
        assert not left, (delay, [cmdline(p) for p in left])
    content, msgs = run(kc, '%%\nfmt.Println("still here")')
    assert content["status"] == "ok" and "still here" in text_of(msgs)


def test_an_interrupt_stops_shell_commands_and_programs_that_ignore_it(kernel):
    """A shell command waits for its children: they are stopped too (SIGINT to bash alone would leave the
    sleep running). A program that ignores SIGINT is killed 5 s later, as GoNB does for a program."""
    km, kc = kernel
    gonb_session = session_of(gonb_of(km.provisioner.process.pid))
    msg_id = kc.execute('!sleep 600; echo after')
    deadline = time.monotonic() + 60
    while not any(cmdline(p).startswith("sleep 600") for p in session_members(gonb_session)):
        assert time.monotonic() < deadline, "the shell command never started"
        time.sleep(0.02)
    km.interrupt_kernel()
    shell_reply(kc, msg_id, timeout=60)
    text = text_of(outputs_of(kc, msg_id, quiet=1))
    assert "after" not in text, text

    msg_id = kc.execute('%%\nsignal.Ignore(os.Interrupt)\nfmt.Println("ignoring")\ntime.Sleep(time.Hour)\nfmt.Println("after")')
    outputs = []
    deadline = time.monotonic() + 120
    while "ignoring" not in text_of(outputs):
        assert time.monotonic() < deadline, "the program never started"
        m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if m["parent_header"].get("msg_id") == msg_id:
            outputs.append(m)
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=60)["content"]
    text = text_of(outputs + outputs_of(kc, msg_id, quiet=1))
    assert reply["status"] == "error" and reply["ename"] == "Interrupted", reply
    assert "signal: killed" in text and "after" not in text, text


def test_a_second_interrupt_signals_the_program_again(kernel):
    """As with Ctrl-C twice in a terminal: a program that handles the first SIGINT gets a second one."""
    km, kc = kernel
    code = ('%%\nc := make(chan os.Signal, 2)\nsignal.Notify(c, os.Interrupt)\nfmt.Println("waiting")\n'
            '<-c\nfmt.Println("first")\n<-c\nfmt.Println("second")')
    msg_id = kc.execute(code)
    seen = []

    def wait_for(text):
        deadline = time.monotonic() + 120
        while text not in "".join(seen):
            m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
                seen.append(m["content"]["text"])

    wait_for("waiting")
    km.interrupt_kernel()
    wait_for("first")
    km.interrupt_kernel()
    wait_for("second")
    assert shell_reply(kc, msg_id, timeout=30)["content"]["status"] == "ok"


def test_the_helpers_default_connection_goes_through_the_session(demo_replica, kernel, tmp_path, monkeypatch):
    """Go cells in the notebook style (frame.SQL on the default connection) reach the replica through the
    kernel's session: one pool, whatever the number of cells, and the banner says so."""
    settings = demo_replica["env"]
    _, kc = kernel
    cell = ('import "github.com/replicalab/replicalab/helpers/frame"\n%%\n'
            'frame.SQL(`SELECT count(*) AS n FROM orders WHERE status::text <> $1`, frame.Args("x{}"), frame.NoCache()).Show()\n')
    texts = []
    for i in range(4):
        content, msgs = run(kc, cell.replace("{}", str(i)))
        assert content["status"] == "ok", text_of(msgs)
        texts.append(text_of(msgs))
    orders = psql(settings, "SELECT count(*) FROM orders")
    assert all(f"{int(orders):,}" in t or orders in t for t in texts), texts
    assert "through the notebook session" in "\n".join(texts), texts[0]
    assert kernel_backends(settings) <= 2
