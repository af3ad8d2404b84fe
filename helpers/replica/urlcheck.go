package replica

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/replicalab/replicalab/internal/pgdsn"
)

// checkURLUserinfo refuses a postgres:// DATABASE_URL whose user or
// password holds a character that URLs reserve ('@', '/', '?', '#')
// unencoded. A URL parser would split it at the wrong place and take a
// fragment of the password for the host name, which would then be printed
// in errors and sent to DNS. The error never quotes the URL.
func checkURLUserinfo(dsn string) error {
	rest := dsn[strings.Index(dsn, "://")+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	ambiguous := strings.Count(authority, "@") > 1
	// user:pa/ss@host: an '@' after the '/', '?' or '#' that was part of the password (an '@' in a
	// query parameter, after '=' or '&', is not).
	if at := strings.LastIndexByte(tail, '@'); at >= 0 && !strings.ContainsAny(tail[:at], "=&") && strings.ContainsAny(authority, ":@") {
		ambiguous = true
	}
	if !ambiguous {
		return nil
	}
	return errors.New("DATABASE_URL: its user or password holds a character a URL reserves ('@', '/', '?' or '#'), " +
		"so the host cannot be told apart from the password; nothing was sent anywhere. " +
		"Percent-encode those characters in the password (@ as %40, / as %2F, ? as %3F, # as %23, : as %3A, % as %25), " +
		"for instance with: python3 -c \"import urllib.parse, getpass; print(urllib.parse.quote(getpass.getpass(), safe=''))\"; " +
		"or leave the password out of the URL and set RDS_PASSWORD")
}

// parseWithoutPassword parses connString with its password taken out, then
// puts password back into the parsed config, so that the config's
// ConnString (which pgx hands to anyone holding the pool) never shows it.
// An empty password leaves what pgx found itself (PGPASSWORD, .pgpass).
func parseWithoutPassword(connString, password string) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(stripPassword(connString))
	if err != nil {
		return nil, err
	}
	if password != "" {
		pc.ConnConfig.Password = password
	}
	return pc, nil
}

// queryPassword is a password parameter of a URL's query string.
var queryPassword = regexp.MustCompile(`([?&])password=[^&#]*&?`)

// stripPassword removes the password from a URL or keyword/value
// connection string.
func stripPassword(cs string) string {
	if i := strings.Index(cs, "://"); i >= 0 && (strings.HasPrefix(cs, "postgres://") || strings.HasPrefix(cs, "postgresql://")) {
		rest := cs[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			if c := strings.IndexByte(rest[:at], ':'); c >= 0 {
				rest = rest[:c] + rest[at:]
			}
		}
		return cs[:i+3] + queryPassword.ReplaceAllString(rest, "$1")
	}
	var pairs []string
	for _, kv := range pgdsn.Pairs(cs) {
		if kv[0] != "password" {
			pairs = append(pairs, kv[0], kv[1])
		}
	}
	return keywordValues(pairs)
}

// hidePassword keeps the password out of the pool's config: pgx hands that
// config to anyone holding the pool (Pgx().Config()), and printing it would
// show the password. It is put back into the copy each new connection is
// made from.
func hidePassword(pc *pgxpool.Config) {
	pw := pc.ConnConfig.Password
	if pw == "" {
		return
	}
	pc.ConnConfig.Password = ""
	before := pc.BeforeConnect
	pc.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
		cc.Password = pw
		if before != nil {
			return before(ctx, cc)
		}
		return nil
	}
}
