package frame_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/replicalab/replicalab/helpers/frame"
)

const ordersQuery = `SELECT id, order_number, status, total, shipping, placed_at, delivered_on, shipping_address
	FROM orders WHERE buyer_company_id <= $1 ORDER BY id`

// TestCacheHitSendsNoStatement: re-running a load reads the cache and the
// replica executes nothing, counted by pg_stat_statements on the replica.
func TestCacheHitSendsNoStatement(t *testing.T) {
	e := newEnv(t)
	admin := superuser(t, e.c.ReplicaSuperuserURL())

	before := statements(t, admin, e.c.User)
	first := e.load(ordersQuery, 40)
	afterFetch := statements(t, admin, e.c.User)
	if first.Source != frame.FromDatabase || afterFetch <= before {
		t.Fatalf("first load: expected a fetch counted on the replica, found source %q and %d → %d statements", first.Source, before, afterFetch)
	}
	if first.Rows == 0 {
		t.Fatal("the query should return orders")
	}

	second := e.load(ordersQuery, 40)
	afterHit := statements(t, admin, e.c.User)
	if second.Source != frame.FromCache {
		t.Fatalf("second load: expected source %q, found %q", frame.FromCache, second.Source)
	}
	if afterHit != afterFetch {
		t.Fatalf("a cache hit must send no statement to the replica: found %d → %d", afterFetch, afterHit)
	}
	sameFrame(t, first.DataFrame, second.DataFrame)
	for name, want := range first.Kinds() {
		if second.Kinds()[name] != want {
			t.Errorf("column %s: expected kind %s from the cache, found %s", name, want, second.Kinds()[name])
		}
	}
	for r := 0; r < first.Rows; r++ {
		if first.IsNull("shipping", r) != second.IsNull("shipping", r) {
			t.Fatalf("shipping row %d: the NULL mask differs after the cache", r)
		}
	}
	if !second.FetchedAt.Equal(first.FetchedAt) || second.LagKnown != first.LagKnown || second.Database != first.Database {
		t.Errorf("the cached result should keep the fetch's time, lag and database: expected %v %v %s, found %v %v %s",
			first.FetchedAt, first.LagKnown, first.Database, second.FetchedAt, second.LagKnown, second.Database)
	}

	// A different argument is a different query.
	third := e.load(ordersQuery, 41)
	if third.Source != frame.FromDatabase || statements(t, admin, e.c.User) == afterHit {
		t.Errorf("another argument must fetch, found source %q", third.Source)
	}
}

// TestCacheSaysWhereDataCameFrom checks the provenance line of a fetch and
// of a cache hit.
func TestCacheSaysWhereDataCameFrom(t *testing.T) {
	e := newEnv(t)
	e.load(ordersQuery, 10)
	fetchLine := e.out.String()
	e.out.Reset()
	restore := frame.ShiftClock(12 * time.Minute)
	defer restore()
	r := e.load(ordersQuery, 10)
	hitLine := e.out.String()
	target := e.db.Info().Target()
	if !strings.Contains(fetchLine, "from "+target) || !strings.Contains(fetchLine, "cached for 1h") ||
		!regexp.MustCompile(`at replica lag \d+\.\d s`).MatchString(fetchLine) {
		t.Errorf("fetch: expected the database, the replica lag and the cache TTL, found %q", fetchLine)
	}
	if !regexp.MustCompile(`\d+ rows × 8 columns from cache, fetched 12 min ago \(.+ UTC\) from ` + regexp.QuoteMeta(target) + ` at replica lag \d+\.\d s`).MatchString(hitLine) {
		t.Errorf("cache hit: expected \"from cache, fetched 12 min ago ... at replica lag\", found %q", hitLine)
	}
	if r.String()+"\n" != hitLine {
		t.Errorf("Result.String should be the line shown: %q vs %q", r.String(), hitLine)
	}
}

// TestCacheTTLExpiryAndRefresh: an expired entry and Refresh() fetch again.
func TestCacheTTLExpiryAndRefresh(t *testing.T) {
	e := newEnv(t)
	admin := superuser(t, e.c.ReplicaSuperuserURL())
	e.load(ordersQuery, 5, frame.TTL(time.Hour))

	restore := frame.ShiftClock(59 * time.Minute)
	if r := e.load(ordersQuery, 5, frame.TTL(time.Hour)); r.Source != frame.FromCache {
		t.Errorf("59 min after the fetch with TTL 1h: expected the cache, found %q", r.Source)
	}
	restore()

	restore = frame.ShiftClock(61 * time.Minute)
	before := statements(t, admin, e.c.User)
	r := e.load(ordersQuery, 5, frame.TTL(time.Hour))
	defer restore() // the new entry was fetched "61 min later": stay then
	if r.Source != frame.FromDatabase || statements(t, admin, e.c.User) == before {
		t.Fatalf("61 min after the fetch with TTL 1h: expected a fetch, found %q", r.Source)
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "cached result expired (fetched 61 min ago, TTL 1h): fetching again") {
		t.Errorf("expected a note that the cache expired, found %q", r.Warnings)
	}

	if r := e.load(ordersQuery, 5); r.Source != frame.FromCache {
		t.Fatalf("after the refetch: expected the cache, found %q", r.Source)
	}
	before = statements(t, admin, e.c.User)
	if r := e.load(ordersQuery, 5, frame.Refresh()); r.Source != frame.FromDatabase || statements(t, admin, e.c.User) == before {
		t.Fatalf("Refresh(): expected a fetch, found %q", r.Source)
	}

	// REPLICALAB_CACHE_TTL=0 turns the cache off.
	off := newEnv(t, "REPLICALAB_CACHE_TTL=0")
	off.load(ordersQuery, 5)
	if r := off.load(ordersQuery, 5); r.Source != frame.FromDatabase || r.CacheFile != "" || !strings.Contains(r.String(), "not cached") {
		t.Fatalf("REPLICALAB_CACHE_TTL=0: expected no cache, found %q from %q", r.CacheFile, r.Source)
	}
	if _, err := os.Stat(off.cacheDir); !os.IsNotExist(err) {
		t.Errorf("REPLICALAB_CACHE_TTL=0: expected no cache folder, found one (%v)", err)
	}
}

// TestCorruptCacheFile: a damaged, truncated or foreign file is refetched
// with a warning, never used.
func TestCorruptCacheFile(t *testing.T) {
	e := newEnv(t)
	good := e.load(everyType)
	path := good.CacheFile
	if path == "" {
		t.Fatal("expected a cache file")
	}
	original, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	damage := map[string]func([]byte) []byte{
		"one bit flipped in the data": func(b []byte) []byte {
			b = append([]byte(nil), b...)
			b[len(b)-40] ^= 0x10
			return b
		},
		"truncated": func(b []byte) []byte { return b[:len(b)/2] },
		"empty":     func([]byte) []byte { return nil },
		"not a cache file": func([]byte) []byte {
			return []byte("this is not a frame")
		},
		"trailer intact, length wrong": func(b []byte) []byte {
			return append(append([]byte(nil), b[:100]...), b[len(b)-16:]...)
		},
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, f(original), 0o600); err != nil {
				t.Fatal(err)
			}
			e.out.Reset()
			r := e.load(everyType)
			if r.Source != frame.FromDatabase {
				t.Fatalf("expected a refetch, found source %q", r.Source)
			}
			if !strings.Contains(e.out.String(), "warning: cache file "+path+" is damaged") {
				t.Errorf("expected a warning naming the damaged file, found %q", e.out.String())
			}
			checkEveryType(t, "refetched", r)
			again := e.load(everyType)
			if again.Source != frame.FromCache {
				t.Fatalf("the refetch should have rewritten the cache, found source %q", again.Source)
			}
			checkEveryType(t, "rewritten cache", again)
		})
	}
}

// TestCacheFilesArePrivate: files 0600 in folders 0700, no temporary files left.
func TestCacheFilesArePrivate(t *testing.T) {
	e := newEnv(t)
	r := e.load(ordersQuery, 3)
	st, err := os.Stat(r.CacheFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("cache file: expected mode 0600, found %o", st.Mode().Perm())
	}
	for _, dir := range []string{filepath.Dir(r.CacheFile), e.cacheDir} {
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("%s: expected mode 0700, found %o", dir, st.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(r.CacheFile))
	if len(entries) != 1 {
		t.Errorf("expected exactly the cache file, found %d entries", len(entries))
	}
	// A writer that died leaves a temporary file: removed once it is an hour old.
	old, fresh := filepath.Join(filepath.Dir(r.CacheFile), ".a.frame.tmp-1"), filepath.Join(filepath.Dir(r.CacheFile), ".b.frame.tmp-2")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(old, time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.load(ordersQuery, 4)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("expected the 2-hour-old temporary file removed, found it (%v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a recent temporary file may belong to a live writer: expected it kept, found %v", err)
	}
	if strings.Contains(r.CacheFile, e.c.Password) {
		t.Error("the cache file name contains the password")
	}
	b, _ := os.ReadFile(r.CacheFile)
	if strings.Contains(string(b), e.c.Password) {
		t.Error("the cache file contains the password")
	}
}

// TestDefaultCacheFolder: under REPLICALAB_REPO/data/cache, else next to
// the nearest go.mod above the working folder.
func TestDefaultCacheFolder(t *testing.T) {
	repo := t.TempDir()
	c := newEnv(t)
	t.Setenv("REPLICALAB_REPO", repo) // the kernel sets it in the cells' environment
	cfg := loadConfig(t, c.c.Env())
	ctx := context.Background()
	r, err := frame.Load(ctx, c.db, ordersQuery, frame.WithConfig(cfg), frame.Quiet(), frame.Args(2))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(repo, "data", "cache", "frames"); filepath.Dir(r.CacheFile) != want {
		t.Fatalf("expected the cache under %s, found %s", want, r.CacheFile)
	}

	// No REPLICALAB_REPO: walk up from the working folder to go.mod.
	t.Setenv("REPLICALAB_REPO", "")
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "notebooks", "deep")
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	r, err = frame.Load(ctx, c.db, ordersQuery, frame.WithConfig(loadConfig(t, c.c.Env())), frame.Quiet(), frame.Args(2))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "data", "cache", "frames"); filepath.Dir(r.CacheFile) != want {
		t.Fatalf("expected the cache under %s, found %s", want, r.CacheFile)
	}
}
