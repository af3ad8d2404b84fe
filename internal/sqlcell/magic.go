// Package sqlcell is what the "Go (replica)" kernel needs to run SQL cells without compiling: the
// %%sql magic line, errors that point at the mistake (a caret under PostgreSQL's error position, the
// closest table names for a missing relation), and completion of table and column names from the
// replica's catalog. internal/kernel runs the cells; helpers/frame loads, caches and shows the rows.
package sqlcell

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Magic is what the first line of a SQL cell asks for:
//
//	%%sql [name] [--limit N] [--refresh] [--ttl DURATION] [--any-cost]
type Magic struct {
	Name    string        // keep the result under this name for later cells ("" = not kept)
	Limit   int           // at most this many rows (0 = frame's default)
	Refresh bool          // query the replica even if the cache holds the result
	TTL     time.Duration // how long the cached result is good (0 = frame's default)
	AnyCost bool          // run it even when the planner's estimate is above the limits (frame.AnyCost)
}

// MagicUsage is the magic line's grammar, shown with every mistake in it.
const MagicUsage = "%%sql [name] [--limit N] [--refresh] [--ttl DURATION] [--any-cost]"

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseMagic reads a %%sql line.
func ParseMagic(line string) (Magic, error) {
	var m Magic
	fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "//gonb:"))
	if len(fields) == 0 || fields[0] != "%%sql" {
		return m, fmt.Errorf("expected a cell starting with %%%%sql, found %q", line)
	}
	args := fields[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		flag, value, hasValue := strings.Cut(a, "=")
		next := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value (usage: %s)", flag, MagicUsage)
			}
			i++
			return args[i], nil
		}
		switch {
		case flag == "--limit" || flag == "-l":
			v, err := next()
			if err != nil {
				return m, err
			}
			n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
			if err != nil || n < 1 {
				return m, fmt.Errorf("--limit expects a number of rows of 1 or more, found %q", v)
			}
			m.Limit = n
		case flag == "--refresh" || flag == "-r":
			if hasValue {
				return m, fmt.Errorf("--refresh takes no value, found %q", a)
			}
			m.Refresh = true
		case flag == "--any-cost":
			if hasValue {
				return m, fmt.Errorf("--any-cost takes no value, found %q", a)
			}
			m.AnyCost = true
		case flag == "--ttl":
			v, err := next()
			if err != nil {
				return m, err
			}
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return m, fmt.Errorf("--ttl expects a duration such as 30m or 2h, found %q", v)
			}
			m.TTL = d
		case strings.HasPrefix(a, "-"):
			return m, fmt.Errorf("unknown option %q (usage: %s)", a, MagicUsage)
		case m.Name == "" && nameRE.MatchString(a):
			m.Name = a
		case m.Name != "":
			return m, fmt.Errorf("one result name only: found %q after %q (usage: %s)", a, m.Name, MagicUsage)
		default:
			return m, fmt.Errorf("%q is not a result name: use letters, digits and _, starting with a letter (usage: %s)", a, MagicUsage)
		}
	}
	return m, nil
}

// IsSQLCell reports whether a cell is a %%sql cell.
func IsSQLCell(code string) bool {
	first, _, _ := strings.Cut(code, "\n")
	f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(first), "//gonb:"))
	return len(f) > 0 && f[0] == "%%sql"
}

// Body returns a SQL cell's SQL (everything after the magic line) and the line number (1-based, in
// the cell) where it starts.
func Body(code string) (string, int) {
	_, body, _ := strings.Cut(code, "\n")
	return body, 2
}
