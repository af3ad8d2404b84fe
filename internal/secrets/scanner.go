package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
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
	// Known are more values to look for, e.g. those KnownValues collects.
	// The same filter as for .env values applies.
	Known []Value
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
	Start, End  int    // byte offsets of the secret in the scanned data; equal when it cannot be replaced there
	// Encoding says how the secret was written when not as itself: "escaped" (percent-encoding,
	// backslash or HTML escapes, split across literals or markup), "base64", "hex", "UTF-16",
	// "binary", "PNG text". "" for a literal.
	Encoding string
	// Generic is true when only a generic rule (such as gitleaks' generic-api-key) matched: the text
	// looks like a secret but may be an ordinary identifier. The hook refuses such findings in
	// notebooks instead of rewriting the code.
	Generic bool
}

func (f Finding) String() string {
	enc := ""
	if f.Encoding != "" {
		enc = " [" + f.Encoding + "]"
	}
	if f.Line == 0 {
		return fmt.Sprintf("%s: %s%s (%s)", f.File, f.Rule, enc, f.Description)
	}
	return fmt.Sprintf("%s:%d:%d: %s%s: %s", f.File, f.Line, f.Column, f.Rule, enc, f.Redacted)
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
		for _, v := range vals {
			s.values = append(s.values, valuesOf(v.Name, v.Value, v.Origin)...)
		}
	}
	for _, v := range opts.Known {
		s.values = append(s.values, valuesOf(v.Name, v.Value, v.Origin)...)
	}
	for k, v := range opts.Values {
		s.values = append(s.values, valuesOf(k, v, "the environment")...)
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
// bytes, git's own test) and is not UTF-16 text.
func IsBinary(data []byte) bool {
	if bytes.IndexByte(data[:min(len(data), 8000)], 0) < 0 {
		return false
	}
	_, utf16 := decodeUTF16(data)
	return !utf16
}

// maxDepth bounds how many encodings wrapped in one another are undone
// (base64 of a URL with a percent-encoded password is two).
const maxDepth = 2

// Scan looks for secrets in data, the contents of the file name, and
// returns them in order of position. Overlapping matches are merged into one
// finding named after the most specific rule (.env variable, then built-in
// rule, then gitleaks).
//
// Text is searched as written and decoded (see the package documentation);
// UTF-16 text is decoded first; binary data is searched for the known values
// (UTF-8 and UTF-16), its PNG text chunks and its printable strings.
func (s *Scanner) Scan(name string, data []byte) []Finding {
	if text, ok := decodeUTF16(data); ok && bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 || ok && (bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF})) {
		fs := s.locate(name, text, s.scanText(name, text, 0, true))
		for i := range fs {
			// Offsets are in the decoded text: the file itself cannot be patched there.
			fs[i].Start, fs[i].End = 0, 0
			fs[i].Encoding = strings.TrimPrefix(fs[i].Encoding+", UTF-16", ", ")
		}
		return fs
	}
	if IsBinary(data) {
		return s.scanBinary(name, data)
	}
	text := string(data)
	return s.locate(name, text, s.scanText(name, text, 0, true))
}

// locate fills in the file, line, column and excerpt of findings in text.
func (s *Scanner) locate(name, text string, fs []Finding) []Finding {
	li := newLineIndex(text)
	for i := range fs {
		fs[i].File = name
		if fs[i].End > fs[i].Start {
			fs[i].Line, fs[i].Column = li.position(fs[i].Start)
		}
	}
	for i := range fs {
		if fs[i].End > fs[i].Start {
			fs[i].Redacted = s.safeExcerpt(excerpt(text, fs[i], fs))
		}
	}
	return fs
}

// safeExcerpt withholds an excerpt that still shows a known value in any
// form (a second copy the rules did not report, say).
func (s *Scanner) safeExcerpt(e string) string {
	if len(s.scanEnv(e, true, false)) > 0 {
		return "(excerpt withheld: the line holds a secret in another form)"
	}
	for _, v := range views(e) {
		if len(s.scanEnv(v.v.text, false, false)) > 0 {
			return "(excerpt withheld: the line holds a secret in another form)"
		}
	}
	return e
}

// scanText finds secrets in text as written, in its decoded views and in
// the base64 or hex tokens it holds; offsets are in text.
func (s *Scanner) scanText(name, text string, depth int, withGitleaks bool) []Finding {
	var fs []Finding
	fs = append(fs, s.scanEnv(text, true, true)...)
	// The patterns need not read inside long base64 runs (the images of a notebook or a report):
	// scanTokens below decodes them and looks inside. Blanking keeps every offset.
	patterned := blankBlobs(text)
	fs = append(fs, scanRules(patterned)...)
	if withGitleaks && s.gitleaks != nil {
		fs = append(fs, s.scanGitleaks(name, patterned)...)
	}
	for _, vw := range views(patterned) {
		vf := s.scanEnv(vw.v.text, false, true)
		if vw.patterns {
			vf = append(vf, scanRules(vw.v.text)...)
		}
		for _, f := range vf {
			f.Start, f.End = vw.v.toOriginal(f.Start, f.End)
			if f.Encoding == "" {
				f.Encoding = "escaped"
			}
			fs = append(fs, f)
		}
	}
	if depth < maxDepth {
		fs = append(fs, s.scanTokens(name, text, depth)...)
	}
	return merge(fs)
}

// scanTokens decodes base64 and hex tokens and looks inside: text is
// scanned like any text, other bytes for the known values.
func (s *Scanner) scanTokens(name, text string, depth int) []Finding {
	var out []Finding
	for _, loc := range encodedToken.FindAllStringIndex(text, -1) {
		tok := text[loc[0]:loc[1]]
		dec, enc, ok := decodeToken(tok)
		if !ok || len(dec) < minSecretLen {
			continue
		}
		var sub []Finding
		if d := string(dec); mostlyText(d) {
			sub = s.scanText(name, d, depth+1, len(d) >= 20)
		} else {
			sub = s.binaryFindings(name, dec)
		}
		for _, f := range sub {
			f.Start, f.End = loc[0], loc[1]
			f.Encoding = strings.TrimSuffix(enc+", "+f.Encoding, ", ")
			out = append(out, f)
		}
	}
	return out
}

// scanBytes looks for the known values in binary data: as UTF-8 (every
// form) and as UTF-16. Offsets are in data.
func (s *Scanner) scanBytes(data []byte) []Finding {
	var out []Finding
	for _, v := range s.values {
		for _, form := range append(slices.Clone(v.forms), utf16Forms(v.forms[0])...) {
			for off := 0; ; {
				i := bytes.Index(data[off:], []byte(form))
				if i < 0 {
					break
				}
				out = append(out, v.finding(off+i, off+i+len(form)))
				off += i + len(form)
			}
		}
	}
	return out
}

// scanBinary scans binary data: the known values anywhere, the text chunks
// of a PNG image, and the printable strings (as strings(1) lists them) with
// the built-in rules. Findings give the byte offset in their description.
func (s *Scanner) scanBinary(name string, data []byte) []Finding {
	fs := s.binaryFindings(name, data)
	for i := range fs {
		fs[i].File = name
		fs[i].Description += fmt.Sprintf(", at byte %d", fs[i].Start)
		fs[i].Start, fs[i].End = 0, 0
	}
	return fs
}

// binaryFindings are scanBinary's findings, with offsets in data.
func (s *Scanner) binaryFindings(name string, data []byte) []Finding {
	var fs []Finding
	for _, f := range s.scanBytes(data) {
		f.Encoding = "binary"
		fs = append(fs, f)
	}
	texts, offs := pngText(data)
	for i, t := range texts {
		for _, f := range s.scanText(name, t, 1, true) {
			f.Start, f.End = offs[i], offs[i]+1
			f.Encoding = strings.TrimSuffix("PNG text, "+f.Encoding, ", ")
			fs = append(fs, f)
		}
	}
	runs, at, starts := printableRuns(data, 8)
	for _, f := range s.scanText(name, runs, 1, false) {
		k := sort.SearchInts(at, f.Start+1) - 1
		if k < 0 {
			continue
		}
		off := starts[k] + f.Start - at[k]
		f.Start, f.End = off, off+(f.End-f.Start)
		if f.Encoding == "" {
			f.Encoding = "binary"
		}
		fs = append(fs, f)
	}
	return merge(fs)
}

// finding reports a known value found at [start, end).
func (v envValue) finding(start, end int) Finding {
	variable, _, _ := strings.Cut(v.name, " ")
	return Finding{
		Rule:        "env:" + v.name,
		Variable:    variable,
		Description: "the value of " + v.name + " from " + v.origin,
		Start:       start, End: end,
	}
}

// scanEnv looks for the known values in text: every form when allForms,
// else the value itself (a decoded view). Values that are ordinary words
// (a user called "analyst") count only where text uses them as a user or
// host name, unless anywhere is set.
func (s *Scanner) scanEnv(text string, allForms, inContext bool) []Finding {
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
		forms := v.forms
		if !allForms {
			forms = forms[:1]
		}
		for _, form := range forms {
			if v.foldCase {
				form = strings.ToLower(form)
			}
			for off := 0; ; {
				i := strings.Index(hay[off:], form)
				if i < 0 {
					break
				}
				start := off + i
				off = start + len(form)
				if inContext && v.contextual && !identityContext(text, start, off) {
					continue
				}
				out = append(out, v.finding(start, off))
			}
		}
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
			if rank(f.Rule) < rank(last.Rule) || rank(f.Rule) == rank(last.Rule) && last.Encoding != "" && f.Encoding == "" {
				last.Rule, last.Description, last.Variable, last.Encoding = f.Rule, f.Description, f.Variable, f.Encoding
			}
			last.Generic = last.Generic && f.Generic
			last.Start = min(last.Start, f.Start)
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
