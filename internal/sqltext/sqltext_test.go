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
