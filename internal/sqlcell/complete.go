package sqlcell

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Table is a relation of the catalog with its columns, in order.
type Table struct {
	Schema, Name string
	Columns      []string
}

// Catalog is what completion offers: the tables, views and materialized views the user can see.
type Catalog struct {
	Tables []Table
}

// CatalogSQL reads the catalog in one statement: relations the current user may read (tables, views,
// materialized views, foreign and partitioned tables) outside the system schemas, with their columns.
const CatalogSQL = `SELECT n.nspname::text, c.relname::text, coalesce(array_agg(a.attname::text ORDER BY a.attnum)
       FILTER (WHERE a.attnum > 0), '{}')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
  AND has_schema_privilege(n.oid, 'USAGE')
GROUP BY 1, 2
ORDER BY 1, 2`

// Rows is the part of pgx.Rows LoadCatalog reads.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Querier runs a query (replica.Pool and pgx satisfy it through a one-line adapter).
type Querier func(ctx context.Context, sql string) (Rows, error)

// LoadCatalog reads the catalog with CatalogSQL.
func LoadCatalog(ctx context.Context, q Querier) (*Catalog, error) {
	rows, err := q(ctx, CatalogSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c := &Catalog{}
	for rows.Next() {
		var t Table
		if err := rows.Scan(&t.Schema, &t.Name, &t.Columns); err != nil {
			return nil, err
		}
		c.Tables = append(c.Tables, t)
	}
	return c, rows.Err()
}

// QualifiedNames returns every table's name as a user writes it: bare in public, schema.name elsewhere.
func (c *Catalog) QualifiedNames() []string {
	out := make([]string, 0, len(c.Tables))
	for _, t := range c.Tables {
		out = append(out, t.display())
	}
	return out
}

func (t Table) display() string {
	if t.Schema == "public" {
		return ident(t.Name)
	}
	return ident(t.Schema) + "." + ident(t.Name)
}

// ident quotes a name that PostgreSQL would otherwise fold or refuse.
func ident(s string) string {
	simple := s != ""
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '$')) {
			simple = false
			break
		}
	}
	if simple && !reserved[strings.ToUpper(s)] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// keywords offered by completion, in upper case (written in the case the user types).
var keywords = strings.Fields(`SELECT FROM WHERE AND OR NOT IN IS NULL AS ON JOIN LEFT RIGHT FULL INNER OUTER
CROSS LATERAL GROUP BY ORDER HAVING LIMIT OFFSET DISTINCT UNION ALL EXCEPT INTERSECT WITH CASE WHEN THEN ELSE
END BETWEEN LIKE ILIKE EXISTS ASC DESC NULLS FIRST LAST COUNT SUM AVG MIN MAX COALESCE NULLIF CAST EXTRACT
DATE_TRUNC INTERVAL TRUE FALSE FILTER OVER PARTITION WINDOW ROWS RANGE USING EXPLAIN ANALYZE TABLESAMPLE`)

var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC BOTH CASE CAST CHECK COLLATE
COLUMN CONSTRAINT CREATE CURRENT_DATE CURRENT_ROLE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEFAULT
DEFERRABLE DESC DISTINCT DO ELSE END EXCEPT FALSE FETCH FOR FOREIGN FROM GRANT GROUP HAVING IN INITIALLY
INTERSECT INTO LATERAL LEADING LIMIT LOCALTIME LOCALTIMESTAMP NOT NULL OFFSET ON ONLY OR ORDER PLACING
PRIMARY REFERENCES RETURNING SELECT SESSION_USER SOME SYMMETRIC TABLE THEN TO TRAILING TRUE UNION UNIQUE
USER USING VARIADIC WHEN WHERE WINDOW WITH`) {
		m[k] = true
	}
	return m
}()

// tableRef finds "FROM x", "JOIN x", with an optional alias.
var tableRef = regexp.MustCompile(`(?i)\b(?:from|join|update|into)\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)(?:\s+(?:as\s+)?("[^"]+"|[\w$]+))?`)

var tableKeywords = map[string]bool{"FROM": true, "JOIN": true, "INTO": true, "UPDATE": true, "TABLE": true, "%DESCRIBE": true}

// Complete returns what may complete the word at cursor (unicode code points into code, as Jupyter
// counts them) and where that word starts. code may be a whole %%sql cell.
func (c *Catalog) Complete(code string, cursor int) (matches []string, start int) {
	runes := []rune(code)
	if cursor > len(runes) {
		cursor = len(runes)
	}
	isWord := func(r rune) bool {
		return r == '_' || r == '$' || r == '"' || unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	start = cursor
	for start > 0 && isWord(runes[start-1]) {
		start--
	}
	prefix := strings.Trim(string(runes[start:cursor]), `"`)
	qualifier := ""
	if start > 0 && runes[start-1] == '.' {
		q := start - 1
		for q > 0 && isWord(runes[q-1]) {
			q--
		}
		qualifier = strings.Trim(string(runes[q:start-1]), `"`)
	}
	before := strings.ToUpper(lastWord(string(runes[:start])))
	lower := prefix != "" && prefix == strings.ToLower(prefix)

	var cands []string
	add := func(s ...string) { cands = append(cands, s...) }
	switch {
	case qualifier != "":
		// schema.<table> or table_or_alias.<column>
		for _, t := range c.Tables {
			if strings.EqualFold(t.Schema, qualifier) {
				add(ident(t.Name))
			}
		}
		if t := c.resolve(string(runes), qualifier); t != nil {
			for _, col := range t.Columns {
				add(ident(col))
			}
		}
	case tableKeywords[before]:
		add(c.QualifiedNames()...)
	default:
		for _, t := range c.referenced(string(runes)) {
			for _, col := range t.Columns {
				add(ident(col))
			}
		}
		add(c.QualifiedNames()...)
		for _, k := range keywords {
			if lower {
				k = strings.ToLower(k)
			}
			add(k)
		}
	}
	seen := map[string]bool{}
	p := strings.ToLower(prefix)
	for _, s := range cands {
		if seen[s] || !strings.HasPrefix(strings.ToLower(strings.Trim(s, `"`)), p) {
			continue
		}
		seen[s] = true
		matches = append(matches, s)
	}
	if prefix == "" && qualifier == "" && !tableKeywords[before] {
		// Nothing typed yet: offer names, not the whole keyword list.
		var names []string
		for _, m := range matches {
			if strings.ToUpper(m) != m || !isKeyword(m) {
				names = append(names, m)
			}
		}
		matches = names
	}
	return matches, start
}

func isKeyword(s string) bool {
	for _, k := range keywords {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// lastWord returns the last word before the text's end (skipping spaces), e.g. "FROM" in "select * from ".
func lastWord(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	i := strings.LastIndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == '(' })
	return s[i+1:]
}

// referenced returns the catalog's tables that the SQL names after FROM or JOIN.
func (c *Catalog) referenced(sql string) []*Table {
	var out []*Table
	for _, m := range tableRef.FindAllStringSubmatch(sql, -1) {
		if t := c.lookup(m[1]); t != nil {
			out = append(out, t)
		}
	}
	return out
}

// resolve finds the table a qualifier names: a table (bare or schema-qualified) or an alias in the SQL.
func (c *Catalog) resolve(sql, qualifier string) *Table {
	for _, m := range tableRef.FindAllStringSubmatch(sql, -1) {
		if m[2] != "" && strings.EqualFold(strings.Trim(m[2], `"`), qualifier) {
			return c.lookup(m[1])
		}
	}
	return c.lookup(qualifier)
}

func (c *Catalog) lookup(name string) *Table {
	schema, rel, ok := strings.Cut(name, ".")
	if !ok {
		schema, rel = "", schema
	}
	schema, rel = strings.Trim(schema, `"`), strings.Trim(rel, `"`)
	var found *Table
	for i := range c.Tables {
		t := &c.Tables[i]
		if !strings.EqualFold(t.Name, rel) || schema != "" && !strings.EqualFold(t.Schema, schema) {
			continue
		}
		if found == nil || t.Schema == "public" {
			found = t
		}
	}
	return found
}

// SortedNames returns the catalog's table names, sorted (for messages).
func (c *Catalog) SortedNames() []string {
	n := c.QualifiedNames()
	sort.Strings(n)
	return n
}
