// Command demo runs AWS Commander locally against moto server, through the
// real function binaries under the Lambda Runtime Interface Emulator.
//
//	go run ./shared/testkit/demo/cmd/demo                 # the whole scenario (make demo)
//	go run ./shared/testkit/demo/cmd/demo -invoke backup -event events/samples/backup/scheduled.json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws-commander/commander/shared/testkit/demo"
)

func main() {
	invoke := flag.String("invoke", "", "run one function (api, backup, cleanup, alarm) instead of the scenario")
	event := flag.String("event", "", "with -invoke: the event file")
	reports := flag.String("reports", filepath.Join("demo-reports", time.Now().UTC().Format("20060102-150405")), "folder for the JSON reports")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *invoke, *event, *reports); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, invoke, event, reports string) error {
	build, err := os.MkdirTemp("", "commander-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(build)
	logs, err := os.Create(filepath.Join(os.TempDir(), "commander-demo.log"))
	if err != nil {
		return err
	}
	defer logs.Close()
	opts := demo.Options{Reports: reports, Out: os.Stdout, Logs: logs, Build: build}

	if invoke != "" {
		return demo.Invoke(ctx, opts, invoke, event)
	}
	steps, err := demo.Scenario()
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := demo.Run(ctx, opts, steps, nil)
	fmt.Printf("\n%d steps in %s; reports in %s; function logs in %s\n", len(res.Outcomes), time.Since(start).Round(time.Millisecond), reports, logs.Name())
	return err
}
