package frame

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/go-gota/gota/series"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// codec says how the raw bytes of a column are read.
type codec uint8

const (
	cRaw       codec = iota // the bytes are the value: text format, or binary text types
	cUUID                   // binary uuid
	cBool                   // binary bool
	cInt2                   // binary int2
	cInt4                   // binary int4
	cInt8                   // binary int8
	cOID                    // binary oid (unsigned)
	cFloat4                 // binary float4
	cFloat8                 // binary float8
	cNumeric                // binary numeric
	cDate                   // binary date
	cTimestamp              // binary timestamp and timestamptz
	cTime                   // binary time
	cInterval               // binary interval
	cParse                  // text format of a type with a non-string kind
	cScan                   // binary format of a type decoded to a string by pgtype
)

// column accumulates one result column: the values in the vec of its kind's
// gota type and, once a NULL is seen, a NULL mask.
type column struct {
	Column
	codec   codec
	format  int16
	n       int
	ints    vec[int]
	floats  vec[float64]
	bools   vec[bool]
	strs    strvec
	null    vec[bool] // one entry per row once hasNull
	hasNull bool

	tm   *pgtype.Map
	plan pgtype.ScanPlan
}

func newColumn(fd pgconn.FieldDescription, tm *pgtype.Map) *column {
	oid := fd.DataTypeOID
	c := &column{Column: Column{Name: fd.Name, OID: oid, Kind: kindOf(tm, oid), Type: typeName(tm, oid)},
		format: fd.Format, tm: tm}
	c.Series = c.Kind.SeriesType()
	c.codec = pickCodec(oid, c.Kind, fd.Format)
	return c
}

func pickCodec(oid uint32, k Kind, format int16) codec {
	if format == pgtype.TextFormatCode {
		if k.SeriesType() == series.String {
			return cRaw
		}
		return cParse
	}
	switch oid {
	case pgtype.BoolOID:
		return cBool
	case pgtype.Int2OID:
		return cInt2
	case pgtype.Int4OID:
		return cInt4
	case pgtype.Int8OID:
		return cInt8
	case pgtype.OIDOID:
		return cOID
	case pgtype.Float4OID:
		return cFloat4
	case pgtype.Float8OID:
		return cFloat8
	case pgtype.NumericOID:
		return cNumeric
	case pgtype.DateOID:
		return cDate
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		return cTimestamp
	case pgtype.TimeOID:
		return cTime
	case pgtype.IntervalOID:
		return cInterval
	case pgtype.UUIDOID:
		return cUUID
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID, pgtype.JSONOID, pgtype.QCharOID:
		return cRaw
	}
	return cScan
}

// postgresEpoch is 2000-01-01 00:00 UTC in Unix seconds: binary dates and
// timestamps count from there.
const postgresEpoch = 946684800

// add appends one raw value (nil is NULL).
func (c *column) add(v []byte) error {
	if v == nil {
		c.addNull()
		return nil
	}
	var err error
	switch c.codec {
	case cRaw:
		c.strs.push(v)
	case cInt8:
		if len(v) != 8 {
			return c.sizeErr(8, v)
		}
		c.ints.push(int(int64(binary.BigEndian.Uint64(v))))
	case cInt4:
		if len(v) != 4 {
			return c.sizeErr(4, v)
		}
		c.ints.push(int(int32(binary.BigEndian.Uint32(v))))
	case cInt2:
		if len(v) != 2 {
			return c.sizeErr(2, v)
		}
		c.ints.push(int(int16(binary.BigEndian.Uint16(v))))
	case cOID:
		if len(v) != 4 {
			return c.sizeErr(4, v)
		}
		c.ints.push(int(binary.BigEndian.Uint32(v)))
	case cFloat8:
		if len(v) != 8 {
			return c.sizeErr(8, v)
		}
		c.addFloat(math.Float64frombits(binary.BigEndian.Uint64(v)))
	case cFloat4:
		if len(v) != 4 {
			return c.sizeErr(4, v)
		}
		c.addFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(v))))
	case cBool:
		if len(v) != 1 {
			return c.sizeErr(1, v)
		}
		c.bools.push(v[0] != 0)
	case cTimestamp:
		if len(v) != 8 {
			return c.sizeErr(8, v)
		}
		c.floats.push(timestampSeconds(int64(binary.BigEndian.Uint64(v))))
	case cDate:
		if len(v) != 4 {
			return c.sizeErr(4, v)
		}
		c.floats.push(dateSeconds(int32(binary.BigEndian.Uint32(v))))
	case cTime:
		if len(v) != 8 {
			return c.sizeErr(8, v)
		}
		c.floats.push(float64(int64(binary.BigEndian.Uint64(v))) / 1e6)
	case cInterval:
		if len(v) != 16 {
			return c.sizeErr(16, v)
		}
		us := int64(binary.BigEndian.Uint64(v))
		days := int32(binary.BigEndian.Uint32(v[8:]))
		months := int32(binary.BigEndian.Uint32(v[12:]))
		c.floats.push(intervalSeconds(us, days, months))
	case cNumeric:
		f, exact, err := numericBinary(v)
		if err != nil {
			return c.valueErr(err)
		}
		c.addNumeric(f, exact, v)
	case cUUID:
		if len(v) != 16 {
			return c.sizeErr(16, v)
		}
		c.strs.pushUUID(v)
	case cParse:
		err = c.parse(v)
	case cScan:
		err = c.scan(v)
	}
	if err != nil {
		return c.valueErr(err)
	}
	c.n++
	if c.hasNull {
		c.null.push(false)
	}
	return nil
}

func (c *column) addNull() {
	if !c.hasNull {
		c.hasNull = true
		c.null.fill(false, c.n)
	}
	c.null.push(true)
	c.Nulls++
	switch c.Series {
	case series.Int:
		c.ints.push(0)
	case series.Float:
		c.floats.push(0)
	case series.Bool:
		c.bools.push(false)
	default:
		c.strs.push(nil)
	}
	c.n++
}

func (c *column) addFloat(f float64) {
	if f != f {
		c.NaNs++
	}
	c.floats.push(f)
}

// addNumeric appends a numeric's float64 and notes when it is not exact; raw
// (binary or text) is used to show the first inexact value.
func (c *column) addNumeric(f float64, exact bool, raw []byte) {
	c.Scale = max(c.Scale, numericScale(raw, c.format == pgtype.BinaryFormatCode))
	if !exact {
		c.Inexact++
		if c.Example == "" {
			orig := string(raw)
			if c.format == pgtype.BinaryFormatCode {
				orig = binaryNumericString(raw)
			}
			c.Example = orig + " → " + strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	c.addFloat(f)
}

func (c *column) sizeErr(want int, v []byte) error {
	return c.valueErr(fmt.Errorf("expected %d bytes in binary format, found %d", want, len(v)))
}

func (c *column) valueErr(err error) error {
	return fmt.Errorf("frame: column %q (%s) row %d: %w", c.Name, c.typeLabel(), c.n+1, err)
}

func (c *column) typeLabel() string {
	if c.Type != "" {
		return c.Type
	}
	return fmt.Sprintf("type oid %d", c.OID)
}

// parse reads the text format of a type whose kind is not a string.
func (c *column) parse(v []byte) error {
	s := unsafe.String(unsafe.SliceData(v), len(v)) // only used during this call
	switch c.Kind {
	case Integer:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("expected an integer, found %q", s)
		}
		c.ints.push(int(i))
	case Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !isRangeErr(err) {
			return fmt.Errorf("expected a number, found %q", s)
		}
		c.addFloat(f)
	case Numeric:
		f, exact, err := parseNumeric(s)
		if err != nil {
			return err
		}
		c.addNumeric(f, exact, v)
	case Boolean:
		switch s {
		case "t", "true":
			c.bools.push(true)
		case "f", "false":
			c.bools.push(false)
		default:
			return fmt.Errorf("expected t or f, found %q", s)
		}
	default:
		f, err := c.scanTemporal(v)
		if err != nil {
			return err
		}
		c.floats.push(f)
	}
	return nil
}

// scanTemporal reads a date, time, timestamp or interval in text format with
// pgx's parsers.
func (c *column) scanTemporal(v []byte) (float64, error) {
	scan := func(target any) error {
		if c.plan == nil {
			c.plan = c.tm.PlanScan(c.OID, c.format, target)
		}
		return c.plan.Scan(v, target)
	}
	switch c.Kind {
	case Timestamp:
		if c.OID == pgtype.TimestampOID {
			var t pgtype.Timestamp
			if err := scan(&t); err != nil {
				return 0, err
			}
			return infOr(t.InfinityModifier, func() float64 { return unixSeconds(t.Time.Unix(), t.Time.Nanosecond()) }), nil
		}
		var t pgtype.Timestamptz
		if err := scan(&t); err != nil {
			return 0, err
		}
		return infOr(t.InfinityModifier, func() float64 { return unixSeconds(t.Time.Unix(), t.Time.Nanosecond()) }), nil
	case Date:
		var d pgtype.Date
		if err := scan(&d); err != nil {
			return 0, err
		}
		return infOr(d.InfinityModifier, func() float64 { return float64(d.Time.Unix()) }), nil
	case TimeOfDay:
		var t pgtype.Time
		if err := scan(&t); err != nil {
			return 0, err
		}
		return float64(t.Microseconds) / 1e6, nil
	case Interval:
		var iv pgtype.Interval
		if err := scan(&iv); err != nil {
			return 0, err
		}
		return intervalSeconds(iv.Microseconds, iv.Days, iv.Months), nil
	}
	return 0, fmt.Errorf("no text reader for kind %s", c.Kind)
}

// scan turns a binary value of a type this package does not decode itself
// into a string with pgx's codecs.
func (c *column) scan(v []byte) error {
	var s string
	if c.plan == nil {
		c.plan = c.tm.PlanScan(c.OID, c.format, &s)
	}
	if err := c.plan.Scan(v, &s); err != nil {
		return fmt.Errorf("cannot read this type in binary format (%v); let the server send text", err)
	}
	c.strs.push(unsafe.Slice(unsafe.StringData(s), len(s)))
	return nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func infOr(m pgtype.InfinityModifier, finite func() float64) float64 {
	switch m {
	case pgtype.Infinity:
		return math.Inf(1)
	case pgtype.NegativeInfinity:
		return math.Inf(-1)
	}
	return finite()
}

// unixSeconds is sec + nsec as float64 seconds, computed so that whole
// microseconds survive (see Timestamp).
func unixSeconds(sec int64, nsec int) float64 {
	us := int64(nsec) / 1000
	if sec > -1<<40 && sec < 1<<40 {
		return float64(sec*1_000_000+us) / 1e6
	}
	return float64(sec) + float64(us)/1e6
}

// timestampSeconds converts microseconds since 2000-01-01 (binary timestamp)
// to Unix seconds; the infinities become ±Inf.
func timestampSeconds(us int64) float64 {
	switch us {
	case math.MaxInt64:
		return math.Inf(1)
	case math.MinInt64:
		return math.Inf(-1)
	}
	if us > -1<<62 && us < 1<<62 {
		return float64(us+postgresEpoch*1_000_000) / 1e6
	}
	return float64(us)/1e6 + postgresEpoch
}

// dateSeconds converts days since 2000-01-01 (binary date) to Unix seconds at
// midnight UTC; the infinities become ±Inf.
func dateSeconds(days int32) float64 {
	switch days {
	case math.MaxInt32:
		return math.Inf(1)
	case math.MinInt32:
		return math.Inf(-1)
	}
	return float64((int64(days) + postgresEpoch/86400) * 86400)
}

// intervalSeconds counts an interval's seconds as EXTRACT(epoch FROM interval)
// does: a year of months is 365.25 days, other months 30 days, a day 86,400 s.
func intervalSeconds(us int64, days, months int32) float64 {
	whole := int64(months/12)*31_557_600 + int64(months%12)*30*86_400 + int64(days)*86_400
	if whole > -1<<40 && whole < 1<<40 && us > -1<<61 && us < 1<<61 {
		return float64(whole*1_000_000+us) / 1e6 // one rounding, as the server's own float8 cast
	}
	return float64(whole) + float64(us)/1e6
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// numericBinary converts a binary numeric to the nearest float64 and reports
// whether that float64 holds the value exactly, i.e. whether the shortest
// decimal that reads back as the same float64 is the numeric itself.
func numericBinary(v []byte) (f float64, exact bool, err error) {
	if len(v) < 8 {
		return 0, false, fmt.Errorf("expected at least 8 bytes of numeric, found %d", len(v))
	}
	ndigits := int(binary.BigEndian.Uint16(v))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	if len(v) != 8+2*ndigits {
		return 0, false, fmt.Errorf("expected %d bytes for %d numeric digits, found %d", 8+2*ndigits, ndigits, len(v))
	}
	switch sign {
	case 0xC000:
		return math.NaN(), true, nil
	case 0xD000:
		return math.Inf(1), true, nil
	case 0xF000:
		return math.Inf(-1), true, nil
	case 0x0000, 0x4000:
	default:
		return 0, false, fmt.Errorf("expected a numeric sign, found %#04x", sign)
	}
	if ndigits == 0 {
		return 0, true, nil
	}
	neg := sign == 0x4000
	exp10 := 4 * (weight - ndigits + 1) // value = (digits as an integer) × 10^exp10
	if ndigits <= 4 {
		var m uint64
		for i := 0; i < ndigits; i++ {
			d := binary.BigEndian.Uint16(v[8+2*i:])
			if d > 9999 {
				return 0, false, fmt.Errorf("expected numeric digits below 10000, found %d", d)
			}
			m = m*10000 + uint64(d)
		}
		if m < 1<<53 && exp10 >= -22 && exp10 <= 22 {
			// Both m and 10^|exp10| are exact float64s: one rounding, the correct one.
			f = float64(m)
			if exp10 >= 0 {
				f *= pow10[exp10]
			} else {
				f /= pow10[-exp10]
			}
			if neg {
				f = -f
			}
			z := 0
			for m != 0 && m%10 == 0 {
				m /= 10
				z++
			}
			if m < 1e15 { // at most 15 significant digits always survive a float64
				return f, true, nil
			}
			return f, sameDecimal(strconv.FormatUint(m, 10), exp10+z, f), nil
		}
	}
	// The general case: parse the decimal text (correctly rounded).
	var b strings.Builder
	for i := 0; i < ndigits; i++ {
		d := binary.BigEndian.Uint16(v[8+2*i:])
		if d > 9999 {
			return 0, false, fmt.Errorf("expected numeric digits below 10000, found %d", d)
		}
		fmt.Fprintf(&b, "%04d", d)
	}
	digits, e := normalizeDigits(b.String(), exp10)
	f, err = strconv.ParseFloat(digits+"e"+strconv.Itoa(e), 64)
	if err != nil && !isRangeErr(err) {
		return 0, false, err
	}
	if neg {
		f = -f
	}
	return f, sameDecimal(digits, e, f), nil
}

// normalizeDigits strips leading and trailing zeros of an integer digit string
// worth digits×10^exp; the result is worth the same.
func normalizeDigits(digits string, exp int) (string, int) {
	digits = strings.TrimLeft(digits, "0")
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	return trimmed, exp
}

// sameDecimal reports whether f is exactly the decimal digits×10^exp (digits
// normalized, unsigned): whether the shortest representation of f has the
// same digits and exponent.
func sameDecimal(digits string, exp int, f float64) bool {
	if digits == "" {
		return f == 0
	}
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	s := strconv.FormatFloat(math.Abs(f), 'e', -1, 64) // d.ddddde±XX
	mant, expPart, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(expPart)
	fd := strings.Replace(mant, ".", "", 1)
	fd, fe := normalizeDigits(fd, e-(len(fd)-1))
	return fd == digits && fe == exp
}

// parseNumeric reads the text form of a numeric ("-123.4500", "NaN",
// "Infinity") as a float64 and reports whether that is exact.
func parseNumeric(s string) (f float64, exact bool, err error) {
	f, err = strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return 0, false, fmt.Errorf("expected a numeric, found %q", s)
	}
	if math.IsNaN(f) || (math.IsInf(f, 0) && strings.HasSuffix(s, "Infinity")) {
		return f, true, nil
	}
	body := strings.TrimLeft(s, "+-")
	intPart, frac, _ := strings.Cut(body, ".")
	exp := 0
	if e := strings.IndexAny(frac, "eE"); e >= 0 {
		exp, _ = strconv.Atoi(frac[e+1:])
		frac = frac[:e]
	} else if e := strings.IndexAny(intPart, "eE"); e >= 0 {
		exp, _ = strconv.Atoi(intPart[e+1:])
		intPart = intPart[:e]
	}
	digits, e := normalizeDigits(intPart+frac, exp-len(frac))
	if len(digits) <= 15 && f != 0 && !math.IsInf(f, 0) {
		return f, true, nil
	}
	return f, sameDecimal(digits, e, f), nil
}

// binaryNumericString prints a binary numeric in decimal, to show a value
// that float64 rounds.
func binaryNumericString(v []byte) string {
	if len(v) < 8 {
		return "?"
	}
	ndigits := int(binary.BigEndian.Uint16(v))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	if len(v) != 8+2*ndigits {
		return "?"
	}
	var b strings.Builder
	for i := 0; i < ndigits; i++ {
		fmt.Fprintf(&b, "%04d", binary.BigEndian.Uint16(v[8+2*i:]))
	}
	digits, e := normalizeDigits(b.String(), 4*(weight-ndigits+1))
	if digits == "" {
		return "0"
	}
	sign := ""
	if binary.BigEndian.Uint16(v[4:]) == 0x4000 {
		sign = "-"
	}
	switch {
	case e >= 0:
		return sign + digits + strings.Repeat("0", e)
	case -e < len(digits):
		return sign + digits[:len(digits)+e] + "." + digits[len(digits)+e:]
	default:
		return sign + "0." + strings.Repeat("0", -e-len(digits)) + digits
	}
}

// numericScale returns the digits after the decimal point of a numeric value
// as PostgreSQL prints it: its display scale (binary), or the digits after
// the point (text).
func numericScale(raw []byte, binaryFormat bool) int {
	if binaryFormat {
		if len(raw) < 8 {
			return 0
		}
		return int(binary.BigEndian.Uint16(raw[6:]) & 0x3FFF)
	}
	if i := bytes.IndexByte(raw, '.'); i >= 0 {
		n := 0
		for _, b := range raw[i+1:] {
			if b < '0' || b > '9' {
				break
			}
			n++
		}
		return n
	}
	return 0
}
