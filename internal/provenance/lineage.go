package provenance

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Lineage says where the numbers of a figure or a table came from: the query as sent, its arguments, the
// rows it returned, when they were fetched and how far behind the replica was, and what was left out.
// It never names the server or the login (.env values): a lineage is written into sidecar files, notebook
// outputs and reports.
type Lineage struct {
	SQL        string    `json:"sql"`
	Args       []Arg     `json:"args,omitempty"`
	Rows       int       `json:"rows"`
	FetchedAt  time.Time `json:"fetched_at"`
	LagSeconds *float64  `json:"lag_seconds,omitempty"` // nil when the lag was not measured
	Primary    bool      `json:"primary,omitempty"`     // read from a primary (ALLOW_PRIMARY)
	Cached     bool      `json:"cached,omitempty"`      // served from frame's cache; FetchedAt is the original fetch
	Truncated  bool      `json:"truncated,omitempty"`   // the query returned more than Limit rows; the first Limit were kept
	Limit      int       `json:"limit,omitempty"`       // the row limit applied, 0 for none
	Sample     string    `json:"sample,omitempty"`      // how the rows or points were sampled, in words
	Engine     string    `json:"engine,omitempty"`      // what computed the rows from the database's data ("Spark"), when not the database: SQL is that engine's
	Of         int64     `json:"of,omitempty"`          // rows the query returns, when only part was kept (Truncated, Sample); 0 unknown
	OfExact    bool      `json:"of_exact,omitempty"`    // Of was counted, not estimated by the planner
	Ordered    bool      `json:"ordered,omitempty"`     // the query sorts its rows (ORDER BY): cut, it keeps the first in that order
	Numbers    *Numbers  `json:"numbers,omitempty"`     // what make report VERIFY=1 compares
}

// NewLineage starts a lineage for sql run with args at the time and lag of r.
func NewLineage(sql string, args []any, rows int, r Read) Lineage {
	l := Lineage{SQL: sql, Args: EncodeArgs(args), Rows: rows, FetchedAt: r.At.UTC(), Primary: r.Primary}
	if r.LagKnown {
		s := math.Round(r.Lag.Seconds()*1000) / 1000
		l.LagSeconds = &s
	}
	return l
}

// Read returns when and at what lag the lineage's data was read (without a source).
func (l Lineage) Read() Read {
	r := Read{At: l.FetchedAt, Primary: l.Primary}
	if l.LagSeconds != nil {
		r.Lag, r.LagKnown = time.Duration(*l.LagSeconds*float64(time.Second)+0.5), true
	}
	return r
}

// Arg is one query argument, typed so that it can be sent again (make report VERIFY=1).
type Arg struct {
	Type  string `json:"type"` // text, int, float, bool, time, bytes, null, or an array of one of them: text[], int[], float[]
	Value string `json:"value"`
}

// EncodeArgs records query arguments. Values of other types are recorded as text (their fmt form), which
// PostgreSQL parses for the parameter's type.
func EncodeArgs(args []any) []Arg {
	if len(args) == 0 {
		return nil
	}
	out := make([]Arg, len(args))
	for i, a := range args {
		out[i] = encodeArg(a)
	}
	return out
}

func encodeArg(a any) Arg {
	switch v := a.(type) {
	case nil:
		return Arg{Type: "null"}
	case string:
		return Arg{Type: "text", Value: v}
	case bool:
		return Arg{Type: "bool", Value: strconv.FormatBool(v)}
	case time.Time:
		return Arg{Type: "time", Value: v.Format(time.RFC3339Nano)}
	case []byte:
		return Arg{Type: "bytes", Value: base64.StdEncoding.EncodeToString(v)}
	case []string:
		b, _ := json.Marshal(v)
		return Arg{Type: "text[]", Value: string(b)}
	}
	rv := reflect.ValueOf(a)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Arg{Type: "int", Value: strconv.FormatInt(rv.Int(), 10)}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Arg{Type: "int", Value: strconv.FormatUint(rv.Uint(), 10)}
	case reflect.Float32, reflect.Float64:
		return Arg{Type: "float", Value: strconv.FormatFloat(rv.Float(), 'g', -1, 64)}
	case reflect.Slice:
		switch rv.Type().Elem().Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			vals := make([]int64, rv.Len())
			for i := range vals {
				if rv.Index(i).CanInt() {
					vals[i] = rv.Index(i).Int()
				} else {
					vals[i] = int64(rv.Index(i).Uint())
				}
			}
			b, _ := json.Marshal(vals)
			return Arg{Type: "int[]", Value: string(b)}
		case reflect.Float32, reflect.Float64:
			// As text, so that NaN and ±Inf (which JSON numbers cannot hold) survive.
			vals := make([]string, rv.Len())
			for i := range vals {
				vals[i] = strconv.FormatFloat(rv.Index(i).Float(), 'g', -1, 64)
			}
			b, _ := json.Marshal(vals)
			return Arg{Type: "float[]", Value: string(b)}
		}
	case reflect.String:
		return Arg{Type: "text", Value: rv.String()}
	}
	return Arg{Type: "text", Value: fmt.Sprint(a)}
}

// DecodeArgs turns recorded arguments back into values to send.
func DecodeArgs(args []Arg) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		v, err := a.decode()
		if err != nil {
			return nil, fmt.Errorf("provenance: argument $%d: %w", i+1, err)
		}
		out[i] = v
	}
	return out, nil
}

func (a Arg) decode() (any, error) {
	switch a.Type {
	case "null":
		return nil, nil
	case "text":
		return a.Value, nil
	case "bool":
		return strconv.ParseBool(a.Value)
	case "int":
		return strconv.ParseInt(a.Value, 10, 64)
	case "float":
		return strconv.ParseFloat(a.Value, 64)
	case "time":
		return time.Parse(time.RFC3339Nano, a.Value)
	case "bytes":
		return base64.StdEncoding.DecodeString(a.Value)
	case "text[]":
		var v []string
		return v, json.Unmarshal([]byte(a.Value), &v)
	case "int[]":
		var v []int64
		return v, json.Unmarshal([]byte(a.Value), &v)
	case "float[]":
		var texts []string
		if err := json.Unmarshal([]byte(a.Value), &texts); err != nil {
			return nil, err
		}
		v := make([]float64, len(texts))
		for i, t := range texts {
			f, err := strconv.ParseFloat(t, 64)
			if err != nil {
				return nil, err
			}
			v[i] = f
		}
		return v, nil
	}
	return nil, fmt.Errorf("expected a type among text, int, float, bool, time, bytes, null, text[], int[], float[], found %q", a.Type)
}

// String shows an argument as a reader would write it in SQL.
func (a Arg) String() string {
	switch a.Type {
	case "null":
		return "NULL"
	case "text", "time":
		return "'" + strings.ReplaceAll(a.Value, "'", "''") + "'"
	case "bytes":
		return "(" + strconv.Itoa(base64.StdEncoding.DecodedLen(len(a.Value))) + " bytes)"
	}
	return a.Value
}

// Record is what a figure or a table carries about itself: chart.Save writes it beside the figure as
// <name>.json (the sidecar), chart.Show puts it into the display's metadata under [MetadataKey], and a table
// carries it in the [AttrLineage] attribute of its wrapper.
type Record struct {
	Kind    Kind      `json:"kind"`            // Figure or Table
	Title   string    `json:"title,omitempty"` // the chart's title
	Name    string    `json:"name,omitempty"`  // the saved figure's file name, without extension
	Note    string    `json:"note,omitempty"`  // what the chart drew and left out ("n = 9,812; 188 NULL dropped")
	Sources []Lineage `json:"sources"`         // the queries the numbers came from; none for data not read from a database
}

// MetadataKey is the key of a Record in a display_data output's metadata: its JSON, as a string (GoNB
// sends metadata with gob, which knows only plain values) or as an object.
const MetadataKey = "replicalab"

// AttrLineage carries a Record, as JSON, on the element that wraps a table.
const AttrLineage = AttrPrefix + "lineage"

// Kinds of Records, and the kind that marks exploration output.
const (
	Figure  Kind = "figure"  // a chart
	Table   Kind = "table"   // a table of query results
	Explore Kind = "explore" // the output of an exploration helper (overview, profile, picker, diagram, sample)
)

// A note is a line a helper wants in the appendix of an exported report, about the whole analysis (the load
// ledger: "this analysis read 41,233 rows in 12 queries, 3.1 s of replica time"). Notes have a key: the last
// note of a key in the notebook is the one shown, so a running total can be displayed after each query.
const (
	Note         Kind = "note"
	AttrNoteKey       = AttrPrefix + "note-key"
	AttrNoteText      = AttrPrefix + "note"
)

// NoteAttrs marks an element as carrying the note text under key. The element itself (what the notebook
// shows) never reaches a report's body.
func NoteAttrs(key, text string) string {
	return fmt.Sprintf(`%s="%s" %s="%s" %s="%s"`, AttrKind, Note, AttrNoteKey, html.EscapeString(key), AttrNoteText, html.EscapeString(text))
}

// AttrNotebookOnly marks an element that only makes sense in a live notebook (a hint to the analyst, an
// instruction to click): reports leave it out.
const AttrNotebookOnly = AttrPrefix + "notebook-only"

// NotebookOnly is the attribute to put on such an element.
const NotebookOnly = AttrNotebookOnly + `="true"`

// ExploreAttrs marks the element wrapping an exploration helper's output; what says which helper
// ("overview", "profile", "picker", "diagram", "sample").
func ExploreAttrs(what string) string {
	return fmt.Sprintf(`%s="%s" %s="%s"`, AttrKind, Explore, AttrPrefix+"explore", html.EscapeString(what))
}

// TableAttrs marks the element wrapping a table with its record.
func TableAttrs(rec Record) string {
	rec.Kind = Table
	return RecordAttrs(rec)
}

// RecordAttrs marks an element (a table's wrapper, a chart's <img>) with its record, whose Kind says
// which it is.
func RecordAttrs(rec Record) string {
	if rec.Kind == "" {
		rec.Kind = Figure
	}
	b, err := json.Marshal(rec)
	if err != nil { // a Record always marshals; keep the mark valid anyway
		b = []byte(`{"kind":"` + string(rec.Kind) + `","sources":[]}`)
	}
	return fmt.Sprintf(`%s="%s" %s="%s"`, AttrKind, html.EscapeString(string(rec.Kind)), AttrLineage, html.EscapeString(string(b)))
}

// ParseRecord decodes a Record from JSON (a sidecar, a metadata value or an attribute's value); a JSON
// string holding the record's JSON is read too.
func ParseRecord(data []byte) (Record, error) {
	var inner string
	if t := strings.TrimSpace(string(data)); strings.HasPrefix(t, `"`) && json.Unmarshal([]byte(t), &inner) == nil {
		data = []byte(inner)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, fmt.Errorf("provenance: expected a lineage record (JSON), found %d bytes that do not parse: %w", len(data), err)
	}
	return r, nil
}
