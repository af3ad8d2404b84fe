package gotalayout

import (
	"math"
	"strings"
	"testing"

	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/internal/display"
)

// The pinned gota (v0.12.0) has the layout this package knows; both paths build the same frame.
func TestBothPathsBuildTheSameFrame(t *testing.T) {
	if !Fast() {
		t.Fatal("gota's layout did not verify: the pinned gota version changed?")
	}
	build := func() (ints, floats, strs []string, missing [3]bool) {
		names := []string{"i", "f", "s", "b"}
		types := []series.Type{series.Int, series.Float, series.String, series.Bool}
		df, ws := NewFrame(names, types, 3)
		ws[0].Ints(0, []int{1, 2, 3})
		ws[1].Floats(0, []float64{1.5, math.NaN(), 0})
		ws[2].Strings(0, []string{"NaN", "", "x"})
		ws[3].Bools(0, []bool{true, false, true})
		ws[0].Null(1)
		ws[1].Null(2)
		ws[2].Null(2)
		ints, floats, strs = df.Col("i").Records(), df.Col("f").Records(), df.Col("s").Records()
		for r := 0; r < 3; r++ {
			missing[r] = df.Elem(r, 1).IsNA()
		}
		if df.Elem(0, 2).IsNA() || !df.Elem(1, 0).IsNA() || !df.Elem(2, 2).IsNA() {
			t.Error("missing values misplaced")
		}
		if SQLNull(df.Elem(0, 1)) || (Fast() && SQLNull(df.Elem(1, 1))) || !SQLNull(df.Elem(2, 1)) {
			t.Errorf("SQLNull: a value, a NaN (fast path only) and a NULL")
		}
		return
	}
	fi, ff, fs, fm := build()
	rec := &display.Recorder{}
	restoreSink := display.Use(rec)
	ResetWarning()
	restore := SetFast(false)
	si, sf, ss, sm := build()
	build()
	restore()
	restoreSink()
	if strings.Join(fi, ",") != strings.Join(si, ",") || strings.Join(ff, ",") != strings.Join(sf, ",") ||
		strings.Join(fs, ",") != strings.Join(ss, ",") || fs[0] != "NaN" || fm != sm {
		t.Errorf("fast %v %v %v %v, slow %v %v %v %v", fi, ff, fs, fm, si, sf, ss, sm)
	}
	if n := strings.Count(rec.Text(), "warning: "+FallbackWarning); n != 1 {
		t.Errorf("the fallback warned %d times, want once: %q", n, rec.Text())
	}
}
