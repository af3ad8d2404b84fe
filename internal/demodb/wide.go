package demodb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// A wide schema: the catalog of a large ERP, thousands of small tables in one schema, each with a foreign
// key, for the helpers' catalog views at scale (the schema map, the overview, inferred links). The tables
// are grouped in modules ("billing", "crm", ...) of up to 50 entities ("billing_invoices",
// "billing_invoice_lines", ...): every module has a hub (its first entity) that the module's other tables
// reference, directly or through one another, the hubs reference the previous module's hub, and one table
// in thirty also references another module. One table in twenty has a column named after another table
// (<module>_<entity>_id) without a foreign key: an inferred link. The tables are empty and analyzed.

// WideSchema is the schema CreateWideSchema fills.
const WideSchema = "erp"

var wideModules = []string{
	"billing", "crm", "inventory", "shipping", "hr", "payroll", "procurement", "sales", "support", "marketing",
	"finance", "ledger", "tax", "treasury", "assets", "projects", "timesheets", "quality", "maintenance", "fleet",
	"catalog", "pricing", "promotions", "loyalty", "returns", "warehouse", "manufacturing", "planning", "logistics", "customs",
	"contracts", "legal", "compliance", "audit", "risk", "security", "identity", "notifications", "documents", "reporting",
	"analytics", "forecasting", "budgeting", "expenses", "travel", "recruiting", "training", "benefits", "facilities", "energy",
	"sustainability", "partners", "vendors", "subscriptions", "licensing", "telemetry", "devices", "integrations", "webhooks", "search",
}

var wideEntities = []string{
	"accounts", "invoices", "invoice_lines", "payments", "refunds", "credits", "statements", "adjustments", "schedules", "rates",
	"contacts", "addresses", "notes", "attachments", "events", "tasks", "approvals", "comments", "tags", "categories",
	"items", "batches", "lots", "locations", "transfers", "counts", "reservations", "allocations", "orders", "order_lines",
	"shipments", "packages", "carriers", "routes", "stops", "claims", "disputes", "periods", "journals", "entries",
	"budgets", "forecasts", "targets", "metrics", "snapshots", "exports", "imports", "settings", "audits", "archives",
}

// WideOptions shapes a wide schema.
type WideOptions struct {
	Tables int   // how many tables (at most 3,000: 60 modules of 50)
	Seed   int64 // which links (default 1)
}

// WideTableName is the name of the i-th table (0-based) of a wide schema.
func WideTableName(i int) string {
	return wideModules[i/len(wideEntities)%len(wideModules)] + "_" + wideEntities[i%len(wideEntities)]
}

// CreateWideSchema creates the wide schema on conn (a superuser connection to the primary), replacing an
// earlier one, grants the demo's read-only role SELECT on it and analyzes it. It returns the number of
// foreign keys.
func CreateWideSchema(ctx context.Context, conn *pgx.Conn, o WideOptions) (int, error) {
	if o.Tables <= 0 || o.Tables > len(wideModules)*len(wideEntities) {
		return 0, fmt.Errorf("wide schema: expected 1 to %d tables, found %d", len(wideModules)*len(wideEntities), o.Tables)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if err := DropWideSchema(ctx, conn); err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 18))
	stmts := []string{"CREATE SCHEMA " + WideSchema}
	var fks []string
	n := len(wideEntities)
	for i := 0; i < o.Tables; i++ {
		name := WideSchema + "." + WideTableName(i)
		module, entity := i/n, i%n
		cols := []string{"id bigint PRIMARY KEY", "name text", "created_at timestamptz NOT NULL DEFAULT now()"}
		var parents []int
		switch {
		case entity == 0 && module > 0:
			parents = append(parents, (module-1)*n) // the previous module's hub
		case entity > 0 && rng.IntN(10) < 6:
			parents = append(parents, module*n) // the module's hub
		case entity > 0:
			parents = append(parents, module*n+rng.IntN(entity)) // an earlier table of the module
		}
		if i > 0 && rng.IntN(30) == 0 {
			parents = append(parents, rng.IntN(i)) // another module's table
		}
		if i == 0 {
			parents = append(parents, 0) // the first hub refers to itself (a tree of accounts)
		}
		for k, p := range parents {
			col := fmt.Sprintf("%s_id", strings.TrimSuffix(wideEntities[p%n], "s"))
			if k > 0 || p == i {
				col = fmt.Sprintf("%s_%s_id", wideModules[p/n%len(wideModules)], strings.TrimSuffix(wideEntities[p%n], "s"))
			}
			cols = append(cols, col+" bigint")
			fks = append(fks, fmt.Sprintf("ALTER TABLE %s ADD FOREIGN KEY (%s) REFERENCES %s.%s (id)", name, col, WideSchema, WideTableName(p)))
		}
		if i > 0 && rng.IntN(20) == 0 {
			// A column named after another table, without a foreign key: an inferred link.
			col := strings.TrimSuffix(WideTableName(rng.IntN(i)), "s") + "_id bigint"
			if !slices.Contains(cols, col) {
				cols = append(cols, col)
			}
		}
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s (%s)", name, strings.Join(cols, ", ")))
	}
	stmts = append(stmts, fks...)
	stmts = append(stmts, "GRANT USAGE ON SCHEMA "+WideSchema+" TO "+User, "GRANT SELECT ON ALL TABLES IN SCHEMA "+WideSchema+" TO "+User)
	// Batches of statements in one round trip each (the simple protocol takes several).
	for start := 0; start < len(stmts); start += 200 {
		batch := stmts[start:min(start+200, len(stmts))]
		if _, err := conn.Exec(ctx, strings.Join(batch, ";\n")); err != nil {
			return 0, fmt.Errorf("wide schema: %w", err)
		}
	}
	// Analyzed (empty: estimates of 0 rows, not "never analyzed").
	names := make([]string, o.Tables)
	for i := range names {
		names[i] = WideSchema + "." + WideTableName(i)
	}
	for start := 0; start < len(names); start += 500 {
		if _, err := conn.Exec(ctx, "ANALYZE "+strings.Join(names[start:min(start+500, len(names))], ", ")); err != nil {
			return 0, fmt.Errorf("wide schema: analyzing: %w", err)
		}
	}
	return len(fks), nil
}

// DropWideSchema drops the wide schema, if there is one, a few hundred tables per transaction (one
// transaction would need more locks than a server has).
func DropWideSchema(ctx context.Context, conn *pgx.Conn) error {
	for {
		var names []string
		rows, err := conn.Query(ctx, `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' LIMIT 200`, WideSchema)
		if err != nil {
			return fmt.Errorf("wide schema: %w", err)
		}
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("wide schema: %w", err)
		}
		if len(names) == 0 {
			break
		}
		if _, err := conn.Exec(ctx, "DROP TABLE "+strings.Join(names, ", ")+" CASCADE"); err != nil {
			return fmt.Errorf("wide schema: dropping: %w", err)
		}
	}
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+WideSchema+" CASCADE"); err != nil {
		return fmt.Errorf("wide schema: dropping: %w", err)
	}
	return nil
}
