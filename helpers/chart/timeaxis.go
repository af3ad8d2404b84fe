package chart

import (
	"time"

	"gonum.org/v1/plot"
)

// Unit is a calendar bucket for TimeCounts and TimeCountsSQL.
type Unit string

// Units, finest first. Weeks start on Monday (ISO 8601). Days, weeks, months
// and longer start at local midnight of the chart's zone, so a day across a
// daylight-saving change lasts 23 or 25 hours; minutes and hours are spans of
// absolute time aligned to the zone's clock, so the hour repeated when
// clocks go back is two buckets, not one.
const (
	Minute  Unit = "minute"
	Hour    Unit = "hour"
	Day     Unit = "day"
	Week    Unit = "week"
	Month   Unit = "month"
	Quarter Unit = "quarter"
	Year    Unit = "year"
)

var units = []Unit{Minute, Hour, Day, Week, Month, Quarter, Year}

func unitNames() []string {
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = string(u)
	}
	return out
}

func (u Unit) valid() bool {
	for _, v := range units {
		if u == v {
			return true
		}
	}
	return false
}

// approx is the typical length of a bucket, for choosing a unit.
func (u Unit) approx() time.Duration {
	switch u {
	case Minute:
		return time.Minute
	case Hour:
		return time.Hour
	case Day:
		return 24 * time.Hour
	case Week:
		return 7 * 24 * time.Hour
	case Month:
		return 30 * 24 * time.Hour
	case Quarter:
		return 91 * 24 * time.Hour
	default:
		return 365 * 24 * time.Hour
	}
}

// maxBuckets bounds the automatic choice of unit.
const maxBuckets = 400

// autoUnit picks the finest unit giving at most maxBuckets over [lo, hi].
func autoUnit(lo, hi time.Time) Unit {
	span := hi.Sub(lo)
	for _, u := range units {
		if span/u.approx() < maxBuckets {
			return u
		}
	}
	return Year
}

// truncate returns the start of the bucket holding t, in loc.
func (u Unit) truncate(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	switch u {
	case Minute:
		return t.Add(-time.Duration(l.Second())*time.Second - time.Duration(l.Nanosecond())).In(loc)
	case Hour:
		return t.Add(-time.Duration(l.Minute())*time.Minute - time.Duration(l.Second())*time.Second - time.Duration(l.Nanosecond())).In(loc)
	}
	y, m, d := l.Date()
	switch u {
	case Day:
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	case Week:
		back := (int(l.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	case Quarter:
		return time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, loc)
	default:
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	}
}

// next returns the start of the bucket after the one starting at start.
func (u Unit) next(start time.Time, loc *time.Location) time.Time {
	switch u {
	case Minute:
		return start.Add(time.Minute)
	case Hour:
		return start.Add(time.Hour)
	}
	y, m, d := start.In(loc).Date()
	switch u {
	case Day:
		return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case Week:
		return time.Date(y, m, d+7, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	case Quarter:
		return time.Date(y, m+3, 1, 0, 0, 0, 0, loc)
	default:
		return time.Date(y+1, 1, 1, 0, 0, 0, 0, loc)
	}
}

// DateTicks marks a time axis whose values are unix seconds. Ticks fall on
// round local times of Location — whole minutes and hours, midnights, Mondays,
// month and year starts — at 3 to 7 per axis, whatever the daylight-saving
// changes in between. Labels are short ("06:00", "Mar 5", "Jun") and carry
// the date or year on a second line where it changes, so every tick can be
// read without the others.
type DateTicks struct {
	Location *time.Location // nil means UTC
	// Max is the most ticks to place; 0 means 7.
	Max int
}

// step is one candidate tick spacing.
type step struct {
	unit   Unit // the calendar field it steps on
	n      int  // every n units (seconds, minutes, hours, days, months, years)
	secs   float64
	fine   string // layout of the label's first line
	coarse func(prev, t time.Time) string
}

const (
	sec   = 1.0
	mins  = 60 * sec
	hour  = 60 * mins
	day   = 24 * hour
	month = 30.44 * day
	year  = 365.25 * day
)

// second, minute and hour spacings; unit "" = seconds.
var steps = []step{
	{"", 1, sec, "15:04:05", dateContext}, {"", 5, 5 * sec, "15:04:05", dateContext},
	{"", 15, 15 * sec, "15:04:05", dateContext}, {"", 30, 30 * sec, "15:04:05", dateContext},
	{Minute, 1, mins, "15:04", dateContext}, {Minute, 5, 5 * mins, "15:04", dateContext},
	{Minute, 15, 15 * mins, "15:04", dateContext}, {Minute, 30, 30 * mins, "15:04", dateContext},
	{Hour, 1, hour, "15:04", dateContext}, {Hour, 2, 2 * hour, "15:04", dateContext},
	{Hour, 3, 3 * hour, "15:04", dateContext}, {Hour, 6, 6 * hour, "15:04", dateContext},
	{Hour, 12, 12 * hour, "15:04", dateContext},
	{Day, 1, day, "Jan 2", yearContext}, {Day, 2, 2 * day, "Jan 2", yearContext}, {Day, 3, 3 * day, "Jan 2", yearContext},
	{Week, 1, 7 * day, "Jan 2", yearContext}, {Week, 2, 14 * day, "Jan 2", yearContext},
	{Month, 1, month, "Jan", yearContext}, {Month, 2, 2 * month, "Jan", yearContext},
	{Month, 3, 3 * month, "Jan", yearContext}, {Month, 6, 6 * month, "Jan", yearContext},
	{Year, 1, year, "2006", nil}, {Year, 2, 2 * year, "2006", nil}, {Year, 5, 5 * year, "2006", nil},
	{Year, 10, 10 * year, "2006", nil}, {Year, 20, 20 * year, "2006", nil}, {Year, 50, 50 * year, "2006", nil},
	{Year, 100, 100 * year, "2006", nil},
}

// dateContext adds the date under a time of day where the date changes.
func dateContext(prev, t time.Time) string {
	if prev.IsZero() {
		return t.Format("Jan 2, 2006")
	}
	py, pm, pd := prev.Date()
	y, m, d := t.Date()
	if py != y {
		return t.Format("Jan 2, 2006")
	}
	if pm != m || pd != d {
		return t.Format("Jan 2")
	}
	return ""
}

// yearContext adds the year under a day or month where the year changes.
func yearContext(prev, t time.Time) string {
	if prev.IsZero() || prev.Year() != t.Year() {
		return t.Format("2006")
	}
	return ""
}

// Ticks implements plot.Ticker.
func (d DateTicks) Ticks(lo, hi float64) []plot.Tick {
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	most := d.Max
	if most <= 0 {
		most = 7
	}
	if isBad(lo) || isBad(hi) || hi < lo {
		return nil
	}
	if hi == lo {
		t := fromUnix(lo, loc)
		return []plot.Tick{{Value: lo, Label: t.Format("Jan 2, 2006\n15:04:05")}}
	}
	var times []time.Time
	var chosen step
	for _, s := range steps {
		if (hi-lo)/s.secs > float64(most)+1 {
			continue
		}
		times = s.generate(lo, hi, loc)
		chosen = s
		if len(times) <= most {
			break
		}
	}
	if len(times) < 2 {
		// Under about a second: label both ends in full.
		times, chosen = []time.Time{fromUnix(lo, loc), fromUnix(hi, loc)}, step{fine: "15:04:05.000", coarse: dateContext}
	}
	ticks := make([]plot.Tick, 0, len(times))
	var prev time.Time
	for _, t := range times {
		label := t.Format(chosen.fine)
		if chosen.coarse != nil {
			if c := chosen.coarse(prev, t); c != "" {
				label += "\n" + c
			}
		}
		ticks = append(ticks, plot.Tick{Value: unixSeconds(t), Label: label})
		prev = t
	}
	return ticks
}

// generate lists the tick times of s in [lo, hi].
func (s step) generate(lo, hi float64, loc *time.Location) []time.Time {
	from, to := fromUnix(lo, loc), fromUnix(hi, loc)
	var out []time.Time
	add := func(t time.Time) bool {
		if t.After(to) {
			return false
		}
		if !t.Before(from) && (len(out) == 0 || t.After(out[len(out)-1])) {
			out = append(out, t)
		}
		return len(out) < 1000
	}
	switch s.unit {
	case "", Minute:
		// Seconds and minutes: absolute steps aligned to the zone's clock.
		width := time.Duration(s.secs) * time.Second
		l := from
		var t time.Time
		if s.unit == "" {
			t = from.Truncate(time.Second).Add(-time.Duration(l.Second()%s.n) * time.Second)
		} else {
			t = Minute.truncate(from, loc).Add(-time.Duration(l.Minute()%s.n) * time.Minute)
		}
		for ; add(t); t = t.Add(width) {
		}
	case Hour:
		// Whole hours of the local clock that are multiples of n; an hour
		// skipped by a daylight-saving change has no tick.
		y, m, d := from.Date()
		for day := 0; ; day++ {
			base := time.Date(y, m, d+day, 0, 0, 0, 0, loc)
			if base.After(to) {
				break
			}
			for h := 0; h < 24; h += s.n {
				t := time.Date(base.Year(), base.Month(), base.Day(), h, 0, 0, 0, loc)
				if t.Hour() != h {
					continue
				}
				if !add(t) {
					return out
				}
			}
		}
	case Day:
		y, m, d := from.Date()
		for i := 0; ; i++ {
			t := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
			if s.n > 1 && ((t.Day()-1)%s.n != 0 || t.Day() > 28) {
				if t.After(to) {
					break
				}
				continue
			}
			if !add(t) {
				break
			}
		}
	case Week:
		t := Week.truncate(from, loc)
		for i := 0; add(time.Date(t.Year(), t.Month(), t.Day()+7*s.n*i, 0, 0, 0, 0, loc)); i++ {
		}
	case Month:
		y, m, _ := from.Date()
		m -= (m - 1) % time.Month(s.n)
		for i := 0; add(time.Date(y, m+time.Month(s.n*i), 1, 0, 0, 0, 0, loc)); i++ {
		}
	default:
		y := from.Year()
		y -= ((y % s.n) + s.n) % s.n
		for i := 0; add(time.Date(y+s.n*i, 1, 1, 0, 0, 0, 0, loc)); i++ {
		}
	}
	return out
}

// zoneName is how an axis label names loc: its IANA name, or for the
// process's local zone the abbreviation in force at t.
func zoneName(loc *time.Location, t time.Time) string {
	if loc == time.Local || loc.String() == "Local" {
		name, _ := t.In(loc).Zone()
		return name
	}
	return loc.String()
}
