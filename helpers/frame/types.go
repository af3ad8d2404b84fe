package frame

import (
	"fmt"
	"strings"

	"github.com/go-gota/gota/series"
	"github.com/jackc/pgx/v5/pgtype"
)

// Kind says how a PostgreSQL column is represented in the DataFrame. The
// gota type of each Kind is fixed (see [Kind.SeriesType]); the Kind tells the
// display, [Describe] and the time helpers how to read the values back.
type Kind uint8

const (
	// Integer: int2, int4, int8, oid. gota Int (Go int, 64 bits): exact.
	Integer Kind = iota + 1
	// Float: float4, float8. gota Float. A PostgreSQL 'NaN' is a missing
	// value in gota, like NULL: [Result.IsNull] tells them apart.
	Float
	// Numeric: numeric/decimal. gota Float (float64): values with more than
	// 15 significant digits may be rounded; [Column.Inexact] counts them.
	Numeric
	// Boolean: bool. gota Bool.
	Boolean
	// Text: text, varchar, char(n), name, uuid, enums, inet, cidr, macaddr,
	// bytea (hex, as PostgreSQL prints it), money, xml, ranges and any type
	// this package does not know, as PostgreSQL prints them. gota String.
	Text
	// JSON: json and jsonb, the JSON text. gota String.
	JSON
	// Array: any array, in PostgreSQL's text form, e.g. {a,b} or
	// {1,NULL,3}. gota String.
	Array
	// Timestamp: timestamptz and timestamp. gota Float: seconds since
	// 1970-01-01 00:00 UTC, with microseconds in the fraction (exact for
	// years 1698 to 2242). A timestamp without time zone is read as UTC.
	// 'infinity' and '-infinity' are +Inf and -Inf. [Times] turns the
	// column back into []time.Time; [Unix] makes filter values.
	Timestamp
	// Date: date. gota Float: seconds since 1970-01-01 00:00 UTC at midnight
	// UTC of that day, so dates and timestamps share one axis.
	Date
	// TimeOfDay: time (without time zone). gota Float: seconds since
	// midnight.
	TimeOfDay
	// Interval: interval. gota Float: seconds, as EXTRACT(epoch FROM ...)
	// counts them (a day is 86,400 s, a month 30 days, a year 365.25 days).
	// [Durations] turns the column into []time.Duration.
	Interval
)

var kindNames = map[Kind]string{
	Integer: "integer", Float: "float", Numeric: "numeric", Boolean: "boolean", Text: "text", JSON: "json",
	Array: "array", Timestamp: "timestamp", Date: "date", TimeOfDay: "time", Interval: "interval",
}

// String names the kind: "integer", "timestamp", ...
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// SeriesType is the gota type that holds the kind.
func (k Kind) SeriesType() series.Type {
	switch k {
	case Integer:
		return series.Int
	case Float, Numeric, Timestamp, Date, TimeOfDay, Interval:
		return series.Float
	case Boolean:
		return series.Bool
	default:
		return series.String
	}
}

// temporal reports whether the kind is a time stored as seconds.
func (k Kind) temporal() bool {
	return k == Timestamp || k == Date || k == TimeOfDay || k == Interval
}

// Column describes one column of a result.
type Column struct {
	Name   string      // as in the DataFrame (gota renames duplicates and blanks)
	Type   string      // PostgreSQL type, e.g. "int8", "timestamptz", "text[]", "order_status"
	OID    uint32      // PostgreSQL type OID
	Kind   Kind        // how the values are represented
	Series series.Type // gota type: Int, Float, String or Bool
	Nulls  int         // SQL NULLs (missing values in the DataFrame)
	NaNs   int         // float or numeric 'NaN' values: also missing in the DataFrame, but not NULL
	// Inexact counts numeric values that float64 cannot hold exactly (more
	// than 15 significant digits, or out of range); Example shows the first.
	Inexact int
	Example string
	// Scale is the number of digits after the decimal point a numeric column
	// is shown with: the most any of its values carries (PostgreSQL's display
	// scale: 39.50 of a numeric(10,2) has two), so money reads 39.50, not 39.5.
	Scale int
}

// oidKinds maps the built-in types this package decodes itself.
var oidKinds = map[uint32]Kind{
	pgtype.Int2OID: Integer, pgtype.Int4OID: Integer, pgtype.Int8OID: Integer, pgtype.OIDOID: Integer,
	pgtype.Float4OID: Float, pgtype.Float8OID: Float, pgtype.NumericOID: Numeric, pgtype.BoolOID: Boolean,
	pgtype.TimestamptzOID: Timestamp, pgtype.TimestampOID: Timestamp, pgtype.DateOID: Date,
	pgtype.TimeOID: TimeOfDay, pgtype.IntervalOID: Interval,
	pgtype.JSONOID: JSON, pgtype.JSONBOID: JSON,
}

// binaryOIDs asks the server for the binary format of the types decoded from
// binary here; every other column arrives as text (a missing OID in
// pgx.QueryResultFormatsByOID means text), i.e. as PostgreSQL prints it.
var binaryOIDs = func() map[uint32]int16 {
	m := map[uint32]int16{pgtype.UUIDOID: pgtype.BinaryFormatCode}
	for oid, k := range oidKinds {
		if k != JSON {
			m[oid] = pgtype.BinaryFormatCode
		}
	}
	return m
}()

// kindOf returns the kind of a type OID, using the type map for arrays.
func kindOf(m *pgtype.Map, oid uint32) Kind {
	if k, ok := oidKinds[oid]; ok {
		return k
	}
	if t, ok := m.TypeForOID(oid); ok {
		if _, isArray := t.Codec.(*pgtype.ArrayCodec); isArray {
			return Array
		}
	}
	return Text
}

// typeName names a type OID the short way ("int8", "text[]"); "" when the
// type map does not know it.
func typeName(m *pgtype.Map, oid uint32) string {
	t, ok := m.TypeForOID(oid)
	if !ok {
		return ""
	}
	if _, isArray := t.Codec.(*pgtype.ArrayCodec); isArray && strings.HasPrefix(t.Name, "_") {
		return t.Name[1:] + "[]"
	}
	return t.Name
}
