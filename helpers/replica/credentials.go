package replica

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"

	"github.com/jackc/pgpassfile"
	"github.com/replicalab/replicalab/helpers/config"
)

// Credential is one value the connection settings could be built from that
// must not leave the machine: a password, a user or host name, a
// connection string. Its String never shows Value.
type Credential struct {
	Var    string // the variable (DATABASE_URL, RDS_PASSWORD, PGUSER...) or ".pgpass (password)"
	Origin string // "environment", "/home/me/proj/.env:3", "/home/me/.pgpass:2"
	Value  string
}

func (c Credential) String() string { return fmt.Sprintf("%s (%s)", c.Var, c.Origin) }

// GoString is String, so that %#v shows no value either.
func (c Credential) GoString() string { return c.String() }

// Credentials lists what [Resolve] could take a host, user or password
// from in cfg (nil: [config.Load]): DATABASE_URL, the recipe's RDS_*
// variables and libpq's PG* variables that are set, and every entry of the
// .pgpass file a connection would read (PGPASSFILE, else ~/.pgpass). It is
// for secret scanners (the pre-commit hook, the report exporter), so that
// they look for exactly the values the helpers would use: never display
// the values.
func Credentials(cfg *config.Config) ([]Credential, error) {
	if cfg == nil {
		var err error
		if cfg, err = config.Load(); err != nil {
			return nil, err
		}
	}
	var out []Credential
	add := func(key string) {
		if v, src, ok := cfg.Lookup(key); ok && v != "" {
			out = append(out, Credential{Var: key, Origin: src.String(), Value: v})
		}
	}
	add("DATABASE_URL")
	for _, k := range connKeys {
		switch k.name {
		case "host", "user", "password":
			add(k.recipe)
			add(k.libpq)
		}
	}
	for _, path := range passFiles(cfg) {
		pf, err := pgpassfile.ReadPassfile(path)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return out, fmt.Errorf("replica: reading the password file %s: %w", path, err)
		}
		out = append(out, passEntries(path, pf)...)
	}
	return out, nil
}

func passEntries(path string, pf *pgpassfile.Passfile) []Credential {
	var out []Credential
	for i, e := range pf.Entries {
		origin := fmt.Sprintf("%s, entry %d", path, i+1)
		if e.Password != "" {
			out = append(out, Credential{Var: ".pgpass (password)", Origin: origin, Value: e.Password})
		}
		if e.Username != "" && e.Username != "*" {
			out = append(out, Credential{Var: ".pgpass (user)", Origin: origin, Value: e.Username})
		}
		if e.Hostname != "" && e.Hostname != "*" {
			out = append(out, Credential{Var: ".pgpass (host)", Origin: origin, Value: e.Hostname})
		}
	}
	return out
}

// passFiles are the password files a connection may read: PGPASSFILE, else
// .pgpass in $HOME (libpq) and in the user's home directory (pgx).
func passFiles(cfg *config.Config) []string {
	if v, _, ok := cfg.Lookup("PGPASSFILE"); ok && v != "" {
		return []string{v}
	}
	var out []string
	if home, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(home, ".pgpass"))
	}
	if u, err := user.Current(); err == nil && u.HomeDir != "" {
		if p := filepath.Join(u.HomeDir, ".pgpass"); len(out) == 0 || out[0] != p {
			out = append(out, p)
		}
	}
	return out
}
