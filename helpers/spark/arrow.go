package spark

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/go-gota/gota/series"
	"github.com/replicalab/replicalab/helpers/frame"
)

// column is one result column being decoded from Arrow into helpers/frame's representation.
type column struct{ frame.ColumnValues }

// fromArrow decodes at most limit rows of a table (limit ≤ 0: all).
func fromArrow(t arrow.Table, limit int) ([]frame.ColumnValues, int, error) {
	n := int(t.NumRows())
	if limit > 0 && n > limit {
		n = limit
	}
	cols := make([]frame.ColumnValues, t.NumCols())
	for i := range cols {
		f := t.Schema().Field(i)
		c, err := newColumn(f)
		if err != nil {
			return nil, 0, err
		}
		at := 0
		for _, chunk := range t.Column(i).Data().Chunks() {
			if at >= n {
				break
			}
			m := min(chunk.Len(), n-at)
			if err := c.add(chunk, m); err != nil {
				return nil, 0, fmt.Errorf("spark: column %q: %w", f.Name, err)
			}
			at += m
		}
		c.finish()
		cols[i] = c.ColumnValues
	}
	return cols, n, nil
}

func newColumn(f arrow.Field) (*column, error) {
	c := &column{}
	c.Name, c.Type = f.Name, sparkTypeName(f.Type)
	switch f.Type.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type:
		c.Kind = frame.Integer
	case *arrow.Uint64Type:
		c.Kind = frame.Numeric
	case *arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type:
		c.Kind = frame.Float
	case *arrow.Decimal128Type:
		c.Kind, c.Scale = frame.Numeric, int(f.Type.(*arrow.Decimal128Type).Scale)
	case *arrow.Decimal256Type:
		c.Kind, c.Scale = frame.Numeric, int(f.Type.(*arrow.Decimal256Type).Scale)
	case *arrow.BooleanType:
		c.Kind = frame.Boolean
	case *arrow.TimestampType:
		c.Kind = frame.Timestamp
	case *arrow.Date32Type, *arrow.Date64Type:
		c.Kind = frame.Date
	case *arrow.Time32Type, *arrow.Time64Type:
		c.Kind = frame.TimeOfDay
	case *arrow.DurationType, *arrow.DayTimeIntervalType, *arrow.MonthDayNanoIntervalType, *arrow.MonthIntervalType:
		c.Kind = frame.Interval
	case *arrow.ListType, *arrow.LargeListType, *arrow.FixedSizeListType:
		c.Kind = frame.Array
	case *arrow.MapType, *arrow.StructType:
		c.Kind = frame.JSON
	case *arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.NullType:
		c.Kind = frame.Text
	default:
		c.Kind = frame.Text
	}
	return c, nil
}

// sparkTypeName names an Arrow type as Spark SQL would.
func sparkTypeName(t arrow.DataType) string {
	switch dt := t.(type) {
	case *arrow.Int8Type:
		return "tinyint"
	case *arrow.Int16Type:
		return "smallint"
	case *arrow.Int32Type:
		return "int"
	case *arrow.Int64Type:
		return "bigint"
	case *arrow.Float32Type:
		return "float"
	case *arrow.Float64Type:
		return "double"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("decimal(%d,%d)", dt.Precision, dt.Scale)
	case *arrow.Decimal256Type:
		return fmt.Sprintf("decimal(%d,%d)", dt.Precision, dt.Scale)
	case *arrow.BooleanType:
		return "boolean"
	case *arrow.StringType, *arrow.LargeStringType:
		return "string"
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return "binary"
	case *arrow.TimestampType:
		if dt.TimeZone == "" {
			return "timestamp_ntz"
		}
		return "timestamp"
	case *arrow.Date32Type, *arrow.Date64Type:
		return "date"
	case *arrow.DurationType, *arrow.DayTimeIntervalType:
		return "interval day to second"
	case *arrow.MonthIntervalType:
		return "interval year to month"
	case *arrow.ListType:
		return "array<" + sparkTypeName(dt.Elem()) + ">"
	case *arrow.MapType:
		return "map<" + sparkTypeName(dt.KeyType()) + "," + sparkTypeName(dt.ItemType()) + ">"
	case *arrow.StructType:
		return "struct"
	case *arrow.NullType:
		return "void"
	}
	return t.String()
}

// add appends the first m values of a chunk.
func (c *column) add(a arrow.Array, m int) error {
	for i := 0; i < m; i++ {
		null := a.IsNull(i)
		c.Null = append(c.Null, null)
		if null {
			c.zero()
			continue
		}
		if err := c.value(a, i); err != nil {
			return err
		}
	}
	return nil
}

// finish drops the NULL mask of a column without NULLs.
func (c *column) finish() {
	for _, n := range c.Null {
		if n {
			return
		}
	}
	c.Null = nil
}

func (c *column) zero() {
	switch c.Kind.SeriesType() {
	case series.Int:
		c.Ints = append(c.Ints, 0)
	case series.Float:
		c.Floats = append(c.Floats, math.NaN())
	case series.Bool:
		c.Bools = append(c.Bools, false)
	default:
		c.Strings = append(c.Strings, "")
	}
}

func (c *column) float(f float64) {
	if math.IsNaN(f) {
		c.NaNs++
	}
	c.Floats = append(c.Floats, f)
}

func (c *column) numeric(f float64, exact bool, text string) {
	if !exact {
		if c.Inexact == 0 {
			c.Example = text
		}
		c.Inexact++
	}
	c.float(f)
}

func (c *column) value(a arrow.Array, i int) error {
	switch v := a.(type) {
	case *array.Int8:
		c.Ints = append(c.Ints, int(v.Value(i)))
	case *array.Int16:
		c.Ints = append(c.Ints, int(v.Value(i)))
	case *array.Int32:
		c.Ints = append(c.Ints, int(v.Value(i)))
	case *array.Int64:
		c.Ints = append(c.Ints, int(v.Value(i)))
	case *array.Uint8:
		c.Ints = append(c.Ints, int(v.Value(i)))
	case *array.Uint16:
		c.Ints = append(c.Ints, int(v.Value(i)))
	case *array.Uint32:
		c.Ints = append(c.Ints, int(v.Value(i)))
	case *array.Uint64:
		u := v.Value(i)
		c.numeric(float64(u), u <= 1<<53, strconv.FormatUint(u, 10))
	case *array.Float16:
		c.float(float64(v.Value(i).Float32()))
	case *array.Float32:
		c.float(float64(v.Value(i)))
	case *array.Float64:
		c.float(v.Value(i))
	case *array.Decimal128:
		scale := v.DataType().(*arrow.Decimal128Type).Scale
		c.decimal(v.Value(i).BigInt(), scale)
	case *array.Decimal256:
		scale := v.DataType().(*arrow.Decimal256Type).Scale
		c.decimal(v.Value(i).BigInt(), scale)
	case *array.Boolean:
		c.Bools = append(c.Bools, v.Value(i))
	case *array.String:
		c.Strings = append(c.Strings, strings.Clone(v.Value(i)))
	case *array.LargeString:
		c.Strings = append(c.Strings, strings.Clone(v.Value(i)))
	case *array.Binary:
		c.Strings = append(c.Strings, `\x`+hex.EncodeToString(v.Value(i)))
	case *array.LargeBinary:
		c.Strings = append(c.Strings, `\x`+hex.EncodeToString(v.Value(i)))
	case *array.Timestamp:
		unit := v.DataType().(*arrow.TimestampType).Unit
		c.Floats = append(c.Floats, seconds(int64(v.Value(i)), unit))
	case *array.Date32:
		c.Floats = append(c.Floats, float64(int64(v.Value(i))*86400))
	case *array.Date64:
		c.Floats = append(c.Floats, float64(int64(v.Value(i)))/1000)
	case *array.Time32:
		c.Floats = append(c.Floats, seconds(int64(v.Value(i)), v.DataType().(*arrow.Time32Type).Unit))
	case *array.Time64:
		c.Floats = append(c.Floats, seconds(int64(v.Value(i)), v.DataType().(*arrow.Time64Type).Unit))
	case *array.Duration:
		c.Floats = append(c.Floats, seconds(int64(v.Value(i)), v.DataType().(*arrow.DurationType).Unit))
	case *array.DayTimeInterval:
		d := v.Value(i)
		c.Floats = append(c.Floats, float64(d.Days)*86400+float64(d.Milliseconds)/1000)
	case *array.MonthInterval:
		c.Floats = append(c.Floats, float64(v.Value(i))*30*86400)
	case *array.MonthDayNanoInterval:
		d := v.Value(i)
		c.Floats = append(c.Floats, float64(d.Months)*30*86400+float64(d.Days)*86400+float64(d.Nanoseconds)/1e9)
	case *array.List, *array.LargeList, *array.FixedSizeList:
		c.Strings = append(c.Strings, pgArray(a, i))
	case *array.Map, *array.Struct:
		b, err := json.Marshal(a.GetOneForMarshal(i))
		if err != nil {
			return fmt.Errorf("rendering a %s value as JSON: %w", a.DataType(), err)
		}
		c.Strings = append(c.Strings, string(b))
	default:
		c.Strings = append(c.Strings, a.ValueStr(i))
	}
	return nil
}

func (c *column) decimal(unscaled *big.Int, scale int32) {
	r := new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	f, exact := r.Float64()
	if !exact {
		// float64 holds every decimal of up to 15 significant digits well enough to print it back.
		digits := strings.TrimLeft(strings.Replace(strings.TrimLeft(unscaled.String(), "-"), ".", "", 1), "0")
		exact = len(strings.TrimRight(digits, "0")) <= 15
	}
	c.numeric(f, exact, r.FloatString(int(scale)))
}

func seconds(v int64, unit arrow.TimeUnit) float64 {
	switch unit {
	case arrow.Second:
		return float64(v)
	case arrow.Millisecond:
		return float64(v/1000) + float64(v%1000)/1e3
	case arrow.Microsecond:
		return float64(v/1_000_000) + float64(v%1_000_000)/1e6
	default:
		return float64(v/1_000_000_000) + float64(v%1_000_000_000)/1e9
	}
}

// pgArray renders a list value in PostgreSQL's array text form, as helpers/frame shows arrays:
// {a,"b c",NULL}.
func pgArray(a arrow.Array, i int) string {
	var vals arrow.Array
	var from, to int64
	switch l := a.(type) {
	case *array.List:
		from, to = l.ValueOffsets(i)
		vals = l.ListValues()
	case *array.LargeList:
		from, to = l.ValueOffsets(i)
		vals = l.ListValues()
	case *array.FixedSizeList:
		from, to = l.ValueOffsets(i)
		vals = l.ListValues()
	}
	var b strings.Builder
	b.WriteByte('{')
	for j := from; j < to; j++ {
		if j > from {
			b.WriteByte(',')
		}
		if vals.IsNull(int(j)) {
			b.WriteString("NULL")
			continue
		}
		var s string
		switch v := vals.(type) {
		case *array.List, *array.LargeList, *array.FixedSizeList:
			b.WriteString(pgArray(v, int(j)))
			continue
		case *array.String:
			s = v.Value(int(j))
		case *array.Timestamp:
			unit := v.DataType().(*arrow.TimestampType).Unit
			s = v.Value(int(j)).ToTime(unit).UTC().Format("2006-01-02 15:04:05.999999Z07")
		default:
			s = vals.ValueStr(int(j))
		}
		if s == "" || strings.EqualFold(s, "NULL") || strings.ContainsAny(s, `{},"\ `+"\t\n") {
			s = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
		}
		b.WriteString(s)
	}
	b.WriteByte('}')
	return b.String()
}
