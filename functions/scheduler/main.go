// Command scheduler is the office-hours Lambda function: it builds its
// dependencies from settings and the schedules document, and hands the job
// to lambda.Start.
package main

import (
	"os"

	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/scheduler"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	d := boot.Start(scheduler.Function)
	doc, err := scheduler.LoadSchedules(os.Getenv)
	if err != nil {
		// A bad document stops the start, as a bad setting does.
		d.Log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(scheduler.New(d, doc, os.Stdout).Runner()) // the one runner: raw bytes meet the strict decoder
}
