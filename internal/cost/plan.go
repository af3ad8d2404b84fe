package cost

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/replicalab/replicalab/internal/numfmt"
)

// Plan is what the planner expects of a query.
type Plan struct {
	Cost float64 // total cost of the whole query, in planner units
	Rows float64 // rows it is expected to return
	Root *Node   // the plan tree
	Top  *Node   // the node that does most of the work (its own cost, children excluded)
}

// Node is one step of a plan.
type Node struct {
	Type         string  // "Seq Scan", "Nested Loop", "Hash Join", ...
	Relation     string  // the table a scan reads
	Index        string  // the index an index scan uses
	Alias        string  // the name the query gives the relation
	Function     string  // a function scan's function
	CTE          string  // a CTE scan's CTE
	Strategy     string  // Aggregate: "Plain", "Sorted", "Hashed", "Mixed"
	JoinType     string  // "Inner", "Left", ...
	StartupCost  float64 // before the first row
	TotalCost    float64 // for all rows, once
	Rows         float64 // rows it returns per run (per process in a parallel plan)
	Parallel     float64 // processes sharing a parallel node (1 otherwise): Rows × Parallel is the total
	Conditions   bool    // a filter or join condition restricts its rows
	Relationship string  // "Outer", "Inner", "InitPlan", "SubPlan", ...
	Children     []*Node
	Self         float64 // its own share of the cost: TotalCost minus its children's, never below 0
}

// jsonNode is a node as EXPLAIN (FORMAT JSON) writes it.
type jsonNode struct {
	Type         string     `json:"Node Type"`
	Relation     string     `json:"Relation Name"`
	Index        string     `json:"Index Name"`
	Alias        string     `json:"Alias"`
	Function     string     `json:"Function Name"`
	CTE          string     `json:"CTE Name"`
	Strategy     string     `json:"Strategy"`
	JoinType     string     `json:"Join Type"`
	StartupCost  float64    `json:"Startup Cost"`
	TotalCost    float64    `json:"Total Cost"`
	Rows         float64    `json:"Plan Rows"`
	Workers      float64    `json:"Workers Planned"`
	Relationship string     `json:"Parent Relationship"`
	Filter       string     `json:"Filter"`
	JoinFilter   string     `json:"Join Filter"`
	IndexCond    string     `json:"Index Cond"`
	RecheckCond  string     `json:"Recheck Cond"`
	HashCond     string     `json:"Hash Cond"`
	MergeCond    string     `json:"Merge Cond"`
	TIDCond      string     `json:"TID Cond"`
	Plans        []jsonNode `json:"Plans"`
}

// Parse reads the output of EXPLAIN (FORMAT JSON).
func Parse(data []byte) (*Plan, error) {
	var doc []struct {
		Plan *jsonNode `json:"Plan"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("cost preview: reading the plan: %w", err)
	}
	if len(doc) != 1 || doc[0].Plan == nil {
		return nil, fmt.Errorf("cost preview: expected one plan, found %d", len(doc))
	}
	root := build(doc[0].Plan, 1)
	p := &Plan{Cost: root.TotalCost, Rows: root.Rows, Root: root}
	root.walk(func(n *Node) {
		if p.Top == nil || n.Self > p.Top.Self {
			p.Top = n
		}
	})
	return p, nil
}

// build converts a JSON node; parallel is the number of processes sharing
// it (PostgreSQL's parallel divisor: the workers, plus the leader's share).
func build(j *jsonNode, parallel float64) *Node {
	n := &Node{Type: j.Type, Relation: j.Relation, Index: j.Index, Alias: j.Alias, Function: j.Function, CTE: j.CTE,
		Strategy: j.Strategy, JoinType: j.JoinType, StartupCost: j.StartupCost, TotalCost: j.TotalCost, Rows: j.Rows,
		Relationship: j.Relationship, Parallel: 1,
		Conditions: j.Filter != "" || j.JoinFilter != "" || j.IndexCond != "" || j.RecheckCond != "" || j.HashCond != "" || j.MergeCond != "" || j.TIDCond != ""}
	if parallel > 1 {
		n.Parallel = parallel
	}
	childParallel := parallel
	if (j.Type == "Gather" || j.Type == "Gather Merge") && j.Workers > 0 {
		childParallel = divisor(j.Workers)
	}
	self := j.TotalCost
	for i := range j.Plans {
		c := build(&j.Plans[i], childParallel)
		n.Children = append(n.Children, c)
		self -= c.TotalCost
	}
	n.Self = max(self, 0)
	return n
}

// divisor is PostgreSQL's parallel divisor (costsize.c): the workers plus
// what the leader contributes, 1 - 0.3 per worker, while that is positive.
func divisor(workers float64) float64 {
	d := workers
	if lead := 1 - 0.3*workers; lead > 0 {
		d += lead
	}
	return d
}

func (n *Node) walk(f func(*Node)) {
	f(n)
	for _, c := range n.Children {
		c.walk(f)
	}
}

// total is the rows a node returns over all the processes of a parallel
// plan.
func (n *Node) total() float64 { return n.Rows * n.Parallel }

// Describe says what the node does in plain words, e.g. "sequential scan of
// events, ~5M rows", "nested loop over 5M × 5M rows (every pair: no join
// condition)", "sort of ~12M rows".
func (n *Node) Describe() string {
	if n == nil {
		return "unknown"
	}
	rows := "~" + numfmt.Approx(n.total()) + " rows"
	of := n.Relation
	if of == "" {
		of = n.Alias
	}
	child := func(i int) float64 {
		if i < len(n.Children) {
			return n.Children[i].total()
		}
		return 0
	}
	inputs := func() string {
		var in float64
		for _, c := range n.Children {
			if c.Relationship != "InitPlan" && c.Relationship != "SubPlan" {
				in += c.total()
			}
		}
		return "~" + numfmt.Approx(in) + " rows"
	}
	parallel := ""
	if n.Parallel > 1 {
		parallel = "parallel "
	}
	switch n.Type {
	case "Seq Scan":
		if n.Conditions {
			return parallel + "sequential scan of " + of + ", keeping " + rows
		}
		return parallel + "sequential scan of " + of + ", " + rows
	case "Index Scan", "Index Only Scan":
		kind := "index scan"
		if n.Type == "Index Only Scan" {
			kind = "index-only scan"
		}
		return parallel + kind + " of " + of + " using " + n.Index + ", " + rows
	case "Bitmap Heap Scan":
		return parallel + "bitmap heap scan of " + of + ", " + rows
	case "Bitmap Index Scan":
		return "bitmap index scan of " + n.Index + ", " + rows
	case "Tid Scan", "Tid Range Scan", "Sample Scan":
		return strings.ToLower(n.Type) + " of " + of + ", " + rows
	case "Function Scan":
		return "function scan of " + n.Function + ", " + rows
	case "CTE Scan":
		return "scan of the WITH query " + n.CTE + ", " + rows
	case "Nested Loop":
		s := "nested loop over " + numfmt.Approx(child(0)) + " × " + numfmt.Approx(child(1)) + " rows"
		if !n.Conditions && len(n.Children) == 2 && !n.Children[1].anyConditions() {
			s += " (every pair: no join condition)"
		}
		return s
	case "Hash Join", "Merge Join":
		s := strings.ToLower(n.Type) + " of " + numfmt.Approx(child(0)) + " and " + numfmt.Approx(child(1)) + " rows"
		if n.Rows > 0 {
			s += ", giving " + rows
		}
		return s
	case "Sort", "Incremental Sort":
		return strings.ToLower(n.Type) + " of " + inputs()
	case "Aggregate":
		switch n.Strategy {
		case "Hashed":
			return "hash aggregate of " + inputs() + " into " + rows
		case "Sorted":
			return "grouping of " + inputs() + " into " + rows
		}
		return "aggregate of " + inputs()
	case "WindowAgg":
		return "window function over " + inputs()
	case "Materialize":
		return "materialization of " + rows
	case "Hash":
		return "hash table of " + rows
	case "Gather", "Gather Merge":
		return strings.ToLower(n.Type) + " of " + rows + " from parallel workers"
	case "Append", "Merge Append":
		return strings.ToLower(n.Type) + " of " + rows
	}
	s := strings.ToLower(n.Type)
	if of != "" {
		s += " of " + of
	}
	return s + ", " + rows
}

// anyConditions reports whether a condition restricts n or a node below it
// (an inner side filtered by the outer row).
func (n *Node) anyConditions() bool {
	if n.Conditions {
		return true
	}
	for _, c := range n.Children {
		if c.anyConditions() {
			return true
		}
	}
	return false
}

// String writes the estimate: "~41k rows, cost 1,234".
func (p *Plan) String() string {
	if p == nil {
		return "no estimate"
	}
	return "~" + numfmt.Approx(p.Rows) + " rows, cost " + numfmt.Approx(p.Cost)
}
