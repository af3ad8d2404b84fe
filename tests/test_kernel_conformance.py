"""Jupyter's kernel conformance suite (jupyter_kernel_test) against the installed "Go (replica)" kernel.

Every message type the kernel implements is exercised, Go cells (GoNB) and SQL cells (the kernel) alike.
The tests it cannot pass are skipped here with the reason, so the run says exactly what a Jupyter front
end will not get from this kernel. SQL cells need the test demo replica: the suite starts it first.
"""
from __future__ import annotations

import unittest

import jupyter_kernel_test
import pytest

from conftest import KERNEL


@pytest.mark.usefixtures("demo_replica")
class GoReplicaKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL
    language_name = "go"
    file_extension = ".go"

    code_hello_world = '%%\nfmt.Println("hello, world")'
    code_stderr = '%%\nfmt.Fprintln(os.Stderr, "to stderr")'
    code_display_data = [
        {"code": '%%\ngonbui.DisplayHTML("<b>bold</b>")\ngonbui.Sync()', "mime": "text/html"},
        {"code": '%%\ngonbui.DisplayMarkdown("*emphasis*")\ngonbui.Sync()', "mime": "text/markdown"},
    ]
    completion_samples = [{"text": "import \"strings\"\nfunc f() { strings.ToUpp"}]
    complete_code_samples = ['%%\nfmt.Println("x")', "func f() int { return 1 }", "%%sql\nSELECT 1", "%tables"]
    incomplete_code_samples = ["func f() {", "x := []int{1,\n", "s := `raw", "%%sql\nSELECT (1"]
    invalid_code_samples = ["fmt.Println(1))", "}"]
    code_inspect_sample = 'import "strings"\nvar s = strings.ToUpper'

    # A SQL cell's table is its execute_result (a Go cell's outputs are display_data).
    code_execute_result = [
        {"code": "%%sql\nSELECT 6 * 7 AS answer", "mime": "text/html"},
        {"code": "%%sql\nSELECT 'history' AS word", "mime": "text/plain"},
    ]
    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "*AS answer"
    # A failing SQL cell gives exactly one output, the error (a failing Go cell gives GoNB's several).
    code_generate_error = "%%sql\nSELECT * FROM no_such_table"

    def test_pager(self):
        raise unittest.SkipTest("no pager payloads; documentation is shown through inspect")

    def test_clear_output(self):
        raise unittest.SkipTest("the helpers update outputs by display id instead of clear_output")
