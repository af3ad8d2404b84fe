// Package hygiene checks that a repository keeps the replica's password and the rows pulled from it
// out of git, and says how to fix what it finds. Each check is one line: "ok   what holds" or
// "FIX  what is wrong: how to fix it".
//
//   - [Repo.Ignored]: .gitignore keeps .env (the connection settings) and data/ (results, the cache)
//     out of git (git check-ignore --no-index: whether or not the files exist yet);
//   - [Repo.Hook]: the pre-commit hook (make hooks) is installed where git looks for it, and runs;
//   - [Repo.Tracked]: no settings file (.env, .env.*, the rule of the hook) is tracked, now or in
//     the history;
//   - [EnvFile]: the .env the helpers use (the one found walking up from the working folder) is
//     readable by its owner alone.
//
// In a notebook cell, the repository holding the notebook and no error plumbing (a folder outside
// any git repository stops the cell with a message saying so):
//
//	%%
//	hygiene.Here().All().Show()
//
// In a program:
//
//	repo, err := hygiene.Find(dir)
//	checks := repo.All()
//	if checks.Failed() > 0 { ... }
//
// The repository is the git repository holding the folder (git rev-parse --show-toplevel), else
// $REPLICALAB_REPO (set by the kernel) — the git repository, which need not be the project's own.
package hygiene
