"""Writes the input notebooks of the nbclean golden corpus (run once; the
outputs are committed). Each notebook exercises something nbstripout does;
the *.expected files beside them are nbstripout's output (see ../README.md)."""
import base64, json, os, zlib, struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def png(w=4, h=4):
    raw = b"".join(b"\x00" + bytes([(x * 40 + y * 20) % 256 for x in range(w * 3)]) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")).decode() + "\n"

GONB = {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"},
        "language_info": {"codemirror_mode": "", "file_extension": ".go", "mimetype": "text/x-go",
                          "name": "go", "nbconvert_exporter": "", "pygments_lexer": "", "version": "go1.26.8"}}

def code(src, outputs=(), count=1, meta=None, cid=None):
    c = {"cell_type": "code", "execution_count": count, "metadata": meta or {}, "outputs": list(outputs), "source": src}
    if cid is not None:
        c["id"] = cid
    return c

def md(src, meta=None, cid=None, **kw):
    c = {"cell_type": "markdown", "metadata": meta or {}, "source": src, **kw}
    if cid is not None:
        c["id"] = cid
    return c

def stream(text, name="stdout"):
    return {"name": name, "output_type": "stream", "text": text}

def nb(cells, meta=GONB, minor=5):
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": minor}

def write(name, obj, **kw):
    kw.setdefault("indent", 1)
    kw.setdefault("ensure_ascii", False)
    with open(os.path.join(HERE, name + ".ipynb.in"), "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, **kw) + "\n")

def raw(name, text):
    with open(os.path.join(HERE, name + ".ipynb.in"), "w", encoding="utf-8", newline="") as f:
        f.write(text)

img = png(8, 8)
write("basic", nb([
    md(["# Orders by day\n", "\n", "Read from the replica."], cid="a1b2c3d4"),
    code(["%%\n", "rows, err := db.Query(ctx, \"select 1\")\n", "fmt.Println(rows)"],
         [stream(["1\n", "2\n"]), {"data": {"text/plain": ["42"]}, "execution_count": 3, "metadata": {}, "output_type": "execute_result"}],
         count=3, meta={"ExecuteTime": {"end_time": "2026-11-25T10:00:01Z", "start_time": "2026-11-25T10:00:00Z"}, "collapsed": False, "scrolled": True},
         cid="e5f6a7b8"),
]))
write("images", nb([
    code("plot(p)", [{"data": {"image/png": img, "text/plain": ["<Figure size 640x480>"]}, "metadata": {"needs_background": "light"}, "output_type": "display_data"}], count=7, cid="img1"),
    md("![chart](attachment:chart.png)", cid="img2", attachments={"chart.png": {"image/png": img}}),
    code("svg()", [{"data": {"image/svg+xml": "<svg>\n<rect/>\n</svg>\n", "text/html": "<div>\n<b>x</b></div>"}, "metadata": {}, "output_type": "display_data"}], count=8, cid="img3"),
]))
write("widgets", nb([
    code("w := slider()", [{"data": {"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0}, "text/plain": "IntSlider(value=3)"}, "metadata": {}, "output_type": "display_data"}], count=2, cid="w1"),
], meta={**GONB, "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {"abc": {"model_name": "IntSliderModel", "state": {"value": 3}}}, "version_major": 2, "version_minor": 0}}, "signature": "sha256:deadbeef"}))
write("errors", nb([
    code("panic(\"boom\")", [stream("exit status 2\n", "stderr"), {"ename": "ERROR", "evalue": "exit status 2", "output_type": "error", "traceback": ["\x1b[31mpanic: boom\x1b[0m", "goroutine 1 [running]:"]}], count=4, cid="err1"),
]))
write("keep_output", nb([
    code("summary()", [stream("rows: 10\n"), {"data": {"text/plain": "10"}, "execution_count": 5, "metadata": {}, "output_type": "execute_result"}], count=5, meta={"tags": ["keep_output", "report"]}, cid="k1"),
    code("scratch()", [stream("noise\n")], count=6, cid="k2"),
    code("fig()", [{"data": {"image/png": img}, "metadata": {}, "output_type": "display_data"}], count=7, meta={"keep_output": True, "ExecuteTime": {"start_time": "x"}}, cid="k3"),
    code("init()", [stream("ready\n")], count=8, meta={"init_cell": True}, cid="k4"),
]))
write("keep_output_notebook", nb([
    code("a()", [stream("a\n")], count=1, cid="n1"),
    code("b()", [stream("b\n")], count=2, meta={"keep_output": False}, cid="n2"),
], meta={**GONB, "keep_output": True}))
write("unicode", nb([
    md("## Données clients — 東京 🚀\n\nnaïve café", cid="u1"),
    code("fmt.Println(\"é\\u00e9 \\\"quoted\\\" tab\\tend\")\n// U+2028 here:\u2028next line\u2029para\x85nel\x0bvt\x0cff\x1cfs", [stream("é\n")], count=1, cid="u2"),
]), ensure_ascii=True)
write("crlf_source", nb([
    code("a := 1\r\nb := 2\rc := 3\n", [], count=None, cid="c1"),
    md("", cid="c2"),
    {"cell_type": "raw", "metadata": {"format": "text/plain"}, "source": ["raw\n", "text"], "id": "c3"},
]))
write("v44_no_ids", nb([
    code("x := 1", [stream("1\n")], count=1),
    md("text"),
], minor=4))
write("v45_missing_ids", nb([
    code("x := 1", [stream("1\n")], count=1),
    md("text", cid="dup"),
    md("more", cid="dup"),
]))
write("numbers", nb([
    code("n()", [stream("n\n")], count=12, meta={"floats": [1.0, 0.5, 1e-07, 1e16, 123456789012345678, -0.0, 2.5e-4, 1e22, 3.14159265358979]}, cid="num1"),
], meta={**GONB, "big": 12345678901234567890123, "neg": -1}))
raw("compact_and_escapes", '{"nbformat":4,"nbformat_minor":5,"metadata":{"kernelspec":{"name":"gonb","display_name":"Go (gonb)","language":"go"},"x":"a\\/b <tag> & \\u00e9","x":"dup wins","f":1.50E+3,"g":1E400,"h":NaN,"i":-0},'
    '"cells":[{"id":"zz","cell_type":"code","metadata":{"trusted":true,"collapsed":true,"heading_collapsed":true,"hidden":false},"execution_count":9,'
    '"source":"print(\\"<html> & </html>\\")\\n","outputs":[{"output_type":"stream","name":"stdout","text":"x"}]}]}')
write("empty", nb([]))
write("tags_string", nb([
    code("s()", [stream("s\n")], count=1, meta={"tags": "keep_output_please"}, cid="t1"),
]))
write("outputs_empty_kept", nb([
    code("e()", [stream(""), {"output_type": "stream", "name": "stdout", "text": []}], count=1, cid="e1"),
]))
print("corpus written to", HERE)
