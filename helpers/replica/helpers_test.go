package replica_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
	"github.com/replicalab/replicalab/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// loadConfig builds a config from env plus "KEY=value" overrides ("KEY=" sets
// empty, "-KEY" removes), read from an empty folder whose own empty .env stops
// the walk up, so nothing on the test machine leaks in.
func loadConfig(t testing.TB, env map[string]string, overrides ...string) *config.Config {
	t.Helper()
	m := map[string]string{}
	for k, v := range env {
		m[k] = v
	}
	for _, o := range overrides {
		if k, ok := strings.CutPrefix(o, "-"); ok {
			delete(m, k)
			continue
		}
		k, v, _ := strings.Cut(o, "=")
		m[k] = v
	}
	var list []string
	for k, v := range m {
		list = append(list, k+"="+v)
	}
	sort.Strings(list)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFrom(dir, list)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// openPool opens with the given config and connects, capturing what it
// displays (as text), and closes the pool at the end of the test.
func openPool(t testing.TB, cfg *config.Config, opts ...replica.Option) (*replica.Pool, *bytes.Buffer) {
	t.Helper()
	out := capture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := replica.Open(ctx, append([]replica.Option{replica.WithConfig(cfg)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(p.Close)
	if err := p.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return p, out
}

// capture sends what the helpers display, as text, to a buffer until the
// test ends.
func capture(t testing.TB) *bytes.Buffer {
	var out bytes.Buffer
	t.Cleanup(display.Use(&display.Text{Out: &out, Err: &out}))
	return &out
}

// openErr opens and connects, returning the error of either.
func openErr(ctx context.Context, opts ...replica.Option) error {
	p, err := replica.Open(ctx, opts...)
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Connect(ctx)
}

// superuser connects as the superuser (for set-up and assertions only).
func superuser(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("superuser connection: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func mustExec(t testing.TB, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// assertNoSecret fails if secret appears in any of the texts.
func assertNoSecret(t testing.TB, secret string, texts map[string]string) {
	t.Helper()
	if secret == "" {
		t.Fatal("assertNoSecret: empty secret")
	}
	for what, s := range texts {
		if strings.Contains(s, secret) {
			t.Errorf("the password appears in %s: %q", what, s)
		}
	}
}

// shown collects every way a notebook might display v.
func shown(v any) map[string]string {
	return map[string]string{
		"%v": fmt.Sprintf("%v", v), "%+v": fmt.Sprintf("%+v", v), "%#v": fmt.Sprintf("%#v", v), "%s": fmt.Sprintf("%s", v),
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for i, m := range ms {
		for k, v := range m {
			out[fmt.Sprintf("%d:%s", i, k)] = v
		}
	}
	return out
}

// eventually polls cond every 20 ms until it holds or limit passes, and
// returns how long it took.
func eventually(t testing.TB, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: still not true after %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeCA writes a freshly made self-signed CA certificate (PEM) and returns
// its path: a valid CA that signed nothing the test servers present.
func writeCA(t testing.TB) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "unrelated test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "unrelated-ca.crt")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
