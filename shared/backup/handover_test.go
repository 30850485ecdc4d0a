package backup

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/runner"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// deadlineEC2 ends the run's time after n snapshots, as a Lambda deadline would.
type deadlineEC2 struct {
	*ec2.Client
	n      int
	cancel context.CancelFunc
}

func (d *deadlineEC2) CreateSnapshot(ctx context.Context, in *ec2.CreateSnapshotInput, opts ...func(*ec2.Options)) (*ec2.CreateSnapshotOutput, error) {
	out, err := d.Client.CreateSnapshot(ctx, in, opts...)
	if d.n--; d.n <= 0 {
		d.cancel()
	}
	return out, err
}

// A run that runs out of time hands its cursor to a follow-up invocation,
// which finishes the work with nothing repeated and nothing lost.
func TestHandOver(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var vols []string
	for range 4 {
		vols = append(vols, e.volume(tags.Backup, "daily"))
	}
	// This function, as moto knows it: moto accepts the asynchronous invoke and never runs the code.
	role, err := iamclient.New(e.cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("backup-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	if f, err := zw.Create("bootstrap"); err != nil {
		t.Fatal(err)
	} else if _, err := f.Write([]byte("#!/bin/sh\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	fns := lambdaclient.New(e.cfg)
	if _, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("commander-backup"), Role: role.Role.Arn,
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zbuf.Bytes()}}); err != nil {
		t.Fatal(err)
	}

	j := e.job(map[string]string{"COMMANDER_CONCURRENCY": "1"})
	j.FollowUp = runner.InvokeSelf(fns, "commander-backup")
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	j.Regions[0].EC2 = &deadlineEC2{Client: e.ec2, n: 2, cancel: cancel}
	r, err := j.Handle(runCtx, scheduled(day(0)))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != report.StatusPartial || r.Count(ActionSnapshot, report.Done) != 2 || r.Count(ActionSnapshot, report.Skipped) != 2 || r.Count("hand-over", report.Done) != 1 {
		t.Fatalf("first run: %s (%s) %v %v", r.Status, r.Reason, r.Counts, r.Errors)
	}
	if r.APICalls["Lambda.Invoke"] != 1 || r.Count(ActionDelete, report.Done) != 0 {
		t.Errorf("calls %v", r.APICalls)
	}
	next, ok := r.Next.(Continuation)
	if !ok || next.Hop != 1 || next.Key != scheduleARN+"@"+day(0) || next.Breaker.Actions != nil {
		t.Fatalf("next = %#v", r.Next)
	}

	// The follow-up receives what the hand-over sent.
	body, err := json.Marshal(map[string]any{"continuation": next})
	if err != nil {
		t.Fatal(err)
	}
	j.Regions[0].EC2 = e.ec2
	r2, err := j.Handle(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Status != report.StatusOK || r2.IdempotencyKey != next.Key || r2.Count(ActionSnapshot, report.Done) != 2 || r2.Count(ActionSnapshot, report.Skipped) != 2 {
		t.Errorf("follow-up: %s (%s) key %s counts %v", r2.Status, r2.Reason, r2.IdempotencyKey, r2.Counts)
	}
	for _, v := range vols {
		if n := len(e.snapshots()[v]); n != 1 {
			t.Errorf("volume %s: %d snapshots after the hand-over, want exactly 1", v, n)
		}
	}
	// A run handed over too often fails instead of looping.
	over := fmt.Sprintf(`"hop":%d`, runner.MaxHops+1)
	body = []byte(strings.Replace(string(body), `"hop":1`, over, 1))
	if _, err := j.Handle(ctx, body); err == nil || !strings.Contains(err.Error(), "continuation.hop") {
		t.Errorf("%s: %v", over, err)
	}
}
