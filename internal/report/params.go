package report

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Parameters work as in papermill and Quarto: one Go cell tagged "parameters" declares them with their
// defaults,
//
//	var (
//		region   = "EU"                                       // string
//		minTotal = 100.0                                      // float64
//		top      = 10                                         // int
//		since    = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // a date: time.Time
//		window   = 24 * time.Hour                             // time.Duration
//		paidOnly = true                                       // bool
//	)
//
// and a run with values (make report NB=... PARAMS="region=US since=2025-03-01") executes the notebook with
// a cell tagged "injected-parameters" right after it that declares the same names again with the new
// values, in their types: GoNB keeps the latest declaration of a name, so every later cell sees them.
// Values are checked against the declared types before anything runs.

// TagsParameters marks the cell that declares the parameters and their defaults.
var TagsParameters = []string{"parameters"}

// TagInjected marks the cell a run adds after the parameters cell.
const TagInjected = "injected-parameters"

// Param is one parameter of a run: its name, its value as given, and its Go type.
type Param struct {
	Name, Value, Type string
}

// Variant is one set of parameter values: one report.
type Variant struct {
	Name   string      // used in the file name; "" for a single run
	Values [][2]string // name, value as written, in the order given
}

// declared is a parameter as the parameters cell declares it.
type declared struct {
	name, keyword, typ string // keyword: var or const; typ: string, int, int64, float64, bool, time.Time, time.Duration
	explicit           bool   // the declaration names its type
}

// ParamError says which parameter a value does not fit, and what was expected.
type ParamError struct {
	Variant  string
	Name     string
	Expected string
	Found    string
}

func (e *ParamError) Error() string {
	in := ""
	if e.Variant != "" {
		in = " (variant " + e.Variant + ")"
	}
	return fmt.Sprintf("report: parameter %s%s: expected %s, found %q; nothing was written", e.Name, in, e.Expected, e.Found)
}

// expectations say, for each supported type, what a value must look like.
var expectations = map[string]string{
	"string":        "a string",
	"int":           "an integer (int), such as 42",
	"int64":         "an integer (int64), such as 42",
	"float64":       "a number (float64), such as 12.5",
	"bool":          "true or false (bool)",
	"time.Time":     "a date YYYY-MM-DD or a time in RFC 3339 such as 2025-01-31T08:00:00Z (time.Time)",
	"time.Duration": "a duration such as 90m or 24h (time.Duration)",
}

// parameterCell finds the parameters cell and reads its declarations.
func parameterCell(nb *Notebook) (int, []declared, error) {
	idx := -1
	for i, c := range nb.Cells {
		if c.Type == "code" && c.tagged(TagsParameters...) {
			if idx >= 0 {
				return 0, nil, fmt.Errorf("report: expected one cell tagged %q, found cells %d and %d", TagsParameters[0], idx+1, i+1)
			}
			idx = i
		}
	}
	if idx < 0 {
		return 0, nil, errors.New(`report: parameters were given, but the notebook has no cell tagged "parameters" (add the tag to the cell that declares them, in JupyterLab's property inspector)`)
	}
	decls, err := parseDeclarations(string(nb.Cells[idx].Source))
	if err != nil {
		return 0, nil, fmt.Errorf("report: the parameters cell (cell %d): %w", idx+1, err)
	}
	return idx, decls, nil
}

// parseDeclarations reads a cell's var and const declarations (GoNB's magic and shell lines are skipped).
func parseDeclarations(src string) ([]declared, error) {
	var lines []string
	for _, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!") {
			l = ""
		}
		lines = append(lines, l)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "parameters.go", "package parameters\n"+strings.Join(lines, "\n"), 0)
	if err != nil {
		return nil, fmt.Errorf("expected Go declarations such as `var region = \"EU\"`, found code that does not parse: %w", err)
	}
	var out []declared
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || (g.Tok != token.VAR && g.Tok != token.CONST) {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			typ, explicit := typeName(vs.Type), vs.Type != nil
			for i, n := range vs.Names {
				t := typ
				if !explicit && i < len(vs.Values) {
					t = inferType(vs.Values[i])
				}
				out = append(out, declared{name: n.Name, keyword: g.Tok.String(), typ: t, explicit: explicit})
			}
		}
	}
	return out, nil
}

func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		if x, ok := t.X.(*ast.Ident); ok {
			return x.Name + "." + t.Sel.Name
		}
	}
	return ""
}

// inferType is the type Go gives an untyped declaration's value, for the kinds of values parameters take.
func inferType(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.BasicLit:
		switch v.Kind {
		case token.STRING:
			return "string"
		case token.INT:
			return "int"
		case token.FLOAT:
			return "float64"
		}
	case *ast.Ident:
		if v.Name == "true" || v.Name == "false" {
			return "bool"
		}
	case *ast.UnaryExpr:
		return inferType(v.X)
	case *ast.ParenExpr:
		return inferType(v.X)
	case *ast.SelectorExpr:
		switch typeName(v) {
		case "time.Nanosecond", "time.Microsecond", "time.Millisecond", "time.Second", "time.Minute", "time.Hour":
			return "time.Duration"
		}
	case *ast.BinaryExpr:
		l, r := inferType(v.X), inferType(v.Y)
		switch {
		case l == "time.Duration" || r == "time.Duration":
			return "time.Duration"
		case l == "float64" || r == "float64":
			return "float64"
		}
		return l
	case *ast.CallExpr:
		switch typeName(v.Fun) {
		case "time.Date", "time.Now", "time.Unix":
			return "time.Time"
		case "float64", "int", "int64", "string", "bool", "time.Duration":
			return typeName(v.Fun)
		}
	}
	return ""
}

// bind checks a variant's values against the declarations and returns the parameters and the Go source
// of the cell to inject.
func bind(decls []declared, v Variant) ([]Param, string, error) {
	byName := map[string]declared{}
	var names []string
	for _, d := range decls {
		byName[d.name] = d
		names = append(names, d.name)
	}
	var params []Param
	var lines []string
	usesTime := false
	seen := map[string]bool{}
	for _, kv := range v.Values {
		name, raw := kv[0], kv[1]
		d, ok := byName[name]
		if !ok {
			return nil, "", fmt.Errorf("report: parameter %s is not declared in the cell tagged \"parameters\" (it declares %s); nothing was written", name, strings.Join(names, ", "))
		}
		if seen[name] {
			return nil, "", fmt.Errorf("report: parameter %s is given twice; nothing was written", name)
		}
		seen[name] = true
		expr, shown, err := goValue(d.typ, raw)
		if err != nil {
			exp, known := expectations[d.typ]
			if !known {
				exp = "a parameter of type string, int, int64, float64, bool, time.Time or time.Duration (its declaration's type cannot be set from outside)"
			}
			return nil, "", &ParamError{Variant: v.Name, Name: name, Expected: exp, Found: raw}
		}
		usesTime = usesTime || strings.Contains(expr, "time.")
		typ := ""
		if d.explicit {
			typ = " " + d.typ
		}
		lines = append(lines, fmt.Sprintf("%s %s%s = %s", d.keyword, name, typ, expr))
		params = append(params, Param{Name: name, Value: shown, Type: d.typ})
	}
	var src strings.Builder
	src.WriteString("// Parameters injected by make report for this run; the defaults are in the cell above.\n")
	if usesTime {
		src.WriteString("import \"time\"\n\n")
	}
	src.WriteString(strings.Join(lines, "\n") + "\n")
	return params, src.String(), nil
}

var dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// goValue turns a value given for a parameter of type typ into a Go expression of that type, and the
// value as the header shows it.
func goValue(typ, raw string) (expr, shown string, err error) {
	switch typ {
	case "string":
		return strconv.Quote(raw), raw, nil
	case "int", "int64":
		n, err := strconv.ParseInt(strings.ReplaceAll(raw, "_", ""), 10, 64)
		if err != nil {
			return "", "", err
		}
		s := strconv.FormatInt(n, 10)
		if typ == "int64" {
			return "int64(" + s + ")", s, nil
		}
		return s, s, nil
	case "float64":
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return "", "", err
		}
		if f != f || f > 1e308 || f < -1e308 {
			return "", "", errors.New("not a finite number")
		}
		s := strconv.FormatFloat(f, 'g', -1, 64)
		return "float64(" + s + ")", s, nil
	case "bool":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return "", "", err
		}
		return strconv.FormatBool(b), strconv.FormatBool(b), nil
	case "time.Time":
		var t time.Time
		if dateOnly.MatchString(raw) {
			t, err = time.Parse("2006-01-02", raw)
		} else {
			t, err = time.Parse(time.RFC3339Nano, raw)
		}
		if err != nil {
			return "", "", err
		}
		zone := "time.UTC"
		if _, off := t.Zone(); off != 0 {
			zone = fmt.Sprintf("time.FixedZone(%q, %d)", t.Format("-07:00"), off)
		}
		return fmt.Sprintf("time.Date(%d, %d, %d, %d, %d, %d, %d, %s)", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), zone), raw, nil
	case "time.Duration":
		d, err := time.ParseDuration(raw)
		if err != nil {
			return "", "", err
		}
		return fmt.Sprintf("time.Duration(%d)", int64(d)), d.String(), nil
	}
	return "", "", errors.New("unsupported type")
}

// ParseAssignments reads "name=value name2=value2" (values may be quoted: title="Orders in EU").
func ParseAssignments(s string) ([][2]string, error) {
	var out [][2]string
	fields, err := splitFields(s)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		name, value, ok := strings.Cut(f, "=")
		name = strings.TrimSpace(name)
		if !ok || !validName(name) {
			return nil, fmt.Errorf("report: expected parameters as name=value, found %q", f)
		}
		out = append(out, [2]string{name, value})
	}
	return out, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// splitFields splits on spaces outside single or double quotes, removing the quotes.
func splitFields(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, quote, any := false, rune(0), false
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, any = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if in || any {
				out = append(out, cur.String())
				cur.Reset()
			}
			in, any = false, false
			continue
		default:
			cur.WriteRune(r)
		}
		in = true
	}
	if quote != 0 {
		return nil, fmt.Errorf("report: expected a closing %c in the parameters %q", quote, s)
	}
	if in || any {
		out = append(out, cur.String())
	}
	return out, nil
}

// ReadVariants reads a parameters file (YAML): one set of values (name: value), or several — a mapping of
// variant names to sets, or a list of sets. Values are read as the text written (the parameters cell
// decides their types), so 2025-01-01 stays a date and 007 a string where the cell says so.
func ReadVariants(path string) ([]Variant, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: parameters file: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("report: parameters file %s: expected YAML, found: %w", path, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("report: parameters file %s is empty", path)
	}
	doc := root.Content[0]
	values := func(n *yaml.Node, where string) ([][2]string, error) {
		if n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("report: parameters file %s: %s: expected name: value pairs, found %s", path, where, kindName(n))
		}
		var out [][2]string
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("report: parameters file %s: %s: parameter %s: expected one value, found %s (line %d)", path, where, k.Value, kindName(v), v.Line)
			}
			out = append(out, [2]string{k.Value, v.Value})
		}
		return out, nil
	}
	var out []Variant
	switch doc.Kind {
	case yaml.SequenceNode:
		for i, n := range doc.Content {
			vs, err := values(n, fmt.Sprintf("entry %d", i+1))
			if err != nil {
				return nil, err
			}
			out = append(out, Variant{Name: variantName(vs), Values: vs})
		}
	case yaml.MappingNode:
		nested := len(doc.Content) > 1 && doc.Content[1].Kind == yaml.MappingNode
		if !nested {
			vs, err := values(doc, "the file")
			if err != nil {
				return nil, err
			}
			return []Variant{{Values: vs}}, nil
		}
		for i := 0; i+1 < len(doc.Content); i += 2 {
			vs, err := values(doc.Content[i+1], "variant "+doc.Content[i].Value)
			if err != nil {
				return nil, err
			}
			out = append(out, Variant{Name: slug(doc.Content[i].Value), Values: vs})
		}
	default:
		return nil, fmt.Errorf("report: parameters file %s: expected name: value pairs, or variants (a list, or names with their values), found %s", path, kindName(doc))
	}
	names := map[string]bool{}
	for _, v := range out {
		if names[v.Name] {
			return nil, fmt.Errorf("report: parameters file %s: two variants would be written to the same file (%q); name them", path, v.Name)
		}
		names[v.Name] = true
	}
	return out, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "nothing"
}

// variantName names a variant after its values: region=EU since=2025-01-01 gives "region-EU-since-2025-01-01".
func variantName(vs [][2]string) string {
	var parts []string
	for _, kv := range vs {
		parts = append(parts, kv[0], kv[1])
	}
	return slug(strings.Join(parts, "-"))
}

var slugDrop = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func slug(s string) string {
	s = strings.Trim(slugDrop.ReplaceAllString(s, "-"), "-.")
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
