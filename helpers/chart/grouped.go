package chart

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/go-gota/gota/dataframe"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// groupedBarPlot builds the chart of [GroupedBar].
func groupedBarPlot(df dataframe.DataFrame, category string, values []string, opts ...Option) (*plot.Plot, error) {
	o, err := apply("GroupedBar", opts, "By", "Top")
	if err != nil {
		return nil, err
	}
	switch {
	case len(values) == 0 && o.by == "":
		return nil, fmt.Errorf("chart: GroupedBar: expected value columns or By(column), found neither")
	case len(values) > 0 && o.by != "":
		return nil, fmt.Errorf("chart: GroupedBar: expected value columns or By(column), found both (%s and By(%q))", quoteList(values), o.by)
	case len(values) > maxColours:
		return nil, fmt.Errorf("chart: GroupedBar: expected at most %d value columns, found %d", maxColours, len(values))
	}
	cats, err := categorical(df, category)
	if err != nil {
		return nil, fmt.Errorf("chart: GroupedBar: %w", err)
	}
	if o.by != "" {
		return groupedCounts(df, cats, o)
	}
	if !o.set["Top"] {
		o.top = 20
	}
	return groupedSums(df, cats, values, o)
}

// grouped is the table a grouped bar chart draws: sums[group][category].
type grouped struct {
	categories, groups []string
	sums               [][]float64
	otherCategory      bool
	otherGroup         bool
}

func groupedSums(df dataframe.DataFrame, cats column, values []string, o *options) (*plot.Plot, error) {
	title := strings.Join(values, ", ") + " by " + cats.name
	cols := make([]column, len(values))
	for i, v := range values {
		c, err := numeric(df, v)
		if err != nil {
			return nil, fmt.Errorf("chart: GroupedBar: %w", err)
		}
		cols[i] = c
	}
	s := Stats{Rows: cats.len()}
	idx := map[string]int{}
	var order []string
	var sums [][]float64 // [category][value column]
	for r, label := range cats.texts {
		if cats.isNull(r) {
			s.Dropped.NULL++
			continue
		}
		i, ok := idx[label]
		if !ok {
			i = len(order)
			idx[label] = i
			order = append(order, label)
			sums = append(sums, make([]float64, len(values)))
		}
		used := false
		for j, c := range cols {
			if s.Dropped.count(c.nums[r], c.isNull(r)) {
				sums[i][j] += c.nums[r]
				used = true
			}
		}
		if used {
			s.N++
		}
	}
	if len(order) == 0 || s.N == 0 {
		return noData(title, "grouped bar chart of "+quote(cats.name), s)
	}
	g := grouped{groups: values}
	keep := make([]bool, len(order))
	if len(order) > o.top {
		// Keep the categories with the largest totals, in their own order.
		rank := make([]int, len(order))
		for i := range rank {
			rank[i] = i
		}
		total := func(i int) float64 {
			t := 0.0
			for _, v := range sums[i] {
				t += math.Abs(v)
			}
			return t
		}
		slices.SortStableFunc(rank, func(a, b int) int { return cmpFloat(total(b), total(a)) })
		for _, i := range rank[:o.top] {
			keep[i] = true
		}
	} else {
		for i := range keep {
			keep[i] = true
		}
	}
	other := make([]float64, len(values))
	g.sums = make([][]float64, len(values))
	otherCount := 0
	for i, label := range order {
		if !keep[i] {
			otherCount++
			for j := range values {
				other[j] += sums[i][j]
			}
			continue
		}
		g.categories = append(g.categories, label)
		for j := range values {
			g.sums[j] = append(g.sums[j], sums[i][j])
		}
	}
	extra := ""
	if otherCount > 0 {
		g.otherCategory = true
		g.categories = append(g.categories, fmt.Sprintf("other (%d)", otherCount))
		for j := range values {
			g.sums[j] = append(g.sums[j], other[j])
		}
		extra = fmt.Sprintf("top %d of %s %s shown, the rest in other", o.top, numfmt.Int(len(order)), cats.name)
	}
	ylabel := "sum"
	if len(values) == 1 {
		ylabel = values[0]
	}
	return drawGrouped(title, cats.name, ylabel, g, s, extra), nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func groupedCounts(df dataframe.DataFrame, cats column, o *options) (*plot.Plot, error) {
	grp, err := categorical(df, o.by)
	if err != nil {
		return nil, fmt.Errorf("chart: GroupedBar: %w", err)
	}
	title := "Rows by " + cats.name + " and " + grp.name
	s := Stats{Rows: cats.len()}
	catIdx, grpIdx := map[string]int{}, map[string]int{}
	var catT, grpT []tally
	type key struct{ c, g int }
	counts := map[key]float64{}
	for r := range cats.texts {
		if cats.isNull(r) || grp.isNull(r) {
			s.Dropped.NULL++
			continue
		}
		ci, ok := catIdx[cats.texts[r]]
		if !ok {
			ci = len(catT)
			catIdx[cats.texts[r]] = ci
			catT = append(catT, tally{label: cats.texts[r]})
		}
		gi, ok := grpIdx[grp.texts[r]]
		if !ok {
			gi = len(grpT)
			grpIdx[grp.texts[r]] = gi
			grpT = append(grpT, tally{label: grp.texts[r]})
		}
		catT[ci].n++
		grpT[gi].n++
		counts[key{ci, gi}]++
		s.N++
	}
	if s.N == 0 {
		return noData(title, "grouped bar chart of "+quote(cats.name)+" by "+quote(grp.name), s)
	}
	sortTallies(catT)
	sortTallies(grpT)
	keptC, otherC, hasOtherC := topN(catT, o.top)
	keptG, otherG, hasOtherG := topN(grpT, maxColours-1)
	g := grouped{otherCategory: hasOtherC, otherGroup: hasOtherG}
	catPos, grpPos := map[int]int{}, map[int]int{}
	for i, t := range keptC {
		catPos[catIdx[t.label]] = i
		g.categories = append(g.categories, t.label)
	}
	for i, t := range keptG {
		grpPos[grpIdx[t.label]] = i
		g.groups = append(g.groups, t.label)
	}
	if hasOtherC {
		g.categories = append(g.categories, otherC.label)
		s.Other += int(otherC.n)
	}
	if hasOtherG {
		g.groups = append(g.groups, otherG.label)
	}
	g.sums = make([][]float64, len(g.groups))
	for j := range g.sums {
		g.sums[j] = make([]float64, len(g.categories))
	}
	for k, n := range counts {
		ci, ok := catPos[k.c]
		if !ok {
			ci = len(g.categories) - 1
		}
		gi, ok := grpPos[k.g]
		if !ok {
			gi = len(g.groups) - 1
		}
		g.sums[gi][ci] += n
	}
	var extra []string
	if hasOtherC {
		extra = append(extra, fmt.Sprintf("top %d of %s %s shown", len(keptC), numfmt.Int(len(catT)), cats.name))
	}
	if hasOtherG {
		extra = append(extra, fmt.Sprintf("top %d of %s %s coloured", len(keptG), numfmt.Int(len(grpT)), grp.name))
	}
	p := drawGrouped(title, cats.name, "count", g, s, strings.Join(extra, "; "))
	p.Y.Tick.Marker = NumberTicks{Integer: true}
	p.Legend.Top = true
	return p, nil
}

func drawGrouped(title, xlabel, ylabel string, g grouped, s Stats, extra string) *plot.Plot {
	p := newPlot(title, xlabel, ylabel, false, true)
	n := len(g.groups)
	span := 0.8
	for j, name := range g.groups {
		c := colour(j)
		if g.otherGroup && j == n-1 {
			c = otherGrey
		}
		b := &bars{values: g.sums[j], colours: []color.Color{c}, width: span / float64(n), offset: -span/2 + (float64(j)+0.5)*span/float64(n)}
		p.Add(b)
		if n > 1 {
			p.Legend.Add(name, b)
		}
	}
	labels := make([]string, len(g.categories))
	for i, c := range g.categories {
		labels[i] = shorten(c, 24)
	}
	nominal(&p.X, labels)
	rotateIfCrowded(&p.X, labels, defaultWidth-1.2*vg.Inch)
	p.Y.Min = math.Min(0, p.Y.Min)
	p.Y.Max = math.Max(0, p.Y.Max)
	headroom(p)
	if n > 1 {
		p.Add(legendSpace{})
	}
	p = finish(p, s, extra)
	w := vg.Length(math.Max(7.5, math.Min(16, 1.5+0.22*float64(len(g.categories)*n)))) * vg.Inch
	resize(p, w, defaultHeight)
	return p
}

// rotateIfCrowded tilts the tick labels of a nominal x axis when they would
// not fit side by side in width.
func rotateIfCrowded(a *plot.Axis, labels []string, width vg.Length) {
	var total vg.Length
	for _, l := range labels {
		total += a.Tick.Label.Width(l) + vg.Points(8)
	}
	if total <= width {
		return
	}
	a.Tick.Label.Rotation = math.Pi / 6
	a.Tick.Label.XAlign, a.Tick.Label.YAlign = -1, -0.5
}
