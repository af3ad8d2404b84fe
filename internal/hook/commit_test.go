package hook

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Fake credentials, cut in two so that this file holds none.
var (
	dotenvPassword = "Tr0ub4dor" + "&3-horse"
	dotenvHost     = "analytics-replica.c9" + "xq2mz.eu-west-1.rds.amazonaws.com"
	dotenvUser     = "analyst_" + "readonly"
	otherPassword  = "n0t-in-dotenv" + "-Qw7"
	githubPAT      = "ghp_" + "4Xk9Qz2Lm8Nv3Bt7Rw1Yp6Hs0Jd5Fc2Ga9Ke"
	awsKey         = "AKIA" + "Z5MX3QHW7RTBNP4K"
	privateKey     = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi+zPq8Lm2c5Xk7Ww0HsCEb7uKs\nq1f9G3yHnT0mYd8Vw4Xe2Lr6Zs5Ba7Nc1Qp3Jk9Uv0Xt2Ym4Ao6Ze8Rd1Wf3Hg5\n-----END RSA " + "PRIVATE KEY-----"
	allSecrets     = []string{dotenvPassword, dotenvHost, dotenvUser, otherPassword, githubPAT, awsKey, "MIIEowIBAAKCAQEA" + "3Tz2mr7SZiAMfQyuvBjM9Oi"}
)

func writeDotenv(r *testRepo) {
	r.write(".env", []byte("RDS_HOSTNAME="+dotenvHost+"\nRDS_PORT=5432\nRDS_USERNAME="+dotenvUser+"\nRDS_PASSWORD='"+dotenvPassword+"'\n"))
	r.write(".gitignore", []byte(".env\n.env.*\n!.env.example\n"))
}

func noSecretIn(t testing.TB, what, s string) {
	t.Helper()
	for _, sec := range allSecrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s shows a secret in full (%.4s…):\n%s", what, sec, s)
		}
	}
}

// TestCommitCleansNotebookCorpus commits the nbclean corpus (images,
// widgets, errors, keep_output tags, unicode...) through the installed hook:
// HEAD holds exactly nbstripout's output, the working copies are untouched.
func TestCommitCleansNotebookCorpus(t *testing.T) {
	r := newRepo(t, "")
	files, _ := filepath.Glob(filepath.Join("..", "nbclean", "testdata", "corpus", "*.ipynb.in"))
	if len(files) < 10 {
		t.Fatalf("expected the nbclean corpus, found %d notebooks", len(files))
	}
	originals := map[string][]byte{}
	for i, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".in")
		// Paths with spaces and non-ASCII names, in sub folders.
		path := "notebooks/" + name
		if i%3 == 0 {
			path = "notebooks/with space/" + strings.TrimSuffix(name, ".ipynb") + " – été.ipynb"
		}
		data := corpusFile(t, name+".in")
		originals[path] = data
		r.write(path, data)
	}
	r.git("add", ".")
	msg := r.commit(0, "corpus")
	if !strings.Contains(msg, "committing clean copies of") {
		t.Errorf("the hook did not say what it changed:\n%s", msg)
	}
	for path, data := range originals {
		name := filepath.Base(path)
		if strings.Contains(path, "with space") {
			name = strings.TrimSuffix(name, " – été.ipynb") + ".ipynb"
		}
		want := corpusFile(t, strings.TrimSuffix(name, ".ipynb")+".expected")
		if got := r.show("HEAD:" + path); !bytes.Equal(got, want) {
			t.Errorf("%s: committed version differs from nbstripout's:\n%s", path, got)
		}
		if got := r.read(path); !bytes.Equal(got, data) {
			t.Errorf("%s: the working copy was changed", path)
		}
	}
	// The index holds what was committed: nothing is left staged, while the
	// working copies (with outputs) show as modified.
	r.run(0, "git", "diff", "--cached", "--quiet")
	if st := r.git("status", "--porcelain"); !strings.Contains(st, " M notebooks/errors.ipynb") {
		t.Errorf("expected errors.ipynb modified in the work tree only, git status says:\n%s", st)
	}
}

// TestPartialStaging: only part of the working copy is staged (as git add -p
// does); the commit holds the cleaned staged part, not the working copy.
func TestPartialStaging(t *testing.T) {
	r := newRepo(t, "")
	v1 := notebook([2]string{"markdown", "# Orders"}, [2]string{"code", "a := 1"})
	r.write("nb.ipynb", v1)
	r.git("add", "nb.ipynb")
	r.commit(0, "v1")

	staged := notebook([2]string{"markdown", "# Orders"}, [2]string{"code", "a := 2"})
	work := notebook([2]string{"markdown", "# Orders by day"}, [2]string{"code", "a := 2"}, [2]string{"code", "b := 3"})
	r.write("nb.ipynb", staged)
	r.git("add", "nb.ipynb")
	r.write("nb.ipynb", work) // unstaged on top
	r.commit(0, "v2")

	head := string(r.show("HEAD:nb.ipynb"))
	if !strings.Contains(head, `"a := 2"`) || strings.Contains(head, "b := 3") || strings.Contains(head, "by day") {
		t.Errorf("HEAD should hold the staged part only:\n%s", head)
	}
	if strings.Contains(head, "output of cell") {
		t.Errorf("HEAD holds outputs:\n%s", head)
	}
	if !bytes.Equal(r.read("nb.ipynb"), work) {
		t.Error("the working copy (unstaged changes and outputs) was changed")
	}
}

// TestMalformedNotebookRefused: the commit stops, naming the file and the
// parse error, and nothing in the index changes (not even a valid notebook
// staged with it).
func TestMalformedNotebookRefused(t *testing.T) {
	r := newRepo(t, "")
	r.write("good.ipynb", notebook([2]string{"code", "x := 1"}))
	r.write("bad one.ipynb", []byte("{\n \"cells\": [\n  {\"cell_type\": \"code\",,}\n ]\n}\n"))
	r.git("add", ".")
	goodBefore, badBefore := r.indexOID("good.ipynb"), r.indexOID("bad one.ipynb")
	msg := r.commit(1, "broken")
	if !strings.Contains(msg, `"bad one.ipynb"`) || !strings.Contains(msg, "line 3 column") {
		t.Errorf("message should name the file and the position of the error:\n%s", msg)
	}
	if r.commits() != 0 {
		t.Error("a commit was created")
	}
	if r.indexOID("good.ipynb") != goodBefore || r.indexOID("bad one.ipynb") != badBefore {
		t.Error("the index was changed although the commit was refused")
	}
}

// TestNotebookSecretsStripped: secrets in code cells, markdown cells and
// kept outputs are replaced by placeholders in the commit; the working copy
// keeps them; the messages never show them.
func TestNotebookSecretsStripped(t *testing.T) {
	r := newRepo(t, "")
	writeDotenv(r)
	cells := [][2]string{
		{"code", "conn, err := pgx.Connect(ctx, \"postgres://" + dotenvUser + ":" + dotenvPassword + "@" + dotenvHost + "/app\")"},
		{"code", "%env PGPASSWORD " + otherPassword + "\n%env PGHOST=db"},
		{"markdown", "Ask for the token " + githubPAT + " (escaped \"quotes\" cannot hide it)"},
		{"code", "key := \"" + awsKey + "\""},
		{"code", "k := `" + privateKey + "`"},
	}
	nb := notebook(cells...)
	// A kept output that printed the password.
	nb = bytes.Replace(nb, []byte(`"metadata": {},
      "outputs": [
        {
          "name": "stdout",
          "output_type": "stream",
          "text": "output of cell 0\n"`), []byte(`"metadata": {"tags": ["keep_output"]},
      "outputs": [
        {
          "name": "stdout",
          "output_type": "stream",
          "text": "connected with password=`+jsonEscape(dotenvPassword)+`\n"`), 1)
	if !bytes.Contains(nb, []byte("keep_output")) {
		t.Fatal("test setup: the keep_output tag was not inserted")
	}
	r.write("analysis.ipynb", nb)
	r.git("add", "analysis.ipynb")
	msg := r.commit(0, "with secrets")
	head := string(r.show("HEAD:analysis.ipynb"))
	noSecretIn(t, "the committed notebook", head)
	noSecretIn(t, "the hook's messages", msg)
	for _, want := range []string{"<secret:RDS_PASSWORD>", "<secret:RDS_HOSTNAME>", "<secret:RDS_USERNAME>", "<secret:PGPASSWORD>", "<secret:github-pat>", "<secret:aws-access-token>", "<secret:private-key>"} {
		if !strings.Contains(head, want) {
			t.Errorf("the commit lacks the placeholder %s:\n%s", want, head)
		}
	}
	if !strings.Contains(head, "connected with password=<secret:RDS_PASSWORD>") {
		t.Errorf("the kept output was not cleaned of the secret:\n%s", head)
	}
	for _, want := range []string{"cell 1, line 1 (source)", "cell 3, line 1 (source)", "removed a secret", "config.Load()", `cfg.Get("RDS_PASSWORD")`} {
		if !strings.Contains(msg, want) {
			t.Errorf("messages lack %q:\n%s", want, msg)
		}
	}
	if !bytes.Equal(r.read("analysis.ipynb"), nb) {
		t.Error("the working copy was changed")
	}
}

func jsonEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`)
}

func TestStrictModeRefusesNotebookSecrets(t *testing.T) {
	r := newRepo(t, "--strict")
	writeDotenv(r)
	r.write("nb.ipynb", notebook([2]string{"code", "pw := \"" + dotenvPassword + "\""}))
	r.git("add", "nb.ipynb")
	before := r.indexOID("nb.ipynb")
	msg := r.commit(1, "strict")
	if !strings.Contains(msg, "strict mode") || !strings.Contains(msg, "env:RDS_PASSWORD") || !strings.Contains(msg, "cell 1, line 1") {
		t.Errorf("message should say strict mode, the rule and where:\n%s", msg)
	}
	noSecretIn(t, "the hook's messages", msg)
	if r.commits() != 0 || r.indexOID("nb.ipynb") != before {
		t.Error("strict mode changed the index or committed")
	}
	// --strict given to the hook works without the git config key too.
	r.git("config", ConfigStrict, "false")
	r.commit(0, "not strict")
	r.git("commit", "-q", "--allow-empty", "-m", "marker")
	r.write("nb2.ipynb", notebook([2]string{"code", "pw := \"" + dotenvPassword + "\""}))
	r.git("add", "nb2.ipynb")
	r.run(1, hookBin, "pre-commit", "--strict")
}

// TestSecretsInPlainFilesRefused: each secret form, in a file of its own,
// stops the commit with file:line, the rule and a redacted excerpt.
func TestSecretsInPlainFilesRefused(t *testing.T) {
	r := newRepo(t, "")
	writeDotenv(r)
	r.write("README.md", []byte("# project\n"))
	r.git("add", "README.md", ".gitignore")
	r.commit(0, "init")
	cases := []struct{ file, body, rule string }{
		{"query.sql", "-- psql -U " + dotenvUser + "\nselect 1;\n", "env:RDS_USERNAME"},
		{"conf/db.yaml", "host: " + dotenvHost + "\n", "env:RDS_HOSTNAME"},
		{"load.py", "url = 'postgresql://app:" + "Tr0ub4dor%263-horse@db/app'\n", "env:RDS_PASSWORD"},
		{"main.go", "package main\n\nconst dsn = \"postgres://bob:" + otherPassword + "@db/shop\"\n", "postgres-url-password"},
		{"run.sh", "#!/bin/sh\npsql \"host=db user=bob password=" + otherPassword + " dbname=shop\"\n", "libpq-password"},
		{"Makefile", "demo:\n\tPGPASSWORD=" + otherPassword + " psql -h db\n", "pgpassword-assignment"},
		{"notes.txt", "token " + githubPAT + "\n", "gitleaks:github-pat"},
		{"id_rsa.txt", privateKey + "\n", "gitleaks:private-key"},
		{"docs/cloud key.md", "aws_access_key_id=" + awsKey + "\n", "gitleaks:aws-access-token"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r.write(c.file, []byte(c.body))
			r.git("add", c.file)
			msg := r.commit(1, "leak")
			if !strings.Contains(msg, c.file+":") || !strings.Contains(msg, c.rule) {
				t.Errorf("message should give %s:line and rule %s:\n%s", c.file, c.rule, msg)
			}
			noSecretIn(t, "the hook's messages", msg)
			if !strings.Contains(msg, "*****") {
				t.Errorf("no redacted excerpt in:\n%s", msg)
			}
			r.git("rm", "-q", "--cached", c.file)
		})
	}
	if r.commits() != 1 {
		t.Errorf("expected only the first commit, found %d", r.commits())
	}
}

func TestDotenvFilesRefused(t *testing.T) {
	r := newRepo(t, "")
	writeDotenv(r)
	r.write(".env.example", []byte("RDS_PASSWORD=\n"))
	r.git("add", ".env.example", ".gitignore")
	r.commit(0, ".env.example is fine")
	for _, f := range []string{".env", "sub/.env.local", ".env.production", ".pgpass"} {
		r.write(f, []byte("X=1\n"))
		r.git("add", "-f", f)
		msg := r.commit(1, "leak "+f)
		if !strings.Contains(msg, `refusing to commit "`+f+`"`) || !strings.Contains(msg, "git rm --cached") {
			t.Errorf("%s: message should refuse it and say how to unstage:\n%s", f, msg)
		}
		r.git("rm", "-q", "--cached", f)
	}
}

// TestCleanCorpusUntouched: clean files and clean notebooks pass and are
// committed byte for byte.
func TestCleanCorpusUntouched(t *testing.T) {
	r := newRepo(t, "")
	writeDotenv(r)
	clean := map[string][]byte{
		"main.go":        []byte("package main\n\n// dsn comes from .env via the config helper.\nfunc dsn() string { return \"postgres://analyst@localhost:5432/app?sslmode=disable\" }\n"),
		"doc.md":         []byte("Set `DATABASE_URL=postgres://analyst:PASSWORD@my-replica.example.com:5432/app` in .env.\n\n![chart](data:image/png;base64," + strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAI", 50) + ")\n"),
		"load.py":        []byte("import os\nconn = psycopg.connect(host=os.environ['PGHOST'], password=os.environ['PGPASSWORD'])\n"),
		"clean.ipynb":    corpusFile(t, "keep_output.expected"),
		"images.ipynb":   corpusFile(t, "images.expected"),
		"env.ipynb":      mustClean(t, notebook([2]string{"code", "%env PGPASSWORD $PGPASSWORD\ncfg, err := config.Load()\npw, err := cfg.Get(\"RDS_PASSWORD\")"})),
		"data/chart.png": append([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0}, []byte("no secret in here")...), // binary without a known value
	}
	for p, data := range clean {
		r.write(p, data)
	}
	r.git("add", ".")
	msg := r.commit(0, "clean")
	if strings.TrimSpace(msg) != "" {
		t.Errorf("the hook said something about clean files:\n%s", msg)
	}
	for p, data := range clean {
		if !bytes.Equal(r.show("HEAD:"+p), data) {
			t.Errorf("%s was changed", p)
		}
	}
}

func mustClean(t *testing.T, nb []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "x.ipynb")
	os.WriteFile(p, nb, 0o644)
	var out, errb bytes.Buffer
	if code := Run(t.Context(), []string{"textconv", p}, nil, &out, &errb); code != 0 {
		t.Fatalf("textconv: %s", errb.String())
	}
	return out.Bytes()
}

// TestRenamesDeletionsAndOddFiles: a renamed dirty notebook is cleaned, a
// deletion passes, non-UTF-8 text and binaries are handled, a huge output is
// dropped.
func TestRenamesDeletionsAndOddFiles(t *testing.T) {
	r := newRepo(t)
	r.write("old.ipynb", notebook([2]string{"code", "x := 1"}))
	r.write("gone.txt", []byte("bye\n"))
	r.git("add", ".")
	r.git("commit", "-q", "--no-verify", "-m", "dirty notebook committed without the hook")
	r.run(0, hookBin, "install", "--binary", hookBin)

	r.git("mv", "old.ipynb", "new name.ipynb")
	r.git("rm", "-q", "gone.txt")
	r.write("latin1.txt", []byte("caf\xe9 cr\xe8me\n"))
	r.write("blob.bin", []byte{0, 1, 2, 3, 0xff, 0xfe})
	huge := notebook([2]string{"code", "dump()"})
	huge = bytes.Replace(huge, []byte("output of cell 0"), bytes.Repeat([]byte("0123456789abcdef"), 1<<19), 1) // an 8 MiB output
	r.write("huge.ipynb", huge)
	r.git("add", ".")
	r.commit(0, "rename and friends")
	if got := string(r.show("HEAD:new name.ipynb")); strings.Contains(got, "output of cell") {
		t.Errorf("the renamed notebook kept its outputs:\n%s", got)
	}
	if got := r.show("HEAD:huge.ipynb"); len(got) > 2000 {
		t.Errorf("the huge output reached the commit (%d bytes)", len(got))
	}
	if !bytes.Equal(r.show("HEAD:latin1.txt"), []byte("caf\xe9 cr\xe8me\n")) {
		t.Error("the non-UTF-8 file was changed")
	}
}

// TestCheckAndAll: --check fails on a dirty committed notebook and changes
// nothing; --all cleans the index; --check then passes.
func TestCheckAndAll(t *testing.T) {
	r := newRepo(t)
	r.write("a.ipynb", notebook([2]string{"code", "x := 1"}))
	r.write("b.ipynb", mustClean(t, notebook([2]string{"code", "y := 1"})))
	r.git("add", ".")
	r.git("commit", "-q", "-m", "no hook yet")
	before := r.indexOID("a.ipynb")
	_, msg := r.run(1, hookBin, "pre-commit", "--check", "--all")
	if !strings.Contains(msg, `"a.ipynb" is not clean`) || strings.Contains(msg, "b.ipynb") {
		t.Errorf("--check should name a.ipynb only:\n%s", msg)
	}
	if r.indexOID("a.ipynb") != before {
		t.Error("--check changed the index")
	}
	r.run(0, hookBin, "pre-commit", "--all")
	r.run(0, hookBin, "pre-commit", "--check", "--all")
	// Paths given (as the pre-commit framework does) limit the run.
	r.write("c.ipynb", notebook([2]string{"code", "z := 1"}))
	r.git("add", "c.ipynb")
	r.run(0, hookBin, "pre-commit", "--check", "a.ipynb", "b.ipynb")
	r.run(1, hookBin, "pre-commit", "--check", "c.ipynb")
}

// TestInstallChainsForeignHook: an existing pre-commit hook keeps running;
// the hook binary is copied to .tools/bin; uninstall restores the old hook.
func TestInstallChainsForeignHook(t *testing.T) {
	r := newRepo(t)
	foreign := "#!/bin/sh\necho ran >> \"$(git rev-parse --show-toplevel)/foreign-ran\"\n"
	hooks := filepath.Join(r.dir, ".git", "hooks")
	os.MkdirAll(hooks, 0o755)
	os.WriteFile(filepath.Join(hooks, "pre-commit"), []byte(foreign), 0o755)

	out, _ := r.run(0, hookBin, "install")
	if !strings.Contains(out, "kept your existing pre-commit hook") {
		t.Errorf("install should say it kept the foreign hook:\n%s", out)
	}
	bin := filepath.Join(r.dir, ".git", "replicalab", "replicalab-hook")
	if st, err := os.Stat(bin); err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("expected an executable %s: %v", bin, err)
	}
	if got := r.git("config", "diff.ipynb.textconv"); !strings.Contains(got, bin) {
		t.Errorf("diff.ipynb.textconv = %q", got)
	}
	if !strings.Contains(string(r.read(".gitattributes")), "*.ipynb diff=ipynb") {
		t.Error(".gitattributes lacks the diff driver line")
	}
	r.run(0, hookBin, "install") // idempotent: no second chaining
	if strings.Count(string(r.read(".gitattributes")), "*.ipynb diff=ipynb") != 1 {
		t.Error("install twice duplicated the .gitattributes line")
	}

	r.write("nb.ipynb", notebook([2]string{"code", "x := 1"}))
	r.git("add", "nb.ipynb", ".gitattributes")
	r.commit(0, "both hooks")
	if _, err := os.Stat(filepath.Join(r.dir, "foreign-ran")); err != nil {
		t.Error("the foreign hook did not run")
	}
	if strings.Contains(string(r.show("HEAD:nb.ipynb")), "output of cell") {
		t.Error("our hook did not run")
	}

	// git diff shows the source change only, through the textconv driver.
	r.write("nb.ipynb", notebook([2]string{"code", "x := 2"}))
	diff := r.git("diff")
	if !strings.Contains(diff, `+    "x := 2"`) || strings.Contains(diff, "output of cell") {
		t.Errorf("git diff should show the clean source change:\n%s", diff)
	}

	r.run(0, hookBin, "uninstall")
	if got, _ := os.ReadFile(filepath.Join(hooks, "pre-commit")); string(got) != foreign {
		t.Errorf("uninstall did not restore the foreign hook:\n%s", got)
	}
}

// TestOwnSourcesPassTheHook: the sources and test data of the hook and its
// packages (full of look-alike secrets, cut in two) do not trip the hook, so
// committing them is not refused.
func TestOwnSourcesPassTheHook(t *testing.T) {
	r := newRepo(t)
	n := 0
	for _, dir := range []string{"../nbclean", "../secrets", ".", "../../scripts/hook"} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			root, _ := filepath.Abs("../..")
			abs, _ := filepath.Abs(p)
			rel, _ := filepath.Rel(root, abs)
			r.write(filepath.ToSlash(rel), mustRead(t, p))
			n++
			return nil
		})
	}
	if bench, err := os.ReadFile("../../scripts/bench-hook.sh"); err == nil {
		r.write("scripts/bench-hook.sh", bench)
	}
	if n < 20 {
		t.Fatalf("expected the package sources, copied %d files", n)
	}
	r.git("add", ".")
	if _, msg := r.run(0, hookBin, "pre-commit", "--check"); msg != "" {
		t.Errorf("the hook complained about its own sources:\n%s", msg)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestInstallFromALinkedWorkTree: installing from a linked work tree (git worktree add), as make hooks does
// there, sets up the whole repository; removing that work tree leaves the hooks working in the others.
func TestInstallFromALinkedWorkTree(t *testing.T) {
	r := newRepo(t)
	r.write("README", []byte("x\n"))
	r.git("add", "README")
	r.commit(0, "first")
	wt := filepath.Join(t.TempDir(), "feature")
	r.git("worktree", "add", "-q", wt, "-b", "feature")
	linked := &testRepo{t: t, dir: wt, env: r.env}
	linked.run(0, hookBin, "install")
	r.git("worktree", "remove", "--force", wt)

	r.write("nb.ipynb", notebook([2]string{"code", "x := 1"}))
	r.git("add", "nb.ipynb")
	if msg := r.commit(0, "after the work tree is gone"); strings.Contains(msg, "is missing") {
		t.Fatalf("the hook lost its program with the work tree:\n%s", msg)
	}
	if strings.Contains(string(r.show("HEAD:nb.ipynb")), "output of cell") {
		t.Error("the hook did not run in the main work tree")
	}
}

// TestRepositoryPassesItsOwnCheck: every file committed in this repository passes `make check-notebooks`
// (test fixtures with look-alike secrets are built at run time or allow-listed on their line), so a user
// can trust that command on a clean clone. A fixture added without care fails here, not in a user's hook.
func TestRepositoryPassesItsOwnCheck(t *testing.T) {
	root, _ := filepath.Abs("../..")
	if err := exec.Command("git", "-C", root, "rev-parse", "--git-dir").Run(); err != nil {
		t.Skip("not a git checkout:", err)
	}
	cmd := exec.Command(hookBin, "pre-commit", "--check", "--all")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pre-commit --check --all refuses this repository's own files (%v):\n%s", err, out)
	}
}
