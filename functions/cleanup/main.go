// Command cleanup is the cleanup Lambda function: it builds its dependencies
// from settings and the cleanup policy document, and hands them to lambda.Start.
package main

import (
	"os"

	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/cleanup"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	d := boot.Start("cleanup")
	pols, err := cleanup.LoadPolicies(os.Getenv)
	if err != nil {
		// A bad document stops the start, as a bad setting does.
		d.Log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(cleanup.New(d, pols, os.Stdout).Runner()) // the one runner: raw bytes meet the strict decoder
}
