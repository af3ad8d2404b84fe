package frame

import "testing"

func TestSampleSQLCapsOnTheServer(t *testing.T) {
	var o options
	Limit(5)(&o)
	got, err := sampleSQL("public.orders", 0.01, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := `SELECT * FROM "public"."orders" TABLESAMPLE SYSTEM (1) REPEATABLE (1) LIMIT 5`; got != want {
		t.Errorf("sampleSQL = %q, want %q", got, want)
	}
	if got, _ := sampleSQL("orders", 0.5, options{}); got != `SELECT * FROM "orders" TABLESAMPLE SYSTEM (50) REPEATABLE (1)` {
		t.Errorf("without Limit: %q", got)
	}
}
