package explore_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/explore"
	"github.com/replicalab/replicalab/internal/cost"
)

// TestProfileIsExact: every column's count of NULLs and distinct values,
// least and greatest value and quartiles, as computed independently (in Go
// from the column's values, or by sorting on the server), from one read of
// the table.
func TestProfileIsExact(t *testing.T) {
	c, db := open(t)
	admin := super(t, c)
	ctx := context.Background()
	for _, table := range []string{"orders", "rfqs", "audit_log"} {
		p, err := explore.Profile(ctx, db, table, explore.ShowPersonal())
		if err != nil {
			t.Fatal(err)
		}
		var rows int64
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if p.Rows != rows || p.Table != "public."+table || p.Cost <= 0 {
			t.Errorf("%s: profile says %d rows (cost %v), the table has %d", table, p.Rows, p.Cost, rows)
		}
		for _, col := range p.Columns {
			ident := pgx.Identifier{col.Name}.Sanitize()
			// NULLs and distinct values, counted in Go from the values as text.
			values, nulls := texts(t, admin, "SELECT "+ident+"::text FROM "+table)
			if col.Nulls != nulls {
				t.Errorf("%s.%s: %d NULLs in the profile, %d in the data", table, col.Name, col.Nulls, nulls)
			}
			if col.Distinct >= 0 {
				if d := int64(len(distinctOf(values))); col.Distinct != d {
					t.Errorf("%s.%s: %d distinct in the profile, %d in the data", table, col.Name, col.Distinct, d)
				}
			}
			// Least and greatest, by the server's own ordering of the column.
			if col.Min != "" && col.Type != "boolean" {
				var lo, hi string
				admin.QueryRow(ctx, "SELECT left("+ident+"::text, 80) FROM "+table+" WHERE "+ident+" IS NOT NULL ORDER BY "+ident+" LIMIT 1").Scan(&lo)
				admin.QueryRow(ctx, "SELECT left("+ident+"::text, 80) FROM "+table+" WHERE "+ident+" IS NOT NULL ORDER BY "+ident+" DESC LIMIT 1").Scan(&hi)
				if col.Min != lo || col.Max != hi {
					t.Errorf("%s.%s: min %q max %q in the profile, %q and %q by sorting", table, col.Name, col.Min, col.Max, lo, hi)
				}
			}
			// Quartiles of numbers: linear interpolation between the sorted values, in Go.
			if len(col.Quartiles) == 3 && (strings.HasPrefix(col.Type, "numeric") || strings.Contains(col.Type, "int") || strings.Contains(col.Type, "double")) {
				var nums []float64
				for _, v := range values {
					f, err := strconv.ParseFloat(v, 64)
					if err == nil && !math.IsNaN(f) {
						nums = append(nums, f)
					}
				}
				slices.Sort(nums)
				for i, q := range []float64{0.25, 0.5, 0.75} {
					got, _ := strconv.ParseFloat(col.Quartiles[i], 64)
					if want := quantile(nums, q); math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
						t.Errorf("%s.%s: quartile %v is %v in the profile, %v in Go", table, col.Name, q, got, want)
					}
				}
			}
		}
	}
	// A column of each kind was profiled.
	p, _ := explore.Profile(ctx, db, "orders")
	kinds := map[string]bool{}
	for _, col := range p.Columns {
		switch {
		case len(col.Quartiles) == 3 && strings.Contains(col.Type, "timestamp"):
			kinds["time quartiles"] = true
		case len(col.Quartiles) == 3:
			kinds["number quartiles"] = true
		case col.Distinct < 0:
			kinds["no ordering"] = true
		case col.Min != "":
			kinds["min and max"] = true
		}
	}
	if len(kinds) < 3 {
		t.Errorf("orders: want numbers, times and text among the profiled columns, got %v", kinds)
	}
	if h := p.HTML(); !strings.Contains(h, `data-replicalab-kind="explore"`) || !strings.Contains(h, "exact profile") {
		t.Errorf("the profile's HTML: %.300s", h)
	}
}

// TestProfileAndCountArePreviewed: above REPLICALAB_MAX_COST neither the
// profile nor the exact count reads the table, unless AnyCost.
func TestProfileAndCountArePreviewed(t *testing.T) {
	_, db := open(t)
	ctx := context.Background()
	t.Setenv("REPLICALAB_MAX_COST", "5")
	if _, err := explore.Profile(ctx, db, "orders"); !errors.Is(err, cost.ErrTooCostly) || !strings.Contains(err.Error(), "explore.AnyCost()") {
		t.Errorf("profile over the limit: want a refusal naming explore.AnyCost(), got %v", err)
	}
	if _, err := explore.ExactCount(ctx, db, "orders"); !errors.Is(err, cost.ErrTooCostly) {
		t.Errorf("count over the limit: want a refusal, got %v", err)
	}
	if p, err := explore.Profile(ctx, db, "orders", explore.AnyCost()); err != nil || p.Rows == 0 {
		t.Errorf("AnyCost: want the profile, got %v", err)
	}
	if n, err := explore.ExactCount(ctx, db, "orders", explore.AnyCost()); err != nil || n.Rows == 0 {
		t.Errorf("AnyCost: want the count, got %v", err)
	}
	// Personal columns are masked by default.
	t.Setenv("REPLICALAB_MAX_COST", "off")
	p, err := explore.Profile(ctx, db, "users")
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range p.Columns {
		if col.Name == "email" && (!col.Masked || strings.Contains(p.HTML(), "@")) {
			t.Errorf("users.email: want min and max masked, got %+v", col)
		}
	}
}

func texts(t *testing.T, c *pgx.Conn, sql string) (values []string, nulls int64) {
	t.Helper()
	rows, err := c.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	var v *string
	_, err = pgx.ForEachRow(rows, []any{&v}, func() error {
		if v == nil {
			nulls++
		} else {
			values = append(values, *v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return values, nulls
}

func distinctOf(vs []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return m
}

func quantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}
