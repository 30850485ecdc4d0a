// Command commander is AWS Commander's CLI: the api's commands, generated
// from its registry, sent to a deployed stage over the HTTP API (SigV4) or
// by invoking the api function. The logic lives in shared/cli.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/cli"
)

func main() {
	reg, err := catalog.Declared()
	if err != nil {
		fmt.Fprintln(os.Stderr, "commander: the command registry:", err)
		os.Exit(cli.ExitFailure)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	app := cli.App{Registry: reg, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Terminal: cli.StdinIsTerminal, Version: version()}
	code := app.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// version is the module version go install recorded, or (devel).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
