// Command alarm is the alarm Lambda function: it builds its dependencies from
// settings and hands them to lambda.Start.
package main

import (
	"os"

	"github.com/aws-commander/commander/shared/alarm"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/clock"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	d := boot.Start("alarm")
	cfg, err := alarm.LoadConfig(os.Getenv)
	if err != nil {
		// As boot does for the shared settings: a bad value fails the start.
		d.Log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	h := &alarm.Handler{
		Settings: d.Settings, Config: cfg, Log: d.Log, Clients: alarm.RegionClients(d.AWS),
		Home: d.AWS.Region, Clock: clock.Real{}, Metrics: os.Stdout,
	}
	lambda.Start(h.Runner()) // the one runner: raw bytes meet the strict decoder
}
