"""Jupyter's kernel conformance suite (jupyter_kernel_test) against the installed "Go (replica)" kernel.

Every message type GoNB implements is exercised. The tests it cannot pass are skipped here with the reason,
so the run says exactly what a Jupyter front end will not get from this kernel.
"""
from __future__ import annotations

import unittest

import jupyter_kernel_test

from conftest import KERNEL


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
    complete_code_samples = ['%%\nfmt.Println("x")', "func f() int { return 1 }", "%%sql\nSELECT 1"]
    incomplete_code_samples = ["func f() {", "x := []int{1,\n", "s := `raw", "%%sql\nSELECT (1"]
    invalid_code_samples = ["fmt.Println(1))", "}"]
    code_inspect_sample = 'import "strings"\nvar s = strings.ToUpper'

    def test_error(self):
        raise unittest.SkipTest(
            "GoNB reports a failing cell with at least two outputs: 'exit status N' on stderr, then the error "
            "(plus an HTML rendering for compile errors and panics); the suite expects exactly one")

    def test_execute_result(self):
        raise unittest.SkipTest("GoNB never sends execute_result: values are shown with display_data")

    def test_history(self):
        raise unittest.SkipTest("GoNB v0.11.4 does not answer history_request")

    def test_pager(self):
        raise unittest.SkipTest("GoNB has no pager payloads; documentation is shown through inspect")

    def test_clear_output(self):
        raise unittest.SkipTest("GoNB's display helpers update outputs by display id instead of clear_output")
