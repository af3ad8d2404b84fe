package chart

import (
	"fmt"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"
)

// An Option adjusts one chart: what it draws (Bins, Top, By, ...), its
// title, and how Show, Save and Render draw it (PNG, SVG, Size, DPI). Each
// chart accepts only the options that mean something to it; another one
// makes the chart's Err name it, so a misplaced option is never silently
// ignored.
type Option func(*options) error

// option makes an Option named name: it refuses to be given twice, or to a
// chart that does not take it.
func option(name string, f func(*options) error) Option {
	return func(o *options) error {
		if o.allowed != nil && !o.allowed[name] {
			return fmt.Errorf("%s does not take the option %s (it takes %s)", o.fn, name, orNone(o.allowedList))
		}
		if o.set[name] {
			return fmt.Errorf("option %s given twice", name)
		}
		o.set[name] = true
		return f(o)
	}
}

type options struct {
	fn          string
	allowed     map[string]bool // nil: every option (the display options of a built chart)
	allowedList []string
	set         map[string]bool

	bins       int
	lo, hi     float64
	top        int
	by         string
	loc        *time.Location
	unit       Unit
	maxPoints  int
	args       []any
	from, to   time.Time
	format     string
	width      vg.Length
	height     vg.Length
	dpi        int
	hasRange   bool
	hasBetween bool
	title      string
	anyCost    bool
}

// displayOptions are the options every chart takes besides its own.
var displayOptions = []string{"Title", "PNG", "SVG", "Size", "DPI"}

// Defaults.
const (
	defaultTop       = 10
	defaultMaxPoints = 10_000
	defaultDPI       = 192 // PNG pixels per inch: twice a standard screen, crisp on HiDPI ones
	maxColours       = 8
)

// apply collects opts for the function fn, which accepts the option names in
// allowed and the display options.
func apply(fn string, opts []Option, allowed ...string) (*options, error) {
	o := newOptions()
	o.fn, o.allowedList, o.allowed = fn, append(append([]string(nil), allowed...), displayOptions...), map[string]bool{}
	for _, a := range o.allowedList {
		o.allowed[a] = true
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("chart: %s: a nil Option; build options with the chart.Bins, chart.Top, ... functions", fn)
		}
		if err := opt(o); err != nil {
			return nil, fmt.Errorf("chart: %s: %w", fn, err)
		}
	}
	return o, nil
}

func newOptions() *options {
	return &options{set: map[string]bool{}, top: defaultTop, maxPoints: defaultMaxPoints, loc: time.UTC, dpi: defaultDPI}
}

// displayOf collects the display options among opts (Title, PNG, SVG, Size,
// DPI) once a chart is built; the chart has already refused bad ones.
func displayOf(opts []Option) *options {
	o := newOptions()
	for _, opt := range opts {
		if opt != nil {
			_ = opt(o)
		}
	}
	return o
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no options"
	}
	return strings.Join(names, ", ")
}

// Bins sets the number of histogram bins (1 to 1000), or the cells per
// axis of a heat map (Heatmap, ScatterSQL; default 40). Without it a
// histogram's bins are 10 to 60 of a round width (the Freedman–Diaconis
// rule; HistogramSQL: about 30).
func Bins(n int) Option {
	return option("Bins", func(o *options) error {
		if n < 1 || n > 1000 {
			return fmt.Errorf("Bins: expected 1 to 1000 bins, found %d", n)
		}
		o.bins = n
		return nil
	})
}

// Range limits a histogram to [lo, hi]. Values outside are counted and said,
// not drawn. For HistogramSQL it also saves the first pass over the data.
func Range(lo, hi float64) Option {
	return option("Range", func(o *options) error {
		if !(lo < hi) || isBad(lo) || isBad(hi) {
			return fmt.Errorf("Range: expected finite lo < hi, found [%g, %g]", lo, hi)
		}
		o.lo, o.hi, o.hasRange = lo, hi, true
		return nil
	})
}

// Top sets how many categories (bars, boxes, colours, series) are shown; the
// rest are gathered into one "other". Default 10 (7 for colours).
func Top(n int) Option {
	return option("Top", func(o *options) error {
		if n < 1 || n > 100 {
			return fmt.Errorf("Top: expected 1 to 100, found %d", n)
		}
		o.top = n
		return nil
	})
}

// By splits a chart by the categories of a column: one colour per category
// in a scatter, one box per category in a box plot, one line per category
// in a line chart or time series, one bar per category in a grouped bar.
func By(column string) Option {
	return option("By", func(o *options) error {
		if column == "" {
			return fmt.Errorf("By: expected a column name, found \"\"")
		}
		o.by = column
		return nil
	})
}

// In sets the time zone of a time axis and of time buckets (default UTC).
// Ticks fall on midnights, month starts and whole hours of that zone, across
// daylight-saving changes.
func In(loc *time.Location) Option {
	return option("In", func(o *options) error {
		if loc == nil {
			return fmt.Errorf("In: expected a *time.Location, found nil")
		}
		o.loc = loc
		return nil
	})
}

// Every sets the bucket of TimeCounts and TimeCountsSQL; without it the
// finest unit that gives at most 400 buckets is used.
func Every(u Unit) Option {
	return option("Every", func(o *options) error {
		if !u.valid() {
			return fmt.Errorf("Every: expected one of %s, found %q", strings.Join(unitNames(), ", "), string(u))
		}
		o.unit = u
		return nil
	})
}

// Between limits TimeCounts and TimeCountsSQL to from <= t < to. For
// TimeCountsSQL it also saves the first pass over the data.
func Between(from, to time.Time) Option {
	return option("Between", func(o *options) error {
		if from.IsZero() || to.IsZero() || !from.Before(to) {
			return fmt.Errorf("Between: expected from < to, found %s and %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
		}
		o.from, o.to, o.hasBetween = from, to, true
		return nil
	})
}

// MaxPoints caps the points a scatter draws (default 10,000); beyond it a
// reproducible random sample is drawn and the chart says so. For Line,
// TimeSeries, LineSQL and TimeSeriesSQL it is the number of slices of x a
// longer line is averaged over (LineSQL's default: 1,000).
func MaxPoints(n int) Option {
	return option("MaxPoints", func(o *options) error {
		if n < 1 {
			return fmt.Errorf("MaxPoints: expected at least 1, found %d", n)
		}
		o.maxPoints = n
		return nil
	})
}

// Args passes arguments for the $1, $2, ... placeholders of the query of a
// SQL chart (HistogramSQL, BarSQL, BoxSQL, ScatterSQL, LineSQL, ...).
func Args(args ...any) Option {
	return option("Args", func(o *options) error {
		o.args = args
		return nil
	})
}

// PNG makes Show display (and HTML embed) a PNG, drawn at twice the screen
// density, instead of an SVG.
func PNG() Option {
	return option("PNG", func(o *options) error { o.format = "png"; return nil })
}

// SVG makes Show display an SVG even when it is large.
func SVG() Option {
	return option("SVG", func(o *options) error { o.format = "svg"; return nil })
}

// Size sets the drawing size for Show, HTML, Save and Render, e.g.
// chart.Size(8*vg.Inch, 4*vg.Inch). Without it each chart has a size that
// fits its content (7.5 × 4.5 inches for most).
func Size(w, h vg.Length) Option {
	return option("Size", func(o *options) error {
		if w < vg.Inch || h < vg.Inch || w > 100*vg.Inch || h > 100*vg.Inch {
			return fmt.Errorf("Size: expected 1 to 100 inches each way, found %.2f × %.2f in", w/vg.Inch, h/vg.Inch)
		}
		o.width, o.height = w, h
		return nil
	})
}

// DPI sets the pixel density of PNG output (default 192, twice a standard
// screen).
func DPI(n int) Option {
	return option("DPI", func(o *options) error {
		if n < 36 || n > 600 {
			return fmt.Errorf("DPI: expected 36 to 600, found %d", n)
		}
		o.dpi = n
		return nil
	})
}

// Title sets the chart's title (by default one made from the column names).
// The title is also the chart's alt text and the start of its String.
func Title(title string) Option {
	return option("Title", func(o *options) error { o.title = title; return nil })
}
