// Package explore investigates a database from a notebook the way a SQL client does — tables,
// sizes, columns, keys, profiles, relationships — while reading only the catalog, so the replica
// does no work beyond a few catalog lookups.
//
// Two ways to use it, side by side. In a notebook cell, each call runs on the notebook's
// connection (replica.Default) and shows its result at once; an error is shown and stops the
// cell:
//
//	%%
//	explore.ShowTables()                               // tables, estimated rows, sizes: no table scan
//	explore.ShowTable("orders")                        // columns, keys, indexes, pg_stats profile
//	explore.ShowSample("orders", explore.Rows(10))     // a few rows, personal columns masked
//	explore.ShowDiagram(explore.Around("orders", 2))   // ER diagram, inline SVG
//	explore.ShowPicker(explore.Initial("orders"))      // a select box of tables; interrupt to stop
//
// In a program or a test, the same reads take a context and a connection and return errors;
// every value they return has Show and HTML (and String, for text):
//
//	ov, err := explore.Tables(ctx, db)
//	d, err := explore.Describe(ctx, db, "orders", explore.ShowPersonal())
//	s, err := explore.SampleRows(ctx, db, "orders", explore.Rows(10))
//	g, err := explore.Relationships(ctx, db, explore.Schema("public"), explore.Inferred())
//	n, err := explore.ExactCount(ctx, db, "orders")
//	t, err := explore.Pick(ctx, db, explore.Initial("orders"))
//
// # What is read, and what is not
//
// Every call runs in one transaction made read-only (transaction_read_only) with a short
// statement_timeout ([DefaultTimeout]), whatever the connection: a [Querier] is anything with
// Begin (*replica.Pool, *pgx.Conn, *pgxpool.Pool, pgx.Tx).
//
//   - [Tables]: one catalog query. Row counts are pg_class.reltuples, the planner's estimate: the
//     HTML says so, and a table never analyzed (reltuples = -1) is "row count unknown", never 0.
//     Last analyze and vacuum times come from pg_stat_all_tables, which every server keeps for
//     itself: on a replica they are empty, so they are shown as unknown there.
//   - [Describe]: four catalog queries whatever the number of columns: columns (type,
//     nullability, default, comment), constraints, indexes, foreign keys pointing here, and each
//     column's profile from pg_stats — null fraction, distinct estimate (a negative n_distinct is a
//     fraction of the rows, resolved against the estimate), most common values with frequencies,
//     histogram bounds drawn as a small inline SVG, correlation. A column without statistics says
//     so. pg_stats holds raw values, so most common values and histogram bounds of columns whose
//     names look personal ([DefaultPersonal]: e-mail, phone, name, address, ...) are masked unless
//     [ShowPersonal] is given.
//   - [Relationships]: the foreign-key graph of a schema, or of the neighbourhood of one table
//     ([Around]); with [Inferred], "<table>_id" columns without a foreign key become dashed
//     links (found through an index of table names: a catalog of n tables and m such columns
//     takes time in n + m). [Graph.SVG] lays it out with Graphviz dot when installed (Debian
//     package graphviz), else with a built-in layered layout. Every edge has the SVG id
//     "fk:<constraint>"; links are labelled with their columns up to 60 links. Graphviz runs for at
//     most [LayoutTime] (default 15 s): past it, dot is stopped and the built-in layout is drawn,
//     and the diagram says so. dot dies with the cell however the cell ends (internal/child).
//     [Graph.HTML] shows up to 40 tables as one diagram; more as a schema map: the tables gathered
//     into groups of at most 25 linked tables, each named after its most connected table, a first
//     screen of one card per group (its tables, counts, the groups it links to), each opening its
//     diagram, an A–Z list of every table, and in a live notebook a search box. Diagrams zoom (fit,
//     100 %, 200 %) and pan by scrolling. The map is HTML, SVG and CSS that needs no network and, but
//     for the search box, no script: exported reports (which remove scripts) keep it working, with
//     groups opened through the page's address (CSS :target) and tables found in the A–Z list or
//     with the browser's search.
//   - [SampleRows]: a few rows from TABLESAMPLE SYSTEM through helpers/frame, capped, personal
//     columns masked: it reads a few pages, not the table. The rows are a frame.Result: shown
//     with their types, times as times, NULL apart from NaN.
//   - [ExactCount]: count(*), the one call that reads a whole table, only when asked, with a
//     longer timeout and a warning on big or never-analyzed tables.
//
// # The picker
//
// [Pick] shows a select box of the tables and the chosen table's detail below it, redrawn at
// every choice, through GoNB's comms (the channel its widgets use). The cell keeps running while
// the picker is live: give ctx a deadline or interrupt the cell to stop it; the last detail
// stays in the output. A headless run (no browser answering within [Connect]) leaves
// the initial table's detail and returns. The picker needs GoNB; elsewhere it shows the detail.
//
// Everything displayed is HTML-escaped. The questions log (step 4 of the recipe) lives in
// github.com/replicalab/replicalab/helpers/questions.
package explore
