package pgdsn

import (
	"reflect"
	"testing"
)

func TestPairs(t *testing.T) {
	cases := []struct {
		in   string
		want [][2]string
	}{
		{"host=db port=5432", [][2]string{{"host", "db"}, {"port", "5432"}}},
		{"  user = ann\tpassword='a b\\'c'  dbname=x", [][2]string{{"user", "ann"}, {"password", "a b'c"}, {"dbname", "x"}}}, // gitleaks:allow (a made-up password)
		{`password=p\ q host=h`, [][2]string{{"password", "p q"}, {"host", "h"}}},
		{"=orphan host=h", [][2]string{{"host", "h"}}},
		{"password='unterminated", [][2]string{{"password", "unterminated"}}},
		{"no pairs here", nil},
		{"", nil},
	}
	for _, c := range cases {
		if got := Pairs(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Pairs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
