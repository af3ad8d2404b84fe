// Package hook is replicalab's git pre-commit hook (command scripts/hook,
// installed as replicalab-hook): committed notebooks carry no outputs and
// nothing secret, while the working copies keep their outputs.
//
//	make hooks                              # go run ./scripts/hook install
//	git commit                              # the hook runs
//	go run ./scripts/hook pre-commit --check --all   # CI: is everything committed clean?
//
// # What install sets up
//
// install copies the program to .git/replicalab/replicalab-hook (the git
// folder all work trees of the repository share, like the hooks and the git
// config that call it; or uses --binary PATH) and writes .git/hooks/pre-commit and .git/hooks/commit-msg
// calling it (or into core.hooksPath when this repository sets it). A hook of
// another tool is renamed <hook>.chained and runs first; uninstall puts it
// back. A core.hooksPath set in the global or system git config is shared by
// every repository of the user: install never writes there. It installs into
// this repository's .git/hooks, sets core.hooksPath to it for this repository
// only, keeps the shared hooks running (ours call the shared pre-commit and
// commit-msg first, the others get a one-line forwarding script) and says so;
// uninstall undoes it. It also sets git config
// diff.ipynb.textconv to `replicalab-hook textconv` and adds
// "*.ipynb diff=ipynb" to .gitattributes, so that git diff shows notebooks
// cleaned, and sets replicalab.hook.strict (false unless --strict).
//
// # What the hook does
//
// It reads the staged version of every added or modified file (renames count
// as additions; deletions, symlinks and submodules are skipped), from the
// work tree when the working copy is byte-identical to the index entry,
// otherwise from git's object store, so partial staging (git add -p) is
// respected. Then:
//
//   - Every staged .ipynb is cleaned as nbstripout would (package nbclean):
//     the index entry is rewritten with the clean blob, the working file is
//     not touched. Cells tagged keep_output keep their outputs.
//   - Each file is scanned for secrets (package secrets), in every encoding
//     it knows (escapes, percent-encoding, HTML, base64, hex, UTF-16,
//     binaries): the values the helpers would read (secrets.KnownValues:
//     every .env in the work tree and above it, DATABASE_URL, RDS_* and PG*
//     from the environment, the .pgpass entries), gitleaks' rules and the
//     built-in ones. Notebooks are scanned string by string, decoded from
//     JSON: sources, kept outputs of every type, metadata, ids, unknown keys,
//     and base64 outputs and attachments decoded (an SVG as text, a PNG's
//     text chunks).
//   - A secret the scanner is sure of (a known value, a password in a
//     connection string, a token of a known format) is replaced in the
//     committed notebook by a placeholder naming the variable or rule
//     (<secret:RDS_PASSWORD>), and the hook says where and how to load the
//     value with the config helper. With --strict or `git config
//     replicalab.hook.strict true` the commit is refused instead. What only a
//     generic rule flags is refused with the rule and the allow-list fix (a
//     "gitleaks:allow" comment on the line): rewriting code on a guess could
//     leave a cell that no longer compiles. A secret inside base64 data is
//     refused too (the data cannot be edited in place). A secret in any other
//     file refuses the commit with file:line, the rule and a redacted excerpt.
//     Secrets are never printed, in any encoding.
//   - .env, .env.* (except .env.example, .env.sample, .env.template), *.env
//     and .pgpass files are refused wherever they are, even after git add -f.
//   - The commit-msg hook scans the message (without comment lines and the
//     diff of git commit -v) and refuses one that holds a secret.
//   - A notebook that is not valid JSON (or not an nbformat 4 notebook)
//     refuses the commit with the file and the error's line and column.
//
// Everything is checked before anything is written: a refused commit leaves
// the index as it was. Exit status: 0 commit may proceed, 1 refused (or,
// with --check, something would change), 2 usage or git error.
//
// nbstripout's git config keys filter.nbstripout.extrakeys and
// filter.nbstripout.keepmetadatakeys are honoured, so that a team mixing
// both tools commits the same bytes.
//
// For the pre-commit framework, .pre-commit-hooks.yaml at the repository
// root declares both hooks (language golang, built with go install ./...,
// so the command is named "hook"): replicalab-notebooks-and-secrets gets the
// staged file names, which limit the run to those files, and
// replicalab-commit-msg the message file.
//
// With `git commit <paths>` git commits from a temporary index: the commit is
// clean, but the main index keeps the staged outputs until the next git add.
package hook
