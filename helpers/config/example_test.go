package config_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/replicalab/replicalab/helpers/config"
)

// A notebook folder below the project's .env: the process environment wins,
// then .env, then the default.
func Example() {
	project, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(project)
	_ = os.WriteFile(filepath.Join(project, ".env"), []byte("RDS_HOSTNAME=replica.internal\nRDS_PORT=5433\n"), 0o600)
	notebooks := filepath.Join(project, "notebooks")
	_ = os.Mkdir(notebooks, 0o755)

	cfg, err := config.LoadFrom(notebooks, []string{"RDS_PORT=6432"}) // Load() uses cwd and os.Environ()
	if err != nil {
		fmt.Println(err)
		return
	}
	host, _ := cfg.Get("RDS_HOSTNAME")
	port, _ := cfg.IntOr("RDS_PORT", 5432)
	timeout, _ := cfg.DurationOr("REPLICALAB_STATEMENT_TIMEOUT", 0)
	fmt.Println(host, "from", filepath.Base(cfg.Source("RDS_HOSTNAME").String()))
	fmt.Println(port, "from", cfg.Source("RDS_PORT"))
	fmt.Println(timeout, "from", cfg.Source("REPLICALAB_STATEMENT_TIMEOUT"))

	_, err = cfg.Get("RDS_DB_NAME")
	fmt.Println(err != nil)
	// Output:
	// replica.internal from .env:1
	// 6432 from environment
	// 0s from default
	// true
}
