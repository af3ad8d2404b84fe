package frame_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/ledger"
	"github.com/replicalab/replicalab/internal/provenance"
)

// TestLoadLineCarriesTheLedger: in a notebook, each load's provenance line
// carries the session's ledger so far for the report's appendix — fetched
// or from the cache — with no login or server in it.
func TestLoadLineCarriesTheLedger(t *testing.T) {
	t.Setenv(ledger.Env, filepath.Join(t.TempDir(), "ledger.jsonl"))
	e := newEnv(t) // opened after the variable: its pool counts into that file
	rec := &display.Recorder{Rich: true}
	t.Cleanup(display.Use(rec))
	sql := "SELECT id, kind FROM events WHERE id <= 1234"
	e.load(sql)
	e.load(sql) // from the cache
	html := rec.HTML()
	if n := strings.Count(html, provenance.AttrNoteKey+`="ledger"`); n != 2 {
		t.Fatalf("want both load lines to carry the ledger note, found %d in %s", n, html)
	}
	l := replica.Ledger()
	if l.Rows < 1234 || !strings.Contains(html, provenance.AttrNoteText+`="`+l.String()+`"`) {
		t.Errorf("the last note should be the ledger now (%q, ≥ 1,234 rows); HTML: %s", l.String(), html)
	}
	if strings.Contains(l.String(), e.c.User) || strings.Contains(l.String(), "127.0.0.1") {
		t.Errorf("the ledger's sentence names a login or server: %q", l.String())
	}
}
