package awsclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// TestLoadSurvivesAFastServer pages large DescribeSnapshots answers from the
// inventory server, which answers in microseconds, with retries off: with
// the SDK's own HTTP client every few such pages lose their connection to
// the request-body race (aws/aws-sdk-go-v2#1825, #2737); Load's client must
// lose none.
func TestLoadSurvivesAFastServer(t *testing.T) {
	const snapshots, pageSize, passes = 20_000, 1000, 5
	srv, err := inventory.Start(inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	if err := srv.Seed(inventory.Spec{Snapshots: snapshots, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	setEnv(t, srv.Env())
	cfg, err := awsclient.Load(context.Background(), inventory.DefaultRegion, 1)
	if err != nil {
		t.Fatal(err)
	}
	counter := awsclient.NewCounter()
	ctx := awsclient.WithCounter(context.Background(), counter)
	client := ec2client.New(cfg)
	for pass := range passes {
		p := ec2.NewDescribeSnapshotsPaginator(client, &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(pageSize), OwnerIds: []string{"self"}})
		seen := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("pass %d after %d snapshots: %v", pass, seen, err)
			}
			seen += len(out.Snapshots)
		}
		if seen != snapshots {
			t.Fatalf("pass %d listed %d snapshots, want %d", pass, seen, snapshots)
		}
	}
	if got, want := counter.Calls()["EC2.DescribeSnapshots"], int64(passes*snapshots/pageSize); got != want {
		t.Errorf("%d DescribeSnapshots calls, want %d", got, want)
	}
}
