package demodb

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

const passwordFile = "analyst.password"

// loadOrCreatePassword returns the password kept (mode 0600) in path, generating it with crypto/rand
// the first time. Only our own user can read the file: the server never needs it.
func loadOrCreatePassword(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		pw := strings.TrimSpace(string(data))
		if len(pw) < 16 {
			return "", fmt.Errorf("reading the %s password from %q: expected at least 16 characters, found %d", User, path, len(pw))
		}
		return pw, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading the %s password: %w", User, err)
	}
	pw := rand.Text() // 26 characters of base32: 130 bits, nothing to escape in URLs or .env files
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keeping the %s password: %w", User, err)
	}
	return pw, nil
}

// scramVerifier computes the SCRAM-SHA-256 verifier PostgreSQL stores for password, so that the
// password itself never travels to the server, its logs or pg_stat_statements.
func scramVerifier(password string) (string, error) {
	const iterations = 4096
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	serverKey := mac(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(storedKey[:]), b64(serverKey)), nil
}
