// Package spark runs a notebook's heavy aggregations on Apache Spark, reading the read replicas in
// parallel, and brings the small result back as a helpers/frame Result: the same gota types,
// provenance line and cache as frame.Load, ready for helpers/chart.
//
// Use it when one machine is not enough: a table of hundreds of millions of rows, a join too heavy for
// the replica, or several analysts at once. For anything a single SQL query on the replica answers in
// seconds, frame.Load is simpler and faster (see the README's "When one machine is not enough").
//
//	%%
//	spark.Table("events")                                  // a Spark view of the replica table; nothing read yet
//	spark.Table("orders", spark.Key("placed_at"), spark.Snapshot())
//	daily := spark.SQL(`SELECT date_trunc('DAY', occurred_at) AS day, kind, count(*) AS n,
//	        percentile(length(user_agent), 0.5) AS median_ua
//	    FROM events GROUP BY 1, 2 ORDER BY 1, 2`)
//	daily.Show()                                           // a *frame.Result
//
// which displays where the rows came from:
//
//	5,842 rows × 4 columns from analyst@db-replica-1:5432,db-replica-2:5432/shop via Spark in 41.3 s at replica lag 0.0 s; cached for 1h
//
// In a cell, Table, QueryView, SQL, View, Query, Collect and ShowPlan use the notebook's session (Default)
// and stop the cell on error, like frame.SQL. Every cell is a new program: a cell registers the views it
// uses; SQL then answers from the cache when it can. The DataFrame API works too: View and Query return
// spark-connect-go DataFrames, Collect brings one back like SQL. Programs and tests use a Session, with
// a context and errors returned:
//
//	s, err := spark.Open(ctx)                  // no I/O yet
//	err = s.Table("events", spark.Key("id"))
//	res, err := s.Load(ctx, query)             // also s.Collect(ctx, df), s.View(ctx, name), s.Plan(ctx, name)
//
// # The Spark server
//
// SPARK_REMOTE (environment, then .env) names a Spark Connect server, e.g. sc://spark-host:15002 or
// sc://spark-host:443/;use_ssl=true;token=... (a token travels only over TLS, except to this machine).
// Without it the session uses the project's local server (internal/sparkserver: `make spark`), and
// starts it when it does not run (about 30 s). That server listens on 127.0.0.1 only and accepts only
// clients holding its token, kept in data/spark/token.
//
// # Reading the replicas
//
// A view is read by one JDBC query per partition: its key range as a WHERE on the replica, so
// PostgreSQL reads only that range. The key is the table's primary key unless Key names another
// integer, date or timestamp column; its bounds come from an index (min and max: two index lookups,
// which EXPLAIN must confirm) or from pg_stats, never from a scan (a table with neither is refused, with
// what to do). The partitions (Partitions, default REPLICALAB_SPARK_MAX_CONNS per replica) are spread
// over every replica host the settings list (DATABASE_URL may list several) in contiguous blocks, so
// each replica reads its own share. At most REPLICALAB_SPARK_MAX_CONNS (default 2) of a replica's
// partitions are read at once: the cluster cannot become the load the recipe warns about.
//
// Every host is checked before anything is read: a server that is not in recovery is refused
// (ErrPrimary), whatever ALLOW_PRIMARY says. Every JDBC connection is read-only twice over (pgjdbc's
// readOnly=true with readOnlyMode=always, and default_transaction_read_only=on in its startup options),
// checks again that its server is a standby before it reads (a statement Spark runs first on each
// connection; targetServerType=secondary is set too, but pgjdbc takes a read-only primary for a
// standby), and gets the notebook's statement_timeout, lock_timeout, idle_in_transaction_session_timeout,
// connect timeout and application_name. Rows stream through a cursor (fetchsize), they are not loaded
// into memory a partition at a time.
//
// # Secrets
//
// The password reaches Spark as a JDBC option of each read. Spark's redaction settings, set on the local
// server and on every session (so on a remote cluster too), mask it in plans, in the Spark UI (the SQL
// and Connect tabs, the environment page) and in the server's log; errors coming back are masked again
// here. Printing a Session, a Replica or an error never shows it, nor SPARK_REMOTE's token. Do not write
// a password into Spark SQL text yourself: register replica tables with Table or QueryView.
//
// # Results and cache
//
// Load and Collect return a *frame.Result whose columns follow frame's mapping (bigint → Int; double,
// decimal → Float; timestamp and date → Float seconds since 1970 UTC; string, binary → String; arrays →
// PostgreSQL's text form), NULL as gota's missing value, capped at REPLICALAB_ROW_LIMIT rows. Results
// are cached like frame's (REPLICALAB_CACHE_TTL, data/cache), keyed by the replicas, the views'
// definitions and the query (or the DataFrame's plan): a cached load talks to neither Spark nor the
// replicas. Refresh, NoCache, TTL and Limit change that per call.
//
// # Snapshots
//
// Snapshot on a view writes its rows to Parquet under data/spark/snapshots (REPLICALAB_SPARK_SNAPSHOT_DIR;
// with a remote cluster, a folder it can write, e.g. s3a://...) the first time the view is needed;
// later loads, in this program or the next, read the snapshot and not the replica. Changing the view's
// definition or Refresh takes a new one. A result computed from a snapshot says when it was taken.
package spark
