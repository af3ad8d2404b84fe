package chart

import (
	"math"

	"gonum.org/v1/plot"
)

// valueAxis sets a line chart's y axis from the values drawn: from 0 when they are all counts (whole
// numbers, none negative), so that a count is read against zero, and with a little room above the
// highest point — and below the lowest when the axis does not start at 0 — so that no point touches the
// frame.
func valueAxis(p *plot.Plot, ys ...[]float64) {
	counts, any := true, false
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, y := range ys {
		for _, v := range y {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			any = true
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			if v < 0 || v != math.Trunc(v) {
				counts = false
			}
		}
	}
	if !any {
		return
	}
	if counts {
		p.Y.Min = 0
		p.Y.Max = math.Max(hi, 1)
		p.Y.Tick.Marker = NumberTicks{Integer: true}
		headroom(p)
		return
	}
	span := hi - lo
	if span == 0 {
		span = math.Max(math.Abs(hi), 1)
	}
	p.Y.Min, p.Y.Max = lo-span*headroomShare, hi+span*headroomShare
}
