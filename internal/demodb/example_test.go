package demodb_test

import (
	"context"
	"fmt"
	"os"

	"github.com/replicalab/replicalab/internal/demodb"
)

func ExampleParseScale() {
	for _, s := range []string{"small", "medium", "large", "0.5"} {
		f, _ := demodb.ParseScale(s)
		n := demodb.CountsFor(f)
		fmt.Printf("%-6s x%-4g %7d companies %9d events\n", s, f, n.Companies, n.Events)
	}
	// Output:
	// small  x1        400 companies     50000 events
	// medium x10      4000 companies    500000 events
	// large  x100    40000 companies   5000000 events
	// 0.5    x0.5      200 companies     25000 events
}

// Start the demo cluster in a folder of your own, read from its replica, stop it.
func ExampleCluster() {
	ctx := context.Background()
	c, err := demodb.New(demodb.Options{Dir: "/tmp/my-demodb", PrimaryPort: 25540, ReplicaPort: 25541, Log: os.Stdout})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer c.Stop(ctx)
	fmt.Println(c.Env()["RDS_PORT"]) // 25541: the replica; c.ReplicaURL() holds the password
}
