package cost

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/helpers/config"
)

func TestExplainable(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT 1":                true,
		"  select * from orders;": true,
		"-- totals\nSELECT sum(total) FROM orders":                          true,
		"/* a /* nested */ comment */ WITH x AS (SELECT 1) SELECT * FROM x": true,
		"(SELECT 1) UNION (SELECT 2)":                                       true,
		"VALUES (1), (2)":                                                   true,
		"TABLE orders":                                                      true,
		"EXECUTE q(1)":                                                      true,
		"SHOW server_version":                                               false,
		"SET work_mem = '64MB'":                                             false,
		"EXPLAIN SELECT 1":                                                  false,
		"DO $$ BEGIN END $$":                                                false,
		"CALL p()":                                                          false,
		"COPY orders TO STDOUT":                                             false,
		"SELECT 1; SELECT 2":                                                false,
		"":                                                                  false,
		"-- only a comment":                                                 false,
		"SELECT ';' AS semicolon":                                           true,
	} {
		if got := Explainable(sql); got != want {
			t.Errorf("Explainable(%q) = %v, want %v", sql, got, want)
		}
	}
}

func loadLimits(t *testing.T, settings ...string) (Limits, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(dir, settings)
	if err != nil {
		t.Fatal(err)
	}
	return Load(cfg)
}

func TestLimits(t *testing.T) {
	l, err := loadLimits(t)
	if err != nil || l.MaxCost != DefaultMaxCost || l.MaxRows != DefaultMaxRows {
		t.Fatalf("defaults: got %+v, %v", l, err)
	}
	for _, c := range []struct {
		setting    string
		cost, rows float64
	}{
		{"REPLICALAB_MAX_COST=1e6", 1e6, DefaultMaxRows},
		{"REPLICALAB_MAX_COST=2_500_000", 2.5e6, DefaultMaxRows},
		{"REPLICALAB_MAX_ROWS=1,000,000", DefaultMaxCost, 1e6},
		{"REPLICALAB_MAX_ROWS= 500 ", DefaultMaxCost, 500},
		{"REPLICALAB_MAX_COST=off", 0, DefaultMaxRows},
		{"REPLICALAB_MAX_ROWS=none", DefaultMaxCost, 0},
		{"REPLICALAB_MAX_COST=0", 0, DefaultMaxRows},
	} {
		l, err := loadLimits(t, c.setting)
		if err != nil || l.MaxCost != c.cost || l.MaxRows != c.rows {
			t.Errorf("%s: got %+v, %v; want cost %v rows %v", c.setting, l, err, c.cost, c.rows)
		}
	}
	for _, bad := range []string{"REPLICALAB_MAX_COST=abc", "REPLICALAB_MAX_COST=-5", "REPLICALAB_MAX_ROWS=1e400", "REPLICALAB_MAX_ROWS=10 rows", "REPLICALAB_MAX_COST=NaN"} {
		_, err := loadLimits(t, bad)
		key, value, _ := strings.Cut(bad, "=")
		if err == nil {
			t.Errorf("%s: want an error, got none", bad)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, key) || !strings.Contains(msg, `"`+value+`"`) || !strings.Contains(msg, "positive number") || !errors.Is(err, config.ErrInvalid) {
			t.Errorf("%s: want an error naming %s, the value and what is expected, got %q", bad, key, msg)
		}
	}
}

// cartesian is EXPLAIN (FORMAT JSON) of SELECT * FROM events a, events b on a 50k-row table.
const cartesian = `[{"Plan": {"Node Type": "Nested Loop", "Parallel Aware": false, "Async Capable": false, "Join Type": "Inner",
 "Startup Cost": 0.00, "Total Cost": 31261614.50, "Plan Rows": 2500000000, "Plan Width": 200, "Inner Unique": false,
 "Plans": [
  {"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "events", "Alias": "a", "Startup Cost": 0.00, "Total Cost": 1198.00, "Plan Rows": 50000, "Plan Width": 100},
  {"Node Type": "Materialize", "Parent Relationship": "Inner", "Startup Cost": 0.00, "Total Cost": 1448.00, "Plan Rows": 50000, "Plan Width": 100,
   "Plans": [{"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "events", "Alias": "b", "Startup Cost": 0.00, "Total Cost": 1198.00, "Plan Rows": 50000, "Plan Width": 100}]}
 ]}}]`

// parallel is a parallel aggregate over a 5M-row table with 2 workers planned.
const parallel = `[{"Plan": {"Node Type": "Aggregate", "Strategy": "Plain", "Partial Mode": "Finalize", "Startup Cost": 80000.55, "Total Cost": 80000.56, "Plan Rows": 1,
 "Plans": [{"Node Type": "Gather", "Parent Relationship": "Outer", "Workers Planned": 2, "Startup Cost": 80000.33, "Total Cost": 80000.54, "Plan Rows": 2,
  "Plans": [{"Node Type": "Aggregate", "Strategy": "Plain", "Partial Mode": "Partial", "Parent Relationship": "Outer", "Startup Cost": 79000.33, "Total Cost": 79000.34, "Plan Rows": 1,
   "Plans": [{"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Parallel Aware": true, "Relation Name": "events", "Alias": "events", "Startup Cost": 0.00, "Total Cost": 73791.67, "Plan Rows": 2083333}]}]}]}}]`

// indexed is a nested loop whose inner side is an index scan on the outer row: not a cartesian product.
const indexed = `[{"Plan": {"Node Type": "Nested Loop", "Join Type": "Inner", "Startup Cost": 0.29, "Total Cost": 2500.50, "Plan Rows": 3000,
 "Plans": [
  {"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "orders", "Alias": "o", "Total Cost": 100, "Plan Rows": 3000},
  {"Node Type": "Index Scan", "Parent Relationship": "Inner", "Index Name": "companies_pkey", "Relation Name": "companies", "Alias": "c", "Total Cost": 0.3, "Plan Rows": 1, "Index Cond": "(id = o.buyer_company_id)"}
 ]}}]`

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		name, json string
		cost, rows float64
		top        string
	}{
		{"cartesian", cartesian, 31261614.50, 2.5e9, "nested loop over 50k × 50k rows (every pair: no join condition)"},
		{"parallel", parallel, 80000.56, 1, "parallel sequential scan of events, ~5M rows"},
		{"indexed", indexed, 2500.50, 3000, "nested loop over 3,000 × 1 rows"},
	} {
		p, err := Parse([]byte(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.Cost != c.cost || p.Rows != c.rows {
			t.Errorf("%s: cost %v rows %v, want %v and %v", c.name, p.Cost, p.Rows, c.cost, c.rows)
		}
		if got := p.Top.Describe(); got != c.top {
			t.Errorf("%s: most expensive step %q, want %q", c.name, got, c.top)
		}
	}
	// Each kind of step in plain words.
	for _, c := range []struct {
		n    Node
		want string
	}{
		{Node{Type: "Seq Scan", Relation: "events", Rows: 1200, Parallel: 1, Conditions: true}, "sequential scan of events, keeping ~1,200 rows"},
		{Node{Type: "Index Only Scan", Relation: "orders", Index: "orders_pkey", Rows: 3e6, Parallel: 1}, "index-only scan of orders using orders_pkey, ~3M rows"},
		{Node{Type: "Sort", Parallel: 1, Children: []*Node{{Rows: 12e6, Parallel: 1}}}, "sort of ~12M rows"},
		{Node{Type: "Aggregate", Strategy: "Hashed", Rows: 40, Parallel: 1, Children: []*Node{{Rows: 5e6, Parallel: 1}}}, "hash aggregate of ~5M rows into ~40 rows"},
		{Node{Type: "Hash Join", Rows: 2e6, Parallel: 1, Children: []*Node{{Rows: 2e6, Parallel: 1}, {Rows: 4e4, Parallel: 1}}}, "hash join of 2M and 40k rows, giving ~2M rows"},
		{Node{Type: "Function Scan", Function: "generate_series", Rows: 1000, Parallel: 1}, "function scan of generate_series, ~1,000 rows"},
		{Node{Type: "Result", Rows: 1, Parallel: 1}, "result, ~1 rows"},
	} {
		if got := c.n.Describe(); got != c.want {
			t.Errorf("%s: %q, want %q", c.n.Type, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{"", "{}", "[]", `[{"Plan": null}]`, "not json"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q): want an error", bad)
		}
	}
}

func TestRefusal(t *testing.T) {
	p, err := Parse([]byte(cartesian))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(Limits{}, "x"); err != nil {
		t.Errorf("no limits: want no refusal, got %v", err)
	}
	if err := p.Check(Limits{MaxCost: 1e8, MaxRows: 1e10}, "x"); err != nil {
		t.Errorf("under both limits: want no refusal, got %v", err)
	}
	err = p.Check(Limits{MaxCost: 1e7, MaxRows: 1e7}, "frame.AnyCost()")
	if !errors.Is(err, ErrTooCostly) {
		t.Fatalf("want a refusal, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"not run", "~2.5 billion rows at cost 31M", "cost 31M is above REPLICALAB_MAX_COST=10M",
		"~2.5 billion rows is above REPLICALAB_MAX_ROWS=10M", "nested loop over 50k × 50k rows", "frame.AnyCost()"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal %q: want it to say %q", msg, want)
		}
	}
	if err := p.Check(Limits{MaxRows: 1e10, MaxCost: 1e7}, "x"); err == nil || strings.Contains(err.Error(), "MAX_ROWS") {
		t.Errorf("over the cost only: want a refusal naming only REPLICALAB_MAX_COST, got %v", err)
	}
}
