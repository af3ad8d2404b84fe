// Package explore investigates a database from a notebook the way a SQL client does — tables,
// sizes, columns, keys, profiles, relationships — while reading only the catalog, so the replica
// does no work beyond a few catalog lookups.
//
// In a GoNB cell:
//
//	%%
//	ctx := context.Background()
//	db, err := replica.Open(ctx)
//	if err != nil { fmt.Fprintln(os.Stderr, err); return }
//	defer db.Close()
//	explore.ShowTables(ctx, db, explore.OverviewOptions{})            // sortable overview
//	d, _ := explore.Describe(ctx, db, "orders", explore.DetailOptions{}) // columns, keys, indexes, profile
//	d.Show(nil)
//	g, _ := explore.Relationships(ctx, db, explore.DiagramOptions{Around: "orders", Hops: 2})
//	g.Show(ctx, nil)                                                  // ER diagram, inline SVG
//	explore.Pick(ctx, db, explore.PickerOptions{})                    // a select box of tables; interrupt to stop
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
//     DetailOptions.ShowPersonal is set.
//   - [Relationships]: the foreign-key graph of a schema, or of the neighbourhood of one table
//     (Around, Hops); with Inferred, "<table>_id" columns without a foreign key become dashed
//     links. [Graph.SVG] lays it out with Graphviz dot when installed (Debian package graphviz):
//     dot's layered layout keeps 100+ tables readable, with edges routed around boxes; without it,
//     a built-in layered layout is used. Every edge has the SVG id "fk:<constraint>".
//   - [SampleRows]: a few rows from TABLESAMPLE SYSTEM through helpers/frame, capped, personal
//     columns masked: it reads a few pages, not the table.
//   - [ExactCount]: count(*), the one call that reads a whole table, only when asked, with a
//     longer timeout and a warning on big or never-analyzed tables.
//
// # The picker
//
// [Pick] shows a select box of the tables and the chosen table's detail below it, redrawn at
// every choice, through GoNB's comms (the channel its widgets use). The cell keeps running while
// the picker is live: give ctx a deadline or interrupt the cell to stop it; the last detail
// stays in the output. A headless run (no browser answering within PickerOptions.Connect) leaves
// the initial table's detail and returns.
//
// Everything displayed is HTML-escaped. The questions log (step 4 of the recipe) lives in
// github.com/replicalab/replicalab/helpers/questions.
package explore
