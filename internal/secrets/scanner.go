package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
)

// Options tune a Scanner; the zero value scans with everything.
type Options struct {
	// EnvFiles are more .env-style files whose values are looked for, besides
	// the one given to NewScanner. Missing files are skipped.
	EnvFiles []string
	// Values are more named values to look for, e.g. secret-looking
	// variables of the process environment. The same filter as for .env
	// values applies.
	Values map[string]string
	// NoGitleaks turns gitleaks' rule set off (the .env values and the
	// built-in rules still run).
	NoGitleaks bool
}

// Scanner looks for secrets in text. It is safe for concurrent use. Its
// String form never shows the values it looks for.
type Scanner struct {
	values   []envValue
	gitleaks *detect.Detector
	mu       sync.Mutex // guards gitleaks
}

// Finding is one secret found. It holds where the secret is, never the
// secret itself: Redacted shows at most its first two characters.
type Finding struct {
	File        string
	Line        int    // 1-based; 0 for findings about the file as a whole
	Column      int    // 1-based, in bytes
	Rule        string // "env:PGPASSWORD", "postgres-url-password", "gitleaks:aws-access-token", ...
	Variable    string // the variable the secret is the value of, when known (PGPASSWORD, DATABASE_URL...)
	Description string
	Redacted    string // the line around the secret, with every secret on it masked
	Start, End  int    // byte offsets of the secret in the scanned data
}

func (f Finding) String() string {
	if f.Line == 0 {
		return fmt.Sprintf("%s: %s (%s)", f.File, f.Rule, f.Description)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", f.File, f.Line, f.Column, f.Rule, f.Redacted)
}

// Placeholder is the visible text that replaces the secret when it is
// stripped, naming the variable or the rule; it is never itself reported.
func (f Finding) Placeholder() string {
	if f.Variable != "" {
		return "<secret:" + f.Variable + ">"
	}
	return "<secret:" + strings.TrimPrefix(f.Rule, "gitleaks:") + ">"
}

var (
	loadOnce  sync.Once
	loadedCfg config.Config
	loadErr   error
)

// gitleaksConfig loads gitleaks' default rule set once per process.
func gitleaksConfig() (config.Config, error) {
	loadOnce.Do(func() {
		// gitleaks logs through a global zerolog logger; findings at trace
		// level include secrets. Silence it.
		logging.Logger = zerolog.Nop()
		v := viper.New()
		v.SetConfigType("toml")
		if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
			loadErr = fmt.Errorf("reading gitleaks' default config: %w", err)
			return
		}
		var vc config.ViperConfig
		if err := v.Unmarshal(&vc); err != nil {
			loadErr = fmt.Errorf("decoding gitleaks' default config: %w", err)
			return
		}
		loadedCfg, loadErr = vc.Translate()
	})
	return loadedCfg, loadErr
}

// NewScanner returns a scanner looking for the values of envFile (a .env
// file; "" or a missing file means none), of opts.EnvFiles and opts.Values,
// for gitleaks' default rules and for the built-in rules. Errors name the
// file but never quote its contents.
func NewScanner(envFile string, opts Options) (*Scanner, error) {
	s := &Scanner{}
	files := opts.EnvFiles
	if envFile != "" {
		files = append([]string{envFile}, files...)
	}
	for _, f := range files {
		vals, err := readEnvFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.values = append(s.values, vals...)
	}
	for k, v := range opts.Values {
		s.values = append(s.values, valuesOf(k, v)...)
	}
	// Longer values first, so that a URL wins over the password inside it
	// when both match at the same place.
	slices.SortStableFunc(s.values, func(a, b envValue) int { return len(b.forms[0]) - len(a.forms[0]) })
	if !opts.NoGitleaks {
		cfg, err := gitleaksConfig()
		if err != nil {
			return nil, err
		}
		s.gitleaks = detect.NewDetector(cfg)
	}
	return s, nil
}

// String describes the scanner without any value it looks for.
func (s *Scanner) String() string {
	return fmt.Sprintf("secrets.Scanner{env values: %d, gitleaks: %v, rules: %d}", len(s.values), s.gitleaks != nil, len(rules))
}

// GoString is String, so that %#v shows no value either.
func (s *Scanner) GoString() string { return s.String() }

// EnvValues is the number of .env (and Options.Values) literals the scanner
// looks for.
func (s *Scanner) EnvValues() int { return len(s.values) }

// IsBinary reports whether data looks binary (a NUL byte in its first 8000
// bytes, git's own test). Scan skips binary data.
func IsBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// Scan looks for secrets in data, the contents of the file name, and
// returns them in order of position. Overlapping matches are merged into one
// finding named after the most specific rule (.env variable, then built-in
// rule, then gitleaks).
func (s *Scanner) Scan(name string, data []byte) []Finding {
	if IsBinary(data) {
		return nil
	}
	text := string(data)
	var fs []Finding
	fs = append(fs, s.scanEnv(text)...)
	fs = append(fs, scanRules(text)...)
	if s.gitleaks != nil {
		fs = append(fs, s.scanGitleaks(name, text)...)
	}
	fs = merge(fs)
	li := newLineIndex(text)
	for i := range fs {
		fs[i].File = name
		if fs[i].End > fs[i].Start {
			fs[i].Line, fs[i].Column = li.position(fs[i].Start)
		}
	}
	for i := range fs {
		if fs[i].End > fs[i].Start {
			fs[i].Redacted = excerpt(text, fs[i], fs)
		}
	}
	return fs
}

func (s *Scanner) scanEnv(text string) []Finding {
	var out []Finding
	var lower string
	for _, v := range s.values {
		hay := text
		if v.foldCase {
			if lower == "" {
				lower = strings.ToLower(text)
			}
			hay = lower
		}
		for _, form := range v.forms {
			if v.foldCase {
				form = strings.ToLower(form)
			}
			for off := 0; ; {
				i := strings.Index(hay[off:], form)
				if i < 0 {
					break
				}
				start := off + i
				variable, _, _ := strings.Cut(v.name, " ")
				out = append(out, Finding{
					Rule:        "env:" + v.name,
					Variable:    variable,
					Description: "the value of " + v.name + " from .env",
					Start:       start, End: start + len(form),
				})
				off = start + len(form)
			}
		}
	}
	return out
}

func scanRules(text string) []Finding {
	var out []Finding
	for _, r := range rules {
		names := r.re.SubexpNames()
		for _, m := range r.re.FindAllStringSubmatchIndex(text, -1) {
			start, end, variable := -1, -1, r.variable
			for g, n := range names {
				if n == "secret" && start < 0 && m[2*g] >= 0 && m[2*g+1] > m[2*g] {
					start, end = m[2*g], m[2*g+1]
				}
				if n == "name" && m[2*g] >= 0 {
					variable = strings.ToUpper(text[m[2*g]:m[2*g+1]])
				}
			}
			if start < 0 {
				continue
			}
			if q := text[start]; end-start >= 2 && (q == '\'' || q == '"') && text[end-1] == q {
				start, end = start+1, end-1 // the quotes are not the secret
			}
			secret := text[start:end]
			if len(secret) < minSecretLen || isPlaceholder(secret) || strings.Contains(secret, "<secret:") {
				continue
			}
			if r.ok != nil {
				ls, le := lineBounds(text, start)
				if !r.ok(text[ls:le], end-ls) {
					continue
				}
			}
			out = append(out, Finding{Rule: r.id, Description: r.description, Variable: variable, Start: start, End: end})
		}
	}
	return out
}

func (s *Scanner) scanGitleaks(name, text string) []Finding {
	s.mu.Lock()
	found := s.gitleaks.Detect(detect.Fragment{Raw: text, FilePath: name})
	s.mu.Unlock()
	li := newLineIndex(text)
	var out []Finding
	for _, g := range found {
		f := Finding{Rule: "gitleaks:" + g.RuleID, Description: g.Description}
		if g.Secret == "" || g.StartLine < 0 {
			out = append(out, f) // a rule about the file itself (e.g. a .p12 path)
			continue
		}
		// gitleaks reports the match's 0-based line; find the secret from
		// the start of that line.
		from := li.lineStart(g.StartLine)
		m := strings.Index(text[from:], g.Match)
		if m < 0 {
			m = 0
		}
		k := strings.Index(text[from+m:], g.Secret)
		if k < 0 {
			continue
		}
		f.Start = from + m + k
		f.End = f.Start + len(g.Secret)
		if placeholderLike(text[f.Start:f.End]) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// placeholderLike rejects gitleaks matches on our own placeholders.
func placeholderLike(secret string) bool {
	return strings.Contains(secret, "<secret:") || strings.HasPrefix(secret, "secret:")
}

func rank(rule string) int {
	switch {
	case strings.HasPrefix(rule, "env:"):
		return 0
	case strings.HasPrefix(rule, "gitleaks:"):
		return 2
	default:
		return 1
	}
}

// merge sorts findings and folds overlapping ranges into one.
func merge(fs []Finding) []Finding {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return rank(a.Rule) - rank(b.Rule)
	})
	var out []Finding
	for _, f := range fs {
		if n := len(out); n > 0 && f.End > f.Start && f.Start < out[n-1].End {
			last := &out[n-1]
			if rank(f.Rule) < rank(last.Rule) {
				last.Rule, last.Description, last.Variable = f.Rule, f.Description, f.Variable
			}
			last.End = max(last.End, f.End)
			continue
		}
		out = append(out, f)
	}
	return out
}

// Redact returns data with every finding's secret replaced by its
// placeholder. The findings must come from Scan on the same data.
func Redact(data []byte, fs []Finding) []byte {
	var b bytes.Buffer
	last := 0
	for _, f := range fs {
		if f.End <= f.Start || f.Start < last || f.End > len(data) {
			continue
		}
		b.Write(data[last:f.Start])
		b.WriteString(f.Placeholder())
		last = f.End
	}
	b.Write(data[last:])
	return b.Bytes()
}

// mask shows at most the first two characters of a secret of 10 or more.
func mask(secret string) string {
	if utf8.RuneCountInString(secret) >= 10 {
		r := []rune(secret)
		return string(r[:2]) + "*****"
	}
	return "*****"
}

// excerpt is the line of f, at most ~100 bytes around the secret, with
// every finding on that line masked.
func excerpt(text string, f Finding, all []Finding) string {
	ls, le := lineBounds(text, f.Start)
	lo := max(ls, f.Start-40)
	hi := min(le, f.End+40)
	for lo > ls && !utf8.RuneStart(text[lo]) {
		lo--
	}
	for hi < le && !utf8.RuneStart(text[hi]) {
		hi++
	}
	var b strings.Builder
	if lo > ls {
		b.WriteString("…")
	}
	pos := lo
	for _, g := range all {
		if g.End <= lo || g.Start >= hi || g.End <= g.Start {
			continue
		}
		s, e := max(g.Start, pos), min(g.End, hi)
		if s < pos {
			continue
		}
		b.WriteString(text[pos:s])
		b.WriteString(mask(text[g.Start:g.End]))
		pos = max(e, pos)
		if g.End > hi {
			pos = hi
		}
	}
	if pos < hi {
		b.WriteString(text[pos:hi])
	}
	if hi < le {
		b.WriteString("…")
	}
	return strings.TrimSpace(strings.ToValidUTF8(b.String(), "?"))
}

func lineBounds(text string, at int) (int, int) {
	ls := strings.LastIndexByte(text[:at], '\n') + 1
	le := strings.IndexByte(text[at:], '\n')
	if le < 0 {
		le = len(text)
	} else {
		le += at
	}
	if le > ls && text[le-1] == '\r' {
		le--
	}
	return ls, le
}

type lineIndex []int // offsets of line starts

func newLineIndex(text string) lineIndex {
	li := lineIndex{0}
	for i := 0; ; {
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			return li
		}
		i += j + 1
		li = append(li, i)
	}
}

// position returns the 1-based line and column of offset.
func (li lineIndex) position(off int) (int, int) {
	i, found := slices.BinarySearch(li, off)
	if !found {
		i--
	}
	return i + 1, off - li[i] + 1
}

// lineStart returns the offset of the 0-based line n.
func (li lineIndex) lineStart(n int) int {
	if n < 0 {
		return 0
	}
	if n >= len(li) {
		return li[len(li)-1]
	}
	return li[n]
}
