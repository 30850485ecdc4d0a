// Package ec2client builds the EC2 client from awsclient's configuration.
// Each service has its own package so a function links only the SDK clients
// it uses (issue 9); the behaviour is tested in shared/awsclient.
package ec2client

import (
	"context"
	"fmt"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// New is the EC2 client for cfg (see awsclient.Load).
func New(cfg aws.Config) *ec2.Client { return ec2.NewFromConfig(cfg) }

// NoBlindRetry is the per-call option for a create without a client token
// (CreateSnapshot, CreateSnapshots, CopySnapshot): the client's retryer
// retries only what certainly did not take effect (awsclient.OnlyRefused).
// Send such a create through awsclient.CreateOnce.
func NoBlindRetry(o *ec2.Options) { o.Retryer = awsclient.OnlyRefused(o.Retryer) }

// FindSnapshots is the look awsclient.CreateOnce makes after a snapshot
// create's answer was lost: this account's snapshots that match filters
// (the idempotency key's tag and the source, so a few at most), without
// the failed ones, which protect nothing.
func FindSnapshots(ctx context.Context, api ec2.DescribeSnapshotsAPIClient, filters ...types.Filter) ([]types.Snapshot, error) {
	var out []types.Snapshot
	p := ec2.NewDescribeSnapshotsPaginator(api, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: filters, MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("find snapshots: %w", err)
		}
		for _, s := range page.Snapshots {
			if s.State != types.SnapshotStateError {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// Filter is an EC2 filter.
func Filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}
