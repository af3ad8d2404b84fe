package sqltext

import (
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	for sql, want := range map[string][]string{
		"SELECT 1":                        {"SELECT 1"},
		"SELECT 1; SELECT 2;":             {"SELECT 1", "SELECT 2"},
		"SELECT ';' AS s":                 {"SELECT ';' AS s"},
		"SELECT E'\\';' AS s; SELECT 2":   {"SELECT E'\\';' AS s", "SELECT 2"},
		`SELECT 1 AS "a;b"`:               {`SELECT 1 AS "a;b"`},
		"DO $x$ BEGIN; END $x$; SELECT 1": {"DO $x$ BEGIN; END $x$", "SELECT 1"},
		"SELECT 1 -- ; not a split\n":     {"SELECT 1 -- ; not a split"},
		"SELECT /* ; /* ; */ ; */ 1":      {"SELECT /* ; /* ; */ ; */ 1"},
		" ; -- nothing\n;":                nil,
	} {
		if got := Split(sql); !reflect.DeepEqual(got, want) {
			t.Errorf("Split(%q) = %q, want %q", sql, got, want)
		}
	}
}

func TestLeadingWords(t *testing.T) {
	for sql, want := range map[string][]string{
		"  Select * FROM t":                   {"select", "*"},
		"-- c\n/* d */ (WITH x AS (SELECT 1)": {"with", "x"},
		"COMMIT":                              {"commit"},
		"":                                    nil,
	} {
		if got := LeadingWords(sql, 2); !reflect.DeepEqual(got, want) {
			t.Errorf("LeadingWords(%q) = %q, want %q", sql, got, want)
		}
	}
}

func TestHasTopLevel(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT * FROM events ORDER BY occurred_at":                      true,
		"select * from events order\n  by 1 limit 5":                     true,
		"SELECT * FROM (SELECT * FROM events ORDER BY 1) AS e":           false,
		"SELECT 'ORDER BY' AS x FROM events":                             false,
		"SELECT \"order by\" FROM t":                                     false,
		"SELECT * FROM t -- ORDER BY x":                                  false,
		"SELECT * FROM t /* ORDER BY x */":                               false,
		"SELECT $$ ORDER BY $$ FROM t":                                   false,
		"SELECT array_agg(x ORDER BY y) FROM t":                          false,
		"SELECT x, row_number() OVER (ORDER BY y) FROM t":                false,
		"WITH s AS (SELECT 1 AS x) SELECT * FROM s ORDER BY x DESC":      true,
		"SELECT recorder, byte FROM t":                                   false,
		"SELECT * FROM t WHERE note = E'it''s \\' ORDER BY' ORDER BY id": true,
		"SELECT * FROM t WHERE note = E'it''s \\' ORDER BY'":             false,
	} {
		if got := HasTopLevel(sql, "order", "by"); got != want {
			t.Errorf("HasTopLevel(%q, order by) = %v, want %v", sql, got, want)
		}
	}
}
