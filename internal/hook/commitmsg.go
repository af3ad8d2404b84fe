package hook

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// scissors is the line after which git drops the rest of a commit message
// (git commit -v puts the diff there).
const scissors = " ------------------------ >8 ------------------------"

// commitMsg is the commit-msg hook: the message git is about to record is
// scanned like a staged file. A message holding a secret is refused (git
// keeps it in .git/COMMIT_EDITMSG); nothing is printed of the secret.
func commitMsg(ctx context.Context, dir, file string, stderr io.Writer) int {
	say := func(format string, args ...any) { fmt.Fprintf(stderr, "replicalab-hook: "+format+"\n", args...) }
	r, err := openRepo(ctx, dir)
	if err != nil {
		say("%v", err)
		return 2
	}
	data, err := os.ReadFile(file)
	if err != nil {
		say("commit-msg: %v", err)
		return 2
	}
	comment := "#"
	if out, err := r.git(ctx, nil, "config", "--get", "core.commentChar"); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" && c != "auto" {
			comment = c
		}
	}
	// What git records: comment lines and everything after the scissors go.
	var msg strings.Builder
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.TrimRight(line, "\r\n") == comment+scissors {
			break
		}
		if strings.HasPrefix(line, comment) {
			msg.WriteString("\n") // keep line numbers
			continue
		}
		msg.WriteString(line)
	}
	sc, err := newScanner(r.dir)
	if err != nil {
		say("%v", err)
		return 2
	}
	found := sc.Scan("commit message", []byte(msg.String()))
	if len(found) == 0 {
		return 0
	}
	say("refusing the commit: its message contains %s", plural(len(found), "secret"))
	for _, f := range found {
		fmt.Fprintf(stderr, "  %s\n", f)
	}
	say("edit the message and commit again (git commit -e -F .git/COMMIT_EDITMSG starts from the refused one);\n  a false positive of a pattern rule can be allowed with \"gitleaks:allow\" on its line.")
	return 1
}
