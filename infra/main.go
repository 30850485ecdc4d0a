// Command infra is the CDK app that deploys AWS Commander (issue 3).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "infra: not implemented yet (issue 3: the CDK stack)")
	os.Exit(1)
}
