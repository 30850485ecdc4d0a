// Package boot is what every function's main does before lambda.Start:
// read and validate settings, set up logging, load the AWS configuration.
// A bad setting stops the start with one message naming every bad variable.
package boot

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/logging"
	"github.com/aws-commander/commander/shared/pace"
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
	if limit, ok := MemoryLimit(os.Getenv); ok {
		debug.SetMemoryLimit(limit)
	}
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
	// One pacer per process: every EC2 client of every job and region
	// shares its buckets, as the account's do.
	pacer, err := pace.New(pace.EC2(), s.EC2PacePercent)
	if err != nil {
		return Deps{}, err
	}
	cfg.APIOptions = append(cfg.APIOptions, pacer.Middleware)
	return Deps{Function: function, Settings: s, Log: log, AWS: cfg}, nil
}

// MemoryLimit is the Go runtime's soft memory limit for a function given
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE (MB): 80 % of it, leaving the rest to the
// mapped binary and the runtime's own overhead. Without it the collector
// lets the heap grow to twice the live data, which at 200 000 snapshots
// would outgrow a 128 MB function; with it, it collects harder only when
// near the limit. An explicit GOMEMLIMIT wins; outside Lambda there is none.
func MemoryLimit(getenv func(string) string) (int64, bool) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	mb, err := strconv.ParseInt(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mb < 128 || mb > 10240 {
		return 0, false // not in Lambda, or not a size Lambda allows
	}
	return mb << 20 * 8 / 10, true
}

func fail(function, what string, err error) {
	slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error(what, "function", function, "error", err.Error())
	os.Exit(1)
}
