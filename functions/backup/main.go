// Command backup is the backup Lambda function: it builds its dependencies from
// settings and hands them to lambda.Start.
package main

import (
	"os"

	"github.com/aws-commander/commander/shared/backup"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	d := boot.Start(backup.Function)
	c, err := backup.LoadConfig(os.Getenv, d.Settings)
	if err != nil {
		d.Log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(backup.New(d, c, os.Stdout).Runner()) // the one runner: raw bytes meet the strict decoder
}
