// Package catalog wires every command group to real AWS clients: what the
// api function's main calls, so main stays a few lines.
package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/api/cwcmd"
	"github.com/aws-commander/commander/shared/api/ec2cmd"
	"github.com/aws-commander/commander/shared/api/iamcmd"
	"github.com/aws-commander/commander/shared/api/jobcmd"
	"github.com/aws-commander/commander/shared/api/lambdacmd"
	"github.com/aws-commander/commander/shared/api/s3cmd"
	"github.com/aws-commander/commander/shared/audit"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/eventbridgeclient"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/deputy"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// New builds the server from the function's dependencies; get reads the
// api function's own variables (os.Getenv at the edge).
func New(d boot.Deps, get func(string) string) (*api.Server, error) {
	jobs, err := jobcmd.FromEnv(get)
	if err != nil {
		return nil, err
	}
	boundary, err := iamcmd.BoundaryFromEnv(get)
	if err != nil {
		return nil, err
	}
	// The deputy's bounds, the same values the stack scopes the api role's IAM to.
	bounds, err := deputy.FromEnv(get)
	if err != nil {
		return nil, err
	}
	cw := cloudwatchclient.New(d.AWS)
	lam := lambdaclient.New(d.AWS)
	ev := eventbridgeclient.New(d.AWS)
	iamc := iamclient.New(d.AWS)
	s3c := s3client.New(d.AWS)
	reg, err := api.NewRegistry(
		ec2cmd.Commands(ec2cmd.Deps{EC2: ec2client.New(d.AWS), CW: cw, IAM: iamc, Settings: d.Settings, Bounds: bounds}),
		s3cmd.Commands(s3cmd.Deps{S3: s3c, Presign: s3.NewPresignClient(s3c), Region: d.AWS.Region, Settings: d.Settings, Bounds: bounds}),
		iamcmd.Commands(iamcmd.Deps{IAM: iamc, Settings: d.Settings, RoleBoundary: boundary, Bounds: bounds}),
		cwcmd.Commands(cwcmd.Deps{CW: cw, Settings: d.Settings}),
		lambdacmd.Commands(lambdacmd.Deps{Lambda: lam, Events: ev, IAM: iamc, S3: s3c, Settings: d.Settings, RoleBoundary: boundary, Bounds: bounds}),
		jobcmd.Commands(jobcmd.Deps{Lambda: lam, Functions: jobs}),
	)
	if err != nil {
		return nil, fmt.Errorf("command registry: %w", err)
	}
	return &api.Server{Registry: reg, Log: d.Log, Now: time.Now, ForceDryRun: d.Settings.DryRunOr(false),
		Audit: audit.Emitter{API: ev, Bus: d.Settings.EventBus}}, nil
}

// PlaceholderRolePath stands, in Declared's declarations, for the role path
// the stack sets per stage (COMMANDER_ROLE_PATH), which parameters' rules
// and defaults name.
const PlaceholderRolePath = "/commander/<stage>/"

// Declared is the registry's declarations alone (actions, routes,
// parameters, which mutate), with no clients behind them: what the stack
// reads to create one route per command, and what the command reference
// (Reference) is generated from. Defaults are the built-in settings' and the
// role path is PlaceholderRolePath, so the reference shows what a caller of
// a deployed stage meets. Running one of its commands is a programming
// error, refused rather than a nil dereference.
func Declared() (*api.Registry, error) {
	// Only a region is needed to load them; no declaration depends on it.
	s, err := settings.Load(func(k string) string {
		if k == "AWS_REGION" {
			return "us-east-1"
		}
		return ""
	})
	if err != nil {
		return nil, fmt.Errorf("built-in settings: %w", err)
	}
	b := deputy.Bounds{RolePath: PlaceholderRolePath}
	groups := [][]api.Command{
		ec2cmd.Commands(ec2cmd.Deps{Settings: s, Bounds: b}), s3cmd.Commands(s3cmd.Deps{Settings: s, Bounds: b}),
		iamcmd.Commands(iamcmd.Deps{Settings: s, Bounds: b}), cwcmd.Commands(cwcmd.Deps{Settings: s}),
		lambdacmd.Commands(lambdacmd.Deps{Settings: s, Bounds: b}), jobcmd.Commands(jobcmd.Deps{}),
	}
	for _, g := range groups {
		for i := range g {
			action := g[i].Action
			g[i].Run = func(context.Context, *api.Call) (any, error) {
				return nil, fmt.Errorf("%s: a declaration only, not wired to AWS", action)
			}
		}
	}
	return api.NewRegistry(groups...)
}
