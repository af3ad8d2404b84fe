package jupyter

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplyRoundTripAndSignature(t *testing.T) {
	s := NewSigner("key-1")
	req, err := Reply(nil, "client", "execute_request", map[string]any{"code": "x"})
	if err != nil {
		t.Fatal(err)
	}
	req.Identities = [][]byte{[]byte("id-a"), []byte("id-b")}
	parsed, err := s.Parse(s.Frames(req))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header.MsgType != "execute_request" || len(parsed.Identities) != 2 || string(parsed.Identities[1]) != "id-b" {
		t.Errorf("parsed %+v", parsed)
	}
	rep, err := Reply(parsed, "kernel", "execute_reply", map[string]string{"status": "ok"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Parent.MsgID != req.Header.MsgID || string(rep.Identities[0]) != "id-a" {
		t.Errorf("reply parent %q identities %q", rep.Parent.MsgID, rep.Identities)
	}
	frames := s.Frames(rep)
	frames[len(frames)-1] = []byte(`{"status":"tampered"}`)
	if _, err := s.Parse(frames); !errors.Is(err, ErrSignature) {
		t.Errorf("a tampered message parsed: %v", err)
	}
	if _, err := NewSigner("other").Parse(s.Frames(rep)); !errors.Is(err, ErrSignature) {
		t.Errorf("a message signed with another key parsed: %v", err)
	}
}

func TestReadConnectionFileSaysWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "kernel-1.json")
	if err := os.WriteFile(p, []byte(`{"transport":"udp","ip":"127.0.0.1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadConnectionFile(p); err == nil || !strings.Contains(err.Error(), `"udp"`) {
		t.Errorf("err = %v, want the transport named", err)
	}
	ci := ConnectionInfo{Transport: "ipc", IP: "/run/k", ShellPort: 3, Key: "k", SignatureScheme: "hmac-sha256"}
	if err := WriteConnectionFile(p, ci); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("connection file mode %o, want 600 (it holds the key)", fi.Mode().Perm())
	}
	got, err := ReadConnectionFile(p)
	if err != nil || got.Endpoint(got.ShellPort) != "ipc:///run/k-3" {
		t.Errorf("read back %+v, %v", got, err)
	}
}
