package secrets

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/replicalab/replicalab/helpers/config"
	"github.com/replicalab/replicalab/helpers/replica"
)

// Value is one named value to look for, and where it was read.
type Value struct {
	Name   string // the variable, e.g. RDS_PASSWORD
	Value  string
	Origin string // a .env file, "environment", a .pgpass file
}

// String never shows the value.
func (v Value) String() string { return v.Name + " (" + v.Origin + ")" }

// GoString is String.
func (v Value) GoString() string { return v.String() }

// IsEnvFile reports the names of files that hold settings and never go to
// git: .env, .env.* (except the documented examples .env.example,
// .env.sample, .env.template) and *.env.
func IsEnvFile(name string) bool {
	base := filepath.Base(name)
	switch base {
	case ".env":
		return true
	case ".env.example", ".env.sample", ".env.template":
		return false
	}
	return strings.HasPrefix(base, ".env.") || strings.HasSuffix(base, ".env") && len(base) > len(".env")
}

// IsPassFile reports PostgreSQL password files (.pgpass and copies such as
// .pgpass.bak).
func IsPassFile(name string) bool {
	base := filepath.Base(name)
	return base == ".pgpass" || base == "pgpass" || strings.HasPrefix(base, ".pgpass.") || strings.HasSuffix(base, ".pgpass")
}

// skippedDirs are never searched for .env files: version control, virtual
// environments and caches that notebooks do not run from.
var skippedDirs = map[string]bool{
	".git": true, "node_modules": true, ".venv": true, "venv": true, ".tox": true, "__pycache__": true,
	".tools": true, ".mypy_cache": true, ".pytest_cache": true, ".ipynb_checkpoints": true,
}

// KnownValues collects every value the helpers could read a secret from
// for notebooks in the work tree root, with the helpers' own code
// (helpers/config for .env files, helpers/replica for connection variables
// and .pgpass files):
//
//   - every .env file in root's tree (a notebook's folder may hold its own:
//     the helpers use the first .env walking up from it) and in the folders
//     above root, plus .env.* and *.env files in the tree;
//   - the connection variables of the process environment (DATABASE_URL,
//     RDS_*, PG*) and SPARK_REMOTE;
//   - the entries of the .pgpass files a connection would read (PGPASSFILE,
//     from the environment or any of those .env files, else ~/.pgpass).
//
// files lists the settings files read. Errors name a file, never its
// contents.
func KnownValues(root string) (vals []Value, files []string, err error) {
	root, err = filepath.Abs(root)
	if err != nil {
		return nil, nil, err
	}
	var envs []string
	walkErr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // unreadable folder: nothing the helpers could read either
		}
		if d.IsDir() {
			if p != root && (skippedDirs[d.Name()] || isPGDataDir(p)) {
				return filepath.SkipDir
			}
			return nil
		}
		if IsEnvFile(d.Name()) && d.Type().IsRegular() {
			envs = append(envs, p)
		}
		return nil
	})
	if walkErr != nil {
		return nil, nil, walkErr
	}
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, config.FileName)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			envs = append(envs, p)
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	seen := map[[2]string]bool{}
	add := func(name, value, origin string) {
		if value == "" || seen[[2]string{name, value}] {
			return
		}
		seen[[2]string{name, value}] = true
		vals = append(vals, Value{Name: name, Value: value, Origin: origin})
	}
	addCredentials := func(cfg *config.Config) error {
		creds, err := replica.Credentials(cfg)
		for _, c := range creds {
			add(c.Var, c.Value, c.Origin)
		}
		return err
	}
	for _, p := range envs {
		files = append(files, p)
		if filepath.Base(p) != config.FileName {
			vs, err := readEnvFile(p)
			if err != nil {
				return nil, nil, err
			}
			for _, v := range vs {
				add(v.Name, v.Value, v.Origin)
			}
			continue
		}
		cfg, err := config.LoadFrom(filepath.Dir(p), nil)
		if err != nil {
			return nil, nil, err // names the file and line, never a value
		}
		demo := cfg.GetOr("REPLICALAB_DEMO", "") == "1"
		for _, k := range cfg.Keys() {
			if demo && !config.NamesCredential(k) {
				// The demo's host, user and database names are public defaults written in this
				// project's own code and docs; only its generated password is a secret.
				continue
			}
			v, src, _ := cfg.Lookup(k)
			add(k, v, src.String())
		}
		if !demo {
			if err := addCredentials(cfg); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := addCredentials(config.FromEnviron(os.Environ())); err != nil {
		return nil, nil, err
	}
	// helpers/spark reads SPARK_REMOTE (spark.KeyRemote) from the environment too; its token is a secret.
	if v := os.Getenv("SPARK_REMOTE"); v != "" {
		add("SPARK_REMOTE", v, "environment")
	}
	return vals, files, nil
}

// isPGDataDir reports a PostgreSQL data directory (the demo database's):
// thousands of files, none of them a .env.
func isPGDataDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "PG_VERSION"))
	return err == nil
}
