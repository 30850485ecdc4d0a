// Command cleanup is the cleanup Lambda function: it builds its dependencies
// from settings and the cleanup policy document, and hands them to lambda.Start.
package main

import (
	"os"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/cleanup"
	"github.com/aws-commander/commander/shared/clock"
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
	clients := map[string]cleanup.Clients{}
	for _, region := range d.Settings.Regions {
		cfg := awsclient.InRegion(d.AWS, region)
		clients[region] = cleanup.Clients{
			EC2: awsclient.NewEC2(cfg), CloudWatch: awsclient.NewCloudWatch(cfg), IAM: awsclient.NewIAM(cfg),
			S3: awsclient.NewS3(cfg), Lambda: awsclient.NewLambda(cfg),
		}
	}
	job := &cleanup.Job{
		Function: d.Function, Settings: d.Settings, Policies: pols, Log: d.Log,
		Clients: func(region string) cleanup.Clients { return clients[region] },
		Audit:   awsclient.NewEventBridge(d.AWS), Clock: clock.Real{}, Metrics: os.Stdout,
	}
	if name := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); name != "" {
		job.FollowUp = cleanup.InvokeSelf(awsclient.NewLambda(d.AWS), name)
	}
	lambda.Start(job.Handle)
}
