package hook

import (
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// BigNotebook returns a GoNB-style notebook of about size bytes, most of it
// outputs: PNG-like base64 images, long stdout streams and HTML tables, as
// an analysis notebook accumulates. It is deterministic for a seed.
func bigNotebook(seed uint64, size int) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	b.WriteString("{\n \"cells\": [\n")
	img := make([]byte, 90_000)
	for i := 1; b.Len() < size; i++ {
		if i > 1 {
			b.WriteString(",\n")
		}
		for k := range img {
			img[k] = byte(rng.Uint32())
		}
		fmt.Fprintf(&b, `  {"cell_type": "code", "execution_count": %d, "id": "c%06d", "metadata": {"ExecuteTime": {"start_time": "2026-11-25T10:00:00Z"}},
   "source": ["rows, err := db.Query(ctx, `+"`select day, count(*) from orders group by 1`"+`)\n", "plot(rows)"],
   "outputs": [{"name": "stdout", "output_type": "stream", "text": [`, i, i)
		for d := range 400 {
			if d > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `"day %d: %d orders, %.3f avg\n"`, d, rng.IntN(1_000_000), rng.Float64())
		}
		fmt.Fprintf(&b, `]},
    {"data": {"image/png": "%s\n", "text/plain": ["<Figure size 640x480 with 1 Axes>"]}, "metadata": {}, "output_type": "display_data"},
    {"data": {"text/html": ["<table>\n"`, base64.StdEncoding.EncodeToString(img))
		for row := range 300 {
			fmt.Fprintf(&b, `, "<tr><td>%d</td><td>é東 \"q\" %d</td></tr>\n"`, row, rng.IntN(1000))
		}
		fmt.Fprintf(&b, `, "</table>"], "text/plain": ["df"]}, "execution_count": %d, "metadata": {}, "output_type": "execute_result"}]}`, i)
	}
	b.WriteString("\n ],\n \"metadata\": {\"kernelspec\": {\"display_name\": \"Go (gonb)\", \"language\": \"go\", \"name\": \"gonb\"}},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n")
	return []byte(b.String())
}

// benchRepo stages 20 notebooks of 5 MB; reset puts their dirty versions
// back in the index.
func benchRepo(b *testing.B) (r *testRepo, reset func()) {
	r = newRepo(b)
	var total int64
	for i := range 20 {
		nb := bigNotebook(uint64(i), 5_000_000)
		total += int64(len(nb))
		r.write(fmt.Sprintf("notebooks/%02d analysis.ipynb", i), nb)
	}
	b.SetBytes(total)
	r.git("add", ".")
	saved := r.git("ls-files", "-s")
	var info strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(saved), "\n") {
		f := strings.SplitN(l, "\t", 2)
		m := strings.Fields(f[0])
		fmt.Fprintf(&info, "%s %s\t%s\n", m[0], m[1], f[1])
	}
	return r, func() {
		cmd := exec.Command("git", "update-index", "--index-info")
		cmd.Dir, cmd.Env, cmd.Stdin = r.dir, r.env, strings.NewReader(info.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("restoring the index: %v: %s", err, out)
		}
	}
}

// BenchmarkPreCommit20x5MB runs the hook binary as git would on a commit of
// 20 notebooks of 5 MB each whose working copies are what is staged (the
// usual `git add; git commit`).
func BenchmarkPreCommit20x5MB(b *testing.B) {
	r, reset := benchRepo(b)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		reset()
		b.StartTimer()
		r.run(0, hookBin, "pre-commit")
	}
}

// BenchmarkPreCommit20x5MBFromObjects is the same when the working copies
// differ from what is staged (partial staging), so every blob is inflated
// by git cat-file.
func BenchmarkPreCommit20x5MBFromObjects(b *testing.B) {
	r, reset := benchRepo(b)
	for i := range 20 {
		p := fmt.Sprintf("notebooks/%02d analysis.ipynb", i)
		r.write(p, append(r.read(p), ' '))
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		reset()
		b.StartTimer()
		r.run(0, hookBin, "pre-commit")
	}
}

func TestBigNotebookIsValid(t *testing.T) {
	nb := bigNotebook(1, 300_000)
	out := mustClean(t, nb)
	if len(out) > len(nb)/10 || !strings.Contains(string(out), "plot(rows)") {
		t.Errorf("cleaning the generated notebook should keep its sources and drop its outputs (%d -> %d bytes)", len(nb), len(out))
	}
}

// BenchmarkPreCommitInProcess20x5MB is BenchmarkPreCommit20x5MB without
// the process start, for profiling.
func BenchmarkPreCommitInProcess20x5MB(b *testing.B) {
	r, reset := benchRepo(b)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		reset()
		b.StartTimer()
		if code := precommit(b.Context(), r.dir, checkOptions{check: true}, io.Discard); code != 1 {
			b.Fatalf("exit %d, expected 1 (dirty notebooks)", code)
		}
	}
}
