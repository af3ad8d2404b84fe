package frame

import (
	"strings"
	"testing"
	"time"

	"github.com/replicalab/replicalab/internal/provenance"
)

// The provenance line of a load carries machine-readable marks for the report exporter.
func TestProvenanceLineCarriesMarks(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 3, 0, 0, time.UTC)
	attrs := provenance.Attrs(provenance.Load, provenance.Read{Source: "analyst@db:5432/shop", At: at, Lag: 300 * time.Millisecond, LagKnown: true})
	h := messageHTML("1 rows × 1 columns from <db>", attrs, []string{"numeric rounded"})
	for _, want := range []string{`data-replicalab-at="2026-11-25T10:03:00Z"`, `data-replicalab-lag="0.300"`,
		`data-replicalab-source="analyst@db:5432/shop"`, `data-replicalab-kind="load"`, "from &lt;db&gt;", "numeric rounded"} {
		if !strings.Contains(h, want) {
			t.Errorf("provenance line lacks %q: %s", want, h)
		}
	}
}
