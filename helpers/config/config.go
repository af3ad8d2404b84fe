package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// FileName is the name of the file [Load] looks for, in the working folder and
// then in each parent folder.
const FileName = ".env"

// Kind says which layer a setting came from.
type Kind int

const (
	// FromDefault: the key is set nowhere; the caller's default applies.
	FromDefault Kind = iota
	// FromEnv: the process environment.
	FromEnv
	// FromFile: the .env file found by walking up from the working folder.
	FromFile
)

// Source says where a key's value came from, never what it is.
type Source struct {
	Kind Kind
	File string // FromFile: absolute path of the .env file
	Line int    // FromFile: line of the (last) assignment, 0 if unknown
}

// String returns "environment", "default" or "/path/.env:LINE".
func (s Source) String() string {
	switch s.Kind {
	case FromEnv:
		return "environment"
	case FromFile:
		if s.Line > 0 {
			return fmt.Sprintf("%s:%d", s.File, s.Line)
		}
		return s.File
	default:
		return "default"
	}
}

// Config is a read-only view of the process environment layered over a .env
// file. Its String and GoString methods never show values, so printing a
// Config with fmt (%v, %+v, %#v) is safe.
type Config struct {
	env      map[string]string
	file     map[string]string
	lines    map[string]int
	path     string // the .env used, "" if none
	dir      string // where the search started
	warnings []string
}

// Load reads the process environment and the .env file found by walking up
// from the working folder. It does not change the process environment.
func Load() (*Config, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("config: find the working folder: %w", err)
	}
	return LoadFrom(dir, os.Environ())
}

// LoadFrom is [Load] with an explicit starting folder and environment
// (a list of "KEY=value" strings, as [os.Environ] returns).
func LoadFrom(dir string, environ []string) (*Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("config: resolve folder %q: %w", dir, err)
	}
	c := &Config{env: make(map[string]string, len(environ)), dir: abs}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			c.env[k] = v
		}
	}
	path, err := findFile(abs)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return c, nil
	}
	if err := c.readFile(path); err != nil {
		return nil, err
	}
	return c, nil
}

// FromEnviron is a Config with the given environment ("KEY=value" strings)
// and no .env file.
func FromEnviron(environ []string) *Config {
	c := &Config{env: make(map[string]string, len(environ))}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "" {
			c.env[k] = v
		}
	}
	return c
}

// findFile returns the first .env in dir or its parents, "" if there is none.
func findFile(dir string) (string, error) {
	for {
		p := filepath.Join(dir, FileName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("config: look for %s: %w", p, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

func (c *Config) readFile(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: read %s: %w", path, err)
	}
	vars, err := godotenv.UnmarshalBytes(src)
	if err != nil {
		// godotenv's message quotes the rest of the file, which may hold a
		// password: rebuild it from the position only.
		return newSyntaxError(path, src, err)
	}
	c.path, c.file, c.lines = path, vars, assignmentLines(src, vars)

	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o044 != 0 {
		var secrets []string
		for k, v := range vars {
			if v != "" && IsSecret(k) {
				secrets = append(secrets, k)
			}
		}
		if len(secrets) > 0 {
			slices.Sort(secrets)
			c.warnings = append(c.warnings, fmt.Sprintf(
				"%s holds %s and other users can read it (mode %04o): run chmod 600 %s",
				path, strings.Join(secrets, ", "), info.Mode().Perm(), path))
		}
	}
	return nil
}

// assignmentLines finds, for each key, the line of its last assignment.
func assignmentLines(src []byte, vars map[string]string) map[string]int {
	lines := make(map[string]int, len(vars))
	for i, line := range bytes.Split(src, []byte("\n")) {
		s := strings.TrimLeft(string(line), " \t")
		if rest, ok := strings.CutPrefix(s, "export"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			s = strings.TrimLeft(rest, " \t")
		}
		end := strings.IndexAny(s, "=:")
		if end <= 0 {
			continue
		}
		key := strings.TrimRight(s[:end], " \t")
		if _, ok := vars[key]; ok {
			lines[key] = i + 1
		}
	}
	return lines
}

// File returns the path of the .env file in use, or "" if none was found.
func (c *Config) File() string { return c.path }

// Dir returns the folder the search for .env started from.
func (c *Config) Dir() string { return c.dir }

// Warnings returns problems that do not stop loading, such as a .env file
// holding a password that other users can read. They never contain values.
func (c *Config) Warnings() []string { return slices.Clone(c.warnings) }

// Lookup returns a key's value and where it came from: the process
// environment first, then the .env file. A key set to the empty string counts
// as set. ok is false if the key is set in neither.
func (c *Config) Lookup(key string) (value string, src Source, ok bool) {
	if v, ok := c.env[key]; ok {
		return v, Source{Kind: FromEnv}, true
	}
	if v, ok := c.file[key]; ok {
		return v, Source{Kind: FromFile, File: c.path, Line: c.lines[key]}, true
	}
	return "", Source{Kind: FromDefault}, false
}

// Source says where key comes from (environment, which .env line, or default)
// without giving its value.
func (c *Config) Source(key string) Source {
	_, src, _ := c.Lookup(key)
	return src
}

// Has reports whether key is set in the environment or the .env file.
func (c *Config) Has(key string) bool {
	_, _, ok := c.Lookup(key)
	return ok
}

// Get returns key's value or a [*MissingError] naming the key and the fix.
func (c *Config) Get(key string) (string, error) {
	v, _, ok := c.Lookup(key)
	if !ok {
		return "", c.Missing(key)
	}
	return v, nil
}

// GetOr returns key's value, or def if key is not set.
func (c *Config) GetOr(key, def string) string {
	if v, _, ok := c.Lookup(key); ok {
		return v
	}
	return def
}

// Int returns key as an integer; a missing key gives a [*MissingError], a
// malformed one a [*CastError].
func (c *Config) Int(key string) (int, error) {
	v, src, ok := c.Lookup(key)
	if !ok {
		return 0, c.Missing(key)
	}
	return castInt(key, v, src)
}

// IntOr is [Config.Int] with a default for a missing key. A key that is set
// but is not an integer is still an error.
func (c *Config) IntOr(key string, def int) (int, error) {
	v, src, ok := c.Lookup(key)
	if !ok {
		return def, nil
	}
	return castInt(key, v, src)
}

// Bool returns key as a boolean. True: 1, true, yes, on, y, t; false: 0,
// false, no, off, n, f and the empty string; case is ignored.
func (c *Config) Bool(key string) (bool, error) {
	v, src, ok := c.Lookup(key)
	if !ok {
		return false, c.Missing(key)
	}
	return castBool(key, v, src)
}

// BoolOr is [Config.Bool] with a default for a missing key.
func (c *Config) BoolOr(key string, def bool) (bool, error) {
	v, src, ok := c.Lookup(key)
	if !ok {
		return def, nil
	}
	return castBool(key, v, src)
}

// Duration returns key as a duration written with a unit ("30s", "5m",
// "1h30m"); "0" is accepted and means zero.
func (c *Config) Duration(key string) (time.Duration, error) {
	v, src, ok := c.Lookup(key)
	if !ok {
		return 0, c.Missing(key)
	}
	return castDuration(key, v, src)
}

// DurationOr is [Config.Duration] with a default for a missing key.
func (c *Config) DurationOr(key string, def time.Duration) (time.Duration, error) {
	v, src, ok := c.Lookup(key)
	if !ok {
		return def, nil
	}
	return castDuration(key, v, src)
}

// Missing returns the [*MissingError] for key, saying where to add it;
// alternatives name other keys that would do instead.
func (c *Config) Missing(key string, alternatives ...string) *MissingError {
	return &MissingError{Key: key, File: c.path, Dir: c.dir, Alternatives: alternatives}
}

// Invalid is the error for key's value when a caller reads it itself and
// finds it unusable: it names the key, where it came from and what was
// expected (want, e.g. "a positive number"), and quotes the value unless the
// key is secret. It is a [*CastError], like the errors of Int or Duration.
func (c *Config) Invalid(key, want string) *CastError {
	v, src, _ := c.Lookup(key)
	return newCastError(key, want, v, src)
}

// Keys returns every key set in the .env file, sorted. Values are not shown.
func (c *Config) Keys() []string {
	keys := make([]string, 0, len(c.file))
	for k := range c.file {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// String describes the layers without any value.
func (c *Config) String() string {
	if c == nil {
		return "config(nil)"
	}
	if c.path == "" {
		return fmt.Sprintf("config(environment; no %s in %s or its parents)", FileName, c.dir)
	}
	return fmt.Sprintf("config(environment > %s with %d keys)", c.path, len(c.file))
}

// GoString is String, so %#v shows no values either.
func (c *Config) GoString() string { return c.String() }

// credentialName matches keys that name a credential: their whole value is
// a secret.
var credentialName = regexp.MustCompile(`(?i)PASS|PWD|SECRET|TOKEN|KEY|CRED|AUTH|PRIVATE|SIGNATURE|SALT`)

// addressName matches keys whose value is an address that can carry a
// credential: a URL with user:password@, a DSN with password=, a Spark
// Connect address with ;token= (SPARK_REMOTE).
var addressName = regexp.MustCompile(`(?i)(^|_)(DSN|URL|URI|REMOTE)$`)

// IsSecret reports whether a key's value must never be shown: it names a
// credential (see [NamesCredential]) or an address that can embed one
// (DATABASE_URL, PG_DSN, SPARK_REMOTE). This is the project's one rule for
// which settings are secret: error messages, the kernel, the report exporter
// and the git hook's secret scanner all ask it.
func IsSecret(key string) bool {
	return credentialName.MatchString(key) || addressName.MatchString(key)
}

// NamesCredential reports whether key names a credential itself (a
// password, secret, token, key, signature or salt), as opposed to an
// address that may hold one. A setting, URL parameter or Spark option with
// such a name is masked wherever its value would be shown or hashed.
func NamesCredential(key string) bool { return credentialName.MatchString(key) }

func castInt(key, v string, src Source) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, newCastError(key, "an integer", v, src)
	}
	return n, nil
}

func castBool(key, v string, src Source) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on", "y", "t":
		return true, nil
	case "0", "false", "no", "off", "n", "f", "":
		return false, nil
	}
	return false, newCastError(key, "a boolean (1/0, true/false, yes/no, on/off)", v, src)
}

func castDuration(key, v string, src Source) (time.Duration, error) {
	s := strings.TrimSpace(v)
	if s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, newCastError(key, "a duration with a unit, such as 30s, 5m or 1h30m", v, src)
	}
	return d, nil
}
