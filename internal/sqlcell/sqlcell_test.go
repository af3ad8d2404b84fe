package sqlcell

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseMagic(t *testing.T) {
	good := []struct {
		line string
		want Magic
	}{
		{"%%sql", Magic{}},
		{"%%sql orders", Magic{Name: "orders"}},
		{"%%sql orders --limit 100", Magic{Name: "orders", Limit: 100}},
		{"%%sql --limit=1_000 --refresh big_orders", Magic{Name: "big_orders", Limit: 1000, Refresh: true}},
		{"%%sql --ttl 30m", Magic{TTL: 30 * time.Minute}},
		{"%%sql big --any-cost", Magic{Name: "big", AnyCost: true}},
		{"//gonb:%%sql x -r", Magic{Name: "x", Refresh: true}},
	}
	for _, g := range good {
		got, err := ParseMagic(g.line)
		if err != nil || got != g.want {
			t.Errorf("ParseMagic(%q) = %+v, %v; want %+v", g.line, got, err, g.want)
		}
	}
	bad := []struct{ line, says string }{
		{"%%sql --limit", "--limit needs a value"},
		{"%%sql --limit ten", `found "ten"`},
		{"%%sql --limit 0", "1 or more"},
		{"%%sql --ttl forever", `found "forever"`},
		{"%%sql --fast", `unknown option "--fast"`},
		{"%%sql a b", `one result name only: found "b" after "a"`},
		{"%%sql 2024_orders", `"2024_orders" is not a result name`},
		{"%%sql --refresh=yes", "takes no value"},
	}
	for _, b := range bad {
		_, err := ParseMagic(b.line)
		if err == nil || !strings.Contains(err.Error(), b.says) {
			t.Errorf("ParseMagic(%q) = %v, want an error saying %q", b.line, err, b.says)
		}
	}
}

func TestCaretPointsWherePostgreSQLSays(t *testing.T) {
	sql := "SELECT id\nFORM orders"
	// PostgreSQL: syntax error at or near "orders", position 16 (1-based characters).
	got := Caret(sql, 16)
	want := "LINE 2: FORM orders\n             ^"
	if got != want {
		t.Errorf("Caret =\n%s\nwant\n%s", got, want)
	}
	// Characters, not bytes.
	got = Caret("SELECT 'é' FORM x", 12)
	if !strings.HasSuffix(got, strings.Repeat(" ", len("LINE 1: ")+11)+"^") {
		t.Errorf("non-ASCII caret:\n%s", got)
	}
	long := "SELECT " + strings.Repeat("a, ", 60) + "FORM t"
	got = Caret(long, strings.Index(long, "FORM")+1)
	lines := strings.Split(got, "\n")
	if len(lines[0]) > 90 || !strings.Contains(lines[0], "FORM") || lines[0][strings.Index(lines[1], "^")] != 'F' {
		t.Errorf("long line caret:\n%s", got)
	}
	if Caret("SELECT 1", 40) != "" || Caret("SELECT 1", 0) != "" {
		t.Error("a position outside the statement should give no caret")
	}
}

func TestClosestSuggestsLikelyTypos(t *testing.T) {
	tables := []string{"orders", "order_items", "companies", "users", "payments", "audit.events", "rfqs", "quotes"}
	for _, c := range []struct {
		name string
		want []string
	}{
		{"order", []string{"orders", "order_items"}},
		{"oders", []string{"orders"}},
		{"compnaies", []string{"companies"}},
		{"public.usrs", []string{"users"}},
		{"event", []string{"audit.events"}},
		{"zzz", nil},
	} {
		if got := Closest(c.name, tables); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func testCatalog() *Catalog {
	return &Catalog{Tables: []Table{
		{Schema: "public", Name: "orders", Columns: []string{"id", "status", "total", "placed_at", "company_id"}},
		{Schema: "public", Name: "order_items", Columns: []string{"order_id", "part_id", "quantity"}},
		{Schema: "public", Name: "companies", Columns: []string{"id", "name", "country"}},
		{Schema: "audit", Name: "events", Columns: []string{"id", "payload"}},
		{Schema: "public", Name: "User Notes", Columns: []string{"Text"}},
	}}
}

func TestCompleteTablesColumnsAndKeywords(t *testing.T) {
	c := testCatalog()
	cases := []struct {
		code      string
		want      []string
		wantStart int
	}{
		{"%%sql\nSELECT * FROM ord", []string{"order_items", "orders"}, len("%%sql\nSELECT * FROM ")},
		{"%%sql\nSELECT * FROM audit.ev", []string{"events"}, len("%%sql\nSELECT * FROM audit.")},
		{"%%sql\nSELECT o.st FROM orders o", nil, 0}, // cursor set below
		{"%%sql\nSELECT pla FROM orders", nil, 0},
		{"%%sql\nsel", []string{"select"}, len("%%sql\n")},
		{"%%sql\nSELECT * FROM \"User", []string{`"User Notes"`}, len("%%sql\nSELECT * FROM ")},
	}
	for i, cs := range cases {
		cursor := len([]rune(cs.code))
		switch i {
		case 2:
			cursor = len([]rune("%%sql\nSELECT o.st"))
			cs.want, cs.wantStart = []string{"status"}, len("%%sql\nSELECT o.")
		case 3:
			cursor = len([]rune("%%sql\nSELECT pla"))
			cs.want, cs.wantStart = []string{"placed_at"}, len("%%sql\nSELECT ")
		}
		got, start := c.Complete(cs.code, cursor)
		if strings.Join(got, ",") != strings.Join(cs.want, ",") && !(len(cs.want) > 0 && containsAll(got, cs.want)) {
			t.Errorf("Complete(%q, %d) = %q, want %q", cs.code, cursor, got, cs.want)
		}
		if start != cs.wantStart {
			t.Errorf("Complete(%q) starts at %d, want %d", cs.code, start, cs.wantStart)
		}
	}
}

func containsAll(got, want []string) bool {
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}
