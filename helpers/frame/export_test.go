package frame

import (
	"sync"
	"time"

	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/gotalayout"
)

// Test hooks, compiled only into this package's tests.

// Screen records what would be displayed in a notebook: a display.Sink
// that says it renders HTML.
type Screen struct {
	mu       sync.Mutex
	Displays []string
	Updates  []Update
}

type Update struct{ ID, HTML string }

func (s *Screen) Notebook() bool { return true }
func (s *Screen) Send(o display.Output) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.ID == "" {
		s.Displays = append(s.Displays, o.HTML)
		return
	}
	s.Updates = append(s.Updates, Update{o.ID, o.HTML})
}
func (s *Screen) Sync() {}

// UseScreen makes the package believe it runs in a notebook showing on s,
// until restore is called.
func UseScreen(s *Screen) (restore func()) { return display.Use(s) }

// ShiftClock moves the package's clock by d, until restore is called.
func ShiftClock(d time.Duration) (restore func()) {
	old := now
	now = func() time.Time { return old().Add(d) }
	return func() { now = old }
}

// UseSlowGota forces the public-API path for building DataFrames, until
// restore is called.
func UseSlowGota() (restore func()) {
	gotalayout.ResetWarning()
	return gotalayout.SetFast(false)
}

// FastGota reports whether gota's layout was verified (the fast path).
func FastGota() bool { return gotalayout.Fast() }

// BuildForBench prepares columns from typed slices as a fetch leaves them
// and returns a function that builds the DataFrame the way Load does.
func BuildForBench(ints []int, floats []float64, strs []string, bools []bool) (build func()) {
	n := len(ints)
	cols := []*column{
		{Column: Column{Name: "i", Kind: Integer, Series: Integer.SeriesType()}, n: n, ints: vecOf(ints)},
		{Column: Column{Name: "f", Kind: Float, Series: Float.SeriesType()}, n: n, floats: vecOf(floats)},
		{Column: Column{Name: "s", Kind: Text, Series: Text.SeriesType()}, n: n},
		{Column: Column{Name: "b", Kind: Boolean, Series: Boolean.SeriesType()}, n: n, bools: vecOf(bools)},
	}
	for _, s := range strs {
		cols[2].strs.push([]byte(s))
	}
	return func() {
		if _, err := toDataFrame(cols, n); err != nil {
			panic(err)
		}
	}
}
