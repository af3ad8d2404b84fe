package demodb

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"

	"github.com/jackc/pgx/v5"
)

//go:embed seed.sql
var seedSQL string

// anchor is "now" for the synthetic data: every timestamp is relative to it, so the same scale always
// gives the same rows.
const anchor = "timestamptz '2026-06-30 17:00:00+00'"

// Counts are the row counts a scale asks for (derived tables follow from them).
type Counts struct {
	Companies, Users, Parts, RFQs, Orders, Events int
}

// CountsFor returns the base row counts at scale: small has 400 companies and 50,000 events, large
// 40,000 companies and 5,000,000 events.
func CountsFor(scale float64) Counts {
	n := func(base, min float64) int { return int(math.Max(math.Round(base*scale), min)) }
	return Counts{
		Companies: n(400, 20),
		Users:     n(2000, 40),
		Parts:     n(3000, 60),
		RFQs:      n(4000, 40),
		Orders:    n(3000, 30),
		Events:    n(50000, 100),
	}
}

type seedStep struct {
	name string
	sql  string
}

var stepRE = regexp.MustCompile(`(?m)^-- step: (.+)$`)

// seedSteps returns the seeding batches with the counts of scale filled in.
func seedSteps(scale float64) []seedStep {
	n := CountsFor(scale)
	r := strings.NewReplacer(
		"{{anchor}}", anchor,
		"{{companies}}", strconv.Itoa(n.Companies),
		"{{users}}", strconv.Itoa(n.Users),
		"{{parts}}", strconv.Itoa(n.Parts),
		"{{rfqs}}", strconv.Itoa(n.RFQs),
		"{{orders}}", strconv.Itoa(n.Orders),
		"{{events}}", strconv.Itoa(n.Events),
	)
	sql := r.Replace(seedSQL)
	locs := stepRE.FindAllStringSubmatchIndex(sql, -1)
	var steps []seedStep
	for i, loc := range locs {
		end := len(sql)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		steps = append(steps, seedStep{name: sql[loc[2]:loc[3]], sql: sql[loc[1]:end]})
	}
	return steps
}

// seedDatabase creates the marketplace tables in conn's database (dropping earlier ones) and fills
// them at scale. It returns the number of rows inserted.
func seedDatabase(ctx context.Context, conn *pgx.Conn, scale float64, log io.Writer) (int64, error) {
	var total int64
	for _, st := range seedSteps(scale) {
		t := time.Now()
		tag, err := conn.Exec(ctx, st.sql)
		if err != nil {
			return total, fmt.Errorf("seeding (step %q): %w", st.name, err)
		}
		if tag.Insert() {
			total += tag.RowsAffected()
			fmt.Fprintf(log, "  %-20s %10s rows %6.2fs\n", st.name, numfmt.Int(tag.RowsAffected()), time.Since(t).Seconds())
		} else {
			fmt.Fprintf(log, "  %-20s %15s %6.2fs\n", st.name, "", time.Since(t).Seconds())
		}
	}
	return total, nil
}

// finishSQL runs after ANALYZE: a small table that is never analyzed (so that tools can tell "never
// analyzed" from "empty"), then the read-only role's grants.
const finishSQL = `
CREATE TABLE audit_log (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    actor  text NOT NULL,
    action text NOT NULL,
    target text,
    detail jsonb
);
COMMENT ON TABLE audit_log IS 'Back-office actions by marketplace staff.';
COMMENT ON COLUMN audit_log.actor IS 'Staff e-mail, or system for automated jobs.';
INSERT INTO audit_log (at, actor, action, target, detail) VALUES
 ('2026-06-01 08:12:00+00', 'ops@marketplace.example', 'supplier.verify', 'suppliers/12', '{"checklist": "v3"}'),
 ('2026-06-02 14:40:00+00', 'ops@marketplace.example', 'supplier.verify', 'suppliers/31', '{"checklist": "v3"}'),
 ('2026-06-03 09:05:00+00', 'finance@marketplace.example', 'payment.refund', 'orders/1207', '{"reason": "damaged in transit"}'),
 ('2026-06-05 16:22:00+00', 'system', 'user.merge', 'users/67', '{"into": 2001, "why": "same e-mail, other case"}'),
 ('2026-06-08 11:00:00+00', 'support@marketplace.example', 'company.suspend', 'companies/88', NULL),
 ('2026-06-10 07:45:00+00', 'system', 'rfq.expire', NULL, '{"count": 14}'),
 ('2026-06-12 13:30:00+00', 'ops@marketplace.example', 'part.delist', 'parts/455', '{"reason": "duplicate listing"}'),
 ('2026-06-15 10:10:00+00', 'finance@marketplace.example', 'payout.release', 'suppliers/7', '{"amount": "18250.00", "currency": "EUR"}'),
 ('2026-06-18 18:55:00+00', 'system', 'rfq.expire', NULL, '{"count": 9}'),
 ('2026-06-22 09:35:00+00', 'support@marketplace.example', 'user.reset_mfa', 'users/412', NULL),
 ('2026-06-25 15:00:00+00', 'ops@marketplace.example', 'supplier.verify', 'suppliers/64', '{"checklist": "v4"}'),
 ('2026-06-29 12:20:00+00', 'system', 'rfq.expire', NULL, '{"count": 11}');
GRANT USAGE ON SCHEMA public TO ` + User + `;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO ` + User + `;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ` + User + `;
`

// bootstrap creates the read-only role (password sent as a SCRAM verifier), the database and the
// pg_stat_statements extension. It is idempotent.
func (c *Cluster) bootstrap(ctx context.Context, primary server) error {
	c.logf("creating the read-only role %s and the database %s", User, Database)
	verifier, err := scramVerifier(c.password)
	if err != nil {
		return err
	}
	conn, err := c.superConn(ctx, primary, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var roleExists, dbExists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1), EXISTS (SELECT 1 FROM pg_database WHERE datname = $2)",
		User, Database).Scan(&roleExists, &dbExists); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	verb := "CREATE"
	if roleExists {
		verb = "ALTER"
	}
	stmts := []string{
		fmt.Sprintf("%s ROLE %s WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '%s'", verb, User, strings.ReplaceAll(verifier, "'", "''")),
		fmt.Sprintf("ALTER ROLE %s SET default_transaction_read_only = on", User),
		fmt.Sprintf("COMMENT ON ROLE %s IS 'Read-only analysis login of the replicalab demo'", User),
	}
	if !dbExists {
		stmts = append(stmts, "CREATE DATABASE "+Database)
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("bootstrap: %s: %w", strings.SplitN(s, " PASSWORD", 2)[0], err)
		}
	}
	db, err := c.superConn(ctx, primary, Database)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	for _, s := range []string{
		"CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
		"REVOKE ALL ON DATABASE " + Database + " FROM PUBLIC",
		"GRANT CONNECT ON DATABASE " + Database + " TO " + User,
		"COMMENT ON DATABASE " + Database + " IS 'replicalab demo: a B2B manufacturing marketplace (synthetic data)'",
	} {
		if _, err := db.Exec(ctx, s); err != nil {
			return fmt.Errorf("bootstrap: %s: %w", s, err)
		}
	}
	return nil
}

// seedPrimary fills the marketplace database, runs ANALYZE, adds the never-analyzed audit_log and
// grants SELECT to the read-only role.
func (c *Cluster) seedPrimary(ctx context.Context, primary server, scale float64) (int64, error) {
	conn, err := c.superConn(ctx, primary, Database)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	n := CountsFor(scale)
	c.logf("seeding %s at scale %s (%s companies, %s events, ...)", Database, ScaleName(scale), numfmt.Int(int64(n.Companies)), numfmt.Int(int64(n.Events)))
	t := time.Now()
	rows, err := seedDatabase(ctx, conn, scale, c.log)
	if err != nil {
		return rows, err
	}
	c.seedTook = time.Since(t)
	secs := c.seedTook.Seconds()
	c.logf("seeded %s rows in %.1fs (%s rows/s)", numfmt.Int(rows), secs, numfmt.Int(int64(float64(rows)/secs)))
	t = time.Now()
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		return rows, fmt.Errorf("analyze: %w", err)
	}
	c.logf("analyze: %.1fs", time.Since(t).Seconds())
	if _, err := conn.Exec(ctx, finishSQL); err != nil {
		return rows, fmt.Errorf("creating audit_log and granting SELECT to %s: %w", User, err)
	}
	return rows + 12, nil
}
