package explore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/replicalab/replicalab/internal/child"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

// Node is a table in a relationship diagram.
type Node struct {
	Table    string   // schema.table
	Estimate int64    // estimated rows, -1 unknown
	Keys     []string // primary-key columns
}

// Edge is a reference from one table to another: a foreign key, or (Inferred) a column named
// like "<table>_id" that has no foreign key but matches a table with a one-column primary key.
type Edge struct {
	Name       string // constraint name; "inferred:<table>.<column>" for inferred links
	From, To   string // schema.table of the referencing and the referenced table
	Columns    []string
	RefColumns []string
	Inferred   bool
}

// Graph is the relationship graph of a schema, or of a table's neighbourhood.
type Graph struct {
	Nodes []Node
	Edges []Edge

	layout time.Duration // how long Graphviz may take (LayoutTime); 0: DefaultLayoutTime
	byName map[string][]int
}

const nodesSQL = `
SELECT n.nspname || '.' || c.relname, c.reltuples::float8,
       ARRAY(SELECT a.attname FROM pg_constraint AS p CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute AS a ON a.attrelid = p.conrelid AND a.attnum = k.num
             WHERE p.conrelid = c.oid AND p.contype = 'p' ORDER BY k.ord)
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
  AND ($1 = '' OR n.nspname = $1)
ORDER BY 1`

const edgesSQL = `
SELECT con.conname, cn.nspname || '.' || cc.relname, fn.nspname || '.' || fc.relname,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)
FROM pg_constraint AS con
JOIN pg_class AS cc ON cc.oid = con.conrelid JOIN pg_namespace AS cn ON cn.oid = cc.relnamespace
JOIN pg_class AS fc ON fc.oid = con.confrelid JOIN pg_namespace AS fn ON fn.oid = fc.relnamespace
WHERE con.contype = 'f' AND NOT cc.relispartition
  AND cn.nspname NOT IN ('pg_catalog', 'information_schema')
  AND ($1 = '' OR cn.nspname = $1 OR fn.nspname = $1)
ORDER BY 2, 1`

const idColumnsSQL = `
SELECT n.nspname, c.relname, a.attname
FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE '%\_id' AND c.relkind IN ('r', 'p', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND ($1 = '' OR n.nspname = $1)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS f WHERE f.conrelid = c.oid AND f.contype = 'f' AND a.attnum = ANY(f.conkey))
ORDER BY 1, 2, a.attnum`

// Relationships reads the foreign keys (and optionally inferred links) between tables: two or
// three catalog queries, no table scanned. Options: Schema, Around, Inferred, Timeout.
func Relationships(ctx context.Context, q Querier, opts ...Option) (*Graph, error) {
	return relationships(ctx, q, collect(opts))
}

// ShowDiagram is [Relationships] for a notebook cell: on the notebook's connection, drawn at once
// (Graphviz dot when installed); an error is shown and stops the cell.
//
//	%%
//	explore.ShowDiagram(explore.Around("orders", 2))
func ShowDiagram(opts ...Option) *Graph {
	g, err := Relationships(context.Background(), replica.Default(), opts...)
	if err != nil {
		display.Stop(err)
	}
	g.Show()
	return g
}

func relationships(ctx context.Context, q Querier, o options) (*Graph, error) {
	g := &Graph{}
	err := readOnly(ctx, q, o.timeout, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, nodesSQL, o.schema)
		if err != nil {
			return fmt.Errorf("explore: listing tables for the diagram: %w", err)
		}
		for rows.Next() {
			var n Node
			var est float64
			if err := rows.Scan(&n.Table, &est, &n.Keys); err != nil {
				rows.Close()
				return fmt.Errorf("explore: listing tables for the diagram: %w", err)
			}
			n.Estimate = int64(est + 0.5)
			if est < 0 {
				n.Estimate = -1
			}
			g.Nodes = append(g.Nodes, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("explore: listing tables for the diagram: %w", err)
		}
		rows, err = tx.Query(ctx, edgesSQL, o.schema)
		if err != nil {
			return fmt.Errorf("explore: reading foreign keys: %w", err)
		}
		for rows.Next() {
			var e Edge
			if err := rows.Scan(&e.Name, &e.From, &e.To, &e.Columns, &e.RefColumns); err != nil {
				rows.Close()
				return fmt.Errorf("explore: reading foreign keys: %w", err)
			}
			g.Edges = append(g.Edges, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("explore: reading foreign keys: %w", err)
		}
		if !o.inferred {
			return nil
		}
		rows, err = tx.Query(ctx, idColumnsSQL, o.schema)
		if err != nil {
			return fmt.Errorf("explore: reading *_id columns: %w", err)
		}
		g.indexNames()
		defer rows.Close()
		for rows.Next() {
			var schema, table, col string
			if err := rows.Scan(&schema, &table, &col); err != nil {
				return fmt.Errorf("explore: reading *_id columns: %w", err)
			}
			if to, key, ok := g.guess(schema, strings.TrimSuffix(col, "_id")); ok {
				g.Edges = append(g.Edges, Edge{Name: "inferred:" + table + "." + col, From: schema + "." + table, To: to,
					Columns: []string{col}, RefColumns: []string{key}, Inferred: true})
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if o.around != "" {
		if err := g.keepAround(o.around, o.hops); err != nil {
			return nil, err
		}
	}
	g.layout = o.layout
	return g, nil
}

// indexNames maps each table name (without its schema) to its nodes, so that guessing the table a
// column refers to is a few lookups, not a pass over every table: the inferred links of a catalog of
// n tables and m *_id columns take time in n + m, not n × m.
func (g *Graph) indexNames() {
	g.byName = make(map[string][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		_, t, _ := strings.Cut(n.Table, ".")
		g.byName[t] = append(g.byName[t], i)
	}
}

// guess finds the table a "<stem>_id" column most likely refers to: same schema first.
func (g *Graph) guess(schema, stem string) (table, key string, ok bool) {
	if stem == "" {
		return "", "", false
	}
	// the last word: buyer_company -> company
	words := strings.Split(stem, "_")
	cands := []string{stem, words[len(words)-1]}
	var names []string
	for _, c := range cands {
		names = append(names, c, c+"s", c+"es")
		if strings.HasSuffix(c, "y") {
			names = append(names, strings.TrimSuffix(c, "y")+"ies")
		}
	}
	if g.byName == nil {
		g.indexNames()
	}
	for _, sameSchema := range []bool{true, false} {
		for _, name := range names {
			for _, i := range g.byName[name] {
				n := g.Nodes[i]
				s, _, _ := strings.Cut(n.Table, ".")
				if (s == schema) == sameSchema && len(n.Keys) == 1 {
					return n.Table, n.Keys[0], true
				}
			}
		}
	}
	return "", "", false
}

// keepAround keeps the tables within hops links of center.
func (g *Graph) keepAround(center string, hops int) error {
	if hops <= 0 {
		hops = 1
	}
	found := ""
	for _, n := range g.Nodes {
		if n.Table == center || (!strings.Contains(center, ".") && strings.HasSuffix(n.Table, "."+center)) {
			found = n.Table
			break
		}
	}
	if found == "" {
		return fmt.Errorf("%w: expected a table named %q in the diagram's schema, found none", ErrNoTable, center)
	}
	adj := map[string][]string{}
	for _, e := range g.Edges {
		adj[e.From] = append(adj[e.From], e.To)
		adj[e.To] = append(adj[e.To], e.From)
	}
	dist := map[string]int{found: 0}
	frontier := []string{found}
	for h := 1; h <= hops && len(frontier) > 0; h++ {
		var next []string
		for _, t := range frontier {
			for _, u := range adj[t] {
				if _, seen := dist[u]; !seen {
					dist[u] = h
					next = append(next, u)
				}
			}
		}
		frontier = next
	}
	var nodes []Node
	for _, n := range g.Nodes {
		if _, ok := dist[n.Table]; ok {
			nodes = append(nodes, n)
		}
	}
	var edges []Edge
	for _, e := range g.Edges {
		_, a := dist[e.From]
		_, b := dist[e.To]
		if a && b {
			edges = append(edges, e)
		}
	}
	g.Nodes, g.Edges = nodes, edges
	return nil
}

func dotID(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }

// DOT returns the graph in Graphviz's language: one box per table (name, estimated rows,
// primary key), one arrow per foreign key from the referencing to the referenced table, dashed
// for inferred links. Edges carry id "fk:<constraint>" in the SVG.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph relationships {\n")
	b.WriteString("  graph [rankdir=LR, nodesep=0.25, ranksep=0.9, splines=true, fontname=\"Helvetica\", bgcolor=\"transparent\"];\n")
	b.WriteString("  node [shape=plain, fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [color=\"#4c78a8\", arrowsize=0.6, fontname=\"Helvetica\", fontsize=8];\n")
	labels := len(g.Edges) <= labelLimit
	for _, n := range g.Nodes {
		est := "rows unknown (never analyzed)"
		if n.Estimate >= 0 {
			est = "≈ " + numfmt.Int(n.Estimate) + " rows"
		}
		keys := ""
		if len(n.Keys) > 0 {
			keys = fmt.Sprintf(`<tr><td align="left"><font point-size="8">PK %s</font></td></tr>`, esc(strings.Join(n.Keys, ", ")))
		}
		fmt.Fprintf(&b, "  %s [id=%s, tooltip=%s, label=<<table border=\"1\" cellborder=\"0\" cellspacing=\"0\" cellpadding=\"3\" bgcolor=\"#f5f8fc\">"+
			"<tr><td bgcolor=\"#dce6f2\"><b>%s</b></td></tr><tr><td align=\"left\"><font point-size=\"8\">%s</font></td></tr>%s</table>>];\n",
			dotID(n.Table), dotID("table:"+n.Table), dotID(n.Table), esc(n.Table), esc(est), keys)
	}
	for _, e := range g.Edges {
		attrs := []string{"id=" + dotID("fk:"+e.Name), "tooltip=" + dotID(e.From+"("+strings.Join(e.Columns, ", ")+") → "+e.To+"("+strings.Join(e.RefColumns, ", ")+")")}
		if labels {
			attrs = append(attrs, "label="+dotID(strings.Join(e.Columns, ", ")))
		}
		if e.Inferred {
			attrs = append(attrs, "style=dashed", `color="#999999"`)
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", dotID(e.From), dotID(e.To), strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	return b.String()
}

// labelLimit is the most links a diagram labels with their columns: beyond, labels crowd the arrows
// (the columns stay in each arrow's tooltip).
const labelLimit = 60

// DefaultLayoutTime is how long Graphviz may take to lay a diagram out (a schema map: all its groups)
// before the built-in layout is drawn instead; [LayoutTime] changes it.
const DefaultLayoutTime = 15 * time.Second

// ErrNoDot is matched when Graphviz's dot program is not installed (SVG then falls back to the
// built-in layout).
var ErrNoDot = errors.New("explore: Graphviz dot not found (Debian: apt-get install graphviz)")

// ErrLayoutTime is matched when Graphviz did not finish within the layout time; dot was stopped.
var ErrLayoutTime = errors.New("explore: Graphviz did not finish in time")

// DotSVG lays the graph out with Graphviz dot and returns the SVG (without XML prolog). dot is stopped
// (with whatever it started) when ctx ends, after the layout time, or if the program dies.
func (g *Graph) DotSVG(ctx context.Context) (string, error) {
	return dotSVG(ctx, g.DOT(), g.layoutTime())
}

func (g *Graph) layoutTime() time.Duration {
	if g.layout > 0 {
		return g.layout
	}
	return DefaultLayoutTime
}

// dotSVG runs dot on a graph's DOT text for at most limit.
func dotSVG(ctx context.Context, dot string, limit time.Duration) (string, error) {
	path, err := exec.LookPath("dot")
	if err != nil {
		return "", ErrNoDot
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := child.Command(ctx, path, "-Tsvg")
	cmd.Stdin = strings.NewReader(dot)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("%w (%s)", ErrLayoutTime, shortDur(limit))
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("explore: dot -Tsvg: %w", ctx.Err())
		}
		return "", fmt.Errorf("explore: dot -Tsvg failed: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	svg := out.String()
	if i := strings.Index(svg, "<svg"); i >= 0 {
		svg = svg[i:]
	}
	return svg, nil
}

func shortDur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

// SVG returns the diagram as SVG: laid out by Graphviz dot when it is installed (the best layout
// for many tables; at most the layout time), else by the built-in layered layout.
func (g *Graph) SVG() string {
	svg, _ := g.svg(context.Background())
	return svg
}

// svg is SVG, and why the built-in layout was drawn ("" when dot drew it).
func (g *Graph) svg(ctx context.Context) (svg, fallback string) {
	svg, err := g.DotSVG(ctx)
	switch {
	case err == nil:
		return svg, ""
	case errors.Is(err, ErrNoDot):
		return g.LayeredSVG(), "Graphviz is not installed: drawn with the built-in layout (make graphviz, or apt-get install graphviz, for a better one)"
	case errors.Is(err, ErrLayoutTime):
		return g.LayeredSVG(), fmt.Sprintf("Graphviz did not finish laying out %s and %s within %s and was stopped: drawn with the built-in layout instead "+
			"(explore.LayoutTime to wait longer, or explore.Around for a table's neighbourhood)",
			numfmt.Count(len(g.Nodes), "table", "tables"), numfmt.Count(len(g.Edges), "link", "links"), shortDur(g.layoutTime()))
	}
	return g.LayeredSVG(), "Graphviz failed (" + err.Error() + "): drawn with the built-in layout instead"
}

// HTML wraps the SVG in a scrollable box with a legend.
func (g *Graph) HTML() string {
	inferred := 0
	for _, e := range g.Edges {
		if e.Inferred {
			inferred++
		}
	}
	legend := numfmt.Count(len(g.Nodes), "table", "tables") + ", " + numfmt.Count(len(g.Edges)-inferred, "foreign key", "foreign keys")
	if inferred > 0 {
		legend += ", " + numfmt.Count(inferred, "inferred link", "inferred links") + " (dashed: *_id columns without a foreign key)"
	}
	if len(g.Nodes) > mapAbove {
		return g.mapHTML(context.Background(), legend)
	}
	id := g.mapID()
	svg, fallback := g.svg(context.Background())
	note := ""
	if fallback != "" {
		note = `<p class="rl-note">` + esc(fallback) + `.</p>`
	}
	if len(g.Edges) > labelLimit {
		legend += "; too many links to label each with its columns"
	}
	return fmt.Sprintf(`<div class="replicalab-erd" id="%s" %s><style>%s</style><p><small>%s. Arrows point from the referencing table to the referenced one<span %s>; hover for columns</span>.</small></p>%s%s</div>`,
		id, provenance.ExploreAttrs("diagram"), strings.ReplaceAll(mapCSS, "#ID", "#"+id), esc(legend), provenance.NotebookOnly, note, viewer(id+"_v", svg))
}

// Show displays the diagram: the SVG in a notebook, the list of links elsewhere.
func (g *Graph) Show() { show(g.HTML(), g.String()) }

// String lists the links as text, "public.orders → public.companies (orders_buyer_company_id_fkey)",
// after a count of tables and links.
func (g *Graph) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s\n", numfmt.Count(len(g.Nodes), "table", "tables"), numfmt.Count(len(g.Edges), "link", "links"))
	for _, e := range g.Edges {
		kind := e.Name
		if e.Inferred {
			kind = "inferred from " + strings.Join(e.Columns, ", ")
		}
		fmt.Fprintf(&b, "%s → %s (%s)\n", e.From, e.To, kind)
	}
	return b.String()
}

// LayeredSVG lays the graph out without Graphviz: referenced tables to the right of the tables
// referring to them (longest-path layers), rows ordered by the barycentre of their neighbours.
func (g *Graph) LayeredSVG() string {
	return g.layered(func(n Node) string { return "table:" + n.Table }, func(e Edge) string { return "fk:" + e.Name },
		func(n Node) string { return n.Table })
}

// layered draws the built-in layout with the given ids and box labels.
func (g *Graph) layered(nodeID func(Node) string, edgeID func(Edge) string, label func(Node) string) string {
	index := map[string]int{}
	for i, n := range g.Nodes {
		index[n.Table] = i
	}
	// layer = longest path to a sink along references (referenced tables get smaller layers,
	// drawn on the right).
	layer := make([]int, len(g.Nodes))
	for iter := 0; iter < len(g.Nodes); iter++ {
		changed := false
		for _, e := range g.Edges {
			f, okf := index[e.From]
			t, okt := index[e.To]
			if !okf || !okt || f == t {
				continue
			}
			if layer[f] < layer[t]+1 && layer[t]+1 < len(g.Nodes) {
				layer[f] = layer[t] + 1
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	maxLayer := 0
	for _, l := range layer {
		maxLayer = max(maxLayer, l)
	}
	cols := make([][]int, maxLayer+1)
	for i, l := range layer {
		cols[l] = append(cols[l], i)
	}
	pos := make([]float64, len(g.Nodes))
	for _, c := range cols {
		for r, i := range c {
			pos[i] = float64(r)
		}
	}
	for pass := 0; pass < 4; pass++ {
		for _, c := range cols {
			bary := map[int]float64{}
			for _, i := range c {
				sum, n := 0.0, 0
				for _, e := range g.Edges {
					f, t := index[e.From], index[e.To]
					if f == i && t != i {
						sum, n = sum+pos[t], n+1
					} else if t == i && f != i {
						sum, n = sum+pos[f], n+1
					}
				}
				if n > 0 {
					bary[i] = sum / float64(n)
				} else {
					bary[i] = pos[i]
				}
			}
			sort.SliceStable(c, func(a, b int) bool { return bary[c[a]] < bary[c[b]] })
			for r, i := range c {
				pos[i] = float64(r)
			}
		}
	}
	const boxW, boxH, gapX, gapY, pad = 190.0, 34.0, 90.0, 16.0, 10.0
	rowsMax := 0
	for _, c := range cols {
		rowsMax = max(rowsMax, len(c))
	}
	width := pad*2 + float64(len(cols))*boxW + float64(len(cols)-1)*gapX
	height := pad*2 + float64(rowsMax)*(boxH+gapY)
	xy := func(i int) (float64, float64) {
		return pad + float64(maxLayer-layer[i])*(boxW+gapX), pad + pos[i]*(boxH+gapY)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica,sans-serif">`, width, height, width, height)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#4c78a8"/></marker></defs>`)
	for _, e := range g.Edges {
		f, okf := index[e.From]
		t, okt := index[e.To]
		if !okf || !okt {
			continue
		}
		x1, y1 := xy(f)
		x2, y2 := xy(t)
		sx, sy, tx, ty := x1+boxW, y1+boxH/2, x2, y2+boxH/2
		if f == t || x2 <= x1 { // self or backward reference: loop around
			sx, tx = x1+boxW, x2+boxW
		}
		dash := ""
		if e.Inferred {
			dash = ` stroke-dasharray="4,3"`
		}
		fmt.Fprintf(&b, `<g id="%s" class="edge"><title>%s</title><path d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="#4c78a8"%s marker-end="url(#arrow)"/></g>`,
			esc(edgeID(e)), esc(e.From+"("+strings.Join(e.Columns, ", ")+") → "+e.To+"("+strings.Join(e.RefColumns, ", ")+")"),
			sx, sy, sx+gapX/2, sy, tx-gapX/2, ty, tx, ty, dash)
	}
	for i, n := range g.Nodes {
		x, y := xy(i)
		est := "rows unknown"
		if n.Estimate >= 0 {
			est = "≈ " + numfmt.Int(n.Estimate) + " rows"
		}
		fmt.Fprintf(&b, `<g id="%s" class="node"><title>%s</title><rect x="%.1f" y="%.1f" width="%.0f" height="%.0f" rx="3" fill="#f5f8fc" stroke="#4c78a8"/>`+
			`<text x="%.1f" y="%.1f" font-size="11" font-weight="bold">%s</text><text x="%.1f" y="%.1f" font-size="9" fill="#555">%s</text></g>`,
			esc(nodeID(n)), esc(n.Table), x, y, boxW, boxH, x+5, y+14, esc(ellipsis(label(n), 30)), x+5, y+27, esc(est))
	}
	b.WriteString("</svg>")
	return b.String()
}
