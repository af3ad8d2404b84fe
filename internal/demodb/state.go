package demodb

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/replicalab/replicalab/internal/atomicfile"
)

const stateFile = "demodb.json"

// state is what Start records in <Dir>/demodb.json so that later commands find the servers.
type state struct {
	Version     int            `json:"version"`
	DataDir     string         `json:"data_dir"`   // where the servers' folders live (Dir, or a fallback)
	SocketDir   string         `json:"socket_dir"` // the private unix-socket folder (mode 0700)
	BinDir      string         `json:"bin_dir"`
	PrimaryPort int            `json:"primary_port"`
	Replicas    []replicaState `json:"replicas"`
	Scale       float64        `json:"scale"`
	TLS         bool           `json:"tls"`
	Seeded      bool           `json:"seeded"`
	SeedRows    int64          `json:"seed_rows,omitempty"`
}

type replicaState struct {
	Name string `json:"name"`
	Port int    `json:"port"`
}

func loadState(dir string) (*state, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the demo database state: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("reading %q: expected the JSON written by demodb: %w", filepath.Join(dir, stateFile), err)
	}
	if st.DataDir == "" || st.PrimaryPort == 0 || len(st.Replicas) == 0 {
		return nil, fmt.Errorf("reading %q: expected data_dir, primary_port and replicas, found an incomplete file", filepath.Join(dir, stateFile))
	}
	return &st, nil
}

func saveState(dir string, st *state) error {
	st.Version = 1
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, stateFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the demo database state: %w", err)
	}
	return nil
}

// osUser is the account the servers run as: the current one, or "postgres" when we are root
// (PostgreSQL refuses to run as root).
type osUser struct {
	name string
	uid  int
	gid  int
	cred *syscall.Credential // nil when we already are that user
}

func serverUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		u := &osUser{uid: os.Geteuid(), gid: os.Getegid(), name: strconv.Itoa(os.Geteuid())}
		if cu, err := user.Current(); err == nil {
			u.name = cu.Username
		}
		return u, nil
	}
	pu, err := user.Lookup(superuser)
	if err != nil {
		return nil, fmt.Errorf("running as root needs the %q OS user (PostgreSQL refuses to run as root), found none: "+
			"install postgresql with apt-get (it creates the user) or run as a normal user: %w", superuser, err)
	}
	uid, _ := strconv.Atoi(pu.Uid)
	gid, _ := strconv.Atoi(pu.Gid)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := pu.GroupIds(); err == nil {
		for _, g := range ids {
			if n, err := strconv.Atoi(g); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return &osUser{name: superuser, uid: uid, gid: gid, cred: cred}, nil
}

// chown gives path to the server user (no-op when not root).
func (u *osUser) chown(path string) error {
	if u.cred == nil {
		return nil
	}
	if err := os.Lchown(path, u.uid, u.gid); err != nil {
		return fmt.Errorf("giving %q to the %s user: %w", path, u.name, err)
	}
	return nil
}

// mkdirOwned creates dir (and parents, owned by us) with the given mode and gives dir itself to the
// server user.
func (u *osUser) mkdirOwned(dir string, mode os.FileMode) error {
	if err := os.MkdirAll(dir, mode); err != nil {
		return fmt.Errorf("creating %q: %w", dir, err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		return fmt.Errorf("setting the mode of %q: %w", dir, err)
	}
	return u.chown(dir)
}

// canUse reports whether the server user can create files in dir (which must exist).
func (u *osUser) canUse(dir string) bool {
	if u.cred == nil {
		return true
	}
	cmd := exec.Command("/bin/sh", "-c", `test -d "$1" && test -w "$1" && test -x "$1"`, "sh", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: u.cred}
	cmd.Dir = "/"
	return cmd.Run() == nil
}

// shortHash names fallback folders after the folder they stand in for.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}
