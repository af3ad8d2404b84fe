"""helpers/replica from cells of the real kernel: errors without secrets, and an interrupt that really
stops the query on the server."""
from __future__ import annotations

import time

from jupyter_client.manager import start_new_kernel

from conftest import KERNEL, outputs_text, psql, run_cells


def test_a_wrong_password_is_explained_and_never_displayed(demo_replica):
    """The same clear error in both styles: returned by Connect in a program, shown by a one-line notebook cell
    that then stops (nothing after it runs)."""
    wrong = "Wr0ng-but-Secret-Passphrase"
    # The programs leave the kernel's session (REPLICALAB_SESSION): it holds the kernel's own, working,
    # connection, which a password set inside a cell's program does not reach. A broken .env, which the
    # kernel reads too, is tested through the session in test_sql_cells.py.
    nb = run_cells([
        'import ("context"; "github.com/replicalab/replicalab/helpers/replica")\n'
        '%%\n'
        'os.Unsetenv("REPLICALAB_SESSION")\n'
        f'os.Setenv("RDS_PASSWORD", "{wrong}")\n'
        'ctx := context.Background()\n'
        'db, err := replica.Open(ctx)\n'
        'if err == nil { err = db.Connect(ctx) }\n'
        'if err != nil { fmt.Println(err); return }\n'
        'fmt.Println("connected?!")\n',
        f'%%\nos.Unsetenv("REPLICALAB_SESSION")\nos.Setenv("RDS_PASSWORD", "{wrong}")\n'
        'replica.Default().Show()\n'
        'fmt.Println("still running?!")\n',
    ], allow_errors=True)
    program, cell = outputs_text(nb.cells[0]), outputs_text(nb.cells[1])
    for text in (program, cell):
        assert "authentication failed" in text, text
        assert "RDS_PASSWORD" in text, "the error should name the variable to fix"
        assert wrong not in text.replace(f'os.Setenv("RDS_PASSWORD", "{wrong}")', ""), text
        assert demo_replica["env"]["RDS_PASSWORD"] not in text
    message = program.strip().splitlines()[-1]
    assert message.startswith("replica: ") and message in cell, f"program: {program}\ncell: {cell}"
    assert "still running?!" not in cell and "connected?!" not in program
    stderr = [o for o in nb.cells[1].outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert any(message in o["text"] for o in stderr), nb.cells[1].outputs
    assert any(o.get("output_type") == "error" for o in nb.cells[1].outputs), "the cell should end in error"


def active_sleepers(settings) -> int:
    return int(psql(settings, "SELECT count(*) FROM pg_stat_activity "
                              "WHERE application_name = 'nb-interrupt-test' AND query LIKE '%pg_sleep%'"))


def test_interrupting_a_cell_cancels_its_query_on_the_server(demo_replica):
    settings = demo_replica["env"]
    km, kc = start_new_kernel(kernel_name=KERNEL)
    try:
        code = ('import ("context"; "github.com/replicalab/replicalab/helpers/replica")\n'
                '%%\n'
                'ctx := context.Background()\n'
                'db, err := replica.Open(ctx, replica.AppName("nb-interrupt-test"), replica.Quiet())\n'
                'if err != nil { fmt.Println(err); return }\n'
                'defer db.Close()\n'
                '_, err = db.Exec(ctx, "SELECT pg_sleep(60)")\n'
                'fmt.Println("returned:", err)\n')
        msg_id = kc.execute(code)
        deadline = time.monotonic() + 120
        while active_sleepers(settings) == 0:
            assert time.monotonic() < deadline, "the query never started on the replica"
            time.sleep(0.2)
        km.interrupt_kernel()
        interrupted = time.monotonic()
        while active_sleepers(settings) > 0:
            assert time.monotonic() - interrupted < 1.0, "the query is still running on the server 1 s after the interrupt"
            time.sleep(0.05)
        reply = kc.get_shell_msg(timeout=30)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] in ("error", "aborted", "ok")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
