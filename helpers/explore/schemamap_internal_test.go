package explore

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// catalog is a synthetic schema: modules of 50 tables, each table linked to its module's hub or an earlier
// table of its module, hubs chained, a few links across modules, and a set of tables without links.
func catalog(tables, alone int) *Graph {
	r := rand.New(rand.NewPCG(7, 18))
	g := &Graph{}
	name := func(i int) string { return fmt.Sprintf("erp.m%02d_t%02d", i/50, i%50) }
	for i := 0; i < tables; i++ {
		g.Nodes = append(g.Nodes, Node{Table: name(i), Keys: []string{"id"}})
	}
	link := func(f, t int) {
		g.Edges = append(g.Edges, Edge{Name: fmt.Sprintf("fk%d", len(g.Edges)), From: name(f), To: name(t), Columns: []string{"x_id"}, RefColumns: []string{"id"}})
	}
	for i := 0; i < tables; i++ {
		m, e := i/50, i%50
		switch {
		case e == 0 && m > 0:
			link(i, (m-1)*50)
		case e > 0 && r.IntN(10) < 6:
			link(i, m*50)
		case e > 0:
			link(i, m*50+r.IntN(e))
		}
		if i > 0 && r.IntN(30) == 0 {
			link(i, r.IntN(i))
		}
	}
	for i := 0; i < alone; i++ {
		g.Nodes = append(g.Nodes, Node{Table: fmt.Sprintf("erp.z_alone%03d", i)})
	}
	// A small set of linked tables of another schema.
	g.Nodes = append(g.Nodes, Node{Table: "audit.a"}, Node{Table: "audit.b"})
	g.Edges = append(g.Edges, Edge{Name: "audit_fk", From: "audit.b", To: "audit.a"})
	return g
}

// TestGroupsPartitionTheCatalog: every table is in exactly one group, no group holds more than the group
// size or mixes schemas, a set of linked tables small enough stays whole, and the same catalog gives the
// same groups.
func TestGroupsPartitionTheCatalog(t *testing.T) {
	g := catalog(3000, 40)
	gs := g.groups(groupSize)
	seen := make([]int, len(g.Nodes))
	for k, gr := range gs {
		if len(gr.nodes) == 0 || len(gr.nodes) > groupSize {
			t.Errorf("group %d holds %d tables, want 1 to %d", k, len(gr.nodes), groupSize)
		}
		schema := ""
		for j, i := range gr.nodes {
			seen[i]++
			s, _, _ := strings.Cut(g.Nodes[i].Table, ".")
			if j == 0 {
				schema = s
			} else if s != schema {
				t.Errorf("group %d mixes schemas %s and %s", k, schema, s)
			}
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("%s is in %d groups, want 1", g.Nodes[i].Table, n)
		}
	}
	// audit.a and audit.b, linked, are one group of their own.
	found := false
	for _, gr := range gs {
		if len(gr.nodes) == 2 && strings.HasPrefix(g.Nodes[gr.nodes[0]].Table, "audit.") && strings.HasPrefix(g.Nodes[gr.nodes[1]].Table, "audit.") {
			found = true
		}
	}
	if !found {
		t.Errorf("the two linked audit tables are not a group of their own")
	}
	// Most groups are full enough to be worth a card: the catalog is not shattered.
	if len(gs) > 3000/groupSize*2 {
		t.Errorf("%d groups for 3,000 tables: want at most %d", len(gs), 3000/groupSize*2)
	}
	if again := catalog(3000, 40).groups(groupSize); !reflect.DeepEqual(gs, again) {
		t.Errorf("the same catalog gave other groups")
	}
}

// TestGuessUsesTheNameIndex: a "<table>_id" column finds its table, same schema first, singular or plural,
// without a foreign key, on a catalog of thousands of tables.
func TestGuessUsesTheNameIndex(t *testing.T) {
	g := catalog(3000, 0)
	g.Nodes = append(g.Nodes, Node{Table: "sales.categories", Keys: []string{"id"}}, Node{Table: "erp.categories", Keys: []string{"id"}},
		Node{Table: "erp.boxes", Keys: []string{"id", "k"}})
	g.indexNames()
	for _, tc := range []struct{ schema, stem, want string }{
		{"erp", "category", "erp.categories"},
		{"sales", "category", "sales.categories"},
		{"other", "m07_t03", "erp.m07_t03"},
		{"erp", "box", ""}, // a composite key: no guess
		{"erp", "nothing", ""},
	} {
		got, _, ok := g.guess(tc.schema, tc.stem)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("guess(%s, %s_id) = %q, %v; want %q", tc.schema, tc.stem, got, ok, tc.want)
		}
	}
}
