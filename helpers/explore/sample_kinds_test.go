package explore_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/helpers/explore"
	"github.com/replicalab/replicalab/helpers/frame"
)

// TestSampleShowsTheFramesKinds: a sample reads like a frame table — times as times (not seconds
// since 1970), money at its scale, kinds of the frame (not gota's types) — in text and in HTML.
func TestSampleShowsTheFramesKinds(t *testing.T) {
	_, db := open(t)
	s, err := explore.SampleRows(context.Background(), db, "orders", explore.Rows(5))
	if err != nil {
		t.Fatal(err)
	}
	kinds := s.Result.Kinds()
	if kinds["placed_at"] != frame.Timestamp || kinds["total"] != frame.Numeric || kinds["delivered_on"] != frame.Date {
		t.Errorf("kinds: placed_at %v, total %v, delivered_on %v; want timestamp, numeric, date",
			kinds["placed_at"], kinds["total"], kinds["delivered_on"])
	}
	stamp := regexp.MustCompile(`\b20\d\d-\d\d-\d\d \d\d:\d\d(:\d\d)?\b`)
	money := regexp.MustCompile(`\b\d{1,3}(,\d{3})*\.\d\d\b`)
	unix := regexp.MustCompile(`\b1[6-9]\d{8}(\.\d+)?\b`) // seconds since 1970, 2020s
	for form, out := range map[string]string{"text": s.String(), "HTML": s.HTML()} {
		if !stamp.MatchString(out) {
			t.Errorf("%s: no timestamp shown as a time:\n%s", form, out)
		}
		if !money.MatchString(out) {
			t.Errorf("%s: no amount at its scale (39.50):\n%s", form, out)
		}
		if m := unix.FindString(out); m != "" {
			t.Errorf("%s: %s looks like seconds since 1970:\n%s", form, m, out)
		}
		for _, gota := range []string{"float", "int"} {
			if strings.Contains(out, ">"+gota+"<") {
				t.Errorf("%s: shows gota's type %q", form, gota)
			}
		}
	}
}
