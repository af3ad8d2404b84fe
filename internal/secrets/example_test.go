package secrets_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/replicalab/replicalab/internal/secrets"
)

func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	env := filepath.Join(dir, ".env")
	os.WriteFile(env, []byte("RDS_HOSTNAME=replica.internal.example\nRDS_PORT=5432\nRDS_PASSWORD="+"s3cr3t-horse-battery\n"), 0o600)

	sc, err := secrets.NewScanner(env, secrets.Options{NoGitleaks: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	data := []byte("-- analysis\nselect 1; -- host=replica.internal.example port=5432 password=" + "s3cr3t-horse-battery\n")
	found := sc.Scan("query.sql", data)
	for _, f := range found {
		fmt.Println(f)
	}
	fmt.Print(string(secrets.Redact(data, found)))
	// Output:
	// query.sql:2:19: env:RDS_HOSTNAME: select 1; -- host=re***** port=5432 password=s3*****
	// query.sql:2:63: env:RDS_PASSWORD: …re***** port=5432 password=s3*****
	// -- analysis
	// select 1; -- host=<secret:RDS_HOSTNAME> port=5432 password=<secret:RDS_PASSWORD>
}
