"""helpers/explore from cells of the real kernel: the overview and a table's detail, and the table picker
driven through GoNB's real comm protocol (jupyter_client playing the browser's part)."""
from __future__ import annotations

import queue
import re
import time
import uuid

from jupyter_client.manager import KernelManager

from conftest import KERNEL, outputs_text, run_cells

IMPORTS = ('import ("context"; "time"; "github.com/replicalab/replicalab/helpers/replica"; '
           '"github.com/replicalab/replicalab/helpers/explore")\n')


def test_overview_and_detail_in_a_notebook(demo_replica):
    """The notebook style: no context, no connection, no error handling in the cell."""
    nb = run_cells([
        IMPORTS + '%%\n'
        'explore.ShowTables()\n'
        'explore.ShowTable("users")\n'
        'explore.ShowDiagram(explore.Schema("public"))\n'
    ])
    text = outputs_text(nb.cells[0])
    assert "never analyzed (row count unknown)" in text, text[:2000]  # audit_log
    assert "(estimate)" in text
    assert "Login e-mail" in text  # users.email's comment in the detail
    assert "masked: personal column" in text
    assert "fk:orders_buyer_company_id_fkey" in text  # an edge of the ER diagram
    assert demo_replica["env"]["RDS_PASSWORD"] not in text


def html_of(msg) -> str:
    return msg["content"].get("data", {}).get("text/html", "")


def next_iopub(kc, parent: str, deadline: float):
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "timed out waiting for the kernel"
        try:
            msg = kc.get_iopub_msg(timeout=left)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") == parent or msg["msg_type"] == "comm_msg":
            return msg


def test_picking_a_table_in_the_widget_shows_its_detail(demo_replica, tmp_path):
    # GoNB reads its Jupyter kernel id from the connection file's name, as Jupyter Server names it.
    kernel_id = str(uuid.uuid4())
    km = KernelManager(kernel_name=KERNEL, connection_file=str(tmp_path / f"kernel-{kernel_id}.json"))
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    comm_id = uuid.uuid4().hex
    try:
        code = (IMPORTS + '%%\n'
                'ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)\n'
                'defer cancel()\n'
                'db, err := replica.Open(ctx, replica.Quiet())\n'
                'if err != nil { fmt.Println(err); return }\n'
                'defer db.Close()\n'
                'last, err := explore.Pick(ctx, db, explore.Initial("companies"), explore.Connect(time.Minute))\n'
                'fmt.Println("picker ended on", last, err)\n')
        msg_id = kc.execute(code)
        deadline = time.monotonic() + 240

        def send(msg_type, content):
            kc.shell_channel.send(kc.session.msg(msg_type, content))

        # 1. GoNB asks the browser to open its websocket (a <script> naming gonb_comm): answer as it would.
        while True:
            msg = next_iopub(kc, msg_id, deadline)
            assert msg["msg_type"] != "error", msg["content"]
            if msg["msg_type"] in ("display_data", "update_display_data") and "gonb_comm" in html_of(msg) \
                    and "WebSocket" in html_of(msg):
                break
        send("comm_open", {"comm_id": comm_id, "target_name": "gonb_comm", "kernel_id": kernel_id, "data": {}})

        # 2. The kernel acknowledges; the select box and the initial table's detail arrive.
        acked, address, initial_detail = False, None, ""
        while not (acked and address and initial_detail):
            msg = next_iopub(kc, msg_id, deadline)
            assert msg["msg_type"] != "error", msg["content"]
            if msg["msg_type"] == "comm_msg" and msg["content"]["data"].get("address") == "#comm_open_ack":
                acked = True
            h = html_of(msg)
            m = re.search(r'<select id="[^"]+" data-address="([^"]+)"', h)
            if m:
                address = m.group(1)
                assert '<option value="public.orders">public.orders</option>' in h
            if "replicalab-detail" in h:
                initial_detail = h
        assert "public.companies" in initial_detail and "Organisations on the marketplace" in initial_detail

        # 3. The browser reports the select's value, then the person picks orders.
        for value in ("public.companies", "public.orders"):
            send("comm_msg", {"comm_id": comm_id, "data": {"address": address, "value": value}})
        while True:
            msg = next_iopub(kc, msg_id, deadline)
            assert msg["msg_type"] != "error", msg["content"]
            h = html_of(msg)
            if msg["msg_type"] == "update_display_data" and "public.orders" in h and "replicalab-detail" in h:
                break
        assert "order_number" in h and "Human-facing number" in h  # orders' column and its comment
        assert "FK → public.companies(id)" in h
        assert "orders_pkey" in h

        # 4. Interrupting the cell ends the picker; the kernel answers.
        km.interrupt_kernel()
        while True:
            reply = kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] in ("ok", "error", "aborted")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_picker_gives_up_without_a_browser(demo_replica):
    nb = run_cells([
        IMPORTS + '%%\n'
        'fmt.Println("picker ended on", explore.ShowPicker(explore.Initial("payments"), explore.Connect(2*time.Second)))\n'
    ])
    text = outputs_text(nb.cells[0])
    assert "picker ended on public.payments" in text, text[:2000]
    assert "Payment attempts" in text  # the initial detail stays
