// Package hook is replicalab's git pre-commit hook (command scripts/hook,
// installed as replicalab-hook): committed notebooks carry no outputs and
// nothing secret, while the working copies keep their outputs.
//
//	make hooks                              # go run ./scripts/hook install
//	git commit                              # the hook runs
//	.tools/bin/replicalab-hook pre-commit --check --all   # CI: is everything committed clean?
//
// # What install sets up
//
// install copies the program to <repo>/.tools/bin/replicalab-hook (or uses
// --binary PATH) and writes .git/hooks/pre-commit (or core.hooksPath's)
// calling it. A pre-commit hook of another tool is renamed pre-commit.chained
// and runs first; uninstall puts it back. It also sets git config
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
//   - Each file is scanned for secrets (package secrets): the values of the
//     top-level .env and .env.* files (not .env.example), of PGPASSWORD,
//     PGUSER, PGHOST, PGHOSTADDR and DATABASE_URL when set in the
//     environment, gitleaks' rules and the built-in ones. Notebooks are
//     scanned as decoded text (cell sources, kept outputs except base64
//     images, metadata; not cell ids or attachments), so JSON escaping
//     cannot hide a secret.
//   - A secret in a notebook is replaced in the committed version by a
//     placeholder naming the variable or rule (<secret:RDS_PASSWORD>), and
//     the hook says where and how to load the value with the config helper.
//     With --strict or `git config replicalab.hook.strict true` the commit is
//     refused instead. A secret in any other file refuses the commit with
//     file:line, the rule and a redacted excerpt. Secrets are never printed
//     in full.
//   - .env, any .env.* except .env.example, and .pgpass are refused wherever
//     they are, even after git add -f.
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
// root declares the hook (language golang); it passes the staged file names,
// which limit the run to those files.
//
// With `git commit <paths>` git commits from a temporary index: the commit is
// clean, but the main index keeps the staged outputs until the next git add.
package hook
