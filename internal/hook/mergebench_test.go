package hook

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkMergeNotebook times one `git merge` of a notebook changed on both
// sides (the busy-day scenario on the 3.0 template: edits, additions,
// deletions and a tag), through each way git can merge it, and the
// replicalab driver's parts: nbdime's nbmerge alone and the whole driver
// without git.
func BenchmarkMergeNotebook(b *testing.B) {
	var busy scenario
	for _, sc := range scenarios() {
		if strings.HasPrefix(sc.name, "busy day") {
			busy = sc
		}
	}
	for _, eng := range []engine{"replicalab", "nbdime", "text"} {
		b.Run("git merge/"+string(eng), func(b *testing.B) {
			p := prepareScenario(b, eng, busy)
			b.ResetTimer()
			for range b.N {
				cmd := exec.Command("git", "merge", "--no-edit", "theirs")
				cmd.Dir, cmd.Env = p.r.dir, p.r.env
				_ = cmd.Run() // the text merge conflicts
				b.StopTimer()
				p.r.git("reset", "-q", "--hard", p.oursRev)
				b.StartTimer()
			}
		})
	}

	p := prepareScenario(b, "replicalab", busy)
	dir := b.TempDir()
	files := map[string]string{}
	for name, rev := range map[string]string{"base": p.baseRev, "ours": p.oursRev, "theirs": "theirs"} {
		files[name] = filepath.Join(dir, name+".ipynb")
		if err := os.WriteFile(files[name], p.r.show(rev+":"+p.path), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ours, _ := os.ReadFile(files["ours"])
	b.Run("driver without git", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			os.WriteFile(files["ours"], ours, 0o644)
			b.StartTimer()
			cmd := exec.Command(hookBin, "-C", p.r.dir, "merge", files["base"], files["ours"], files["theirs"], "7", p.path)
			cmd.Env = p.r.env
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("driver: %v\n%s", err, out)
			}
		}
	})
	b.Run("nbmerge alone", func(b *testing.B) {
		nbmerge := venvBin(b, "nbmerge")
		os.WriteFile(files["ours"], ours, 0o644)
		for range b.N {
			cmd := exec.Command(nbmerge, "--log-level", "ERROR", "--out", filepath.Join(dir, "m.ipynb"), files["base"], files["ours"], files["theirs"])
			if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(err.Error(), "exit status 1") {
				b.Fatalf("nbmerge: %v\n%s", err, out)
			}
		}
	})
}

// BenchmarkMergeEngines runs the whole scenario corpus through each way git
// can merge a notebook and reports what came out: merged without conflict,
// conflicted, broken (not a valid notebook), lost (a line a side wrote is
// missing from the result) and dirty (a merge git committed by itself
// holds outputs or a secret). It takes minutes, so it runs only from
// make bench-merge (REPLICALAB_BENCH_MERGE_CORPUS=1), once.
func BenchmarkMergeEngines(b *testing.B) {
	if os.Getenv("REPLICALAB_BENCH_MERGE_CORPUS") == "" {
		b.Skip("set REPLICALAB_BENCH_MERGE_CORPUS=1 (make bench-merge) to merge the corpus with each engine")
	}
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-11s | %6s | %10s | %6s | %4s | %5s\n", "engine", "merged", "conflicted", "broken", "lost", "dirty")
	engines := []engine{"replicalab", "nbdime", "text"}
	perScenario := map[string]map[engine]string{}
	var names []string
	for _, sc := range scenarios() {
		names = append(names, sc.name)
		perScenario[sc.name] = map[engine]string{}
	}
	for _, eng := range engines {
		b.Run(string(eng), func(b *testing.B) {
			var merged, conflicted, broken, lost, dirty int
			for i := range b.N {
				keep := b.TempDir()
				var outs []mergeOutcome
				for _, sc := range scenarios() {
					outs = append(outs, runScenario(b, eng, sc, keep, false))
				}
				if i > 0 {
					continue
				}
				files := make([]string, len(outs))
				for k, o := range outs {
					files[k] = o.file
				}
				b.StopTimer()
				invalid := validate(b, files)
				for _, o := range outs {
					res := o.result
					switch _, bad := invalid[o.file]; {
					case bad || o.result == "broken":
						broken++
						res = "broken"
					case o.result == "merged":
						merged++
					default:
						conflicted++
					}
					if len(o.lost) > 0 {
						lost++
						res += "+lost"
					}
					if o.result == "merged" {
						if code, _ := o.repo.try(hookBin, "pre-commit", "--check", "--all"); code != 0 {
							dirty++
							res += "+dirty"
						}
					}
					perScenario[o.name][eng] = res
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(merged), "merged")
			b.ReportMetric(float64(conflicted), "conflicted")
			b.ReportMetric(float64(broken), "broken")
			b.ReportMetric(float64(lost), "lost")
			b.ReportMetric(float64(dirty), "dirty")
			fmt.Fprintf(&table, "%-11s | %6d | %10d | %6d | %4d | %5d\n", eng, merged, conflicted, broken, lost, dirty)
		})
	}
	fmt.Fprintf(&table, "\n%-58s | %-16s | %-16s | %s\n", "scenario", engines[0], engines[1], engines[2])
	for _, n := range names {
		fmt.Fprintf(&table, "%-58s | %-16s | %-16s | %s\n", n, perScenario[n][engines[0]], perScenario[n][engines[1]], perScenario[n][engines[2]])
	}
	fmt.Print(table.String()) // the figures of make bench-merge
}
