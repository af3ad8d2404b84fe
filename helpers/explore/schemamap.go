package explore

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/replicalab/replicalab/internal/numfmt"
	"github.com/replicalab/replicalab/internal/provenance"
)

// The schema map: how a diagram of many tables opens on something readable.
//
// A graph of up to mapAbove tables is one diagram. A larger one is a map: its tables are gathered into
// groups of at most groupSize linked tables, each named after its most connected table, and the first
// screen shows one card per group (its tables' names, its counts, the groups it links to); each card
// opens the group's diagram, where links to other groups end in boxes that open those. Every table is
// in an A–Z list that jumps to its box, and in a live notebook a search box finds a table as you type.
//
// It is HTML and SVG with CSS, self-contained: it needs no network, and everything but the search box
// works without scripts, so the same output keeps working in exported reports, which remove scripts —
// there the A–Z list and the browser's own search find a table, and a card or list entry opens its group
// through the page's address (CSS :target). Zoom is CSS as well: each diagram fits the width (fit), or
// shows at 100 % or 200 % in a box you scroll to pan. The one script, in the notebook only, adds the
// search box and opens groups where the notebook does not follow in-page links.
//
// Groups are laid out by Graphviz in parallel within the layout time (LayoutTime); a group it did not
// finish in time is drawn with the built-in layout, and the map says how many.

const (
	mapAbove  = 40 // more tables than this: a map of groups
	groupSize = 25 // the most tables in a group
	cardNames = 8  // table names a card lists
)

// group is a set of linked tables of one schema.
type group struct {
	hub       int    // the table that names it: its most connected table; -1 for tables without links
	nodes     []int  // indexes into Graph.Nodes, most connected first
	continued bool   // more of the tables linked to hub, whose own group is full
	name      string // set once the groups are in their order: unique ("hub, continued 2")
}

// groups gathers the tables into groups of at most size linked tables, within each schema: a set of
// linked tables (a connected component) small enough is a group; a larger one is split, each part grown
// breadth-first from the most connected table not yet placed (most connected neighbours first) until it
// is full, then parts under half full merge into the neighbouring part they link to most when it has
// room; sets of fewer than size/2 linked tables are packed together; tables without links are grouped by
// name. Every group is named after its most connected table. Deterministic: the same catalog gives the
// same groups.
func (g *Graph) groups(size int) []group {
	index := make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.Table] = i
	}
	schema := func(i int) string { s, _, _ := strings.Cut(g.Nodes[i].Table, "."); return s }
	adj := make([][]int, len(g.Nodes))
	for _, e := range g.Edges {
		f, okf := index[e.From]
		t, okt := index[e.To]
		if !okf || !okt || f == t || schema(f) != schema(t) {
			continue
		}
		adj[f] = append(adj[f], t)
		adj[t] = append(adj[t], f)
	}
	degree := func(i int) int { return len(adj[i]) }
	moreLinked := func(a, b int) int {
		if c := degree(b) - degree(a); c != 0 {
			return c
		}
		return strings.Compare(g.Nodes[a].Table, g.Nodes[b].Table)
	}
	// Connected components, by breadth-first search from each table in name order.
	comp := make([]int, len(g.Nodes))
	for i := range comp {
		comp[i] = -1
	}
	var comps [][]int
	for i := range g.Nodes {
		if comp[i] >= 0 {
			continue
		}
		c := []int{i}
		comp[i] = len(comps)
		for q := 0; q < len(c); q++ {
			for _, u := range adj[c[q]] {
				if comp[u] < 0 {
					comp[u] = len(comps)
					c = append(c, u)
				}
			}
		}
		comps = append(comps, c)
	}
	var out []group
	add := func(nodes []int) {
		slices.SortStableFunc(nodes, moreLinked)
		hub := nodes[0]
		if degree(hub) == 0 {
			hub = -1
		}
		out = append(out, group{hub: hub, nodes: nodes})
	}
	var alone []int
	var smallSets [][]int
	for _, c := range comps {
		switch {
		case len(c) == 1:
			alone = append(alone, c[0])
		case len(c) < size/2:
			smallSets = append(smallSets, c)
		case len(c) <= size:
			add(slices.Clone(c))
		default:
			for _, part := range g.split(c, adj, size, moreLinked) {
				slices.SortStableFunc(part.nodes, moreLinked)
				if part.hub < 0 {
					part.hub = part.nodes[0]
				}
				out = append(out, part)
			}
		}
	}
	// Small sets packed together, largest first, by schema.
	slices.SortStableFunc(smallSets, func(a, b []int) int {
		if c := strings.Compare(schema(a[0]), schema(b[0])); c != 0 {
			return c
		}
		return len(b) - len(a)
	})
	var bin []int
	for _, c := range smallSets {
		if len(bin) > 0 && (len(bin)+len(c) > size || schema(bin[0]) != schema(c[0])) {
			add(bin)
			bin = nil
		}
		bin = append(bin, c...)
	}
	if len(bin) > 0 {
		add(bin)
	}
	// Tables without links, by schema and name.
	slices.SortStableFunc(alone, func(a, b int) int { return strings.Compare(g.Nodes[a].Table, g.Nodes[b].Table) })
	for start := 0; start < len(alone); {
		end := start
		for end < len(alone) && end-start < size && schema(alone[end]) == schema(alone[start]) {
			end++
		}
		out = append(out, group{hub: -1, nodes: slices.Clone(alone[start:end])})
		start = end
	}
	return out
}

// split divides a connected set of tables larger than size into parts of at most size.
func (g *Graph) split(c []int, adj [][]int, size int, moreLinked func(a, b int) int) []group {
	order := slices.Clone(c)
	slices.SortStableFunc(order, moreLinked)
	part := map[int]int{}
	var parts [][]int
	for _, seed := range order {
		if _, ok := part[seed]; ok {
			continue
		}
		k := len(parts)
		p := []int{seed}
		part[seed] = k
		for q := 0; q < len(p) && len(p) < size; q++ {
			// Least connected neighbours first: the tables that hang on this one belong with it, while
			// a neighbour with many links of its own is the centre of another part.
			next := slices.Clone(adj[p[q]])
			slices.SortStableFunc(next, func(a, b int) int { return -moreLinked(a, b) })
			for _, u := range next {
				if len(p) == size {
					break
				}
				if _, ok := part[u]; !ok {
					part[u] = k
					p = append(p, u)
				}
			}
		}
		parts = append(parts, p)
	}
	// Parts under half full merge into the neighbouring part they link to most, when it has room.
	for changed := true; changed; {
		changed = false
		for k := range parts {
			if len(parts[k]) == 0 || len(parts[k]) >= size/2 {
				continue
			}
			links := map[int]int{}
			for _, i := range parts[k] {
				for _, u := range adj[i] {
					if o := part[u]; o != k {
						links[o]++
					}
				}
			}
			best := -1
			for o, n := range links {
				if len(parts[o])+len(parts[k]) > size {
					continue
				}
				if best < 0 || n > links[best] || n == links[best] && o < best {
					best = o
				}
			}
			if best < 0 {
				continue
			}
			for _, i := range parts[k] {
				part[i] = best
			}
			parts[best] = append(parts[best], parts[k]...)
			parts[k] = nil
			changed = true
		}
	}
	// Parts still under half full (tables whose neighbours' parts are full: the many tables that refer to
	// one) are packed together by the part they link to most: "<its most connected table>, continued".
	buckets := map[int][]int{}
	var order2 []int
	seed := make([]int, len(parts)) // the table each part grew from (its most connected), before packing
	for k, p := range parts {
		seed[k] = -1
		if len(p) > 0 {
			seed[k] = p[0]
		}
	}
	for k := range parts {
		if len(parts[k]) == 0 || len(parts[k]) >= size/2 {
			continue
		}
		links := map[int]int{}
		best := -1
		for _, i := range parts[k] {
			for _, u := range adj[i] {
				if o := part[u]; o != k {
					links[o]++
					if best < 0 || links[o] > links[best] || links[o] == links[best] && o < best {
						best = o
					}
				}
			}
		}
		if _, ok := buckets[best]; !ok {
			order2 = append(order2, best)
		}
		buckets[best] = append(buckets[best], k)
	}
	var out []group
	for _, p := range parts {
		if len(p) >= size/2 { // the others were packed into buckets above
			out = append(out, group{hub: p[0], nodes: p})
		}
	}
	for _, b := range order2 {
		var p []int
		flush := func() {
			if len(p) > 0 {
				hub := -1
				if b >= 0 {
					hub = seed[b]
				}
				out = append(out, group{hub: hub, nodes: p, continued: hub >= 0})
				p = nil
			}
		}
		for _, k := range buckets[b] {
			if len(p)+len(parts[k]) > size {
				flush()
			}
			p = append(p, parts[k]...)
			parts[k] = nil
		}
		flush()
	}
	return out
}

// mapIDs names the elements of one rendering of a graph: a prefix from the graph's content, so that the
// same graph gives the same HTML (and two different graphs in one notebook do not share ids).
func (g *Graph) mapID() string {
	h := fnv.New64a()
	for _, n := range g.Nodes {
		h.Write([]byte(n.Table + "\x00"))
	}
	for _, e := range g.Edges {
		h.Write([]byte(e.Name + "\x00" + e.From + "\x00" + e.To + "\x00"))
	}
	return "rlmap_" + strconv.FormatUint(h.Sum64()&0xffffffffff, 36)
}

// displayName is a table's name as a map shows it: without its schema when the graph has one schema.
func (g *Graph) displayName(i int, oneSchema bool) string {
	if oneSchema {
		_, t, _ := strings.Cut(g.Nodes[i].Table, ".")
		return t
	}
	return g.Nodes[i].Table
}

func (g *Graph) oneSchema() bool {
	first := ""
	for i, n := range g.Nodes {
		s, _, _ := strings.Cut(n.Table, ".")
		if i == 0 {
			first = s
		} else if s != first {
			return false
		}
	}
	return true
}

// groupLayout is one group's drawing.
type groupLayout struct {
	svg      string
	fallback bool // drawn with the built-in layout
}

// layoutBatch is how many groups one dot process lays out: dot reads several graphs and writes one SVG
// each, which saves starting a process per group.
const layoutBatch = 8

// layoutGroups draws every group, Graphviz first, in parallel, within the layout time.
func (g *Graph) layoutGroups(ctx context.Context, id string, gs []group, owner []int, oneSchema bool) ([]groupLayout, string) {
	out := make([]groupLayout, len(gs))
	ctx, cancel := context.WithTimeout(ctx, g.layoutTime())
	defer cancel()
	work := make(chan []int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var noDot bool
	for w := 0; w < max(1, runtime.NumCPU()); w++ {
		wg.Go(func() {
			for batch := range work {
				var dot strings.Builder
				for _, k := range batch {
					dot.WriteString(g.groupDOT(id, k, gs, owner, oneSchema))
				}
				svg, err := dotSVG(ctx, dot.String(), g.layoutTime())
				var svgs []string
				if err == nil {
					svgs = splitSVGs(svg)
				}
				for j, k := range batch {
					if err != nil || len(svgs) != len(batch) {
						mu.Lock()
						noDot = noDot || err == ErrNoDot
						mu.Unlock()
						out[k] = groupLayout{svg: g.groupLayered(id, gs[k], oneSchema), fallback: true}
						continue
					}
					out[k] = groupLayout{svg: compactSVG(svgs[j])}
				}
			}
		})
	}
	for start := 0; start < len(gs); start += layoutBatch {
		batch := make([]int, 0, layoutBatch)
		for k := start; k < min(start+layoutBatch, len(gs)); k++ {
			batch = append(batch, k)
		}
		work <- batch
	}
	close(work)
	wg.Wait()
	fell := 0
	for _, l := range out {
		if l.fallback {
			fell++
		}
	}
	switch {
	case fell == 0:
		return out, ""
	case noDot:
		return out, "Graphviz is not installed: the groups are drawn with the built-in layout (make graphviz, or apt-get install graphviz, for a better one)."
	}
	return out, fmt.Sprintf("Graphviz laid out %d of %s within %s and was stopped; the other %d are drawn with the built-in layout (explore.LayoutTime to wait longer).",
		len(gs)-fell, numfmt.Count(len(gs), "group", "groups"), shortDur(g.layoutTime()), fell)
}

// splitSVGs splits dot's output for several graphs into one SVG each, from <svg to </svg>.
func splitSVGs(out string) []string {
	var svgs []string
	for {
		i := strings.Index(out, "<svg")
		if i < 0 {
			return svgs
		}
		j := strings.Index(out[i:], "</svg>")
		if j < 0 {
			return svgs
		}
		svgs = append(svgs, out[i:i+j+len("</svg>")])
		out = out[i+j+len("</svg>"):]
	}
}

// groupDOT is the DOT text of group k: its tables, its links, and one box per other group it links to,
// which opens that group.
func (g *Graph) groupDOT(id string, k int, gs []group, owner []int, oneSchema bool) string {
	in := map[int]bool{}
	for _, i := range gs[k].nodes {
		in[i] = true
	}
	index := make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.Table] = i
	}
	var inner []Edge
	outside := map[int]int{} // other group → links
	for _, e := range g.Edges {
		f, t := index[e.From], index[e.To]
		switch {
		case in[f] && in[t]:
			inner = append(inner, e)
		case in[f]:
			outside[owner[t]]++
		case in[t]:
			outside[owner[f]]++
		}
	}
	var b strings.Builder
	b.WriteString("digraph group {\n")
	b.WriteString("  graph [rankdir=LR, nodesep=0.2, ranksep=0.7, fontname=\"Helvetica\", bgcolor=\"transparent\"];\n")
	b.WriteString("  node [shape=box, style=filled, fillcolor=\"#f5f8fc\", color=\"#4c78a8\", fontname=\"Helvetica\", fontsize=11, margin=\"0.1,0.05\"];\n")
	b.WriteString("  edge [color=\"#4c78a8\", arrowsize=0.6, fontname=\"Helvetica\", fontsize=9, fontcolor=\"#555555\"];\n")
	for _, i := range gs[k].nodes {
		n := g.Nodes[i]
		est := "rows unknown"
		if n.Estimate >= 0 {
			est = "≈ " + numfmt.Int(n.Estimate) + " rows"
		}
		if len(n.Keys) > 0 {
			est += " · PK " + strings.Join(n.Keys, ", ")
		}
		fmt.Fprintf(&b, "  %s [id=%s, tooltip=%s, label=<<b>%s</b><br/><font point-size=\"9\">%s</font>>];\n",
			dotID("t"+strconv.Itoa(i)), dotID(id+"_t"+strconv.Itoa(i)), dotID(n.Table), esc(g.displayName(i, oneSchema)), esc(est))
	}
	others := make([]int, 0, len(outside))
	for o := range outside {
		others = append(others, o)
	}
	slices.Sort(others)
	for _, o := range others {
		fmt.Fprintf(&b, "  %s [id=%s, href=%s, tooltip=%s, label=%s, style=dashed, color=\"#999999\", fontcolor=\"#444444\", fontsize=10];\n",
			dotID("g"+strconv.Itoa(o)), dotID(fmt.Sprintf("%s_g%d_to_g%d", id, k, o)), dotID("#"+id+"_g"+strconv.Itoa(o)),
			dotID("open the group "+g.groupName(gs[o], oneSchema)), dotID("→ "+g.groupName(gs[o], oneSchema)+"\n"+numfmt.Count(outside[o], "link", "links")))
	}
	labels := len(inner) <= labelLimit
	for _, e := range inner {
		attrs := []string{"id=" + dotID(id+"_fk_"+e.Name), "tooltip=" + dotID(e.From+"("+strings.Join(e.Columns, ", ")+") → "+e.To+"("+strings.Join(e.RefColumns, ", ")+")")}
		if labels {
			attrs = append(attrs, "label="+dotID(strings.Join(e.Columns, ", ")))
		}
		if e.Inferred {
			attrs = append(attrs, "style=dashed", `color="#999999"`)
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", dotID("t"+strconv.Itoa(index[e.From])), dotID("t"+strconv.Itoa(index[e.To])), strings.Join(attrs, ", "))
	}
	// The links to other groups: from the group's tables that have them.
	seen := map[[2]int]bool{}
	for _, e := range g.Edges {
		f, t := index[e.From], index[e.To]
		var mine, other int
		switch {
		case in[f] && !in[t]:
			mine, other = f, owner[t]
		case in[t] && !in[f]:
			mine, other = t, owner[f]
		default:
			continue
		}
		if seen[[2]int{mine, other}] {
			continue
		}
		seen[[2]int{mine, other}] = true
		fmt.Fprintf(&b, "  %s -> %s [style=dashed, color=\"#999999\", arrowhead=none];\n", dotID("t"+strconv.Itoa(mine)), dotID("g"+strconv.Itoa(other)))
	}
	b.WriteString("}\n")
	return b.String()
}

// groupLayered draws a group with the built-in layout, its boxes carrying the map's ids.
func (g *Graph) groupLayered(id string, gr group, oneSchema bool) string {
	in := map[string]bool{}
	sub := &Graph{}
	ids := map[string]string{}
	names := map[string]string{}
	for _, i := range gr.nodes {
		n := g.Nodes[i]
		sub.Nodes = append(sub.Nodes, n)
		in[n.Table] = true
		ids[n.Table] = id + "_t" + strconv.Itoa(i)
		names[n.Table] = g.displayName(i, oneSchema)
	}
	for _, e := range g.Edges {
		if in[e.From] && in[e.To] {
			sub.Edges = append(sub.Edges, e)
		}
	}
	return sub.layered(func(n Node) string { return ids[n.Table] }, func(e Edge) string { return id + "_fk_" + e.Name },
		func(n Node) string { return names[n.Table] })
}

func (g *Graph) groupName(gr group, oneSchema bool) string {
	if gr.name != "" {
		return gr.name
	}
	if gr.hub < 0 {
		first, last := g.displayName(gr.nodes[0], oneSchema), g.displayName(gr.nodes[len(gr.nodes)-1], oneSchema)
		if len(gr.nodes) == 1 {
			return first + " (no links)"
		}
		return "no links: " + first + " … " + last
	}
	if gr.continued {
		return g.displayName(gr.hub, oneSchema) + ", continued"
	}
	return g.displayName(gr.hub, oneSchema)
}

var (
	svgComment = regexp.MustCompile(`<!--[^>]*-->\n?`)
	svgTitle   = regexp.MustCompile(`<title>[^<]*</title>\n?`)
	svgFont    = regexp.MustCompile(` font-family="[^"]*"`)
	svgBreaks  = regexp.MustCompile(`>\n<`)
)

// compactSVG drops what a Graphviz SVG repeats for nothing: comments, the internal names Graphviz puts in
// <title> (each box and arrow has its tooltip on its link), the font family on every text (the map's
// CSS sets it once), the line breaks between elements. A third of its size.
func compactSVG(svg string) string {
	svg = svgComment.ReplaceAllString(svg, "")
	svg = svgTitle.ReplaceAllString(svg, "")
	svg = svgFont.ReplaceAllString(svg, "")
	return svgBreaks.ReplaceAllString(svg, "><")
}

var svgSize = regexp.MustCompile(`<svg[^>]*?\swidth="([0-9.]+)(pt|px)?"[^>]*?\sheight="([0-9.]+)(pt|px)?"`)

// viewer is a diagram with its zoom: fit the width (the default), 100 % or 200 %, panned by scrolling.
// CSS only: it works where scripts do not run.
func viewer(id, svg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="rl-view" id="%s">`, id)
	w, h, unit := 0.0, 0.0, "pt"
	if m := svgSize.FindStringSubmatch(svg); m != nil {
		w, _ = strconv.ParseFloat(m[1], 64)
		h, _ = strconv.ParseFloat(m[3], 64)
		if m[2] != "" {
			unit = m[2]
		}
	}
	if w > 0 && h > 0 {
		// The radio buttons come before the viewport, as its siblings, for the CSS to reach it.
		var labels strings.Builder
		for z, label := range []string{"fit", "100 %", "200 %"} {
			checked := ""
			if z == 0 {
				checked = " checked"
			}
			fmt.Fprintf(&b, `<input type="radio" class="rl-zi" name="%[1]s_z" id="%[1]s_z%[2]d"%[3]s>`, id, z, checked)
			fmt.Fprintf(&labels, `<label for="%s_z%d">%s</label>`, id, z, label)
		}
		b.WriteString(`<span class="rl-zoom">zoom ` + labels.String() + `</span>`)
		fmt.Fprintf(&b, `<style>#%[1]s_z1:checked~.rl-vp svg{width:%.0[2]f%[4]s!important;height:%.0[3]f%[4]s!important;max-width:none!important}`+
			`#%[1]s_z2:checked~.rl-vp svg{width:%.0[5]f%[4]s!important;height:%.0[6]f%[4]s!important;max-width:none!important}`+
			`#%[1]s_z0:checked~.rl-zoom label[for=%[1]s_z0],#%[1]s_z1:checked~.rl-zoom label[for=%[1]s_z1],#%[1]s_z2:checked~.rl-zoom label[for=%[1]s_z2]{background:#dce6f2;border-color:#4c78a8}</style>`,
			id, w, h, unit, 2*w, 2*h)
	}
	b.WriteString(`<div class="rl-vp">` + svg + `</div></div>`)
	return b.String()
}

// mapCSS styles a map (scoped by its id).
const mapCSS = `#ID{font:13px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328}
#ID a{color:#0b5cad;text-decoration:none}#ID a:hover{text-decoration:underline}
#ID .rl-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:8px;margin:6px 0}
#ID .rl-card{border:1px solid #c8d3e0;border-radius:6px;padding:6px 9px;background:#f7f9fc;min-width:0;overflow-wrap:anywhere}
#ID .rl-card h4{margin:0 0 2px;font-size:14px}
#ID .rl-meta{color:#59636e;font-size:12px}
#ID .rl-names{margin:3px 0}
#ID .rl-links{color:#59636e;font-size:12px}
#ID .rl-sec{display:none;border-top:2px solid #4c78a8;margin-top:10px;padding-top:4px}
#ID .rl-sec:target,#ID .rl-sec:has(:target),#ID .rl-sec.rl-open{display:block}
#ID .rl-sec h4{margin:2px 0 4px;font-size:14px}
#ID .rl-view{margin:4px 0}
#ID .rl-zoom{font-size:12px;color:#59636e}
#ID input.rl-zi{position:absolute;opacity:0;width:1px;height:1px;margin:0}
#ID .rl-zoom label{border:1px solid #c8d3e0;border-radius:4px;padding:0 6px;margin-left:4px;cursor:pointer;background:#fff}
#ID .rl-vp{overflow:auto;max-height:80vh;border:1px solid #e1e7ef;border-radius:4px}
#ID .rl-vp svg{max-width:100%;height:auto}
#ID .rl-vp svg text{font-family:Helvetica,Arial,sans-serif}
#ID g.node:target polygon,#ID g.node:target path,#ID g.node:target rect,#ID g.node.rl-hit polygon,#ID g.node.rl-hit path,#ID g.node.rl-hit rect{stroke:#d62728;stroke-width:3px}
#ID .rl-index summary{cursor:pointer;margin:6px 0}
#ID .rl-cols{columns:16em auto;column-gap:1.5em;font-size:12px}
#ID .rl-cols a{display:block;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
#ID .rl-find input{font:inherit;padding:3px 8px;width:min(24em,100%);border:1px solid #c8d3e0;border-radius:4px}
#ID .rl-found a{display:inline-block;margin:2px 10px 2px 0}
#ID .rl-note{color:#8a6d00}
@media print{#ID .rl-zoom,#ID .rl-find{display:none}}
#ID .rl-view{position:relative}`

// mapJS wires a map in a live notebook: a search box that lists the tables whose name holds what is
// typed (Enter opens the first), and in-page links that open their group and light the table up, since
// the notebook does not follow in-page links by itself. Reports remove it; the map works without it.
const mapJS = `(() => {
  const root = document.getElementById(%q);
  if (!root || root.dataset.wired) return;
  root.dataset.wired = "1";
  const all = Array.from(root.querySelectorAll(".rl-index .rl-cols a"));
  const go = (href) => {
    const el = root.querySelector("#" + CSS.escape(href.slice(1)));
    if (!el) return;
    root.querySelectorAll(".rl-open").forEach(s => s.classList.remove("rl-open"));
    root.querySelectorAll(".rl-hit").forEach(s => s.classList.remove("rl-hit"));
    const sec = el.closest(".rl-sec") || (el.classList.contains("rl-sec") ? el : null);
    if (sec) sec.classList.add("rl-open");
    if (el !== sec) el.classList.add("rl-hit");
    el.scrollIntoView({block: "center", inline: "center"});
  };
  root.addEventListener("click", (ev) => {
    const a = ev.target.closest("a");
    if (!a) return;
    const href = a.getAttribute("href") || a.getAttribute("xlink:href") || "";
    if (!href.startsWith("#" + root.id)) return;
    ev.preventDefault();
    ev.stopPropagation();
    go(href);
  }, true);
  const find = root.querySelector(".rl-find");
  if (!find) return;
  const box = document.createElement("input");
  box.type = "search";
  box.placeholder = "Find a table (" + all.length + ")";
  box.setAttribute("aria-label", "Find a table");
  const found = document.createElement("div");
  found.className = "rl-found";
  find.append(box, found);
  box.addEventListener("input", () => {
    const q = box.value.trim().toLowerCase();
    found.replaceChildren();
    if (!q) return;
    let n = 0;
    for (const a of all) {
      if (!a.textContent.toLowerCase().includes(q)) continue;
      if (++n <= 30) found.append(a.cloneNode(true));
    }
    found.dataset.count = String(n);
    if (n > 30) found.append(" … " + (n - 30) + " more");
    if (n === 0) found.append("no table's name holds “" + box.value.trim() + "”");
  });
  box.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const a = found.querySelector("a");
    if (a) go(a.getAttribute("href"));
  });
})();`

// mapHTML renders a graph of many tables as a map of groups (see the top of this file).
func (g *Graph) mapHTML(ctx context.Context, legend string) string {
	start := time.Now()
	id := g.mapID()
	one := g.oneSchema()
	gs := g.groups(groupSize)
	// Cards in the order of their names, a group's continuation after it.
	slices.SortStableFunc(gs, func(a, c group) int {
		if d := strings.Compare(strings.TrimSuffix(g.groupName(a, one), ", continued"), strings.TrimSuffix(g.groupName(c, one), ", continued")); d != 0 {
			return d
		}
		if a.continued != c.continued {
			if a.continued {
				return 1
			}
			return -1
		}
		return 0
	})
	// Unique names: a hub's second and later continuations are numbered.
	named := map[string]int{}
	for k := range gs {
		name := g.groupName(gs[k], one)
		if named[name]++; named[name] > 1 {
			name = fmt.Sprintf("%s %d", name, named[name])
		}
		gs[k].name = name
	}
	owner := make([]int, len(g.Nodes))
	for k, gr := range gs {
		for _, i := range gr.nodes {
			owner[i] = k
		}
	}
	index := make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.Table] = i
	}
	degree := make([]int, len(g.Nodes))
	inner := make([]int, len(gs))
	between := make([]map[int]int, len(gs))
	for _, e := range g.Edges {
		f, okf := index[e.From]
		t, okt := index[e.To]
		if !okf || !okt {
			continue
		}
		degree[f]++
		degree[t]++
		if owner[f] == owner[t] {
			inner[owner[f]]++
			continue
		}
		for _, p := range [][2]int{{owner[f], owner[t]}, {owner[t], owner[f]}} {
			if between[p[0]] == nil {
				between[p[0]] = map[int]int{}
			}
			between[p[0]][p[1]]++
		}
	}
	layouts, note := g.layoutGroups(ctx, id, gs, owner, one)

	var b strings.Builder
	fmt.Fprintf(&b, `<div class="replicalab-erd replicalab-map" id="%s" %s>`, id, provenance.ExploreAttrs("diagram"))
	fmt.Fprintf(&b, `<style>%s</style>`, strings.ReplaceAll(mapCSS, "#ID", "#"+id))
	fmt.Fprintf(&b, `<p><b>%s</b> in %s of linked tables, each named after its most connected table. `+
		`A group opens its diagram; arrows point from the referencing table to the referenced one. `+
		`Every table is in the A–Z list below.<span %s> For one table's neighbourhood: explore.ShowDiagram(explore.Around("orders", 1)).</span></p>`,
		esc(legend), numfmt.Count(len(gs), "group", "groups"), provenance.NotebookOnly)
	if note != "" {
		fmt.Fprintf(&b, `<p class="rl-note">%s</p>`, esc(note))
	}
	fmt.Fprintf(&b, `<div class="rl-find" %s></div>`, provenance.NotebookOnly)
	b.WriteString(`<div class="rl-cards">`)
	for k, gr := range gs {
		names := slices.Clone(gr.nodes)
		slices.SortStableFunc(names, func(a, c int) int { return degree[c] - degree[a] })
		rows := int64(0)
		for _, i := range gr.nodes {
			rows += max(g.Nodes[i].Estimate, 0)
		}
		fmt.Fprintf(&b, `<div class="rl-card"><h4><a href="#%s_g%d">%s</a></h4><div class="rl-meta">%s · %s · ≈ %s rows</div><div class="rl-names">`,
			id, k, esc(g.groupName(gr, one)), numfmt.Count(len(gr.nodes), "table", "tables"), numfmt.Count(inner[k], "link", "links"), numfmt.Int(rows))
		for j, i := range names[:min(cardNames, len(names))] {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `<a href="#%s_t%d">%s</a>`, id, i, esc(g.displayName(i, one)))
		}
		if len(names) > cardNames {
			fmt.Fprintf(&b, " and %d more", len(names)-cardNames)
		}
		b.WriteString(`</div>`)
		if len(between[k]) > 0 {
			others := make([]int, 0, len(between[k]))
			for o := range between[k] {
				others = append(others, o)
			}
			slices.SortStableFunc(others, func(a, c int) int {
				if d := between[k][c] - between[k][a]; d != 0 {
					return d
				}
				return a - c
			})
			b.WriteString(`<div class="rl-links">links to `)
			for j, o := range others[:min(5, len(others))] {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, `<a href="#%s_g%d">%s</a> (%d)`, id, o, esc(g.groupName(gs[o], one)), between[k][o])
			}
			if len(others) > 5 {
				fmt.Fprintf(&b, " and %d more groups", len(others)-5)
			}
			b.WriteString(`</div>`)
		}
		b.WriteString(`</div>`)
	}
	b.WriteString(`</div>`)
	// The A–Z list.
	order := make([]int, len(g.Nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, c int) int { return strings.Compare(g.Nodes[a].Table, g.Nodes[c].Table) })
	fmt.Fprintf(&b, `<details class="rl-index"><summary>All %s, A–Z</summary><div class="rl-cols">`, numfmt.Count(len(g.Nodes), "table", "tables"))
	for _, i := range order {
		fmt.Fprintf(&b, `<a href="#%s_t%d" title="group %s">%s</a>`, id, i, esc(g.groupName(gs[owner[i]], one)), esc(g.Nodes[i].Table))
	}
	b.WriteString(`</div></details>`)
	// The groups' diagrams, shown one at a time.
	for k, gr := range gs {
		how := ""
		if layouts[k].fallback {
			how = " (built-in layout)"
		}
		fmt.Fprintf(&b, `<section class="rl-sec" id="%s_g%d"><h4>%s: %s, %s%s</h4>`, id, k, esc(g.groupName(gr, one)),
			numfmt.Count(len(gr.nodes), "table", "tables"), numfmt.Count(inner[k], "link", "links"), how)
		b.WriteString(viewer(fmt.Sprintf("%s_v%d", id, k), layouts[k].svg))
		b.WriteString(`</section>`)
	}
	fmt.Fprintf(&b, `<script>%s</script>`, fmt.Sprintf(mapJS, id))
	fmt.Fprintf(&b, `<p class="rl-meta">Drawn in %.1f s.</p></div>`, time.Since(start).Seconds())
	return b.String()
}
