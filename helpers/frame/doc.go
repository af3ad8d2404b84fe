// Package frame loads query results from the read replica into gota
// DataFrames: every PostgreSQL type mapped without losing a value, fast,
// bounded in memory, cached on disk so that re-running a notebook cell does
// not touch the replica again, and shown as tables.
//
// Two ways to use it, side by side. In a notebook cell, no context, no
// connection, no error plumbing:
//
//	%%
//	orders := frame.SQL(`SELECT id, status, total, placed_at FROM orders WHERE placed_at >= $1`, frame.Args(since))
//	orders.Show()           // head and tail as an HTML table
//	orders.Summary().Show() // count, nulls, mean, std, quartiles; distinct and top values
//
// [SQL] runs on the notebook's connection (replica.Default), which opens
// only when the cache cannot answer; on error it shows the message and stops
// the cell. In a program or a test, the explicit form returns errors:
//
//	res, err := frame.Load(ctx, db, "SELECT id, status, total, placed_at FROM orders WHERE placed_at >= $1", frame.Args(since))
//	if err != nil {
//		return err
//	}
//	df := res.DataFrame // a gota dataframe.DataFrame
//	placed := frame.Times(df.Col("placed_at"))
//
// Both first display where the rows came from:
//
//	41,233 rows × 4 columns from analyst@db-replica:5432/shop in 0.31 s (133,009 rows/s) at replica lag 0.2 s; planner estimate ~41k rows at cost 1,234; cached for 1h
//
// and, when the cell runs again:
//
//	41,233 rows × 4 columns from cache, fetched 3 min ago (2026-11-25 10:03 UTC) from analyst@db-replica:5432/shop at replica lag 0.2 s; read in 0.01 s; ...
//
// [Load] and [Sample] (a repeatable random sample of a table, TABLESAMPLE)
// accept any [Querier]: *replica.Pool, *pgxpool.Pool, *pgx.Conn, pgx.Tx.
// [LoadComputed] gives a result that another engine computed from the
// database's data (helpers/spark: Spark SQL over the replicas) the same cache,
// provenance line and types.
// Query parameters go in [Args]; every other [Option] (Limit, Refresh,
// TTL, ...) adjusts the call.
//
// # Named results
//
// A result can be kept under a name for later cells of the same notebook,
// on disk: the kernel's `%%sql orders` cell stores its result as "orders",
// a Go cell with [Result.Store]; [Named] reads it back without touching the
// replica ([LoadNamed] in programs).
//
//	%%
//	orders := frame.Named("orders")
//
// # Types
//
// Each result column becomes one gota column; its [Kind] says how:
//
//	int2, int4, int8, oid                 Int     exact (Go int, 64 bits)
//	float4, float8                        Float
//	numeric                               Float   float64: more than 15 significant digits may round; said (Column.Inexact, a warning)
//	bool                                  Bool
//	text, varchar, char(n), name, uuid,   String  as PostgreSQL prints them (uuid 8-4-4-4-12, inet 10.0.0.1 or 10.0.0.0/8,
//	  enums, inet, cidr, bytea, ...                 bytea as \x hex); any type not listed here too
//	json, jsonb                           String  the JSON text
//	arrays                                String  PostgreSQL's text form: {a,"b c",NULL}
//	timestamptz, timestamp                Float   seconds since 1970-01-01 UTC, microseconds exact in the fraction;
//	                                              a timestamp without time zone is read as UTC
//	date                                  Float   the same seconds, at 00:00 UTC of the day
//	time                                  Float   seconds since midnight
//	interval                              Float   seconds, as EXTRACT(epoch FROM ...): day 86,400 s, month 30 days, year 365.25 days
//
// gota has no time type. Seconds in a Float column sort, filter, chart and
// average correctly; [Times] turns a column back into []time.Time (UTC),
// [Durations] an interval column into []time.Duration, and [Unix] a
// time.Time into the number to compare with:
//
//	df.Filter(dataframe.F{Colname: "placed_at", Comparator: series.GreaterEq, Comparando: frame.Unix(cutoff)})
//
// 'infinity' and '-infinity' dates and timestamps are +Inf and -Inf.
//
// # Missing values
//
// NULL is gota's missing value (IsNA) in every column type. A real string
// "NA", "NaN" or "" stays a string: this package writes values into gota
// directly, so gota's habit of turning the string "NaN" into a missing value
// does not apply. A float or numeric 'NaN' is also missing to gota (its
// Float type treats NaN as missing): [Result.IsNull] tells NULL from NaN,
// [Column.NaNs] counts them, and tables shown here print NULL and NaN
// differently.
//
// # Speed and memory
//
// Rows are decoded from pgx's raw values straight into typed columns: binary
// format for numbers, booleans, dates and times, text for the rest; no
// [][]string round trip, no boxing of values in interfaces, strings carved
// from shared buffers. The columns are then written into gota's own element
// arrays in one pass (gota v0.12.0's internal layout is verified when the
// program starts; if it ever differs, a slower path through gota's public
// API is used). At most REPLICALAB_ROW_LIMIT rows (default 1,000,000) are
// kept (see "Results larger than the row limit"); [Limit] changes it per
// query. In a
// notebook, loads slower than a second show a progress bar (rows so far,
// rows/s, elapsed) that turns into the provenance line when done. The
// package needs 64-bit ints (int8 values are Go ints); it does not build on
// 32-bit platforms.
//
// # Results larger than the row limit
//
// A query returning more rows than the limit keeps part of them, and says
// which wherever they go: the load line, the warning, the cache, the table's
// and every chart's lineage ("n = 1,000,000 of ≈5,000,000 rows, cut by the
// row limit"), and exported reports.
//
//   - By default, the first Limit rows the server sends, the query then
//     cancelled: "the first 1,000,000 rows of ≈5,000,000, in no particular
//     order: not a sample" (≈ is the planner's estimate), or in the query's
//     order when it has an ORDER BY. They are the same rows each time while
//     the table and the plan stay the same: replica sessions start every scan
//     at the table's first page (synchronize_seqscans off), and a load the
//     planner expects to exceed the limit runs without parallel workers. A
//     VACUUM or a new plan may change them.
//   - With [Sampled], a random sample of the whole result: its rows are
//     counted on the server (one aggregate pass, one row back), then each is
//     kept with probability (Limit − 3√Limit) / count, by a hash of the row's
//     text and [Seed] — the same rows on every run whatever the plan or scan
//     order, while the data is unchanged: "a random sample of 997,012 of
//     5,000,000 rows". A result that fits is loaded whole.
//
// # Cost preview
//
// Before a query the cache cannot answer runs, the planner is asked what it
// would cost: EXPLAIN (FORMAT JSON), never ANALYZE, with the query's
// arguments, on the connection that then runs it, in one round trip. The
// estimate (rows and cost) shows in the progress bar and the provenance
// line. A query estimated above REPLICALAB_MAX_COST (default 10,000,000
// planner cost units: minutes of the replica's time) or REPLICALAB_MAX_ROWS
// (default 10,000,000 rows returned) is not run; the error gives the
// estimate, the plan's most expensive step in plain words and the way to run
// it anyway, for that query only: [AnyCost] (a SQL cell of the kernel:
// %%sql --any-cost).
//
//	frame: query not run on the replica: the planner estimates ~5.3 trillion rows at cost 150 billion
//	(cost 150 billion is above REPLICALAB_MAX_COST=10M; ...). Most of the work: nested loop over 5M × 1.1M rows
//	(every pair: no join condition). Narrow it (...), or run it anyway, for this query only, with frame.AnyCost() ...
//
// Either setting may be off. Results read from the cache are not previewed;
// statements EXPLAIN does not take (SHOW, ...) run without a preview.
//
// # Cache
//
// GoNB re-runs every global at every cell execution, so without a cache a
// notebook would query the replica again and again. Results are cached on
// disk, keyed by the database (user@host:port/database), the SQL, the
// arguments and the row limit. A cached result is used for
// REPLICALAB_CACHE_TTL (default 1h; "0" turns caching off): using it sends
// nothing to the database (identifying the database takes no round trip for
// the Queriers listed above). [Refresh] fetches again, [TTL] and [NoCache]
// change the rule per query.
//
// The cache lives in REPLICALAB_CACHE_DIR if set, else <repo>/data/cache
// (git-ignored), where repo is REPLICALAB_REPO (set by the project's kernel)
// or the nearest folder above the working folder with a go.mod, else the
// user's cache folder; files are 0600 in a 0700 folder. Each file holds the
// columns in a checksummed binary format (gob cannot store a gota
// DataFrame: it comes back empty without an error), written to a temporary
// name and renamed, so readers see a whole file or none. A damaged or
// truncated file is never used: the result is fetched again, with a
// warning. Where the system allows, a cache file is memory-mapped and the
// DataFrame's strings point into the mapping, which then stays mapped (read
// only, backed by the page cache) for the life of the process; do not edit
// or truncate cache files in place while a notebook uses them (deleting
// them is fine).
//
// The cache key does not see the data: after the database changed, a cached
// result stays what it was until its TTL ends or [Refresh] is used. Each
// result says when it was fetched and at what replica lag.
//
// # Display
//
// [Result.Show] displays a table (HTML in a notebook, text elsewhere; [Result.HTML]
// and [Result.Text] return them): the first and last rows of long frames
// ([MaxRows] for more), column names with their database or gota types, NULL
// and NaN in grey italics, numbers right-aligned, long strings cut with "…",
// times as times. Every name and value is HTML-escaped, so a value "<script>"
// shows as text. [Result.Summary] summarizes each column. A DataFrame made in
// Go is shown with [Of], or [Result.With] when it derives from a loaded
// result (its times stay times).
package frame
