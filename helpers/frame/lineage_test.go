package frame_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/internal/provenance"
)

// A loaded table carries where its rows came from, for exported reports; a copy or a hand-made
// DataFrame does not claim the query.
func TestTablesCarryTheirLineage(t *testing.T) {
	e := newEnv(t)
	const sql = "SELECT status::text AS status, count(*) AS orders FROM orders WHERE currency = $1 GROUP BY 1 ORDER BY 1"
	r := e.load(sql, "EUR")
	m := regexp.MustCompile(`^<div data-replicalab-kind="table" data-replicalab-lineage="([^"]*)"><table`).FindStringSubmatch(r.HTML())
	if m == nil {
		t.Fatalf("the table has no lineage wrapper: %.200s", r.HTML())
	}
	rec, err := provenance.ParseRecord([]byte(html.UnescapeString(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Kind != provenance.Table || len(rec.Sources) != 1 {
		t.Fatalf("record %+v", rec)
	}
	l := rec.Sources[0]
	if l.SQL != sql || l.Args[0].Value != "EUR" || l.Rows != r.Rows || l.Cached || l.LagSeconds == nil || l.Numbers == nil ||
		len(l.Numbers.Rows) != r.Rows || l.Numbers.Columns[0] != "orders" {
		t.Errorf("lineage %+v", l)
	}
	if strings.Contains(m[1], e.c.Password) || strings.Contains(m[1], e.c.User+"@") {
		t.Error("the lineage names the login")
	}
	// Read again from the cache: the same query, marked as cached, with the first fetch's time.
	again := e.load(sql, "EUR")
	m2 := regexp.MustCompile(`data-replicalab-lineage="([^"]*)"`).FindStringSubmatch(again.HTML())
	rec2, _ := provenance.ParseRecord([]byte(html.UnescapeString(m2[1])))
	if !rec2.Sources[0].Cached || !rec2.Sources[0].FetchedAt.Equal(l.FetchedAt) {
		t.Errorf("cached lineage %+v, first %v", rec2.Sources[0], l.FetchedAt)
	}
	if h := r.With(r.DataFrame.Copy()).HTML(); strings.Contains(h, "data-replicalab") {
		t.Error("a copy of the DataFrame claims the query")
	}
}
