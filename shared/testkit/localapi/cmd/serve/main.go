// Command serve runs the api locally behind a SigV4-verifying stand-in for
// the stack's HTTP API, against moto (make serve):
//
//	go run ./shared/testkit/localapi/cmd/serve -port 8765 -estate
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/aws-commander/commander/shared/testkit/localapi"
)

func main() {
	port := flag.Int("port", envInt("PORT", 8765), "loopback port to listen on (PORT)")
	stage := flag.String("stage", envOr("STAGE", "local"), "stage the events name (STAGE)")
	estate := flag.Bool("estate", os.Getenv("ESTATE") == "true", "seed the demo's small estate into moto (ESTATE=true)")
	unsigned := flag.Bool("insecure-unsigned", os.Getenv("INSECURE_UNSIGNED") == "true", "also accept unsigned requests (for a plain curl)")
	quiet := flag.Bool("quiet", false, "do not log each request")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := localapi.Options{Addr: "127.0.0.1:" + strconv.Itoa(*port), Stage: *stage, Estate: *estate,
		InsecureUnsigned: *unsigned, Out: os.Stdout, Log: os.Stdout}
	if *quiet {
		opts.Log = nil
	}
	if err := localapi.Serve(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		stop()
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return n
	}
	return def
}
