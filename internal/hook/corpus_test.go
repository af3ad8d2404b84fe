package hook

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/replicalab/replicalab/internal/nbclean"
)

// corpusValues are the fake secrets of the corpus, cut in pieces so that
// this file holds none. Each is known to the hook in a different way (see
// setupCorpusRepo) or only matches a pattern.
var corpusValues = map[string]string{
	"PW":       "Hx4#q" + "@Lm/9z!Tw2",                                       // repository .env: RDS_PASSWORD, with # @ / !
	"PW2":      "nb-only-" + "Vq3$Zr8w",                                      // notebooks/.env: RDS_PASSWORD
	"HOST":     "analytics-replica.c9" + "xq2mz.eu-west-1.rds.amazonaws.com", // repository .env: RDS_HOSTNAME
	"HOST2":    "report" + "ing",                                             // notebooks/.env: RDS_HOSTNAME, an ordinary word
	"USER":     "analyst_" + "readonly",                                      // repository .env: RDS_USERNAME, ordinary words
	"USER2":    "svc_7f3k" + "q9x",                                           // environment: PGUSER
	"ENVPW":    "env-only-" + "Kp9&Lz2q",                                     // environment: RDS_PASSWORD
	"URLPW":    "url-pw-" + "Mn4@Yt7/r",                                      // environment: DATABASE_URL's password, raw @ and /
	"PGPASS":   "pgpass-" + "Wd8!Hs3k",                                       // ~/.pgpass
	"OTHER":    "n0t-in-" + "dotenv-Qw7x",                                    // nowhere: patterns only
	"OTHERRAW": "q8#Lw2" + "@x/Rt5?z",                                        // nowhere, with raw # @ / ?
	"GHPAT":    "ghp_" + "4Xk9Qz2Lm8Nv3Bt7Rw1Yp6Hs0Jd5Fc2Ga9Ke",
	"AWSKEY":   "AKIA" + "Z5MX3QHW7RTBNP4K",
	"SLACK":    "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
	"STRIPE":   "sk_" + "live_51HqZ2eKx8Wm4Pn7Rt3Vy9Bc6",
	"GENERIC":  "a8Fk2Lq9" + "Zx7Mw3Pt5Rv1Ny6Bc4Hd",
	"PRIVKEY":  "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi+zPq8Lm2c5Xk7Ww0HsCEb7uKs\nq1f9G3yHnT0mYd8Vw4Xe2Lr6Zs5Ba7Nc1Qp3Jk9Uv0Xt2Ym4Ao6Ze8Rd1Wf3Hg5\n-----END RSA " + "PRIVATE KEY-----",
}

func init() {
	v := corpusValues
	v["DSN_PW"] = "postgresql://" + v["USER"] + ":" + url.QueryEscape(v["PW"]) + "@" + v["HOST"] + "/app"
	v["DSN_PW_PCT"] = v["DSN_PW"]
	v["DSN_OTHER"] = "postgresql://bob:" + v["OTHER"] + "@db.prod.internal/app"
}

// secretValues are the values a leak case must not let through (the
// others, hosts and users, identify; they are checked too).
var secretValues = []string{"PW", "PW2", "HOST", "USER", "USER2", "ENVPW", "URLPW", "PGPASS", "OTHER", "OTHERRAW", "GHPAT", "AWSKEY", "SLACK", "STRIPE", "GENERIC", "DSN_PW", "DSN_OTHER"}

func jsonEsc(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`), "\n", `\n`)
}

func eachChar(s string, special bool, f func(r rune) string) string {
	var b strings.Builder
	for _, r := range s {
		if special && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
			continue
		}
		b.WriteString(f(r))
	}
	return b.String()
}

// encodings are how a value is written into a case.
var encodings = map[string]func(string) string{
	"":              func(s string) string { return s },
	"pct":           url.QueryEscape,
	"at":            func(s string) string { return strings.ReplaceAll(s, "@", "%40") },
	"sqla14":        sqla14,
	"sqla14jsonesc": func(s string) string { return jsonEsc(sqla14(s)) },
	"b64":           func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
	"b64url":        func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) },
	"hex":           func(s string) string { return hex.EncodeToString([]byte(s)) },
	"jsonu": func(s string) string {
		return eachChar(s, false, func(r rune) string { return fmt.Sprintf(`\u%04x`, r) })
	},
	"jsonspecial": func(s string) string {
		return eachChar(s, true, func(r rune) string { return fmt.Sprintf(`\u%04X`, r) })
	},
	"jsonesc": jsonEsc,
	"xesc": func(s string) string {
		return eachChar(s, false, func(r rune) string { return fmt.Sprintf(`\x%02x`, r) })
	},
	"htmlent": func(s string) string {
		return eachChar(s, true, func(r rune) string { return fmt.Sprintf("&#%d;", r) })
	},
	"htmlentjson": func(s string) string {
		return eachChar(s, true, func(r rune) string { return fmt.Sprintf("&#%d;", r) })
	},
	"htmlall": func(s string) string {
		return eachChar(s, false, func(r rune) string { return fmt.Sprintf("&#%d;", r) })
	},
	"half1":     func(s string) string { return s[:len(s)/2] },
	"half2":     func(s string) string { return s[len(s)/2:] },
	"half1json": func(s string) string { return jsonEsc(s[:len(s)/2]) },
	"half2json": func(s string) string { return jsonEsc(s[len(s)/2:]) },
	"upper":     strings.ToUpper,
	"pngb64":    func(s string) string { return base64.StdEncoding.EncodeToString(pngWith("tEXt", s)) },
	"pngz64":    func(s string) string { return base64.StdEncoding.EncodeToString(pngWith("zTXt", s)) },
	"svgb64": func(s string) string {
		svg := `<svg xmlns="http://www.w3.org/2000/svg"><text><tspan>` + s[:len(s)/2] + `</tspan><tspan>` + s[len(s)/2:] + `</tspan></text></svg>`
		return base64.StdEncoding.EncodeToString([]byte(svg))
	},
}

// sqla14 is how SQLAlchemy 1.4's str(url) writes a password: only ':', '@'
// and '/' percent-encoded.
func sqla14(s string) string {
	return strings.NewReplacer(":", "%3A", "@", "%40", "/", "%2F").Replace(s)
}

// pngWith builds a 1×1 PNG image with a text chunk holding text.
func pngWith(kind, text string) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	chunk("IHDR", []byte{0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0})
	switch kind {
	case "tEXt":
		chunk("tEXt", append([]byte("Comment\x00"), text...))
	case "zTXt":
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write([]byte(text))
		w.Close()
		chunk("zTXt", append([]byte("Comment\x00\x00"), z.Bytes()...))
	}
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1})
	chunk("IEND", nil)
	return b.Bytes()
}

func utf16Bytes(s string, order binary.ByteOrder, bom bool) []byte {
	var b bytes.Buffer
	if bom {
		binary.Write(&b, order, uint16(0xFEFF))
	}
	for _, u := range utf16.Encode([]rune(s)) {
		binary.Write(&b, order, u)
	}
	return b.Bytes()
}

// fileEncodings turn a case's text into the bytes committed.
var fileEncodings = map[string]func(string) []byte{
	"":            func(s string) []byte { return []byte(s) },
	"utf16le-bom": func(s string) []byte { return utf16Bytes(s, binary.LittleEndian, true) },
	"utf16be-bom": func(s string) []byte { return utf16Bytes(s, binary.BigEndian, true) },
	"utf16le":     func(s string) []byte { return utf16Bytes(s, binary.LittleEndian, false) },
	"png-text":    func(s string) []byte { return pngWith("tEXt", strings.TrimSpace(s)) },
	"png-ztxt":    func(s string) []byte { return pngWith("zTXt", strings.TrimSpace(s)) },
	"pickle": func(s string) []byte {
		// Protocol 4: a frame holding one short unicode string (BINUNICODE8 is 0x8d; SHORT_BINUNICODE 0x8c).
		body := strings.TrimSpace(s)
		inner := append([]byte{0x8c, byte(len(body))}, body...)
		inner = append(inner, 0x94, '.')
		out := []byte{0x80, 0x04, 0x95}
		out = binary.LittleEndian.AppendUint64(out, uint64(len(inner)))
		return append(out, inner...)
	},
	"utf16-in-binary": func(s string) []byte {
		return append([]byte{0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x10, 0x00}, utf16Bytes(strings.TrimSpace(s), binary.LittleEndian, false)...)
	},
}

type corpusCase struct {
	leak               bool
	name, path, fileOp string
	body               string
	needles            []string // what must not reach a commit or a message
}

var placeholderRef = regexp.MustCompile(`\{\{([A-Z0-9_]+)(?:\|([a-z0-9]+))?\}\}`)

func readCorpus(t *testing.T) []corpusCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "corpus.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []corpusCase
	var cur *corpusCase
	var body []string
	flush := func() {
		if cur != nil {
			cur.body = strings.Join(body, "\n") + "\n"
			cases = append(cases, *cur)
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "=== "); ok {
			flush()
			fields := strings.Fields(rest)
			if len(fields) < 3 || fields[0] != "leak" && fields[0] != "clean" {
				t.Fatalf("corpus: expected \"=== leak|clean NAME PATH [ENCODING]\", found %q", line)
			}
			cur = &corpusCase{leak: fields[0] == "leak", name: fields[1], path: fields[2]}
			if len(fields) > 3 {
				cur.fileOp = fields[3]
			}
			body = nil
			continue
		}
		if cur == nil || strings.HasPrefix(line, "# ") && len(body) == 0 && cur == nil {
			continue
		}
		if strings.HasPrefix(line, "# ----") || line == "" && len(body) == 0 {
			continue
		}
		body = append(body, line)
	}
	flush()
	for i := range cases {
		c := &cases[i]
		for strings.HasSuffix(c.body, "\n\n") {
			c.body = strings.TrimSuffix(c.body, "\n")
		}
		c.body = placeholderRef.ReplaceAllStringFunc(c.body, func(ref string) string {
			m := placeholderRef.FindStringSubmatch(ref)
			v, ok := corpusValues[m[1]]
			enc, ok2 := encodings[m[2]]
			if !ok || !ok2 {
				t.Fatalf("corpus %s: unknown value or encoding in %s", c.name, ref)
			}
			out := enc(v)
			if slices.Contains(secretValues, m[1]) {
				c.needles = append(c.needles, v)
				if !strings.HasPrefix(m[2], "half") {
					c.needles = append(c.needles, out)
				}
			}
			return out
		})
		if _, ok := fileEncodings[c.fileOp]; !ok {
			t.Fatalf("corpus %s: unknown file encoding %q", c.name, c.fileOp)
		}
	}
	return cases
}

// setupCorpusRepo gives the hook every way the helpers know a secret: the
// repository's .env, a .env in notebooks/, connection variables in the
// environment and a ~/.pgpass.
func setupCorpusRepo(t *testing.T) *testRepo {
	r := newRepo(t, "")
	v := corpusValues
	home := ""
	for _, kv := range r.env {
		if h, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = h
		}
	}
	if err := os.WriteFile(filepath.Join(home, ".pgpass"), []byte("db.internal:5432:*:reader:"+v["PGPASS"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.env = append(r.env, "RDS_PASSWORD="+v["ENVPW"], "PGUSER="+v["USER2"],
		"DATABASE_URL=postgresql://envuser:"+v["URLPW"]+"@env-db.internal/app")
	r.write(".gitignore", []byte(".env\n"))
	r.write(".env", []byte("RDS_HOSTNAME="+v["HOST"]+"\nRDS_PORT=5432\nRDS_DB_NAME=app\nRDS_USERNAME="+v["USER"]+"\nRDS_PASSWORD='"+v["PW"]+"'\n"))
	r.write("notebooks/.env", []byte("RDS_HOSTNAME="+v["HOST2"]+"\nRDS_PASSWORD='"+v["PW2"]+"'\n"))
	return r
}

// TestCorpus commits every case of testdata/corpus.txt through the
// installed hook, each in a repository of its own: a leak must not reach
// the commit (refused, or replaced by a placeholder in a notebook), a clean
// file must be committed as it is (a notebook as nbstripout would), and no
// message may show a secret in any of the forms written.
func TestCorpus(t *testing.T) {
	cases := readCorpus(t)
	var leaks, cleans int
	for _, c := range cases {
		if c.leak {
			leaks++
		} else {
			cleans++
		}
	}
	if leaks < 60 || cleans < 20 {
		t.Fatalf("expected at least 60 leaks and 20 clean cases, found %d and %d", leaks, cleans)
	}
	var (
		mu                     sync.Mutex
		caught, missed, fp, ok []string
		printed                []string
	)
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				verdict, leakedIn := runCorpusCase(t, c)
				mu.Lock()
				defer mu.Unlock()
				if leakedIn != "" {
					printed = append(printed, c.name)
					t.Errorf("the hook's messages show a secret:\n%s", leakedIn)
				}
				switch {
				case c.leak && verdict == "":
					caught = append(caught, c.name)
				case c.leak:
					missed = append(missed, c.name)
					t.Errorf("leak not caught: %s", verdict)
				case verdict == "":
					ok = append(ok, c.name)
				default:
					fp = append(fp, c.name)
					t.Errorf("false positive: %s", verdict)
				}
			})
		}
	})
	t.Logf("corpus: %d leaks: %d caught, %d missed %v; %d clean: %d passed, %d false positives %v; messages showing a secret: %d %v",
		leaks, len(caught), len(missed), missed, cleans, len(ok), len(fp), fp, len(printed), printed)
}

// runCorpusCase commits one case; verdict is "" when the hook did the right
// thing, else what went wrong. leakedIn is the message that showed a secret.
func runCorpusCase(t *testing.T, c corpusCase) (verdict, leakedIn string) {
	r := setupCorpusRepo(t)
	data := fileEncodings[c.fileOp](c.body)
	var stderr string
	var code int
	if c.path == "COMMIT-MSG" {
		r.write("change.txt", []byte("a change\n"))
		r.git("add", "change.txt")
		msgFile := filepath.Join(t.TempDir(), "msg")
		os.WriteFile(msgFile, data, 0o644)
		code, stderr = r.try("git", "commit", "-q", "-F", msgFile)
	} else {
		r.write(c.path, data)
		r.git("add", "-f", c.path)
		code, stderr = r.try("git", "commit", "-q", "-m", "case "+c.name)
	}
	for _, n := range c.needles {
		if len(n) >= 4 && strings.Contains(stderr, n) {
			leakedIn = stderr
		}
	}
	committed := code == 0
	if c.leak && strings.Contains(c.name, "refused") && committed {
		return "committed (rewritten) where the hook must refuse", leakedIn
	}
	if c.leak {
		if !committed {
			if !strings.Contains(stderr, "refusing") {
				return "the commit failed without the hook refusing it:\n" + stderr, leakedIn
			}
			return "", leakedIn
		}
		if c.path == "COMMIT-MSG" {
			return "the commit message was recorded", leakedIn
		}
		head := r.show("HEAD:" + c.path)
		for _, n := range c.needles {
			if bytes.Contains(head, []byte(n)) {
				return fmt.Sprintf("committed with the secret (%d bytes form)", len(n)), leakedIn
			}
		}
		if bytes.Equal(head, data) {
			return "committed unchanged", leakedIn
		}
		if !strings.HasSuffix(c.path, ".ipynb") {
			return "a file other than a notebook was changed instead of refused", leakedIn
		}
		return "", leakedIn
	}
	if !committed {
		return "refused:\n" + stderr, leakedIn
	}
	if strings.TrimSpace(stderr) != "" && !strings.Contains(stderr, "committing a clean copy") {
		return "the hook complained:\n" + stderr, leakedIn
	}
	if c.path == "COMMIT-MSG" {
		return "", leakedIn
	}
	want := data
	if strings.HasSuffix(c.path, ".ipynb") {
		var err error
		if want, err = nbclean.Clean(data, nbclean.Options{}); err != nil {
			t.Fatalf("corpus %s: not a notebook: %v", c.name, err)
		}
	}
	if head := r.show("HEAD:" + c.path); !bytes.Equal(head, want) {
		return fmt.Sprintf("committed a changed file:\n%s", head), leakedIn
	}
	return "", leakedIn
}
