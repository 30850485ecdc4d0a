// Package boot is what every function's main does before lambda.Start:
// read and validate settings, set up logging, load the AWS configuration.
// A bad setting stops the start with one message naming every bad variable.
package boot

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/logging"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// Deps are what every function is built from.
type Deps struct {
	Function string
	Settings settings.Settings
	Log      *slog.Logger
	AWS      aws.Config // the function's own region; awsclient.InRegion for the others
}

// Start loads Deps from the environment, or exits the process with the
// reason: Lambda reports an init failure, which is what a misconfigured
// deployment should see, rather than every invocation failing later.
func Start(function string) Deps {
	s, err := settings.Load(os.Getenv)
	if err != nil {
		fail(function, "invalid configuration", err)
	}
	d, err := Build(context.Background(), function, s)
	if err != nil {
		fail(function, "AWS configuration", err)
	}
	return d
}

// Build makes Deps from settings already loaded.
func Build(ctx context.Context, function string, s settings.Settings) (Deps, error) {
	log := logging.New(os.Stdout, s.LogLevel).With("function", function)
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = s.Regions[0]
	}
	cfg, err := awsclient.Load(ctx, region, s.MaxAttempts)
	if err != nil {
		return Deps{}, err
	}
	return Deps{Function: function, Settings: s, Log: log, AWS: cfg}, nil
}

func fail(function, what string, err error) {
	slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error(what, "function", function, "error", err.Error())
	os.Exit(1)
}
