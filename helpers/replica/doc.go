// Package replica connects a notebook to a production database's read
// replica, safely: it verifies that the server is a replica, makes every
// session read-only with protective timeouts, shows a one-line banner,
// measures replication lag, cancels queries on the server when a cell is
// interrupted, and never shows the password.
//
// Two ways to use it, side by side. In a notebook cell, nothing to set up:
//
//	%%
//	replica.Default().Show() // connects, verifies, shows the banner; on failure shows why and stops the cell
//
// and the helpers' notebook-style calls (frame.SQL, explore.ShowTables, ...)
// use [Default] by themselves. In a program or a test, the explicit form:
//
//	ctx := context.Background()
//	db, err := replica.Open(ctx) // settings from the environment and .env
//	if err != nil {
//		return err // a *ConnectError naming the variable to fix
//	}
//	defer db.Close()
//	rows, err := db.Query(ctx, "SELECT id, name FROM companies LIMIT $1", 10)
//
// Either way the first query (or [Pool.Connect], [Pool.Show]) connects and
// shows, e.g.:
//
//	replica analyst@db-replica:5432/marketplace · PostgreSQL 15.14 · read replica, lag 0.4 s, read-only · TLS
//
// # Lazy, and one connection per query
//
// [Open] works out the settings and connects nothing: a notebook cell whose
// loads all come from helpers/frame's cache costs the replica no connection
// at all. Connections are returned to the pool before the next call takes
// one, so a query followed by a lag measurement uses one connection, not two.
//
// # The notebook session
//
// In the "Go (replica)" kernel, REPLICALAB_SESSION names the notebook's
// session: a connection the kernel already holds to the verified replica,
// served on a private unix socket. [Open] and [Default] go through it (one
// connection, no password) and the banner names the replica it stands for
// ("through the notebook session"); if it cannot be reached they connect
// directly, with the same errors as without a kernel. [Direct] skips it.
//
// # Where the settings come from
//
// Each variable is read from the process environment first, then from the
// .env file found by walking up from the working folder (package
// github.com/replicalab/replicalab/helpers/config), then a default.
//
// Each connection setting comes from the first of these that sets it:
//
//  1. DATABASE_URL, a postgres:// URL or a keyword/value string (it may list
//     several hosts and set target_session_attrs);
//  2. the recipe's variables: RDS_HOSTNAME, RDS_PORT, RDS_DB_NAME,
//     RDS_USERNAME, RDS_PASSWORD, RDS_SSLMODE, RDS_SSLROOTCERT;
//  3. libpq's variables: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD,
//     PGPASSFILE, PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY,
//     PGTARGETSESSIONATTRS, PGCONNECT_TIMEOUT, PGAPPNAME;
//  4. for the password only, .pgpass (PGPASSFILE, default ~/.pgpass), read
//     by pgx; for the others a default (port 5432, sslmode prefer). Host,
//     database and user have no default: a missing one is an error naming
//     RDS_HOSTNAME, RDS_DB_NAME or RDS_USERNAME and how to set it.
//
// So a DATABASE_URL without a password takes RDS_PASSWORD, and RDS_*
// settings beat a PGHOST left over in a shell. [Resolve] returns the result
// and [Settings.Sources] says where each setting came from (environment,
// which .env line, .pgpass, default), never the password's value.
//
// The session protections come from these variables, else from parameters
// of the same name in DATABASE_URL, else the defaults:
//
//	REPLICALAB_STATEMENT_TIMEOUT   statement_timeout                     5m
//	REPLICALAB_LOCK_TIMEOUT        lock_timeout                          5s
//	REPLICALAB_IDLE_TX_TIMEOUT     idle_in_transaction_session_timeout   1m
//	REPLICALAB_CONNECT_TIMEOUT     connect timeout (also PGCONNECT_TIMEOUT in seconds)   10s
//	REPLICALAB_MAX_CONNS           pool size                             2
//	REPLICALAB_APP_NAME            application_name   replicalab/<OS user>/<notebook name> (from JPY_SESSION_NAME)
//	ALLOW_PRIMARY                  accept a primary (1/true/yes)         false
//
// Durations take a unit ("30s", "10m"); "0" disables a timeout. The options
// [StatementTimeout], [LockTimeout], [IdleTxTimeout], [MaxConns], [AppName] and
// [AllowPrimary] override them for one pool.
//
// # A replica, verified
//
// Every new connection is checked: on a server that is not in recovery
// (pg_is_in_recovery() is false) it is refused with [ErrPrimary], explaining
// that this is a primary, unless ALLOW_PRIMARY=1 (or the AllowPrimary option)
// is set, in which case the banner turns into a loud warning. Because the
// check runs while pgx picks a host, multi-host settings with
// target_session_attrs=standby or prefer-standby skip the primary and
// reach a replica; if a replica is promoted, its connections are dropped.
//
// # Read-only by construction
//
// Several layers, so that autocommit or a stray SET does not open a way to
// write:
//
//   - the replica itself refuses writes (the real guarantee);
//   - every connection starts with default_transaction_read_only=on, sent
//     in the startup packet, so every transaction, including autocommit
//     statements, is read-only;
//   - a connection on which default_transaction_read_only was switched off
//     (PostgreSQL 14+ reports it) is destroyed before anything runs on it
//     again, so "SET default_transaction_read_only=off" followed by an
//     INSERT fails;
//   - [Pool.Exec] without arguments uses the extended protocol, so one
//     string cannot carry "SET ...; INSERT ..." past those checks;
//   - [Pool.Begin] opens a REPEATABLE READ READ ONLY transaction and takes
//     its snapshot at once, so SET TRANSACTION READ WRITE fails inside it.
//
// On a primary opened with ALLOW_PRIMARY, the role may be allowed to write,
// and a statement can end its own transaction (COMMIT inside DO or CALL), so
// every connection of the pool is guarded, whichever way it is used (Query,
// QueryRow, Exec, Begin, [Pool.Pgx] and the helpers built on them): each use
// of a connection runs inside a READ ONLY transaction whose snapshot is taken
// at once, which PostgreSQL keeps read-only (it refuses COMMIT inside DO or
// CALL, SET TRANSACTION READ WRITE, nextval, temporary tables, COPY FROM);
// COMMIT, END, PREPARE TRANSACTION, strings of several statements and
// anything sent after the transaction ended are refused before they reach the
// server (SQLSTATE 25006, wrapping the text of [ErrPrimaryGuard]); and the
// transaction is rolled back when the connection comes back, so large objects,
// NOTIFY, LISTEN and SET vanish with it and session advisory locks are
// released. A Tx from [Pool.Begin] is that transaction: its Commit rolls back.
// Writes through a server-side connection of its own (dblink, a foreign
// server) are beyond a client's reach: do not install such extensions for
// the role used here.
//
// # How fresh the data is
//
// [Pool.Lag] (and the banner, and every load of helpers/frame) says how far the replica's data is behind
// its primary: how long ago the primary was where the replica now is — what the primary itself reports
// as pg_stat_replication.replay_lag, measured from the replica alone. It compares the WAL the replica
// received with the WAL it replayed over a short window (a few milliseconds on a healthy replica, at most
// 3 s when it is catching up), so it is 0 on an idle primary however old its last commit, and stays true
// during VACUUM, bulk loads and long transactions, which write WAL for a long time without committing.
// Lag.Error bounds it (half the interval between two readings when measured; a range when the replica is
// further behind than the window and the lag is extrapolated from the WAL rate); Lag.How says which, and
// why a lag is unknown (a replica not streaming from a primary). See [Lag] for the method and its error.
//
// # Scans that start at the first page
//
// Every session turns synchronize_seqscans off, so a sequential scan starts at the table's first page
// rather than where another scan of the same table happens to be: a query cut at a row limit (helpers/frame)
// returns the same rows each time while the table and the plan stay the same. It changes nothing for other
// sessions. A DATABASE_URL parameter synchronize_seqscans=on keeps the server's behaviour.
//
// # Timeouts, TLS, interrupts
//
// statement_timeout, lock_timeout and idle_in_transaction_session_timeout
// are set on every session. A server that stops answering (frozen,
// overloaded, cut off by the network) does not hang a notebook: connecting
// and verifying (Open, Check, Lag) fail within the connect timeout; Query,
// QueryRow and Exec give a context without a deadline one that ends a second
// after statement_timeout, and then fail with a [*QueryError] of Kind
// "server not answering" that says what to check (never a bare "context
// deadline exceeded"); Close returns at once; and every connection has TCP
// keepalives (10 s idle, 5 s interval, 3 probes) and a TCP user timeout of
// 30 s, so the kernel notices a dropped network long before the statement
// timeout.
//
// A DATABASE_URL whose password holds a raw '@', '/', '?' or '#' is refused
// before anything is dialled or looked up (a URL parser would take a piece
// of the password for the host): the error says how to percent-encode it
// and never quotes it. The pool's config ([Pool.Pgx]().Config()) holds no
// password, and its connection string shows none: each connection gets it
// when it is made.
// sslmode is honoured as libpq does, including verify-full with
// sslrootcert (RDS_SSLROOTCERT or PGSSLROOTCERT).
//
// GoNB sends SIGINT to a cell's program when the cell is interrupted; the
// program dying does not stop its query on the server. So the first Open
// catches SIGINT and SIGTERM, sends a cancel request for every query in
// flight on every open Pool, and raises the signal again (the program ends
// as it would have). Cancelling a query's context also cancels it on the
// server. As a last resort, client_connection_check_interval (PostgreSQL
// 14+) makes the server stop the query of a client killed outright within a
// second.
//
// # The load ledger
//
// Every connection a Pool opens is metered: from the protocol messages that
// cross it (after TLS), the helpers count the statements the replica
// completed and the rows their command tags report — what
// pg_stat_statements counts on the replica — the statements that failed or
// were stopped (a load cut at its row limit), the bytes received and the
// time the replica was busy answering. [Ledger] sums them for the notebook
// session: the kernel names a ledger file in REPLICALAB_LEDGER (its SQL
// cells and its proxy for the Go cells count into it); without it, inside
// GoNB, a file in GoNB's folder for the kernel (GONB_TMP_DIR) keeps the
// figures across cells; elsewhere they cover the program. Through the
// notebook session the kernel counts, so a cell's own pool does not (unless
// REPLICALAB_LEDGER is unset). Each load's provenance line carries the
// ledger's sentence for exported reports, which show the last one in their
// appendix.
//
// # Errors and secrets
//
// Connection failures are [*ConnectError]s: user@host:port/db, a [Problem]
// (authentication failed, host unreachable, connection refused, TLS failed,
// timeout, database does not exist, not a read replica), the variables to
// check (Vars, e.g. RDS_PORT for a closed port) and the cause. [Check] runs
// the whole open-and-verify path for a configuration check.
//
// Query errors pass through [Explain]: a query the replica cancelled
// because of a conflict with recovery ("canceling statement due to conflict
// with recovery") comes back as a [*QueryError] of Kind [RecoveryConflict],
// matching [ErrRecoveryConflict], advising to retry, make the query smaller, or ask
// for hot_standby_feedback; statement timeouts, cancels and lost connections
// are explained too.
//
// The password never appears in an error, in String or GoString of
// [Settings] or [Pool], in the banner, or in anything this package displays
// or logs.
package replica
