package chart

import (
	"context"
	"time"

	"github.com/go-gota/gota/dataframe"
	"gonum.org/v1/plot"
)

// Bar draws how many rows hold each value of column col of df, most common
// first, as horizontal bars labelled with their counts. Beyond the Top 10
// values the rest are gathered into one grey "other" bar. NULLs are dropped
// and counted in the note. Options: Top.
func Bar(df dataframe.DataFrame, col string, opts ...Option) *Chart {
	p, err := barPlot(df, col, opts...)
	return newChart(p, err, opts).from(df)
}

// BarOf is Bar for a plain slice of categories; name labels the chart.
func BarOf(name string, values []string, opts ...Option) *Chart {
	p, err := barOfPlot(name, values, opts...)
	return newChart(p, err, opts)
}

// Box draws a box plot of the numeric column value of df: the box spans the
// quartiles, the line is the median, the whiskers reach the furthest values
// within 1.5 × the interquartile range, and dots beyond are outliers (at
// most 200 drawn per box, the extremes always among them). With
// By(column), one box per value of that column, the Top 10 by row count,
// the rest pooled into "other". NULL, NaN and Inf are dropped and counted.
// Options: By, Top.
func Box(df dataframe.DataFrame, value string, opts ...Option) *Chart {
	p, err := boxPlot(df, value, opts...)
	return newChart(p, err, opts).from(df)
}

// GroupedBar draws groups of vertical bars side by side, one group per value
// of the category column.
//
// With value columns (wide data, e.g. one row per month with columns eur and
// usd) each value column is one bar of the group, summed over the rows of
// its category; categories keep the order of their first row. With
// By(column) instead (long data) the bars count rows per category and per
// value of that column. NULL categories and NULL, NaN or Inf values are
// dropped and counted. Beyond Top categories (20 for wide data, 10 for long)
// and 7 groups the rest are gathered into "other". Options: By, Top.
func GroupedBar(df dataframe.DataFrame, category string, values []string, opts ...Option) *Chart {
	p, err := groupedBarPlot(df, category, values, opts...)
	return newChart(p, err, opts).from(df)
}

// Histogram draws the distribution of the numeric column col of df. NULL,
// NaN and Inf are dropped and counted in the note under the title; options:
// Bins, Range.
func Histogram(df dataframe.DataFrame, col string, opts ...Option) *Chart {
	p, err := histogramPlot(df, col, opts...)
	return newChart(p, err, opts).from(df)
}

// HistogramOf is Histogram for a plain slice; name labels the x axis.
func HistogramOf(name string, values []float64, opts ...Option) *Chart {
	p, err := histogramOfPlot(name, values, opts...)
	return newChart(p, err, opts)
}

// Line draws the numeric columns ys of df against the numeric column x, one
// line per column, sorted by x; with By(column) (and one y column), one line
// per value of that column (the 7 with the most rows). Rows where x or y is
// NULL, NaN or Inf are dropped and counted. Options: By.
func Line(df dataframe.DataFrame, x string, ys []string, opts ...Option) *Chart {
	p, err := linePlot(df, x, ys, opts...)
	return newChart(p, err, opts).from(df)
}

// TimeSeries draws the numeric columns ys of df over the time column t, which
// holds unix seconds (float or int) or RFC 3339 text. The time axis is read in
// the zone given by In (default UTC) with ticks on its midnights, month
// starts or whole hours. Options: By, In.
func TimeSeries(df dataframe.DataFrame, t string, ys []string, opts ...Option) *Chart {
	p, err := timeSeriesPlot(df, t, ys, opts...)
	return newChart(p, err, opts).from(df)
}

// TimeSeriesOf is TimeSeries for plain slices: values[i] at times[i]; the
// zero time.Time counts as NULL. Options: In.
func TimeSeriesOf(name string, times []time.Time, values []float64, opts ...Option) *Chart {
	p, err := timeSeriesOfPlot(name, times, values, opts...)
	return newChart(p, err, opts)
}

// Scatter draws the numeric column y of df against the numeric column x, one
// dot per row; with By(column), coloured by that column's values (the 7 most
// common, the rest grey as "other"). Rows where x or y is NULL, NaN or Inf are
// dropped and counted. Beyond MaxPoints (default 10,000) rows, a
// reproducible random sample is drawn and the note says so. Options: By,
// MaxPoints.
func Scatter(df dataframe.DataFrame, x, y string, opts ...Option) *Chart {
	p, err := scatterPlot(df, x, y, opts...)
	return newChart(p, err, opts).from(df)
}

// ScatterOf is Scatter for plain slices: the points (xs[i], ys[i]). Options:
// MaxPoints.
func ScatterOf(xName string, xs []float64, yName string, ys []float64, opts ...Option) *Chart {
	p, err := scatterOfPlot(xName, xs, yName, ys, opts...)
	return newChart(p, err, opts)
}

// HistogramQuery draws the distribution of the one numeric column query
// returns, binned on the server with width_bucket, so that only the bin
// counts cross the network: a table of 50 million rows charts without being
// loaded. It reads the data once: with Range; or, for a column of a table
// that pg_stats describes (ANALYZE ran), on a grid of round bins around the
// range pg_stats gives, cut to the bins the data fills. Otherwise (an
// expression, a table never analyzed, Bins without Range, a filter that
// keeps far fewer values than the table holds, values far beyond pg_stats'
// range) a first pass finds the minimum and maximum. NULL, NaN and Infinity
// are counted on the server and noted. Give the query's $1, $2, ... with
// Args. Like every SQL chart it asks the planner first, and is not run when
// reading the data costs more than REPLICALAB_MAX_COST (AnyCost runs it
// anyway). Options: Args, Bins (default: a round width giving about 30
// bins), Range, AnyCost.
func HistogramQuery(ctx context.Context, q Querier, query string, opts ...Option) *Chart {
	return sqlChart(ctx, q, "HistogramSQL", query, opts, func(s *session) (*plot.Plot, error) {
		return histogramSQLPlot(ctx, s, query, opts...)
	})
}

// TimeCountsQuery draws how many rows fall in each calendar bucket of the one
// time column query returns (timestamptz; timestamp and date are read as
// wall-clock times of the In zone), counted on the server with date_trunc so
// that only the buckets cross the network. Buckets follow the calendar of
// the In zone (default UTC) across daylight-saving changes, as in
// TimeCounts. Without Between it reads the data twice (first and last time
// first). NULL and ±infinity are counted and noted. Options: Args, In, Every,
// Between, AnyCost.
func TimeCountsQuery(ctx context.Context, q Querier, query string, opts ...Option) *Chart {
	return sqlChart(ctx, q, "TimeCountsSQL", query, opts, func(s *session) (*plot.Plot, error) {
		return timeCountsSQLPlot(ctx, s, query, opts...)
	})
}

// TimeCounts draws how many rows fall in each calendar bucket (Every: hour,
// day, week, ...; by default the finest unit giving at most 400 buckets) of
// the time column col of df, which holds unix seconds or RFC 3339 text.
// Buckets follow the calendar of the zone given by In (default UTC), so a
// day is midnight to midnight there even across a daylight-saving change;
// empty buckets show as gaps at zero. NULLs are dropped and counted.
// Options: In, Every, Between.
func TimeCounts(df dataframe.DataFrame, col string, opts ...Option) *Chart {
	p, err := timeCountsPlot(df, col, opts...)
	return newChart(p, err, opts).from(df)
}

// TimeCountsOf is TimeCounts for a plain slice; the zero time.Time counts as
// NULL. Options: In, Every, Between.
func TimeCountsOf(name string, times []time.Time, opts ...Option) *Chart {
	p, err := timeCountsOfPlot(name, times, opts...)
	return newChart(p, err, opts)
}
