// Package config reads settings the way python-decouple does, on top of
// github.com/joho/godotenv: each key is looked up in
//
//  1. the process environment, then
//  2. the .env file found by walking up from the working folder (notebook
//     cells run from the notebook's folder, and %cd moves them), then
//  3. the default the caller passes.
//
// Loading never changes the process environment, so a variable already set is
// never overridden. A key set to the empty string counts as set.
//
//	cfg, err := config.Load()
//	if err != nil {
//		return err // a .env syntax error names the file and line
//	}
//	host, err := cfg.Get("RDS_HOSTNAME")  // missing: says to add it to .env
//	port, err := cfg.IntOr("RDS_PORT", 5432)
//	debug, err := cfg.BoolOr("DEBUG", false)
//	timeout, err := cfg.DurationOr("REPLICALAB_STATEMENT_TIMEOUT", 5*time.Minute)
//	fmt.Println(cfg.Source("RDS_PORT")) // "environment", "/home/me/proj/.env:3" or "default"
//
// # Values stay secret
//
// Errors and the String/GoString methods never contain a value read from the
// environment or .env, with one exception: a [*CastError] quotes the value it
// could not convert when the key is not secret (see [IsSecret]), since "abc" is
// the clue that fixes RDS_PORT=abc. godotenv's own parse errors quote the rest
// of the file; [*SyntaxError] replaces them with the file, the line and a reason.
//
// A .env file that holds a secret (a key whose name contains PASSWORD, SECRET,
// TOKEN..., or a *_URL that may embed one) and that other users can read loads
// with a warning, returned by [Config.Warnings], suggesting chmod 600.
//
// # The .env format
//
// godotenv's: KEY=value lines, optional "export ", # comments, single or
// double quotes, multi-line quoted values. Unquoted and double-quoted values
// expand ${VAR} from keys earlier in the same file (not from the environment),
// so a password containing "$" must be single-quoted: RDS_PASSWORD='pa$$word'.
//
// Connection settings (RDS_*, DATABASE_URL, PG*) and their precedence are the
// business of package github.com/replicalab/replicalab/helpers/replica.
package config
