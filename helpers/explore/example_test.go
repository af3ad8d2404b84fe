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

// Describing a table in a notebook cell.
func ExampleDescribe() {
	_ = func(ctx context.Context, db explore.Querier) {
		d, err := explore.Describe(ctx, db, "orders", explore.DetailOptions{})
		if err != nil {
			fmt.Println(err)
			return
		}
		c, _ := d.Column("status")
		fmt.Println(c.Stats.DistinctText(), c.Stats.MostCommon)
		d.Show(nil)
	}
}
