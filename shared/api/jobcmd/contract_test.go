package jobcmd

import (
	"testing"

	"github.com/aws-commander/commander/shared/backup"
	"github.com/aws-commander/commander/shared/cleanup"
	"github.com/aws-commander/commander/shared/scheduler"
	"github.com/aws-commander/commander/shared/trigger"
)

// What jobs.start sends is what the job functions accept: both refuse
// unknown fields, so a drift here would fail every on-demand run.
func TestPayloadIsTheJobsContract(t *testing.T) {
	for _, dry := range []bool{true, false} {
		b, err := Payload("backup", "req-1", dry)
		if err != nil {
			t.Fatal(err)
		}
		req, err := backup.Decode(b)
		if err != nil {
			t.Fatalf("backup refuses %s: %v", b, err)
		}
		if req.DryRun != dry {
			t.Errorf("backup dryRun = %v from %s", req.DryRun, b)
		}

		c, err := Payload("cleanup", "req-1", dry)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := trigger.Decode(c)
		if err != nil {
			t.Fatal(err)
		}
		creq, err := cleanup.DecodeRequest(tr)
		if err != nil {
			t.Fatalf("cleanup refuses %s: %v", c, err)
		}
		if creq.DryRun != dry {
			t.Errorf("cleanup dryRun = %v from %s", creq.DryRun, c)
		}

		// An API request id (base64, with '=') is a run id the scheduler takes.
		sc, err := Payload(Scheduler, "JSmVSg7XoAMEb4w=", dry)
		if err != nil {
			t.Fatal(err)
		}
		st, err := trigger.Decode(sc)
		if err != nil {
			t.Fatal(err)
		}
		sreq, err := scheduler.DecodeRequest(st)
		if err != nil {
			t.Fatalf("scheduler refuses %s: %v", sc, err)
		}
		if sreq.DryRun != dry || sreq.RunID != "JSmVSg7XoAMEb4w=" {
			t.Errorf("scheduler dryRun = %v runId %q from %s", sreq.DryRun, sreq.RunID, sc)
		}
	}
}
