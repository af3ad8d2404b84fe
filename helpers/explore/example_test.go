package explore_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/replicalab/replicalab/helpers/explore"
)

// A relationship graph rendered as Graphviz DOT: an arrow per foreign key, dashed for links
// inferred from column names.
func ExampleGraph_DOT() {
	g := &explore.Graph{
		Nodes: []explore.Node{{Table: "public.companies", Estimate: 400, Keys: []string{"id"}}, {Table: "public.users", Estimate: -1, Keys: []string{"id"}}},
		Edges: []explore.Edge{{Name: "users_company_id_fkey", From: "public.users", To: "public.companies", Columns: []string{"company_id"}, RefColumns: []string{"id"}}},
	}
	for _, l := range strings.Split(g.DOT(), "\n") {
		if strings.Contains(l, "->") {
			fmt.Println(strings.TrimSpace(l))
		}
	}
	// Output:
	// "public.users" -> "public.companies" [id="fk:users_company_id_fkey", tooltip="public.users(company_id) → public.companies(id)", label="company_id"];
}

// Describing a table in a notebook cell: on the notebook's connection, shown at once; an error
// is shown and stops the cell.
func ExampleShowTable() {
	d := explore.ShowTable("orders")
	c, _ := d.Column("status")
	fmt.Println(c.Stats.DistinctText(), c.Stats.MostCommon)
	// Shows the columns, keys, indexes and pg_stats profile of public.orders, then prints e.g.:
	//   ≈ 6 [paid shipped delivered]
}

// Describing a table in a program: a context, an explicit connection, errors returned.
func ExampleDescribe() {
	_ = func(ctx context.Context, db explore.Querier) {
		d, err := explore.Describe(ctx, db, "orders", explore.ShowPersonal())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(d) // the columns as text
	}
}

// An exact profile of a table the planner knows nothing about (never
// analyzed): one read of it, after asking the planner what that costs.
func ExampleShowProfile() {
	explore.ShowProfile("audit_log")
	// In a terminal, e.g.:
	//   public.audit_log: 1,200 rows, exact profile from reading the table once (0.0 s, planner cost 31)
	//   column  type    nulls  distinct  min  max   quartiles (25 · 50 · 75 %)
	//   id      bigint      0     1,200  1    1200  300.75 · 600.5 · 900.25
	//   ...
}
