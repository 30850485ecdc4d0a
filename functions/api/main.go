// Command api is the api Lambda function: on-demand management commands,
// served to the HTTP API (payload 2.0) and to direct invocations from one
// registry (shared/api).
package main

import (
	"log/slog"
	"os"

	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	d := boot.Start("api")
	srv, err := catalog.New(d, os.Getenv)
	if err != nil {
		d.Log.Error("invalid configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	srv.Metrics, srv.Namespace = os.Stdout, d.Settings.MetricsNamespace
	lambda.Start(srv) // a lambda.Handler: raw payloads, so malformed JSON gets a 400
}
