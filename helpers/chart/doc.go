// Package chart draws the usual charts of an analysis in one call, straight
// from the columns of a gota DataFrame (or plain slices), shows them inline
// in a GoNB notebook and saves them for the report.
//
// In a notebook cell, a chart from a query, with a title, saved for the
// report and shown:
//
//	%%
//	totals := frame.SQL(`SELECT total FROM orders WHERE currency = 'EUR'`)
//	chart.Histogram(totals.DataFrame, "total", chart.Title("Order totals, EUR")).Save("order-totals").Show()
//
// Every chart function returns a [*Chart]: a gonum/plot Plot (adjust it with
// gonum/plot, e.g. c.Y.Min = 0) that keeps the error, if any, that kept it
// from being drawn, the way a gota DataFrame keeps its Err. So a cell needs
// no error plumbing: Show shows the chart, or the error and stops the cell.
// In a program, check Err:
//
//	c := chart.Histogram(df, "total", chart.Bins(30))
//	if c.Err != nil {
//		return c.Err
//	}
//	png, err := c.Render("png")
//
// # Charts
//
//   - [Histogram] (and [HistogramOf] for a []float64): the distribution of a
//     numeric column, in round bins.
//   - [Bar] ([BarOf]): rows per value of a column, most common first, the rest
//     gathered into "other" beyond [Top] values.
//   - [Line], [TimeSeries] ([TimeSeriesOf]): columns against a numeric or a
//     time column; one line per column, or per group with [By]; with
//     [MaxPoints], longer lines are averaged over that many slices of x,
//     with a band from each slice's lowest to its highest value.
//   - [TimeCounts] ([TimeCountsOf]): rows per hour, day, week, month... of a
//     time column.
//   - [Scatter] ([ScatterOf]): two numeric columns, coloured by a category with
//     [By]; beyond [MaxPoints] (10,000) a reproducible random sample is drawn.
//   - [Box]: quartiles, whiskers and outliers, one box per group with [By].
//   - [Heatmap]: two numeric columns counted in a grid of cells, for more
//     points than a scatter can show.
//   - [GroupedBar]: bars side by side, from value columns (wide data) or counts
//     per group (long data, with [By]).
//
// Titles and axis labels come from the column names; a legend appears when
// there is more than one series, in a column of its own to the right of the
// data. One theme throughout: Liberation Sans, a light grid, and a palette
// that colour-blind readers can tell apart.
//
// # What was left out is said
//
// gonum/plot refuses NaN, so every chart drops NULL, NaN and ±Inf, counts them
// and says so in a note under the title, e.g. "n = 9,812; 188 NULL dropped",
// along with anything sampled, gathered into "other" or outside a [Range].
// [Chart.Stats] returns the same numbers. In a DataFrame, gota stores a NULL and a
// float NaN as the same missing value: both count as NULL there.
//
// A chart with nothing to draw (no rows, or only NULLs) comes back with an
// Err wrapping [ErrNoData] and a chart that says why: Show displays it and
// the cell goes on. A missing column or one of the wrong type wraps
// [ErrColumn]; an [Option] given to a chart that does not use it is an error
// too.
//
// # Time
//
// A time column holds unix seconds (float or int) or RFC 3339 text (also
// PostgreSQL's text form); slices are []time.Time. [In] sets the zone the axis
// and the buckets are read in (default UTC). (helpers/frame keeps a date as
// the unix seconds of its midnight in UTC: chart date columns in UTC.) [DateTicks] places ticks on that
// zone's midnights, Mondays, month starts or whole hours, across daylight-saving
// changes and half-hour offsets, labelled "06:00", "Mar 5", "Jun" with the
// date or year on a second line where it changes. Day and longer buckets run
// from local midnight to local midnight (23 or 25 hours on clock changes);
// hour and minute buckets are spans of absolute time aligned to the local
// clock, so the hour repeated when clocks go back is two buckets.
//
// # On the server
//
// For a table too large to load, each chart has a twin that aggregates on
// the replica and fetches only the aggregate — at most a few thousand rows,
// under 100 kB whatever the table's size — and draws what the DataFrame
// chart draws from the same rows:
//
//   - [HistogramSQL] (width_bucket; one read of the data when pg_stats knows
//     the column's range), twin of [Histogram] with the same bins;
//
//   - [BarSQL] (GROUP BY ... LIMIT Top), twin of [Bar];
//
//   - [BoxSQL] (percentile_cont, whiskers and at most 200 outliers per box,
//     one read), twin of [Box];
//
//   - [ScatterSQL], a 2-D grid counted on the server drawn as a heat map,
//     twin of [Heatmap];
//
//   - [LineSQL] and [TimeSeriesSQL], downsampled to MaxPoints slice means and
//     extremes, twins of [Line] and [TimeSeries] with the same MaxPoints;
//
//   - [TimeCountsSQL] (date_trunc), twin of [TimeCounts].
//
// Each comes in two forms, the way helpers/frame loads (frame.SQL in a
// cell, frame.Load in a program). In a notebook cell, XxxSQL(query,
// opts...): no context, no connection, the notebook's connection
// (replica.Default, opened on first use); an error shows its message and
// stops the cell (nothing to draw, [ErrNoData], is shown as a chart and the
// cell goes on):
//
//	%%
//	chart.HistogramSQL("SELECT total FROM orders WHERE currency = $1", chart.Args("EUR"), chart.Bins(40)).Save("totals").Show()
//	chart.BarSQL("SELECT kind FROM events", chart.Top(8)).Show()
//
// In a program or a test, XxxQuery(ctx, q, query, opts...) ([HistogramQuery],
// [BarQuery], [BoxQuery], [ScatterQuery], [LineQuery], [TimeSeriesQuery],
// [TimeCountsQuery]) takes any [Querier] — *replica.Pool, *pgxpool.Pool,
// *pgx.Conn or pgx.Tx — and keeps the error in the chart's Err:
//
//	c := chart.TimeCountsQuery(ctx, db, "SELECT occurred_at FROM events WHERE kind = $1",
//		chart.Args("login"), chart.In(berlin), chart.Every(chart.Day))
//	if c.Err != nil {
//		return c.Err
//	}
//
// Both use one connection for all the chart's queries, and first ask the
// planner what reading the query costs: above REPLICALAB_MAX_COST the chart
// is not drawn, and its error says so and names [AnyCost]. Counts equal
// their twins' exactly; quartiles and means agree to the last bits of
// floating-point rounding (tested within 1e-12 and 1e-9 relative).
//
// # Show and Save
//
// [Chart.Show] sends an SVG (sharp at any zoom) or, with [PNG], a PNG drawn at
// twice the screen density, and waits until the notebook has it so that the
// output is not lost when the cell ends. An SVG over 1 MiB (a scatter of more
// than about 8,000 points) goes as a PNG. [Chart.Save] writes PNG and SVG into
// reports/figures of the repository ($REPLICALAB_REPO, else the folder above
// holding go.mod), which git ignores; [Chart.Render] returns the bytes and
// [Chart.HTML] an <img>. [Of] gives a plot you drew yourself with gonum/plot
// the same Show, Save and Render.
package chart
