package cleanup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws-commander/commander/shared/awsclient/cloudwatchclient"
	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/awsclient/iamclient"
	"github.com/aws-commander/commander/shared/awsclient/lambdaclient"
	"github.com/aws-commander/commander/shared/awsclient/s3client"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// regionalDoc terminates long-stopped instances and releases idle
// addresses in every region, and deletes unused roles once (IAM is global).
const regionalDoc = `
policies:
  - name: stopped-instances
    resource: ec2:instance
    action: terminate
    filters: [{state: stopped}, {stoppedFor: 30d}]
  - name: idle-addresses
    resource: ec2:address
    action: release
    filters: [{state: unassociated}]
  - name: unused-roles
    resource: iam:role
    action: delete
    filters: [{unusedFor: 30d}]
`

// clientsIn are the real clients of region, on the same moto.
func (f *fixture) clientsIn(region string) Clients {
	cfg := awsclient.InRegion(f.cfg, region)
	return Clients{EC2: ec2client.New(cfg), CloudWatch: cloudwatchclient.New(cfg), IAM: iamclient.New(cfg),
		S3: s3client.New(cfg), Lambda: lambdaclient.New(cfg)}
}

func (f *fixture) ec2In(region string) *ec2.Client {
	return ec2client.New(awsclient.InRegion(f.cfg, region))
}

// regionalJob is a job over regions, each with its own clients, passed
// through wrap (nil: as they are).
func (f *fixture) regionalJob(doc string, regions []string, env map[string]string, wrap func(region string, c Clients) Clients) *Job {
	f.t.Helper()
	vars := map[string]string{"COMMANDER_REGIONS": strings.Join(regions, ",")}
	maps.Copy(vars, env)
	j := f.job(doc, vars)
	j.Clients = func(region string) Clients {
		c := f.clientsIn(region)
		if wrap != nil {
			c = wrap(region, c)
		}
		return c
	}
	return j
}

// stoppedInstance is a stopped instance in region.
func (f *fixture) stoppedInstance(region string) string {
	f.t.Helper()
	ctx := context.Background()
	api := f.ec2In(region)
	out, err := api.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12345678"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if err != nil {
		f.t.Fatal(err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	if _, err := api.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// idleAddress is an unassociated Elastic IP in region.
func (f *fixture) idleAddress(region string) string {
	f.t.Helper()
	out, err := f.ec2In(region).AllocateAddress(context.Background(), &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		f.t.Fatal(err)
	}
	return aws.ToString(out.AllocationId)
}

func (f *fixture) managedRole(name string) {
	f.t.Helper()
	if _, err := iamclient.New(f.cfg).CreateRole(context.Background(), &iam.CreateRoleInput{
		RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []iamtypes.Tag{{Key: aws.String(tags.ManagedBy), Value: aws.String(tags.ManagedByValue)}},
	}); err != nil {
		f.t.Fatal(err)
	}
}

// regionState is what region holds: instance id -> state (and marked, when
// it carries the cleanup marks), and the allocation ids of its addresses.
func (f *fixture) regionState(region string) (instances map[string]string, addresses []string) {
	f.t.Helper()
	ctx := context.Background()
	api := f.ec2In(region)
	out, err := api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
	if err != nil {
		f.t.Fatal(err)
	}
	instances = map[string]string{}
	for _, res := range out.Reservations {
		for _, in := range res.Instances {
			state := string(in.State.Name)
			if tags.EC2(in.Tags)[tags.CleanupAction] != "" {
				state += ",marked"
			}
			instances[aws.ToString(in.InstanceId)] = state
		}
	}
	addrs, err := api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, a := range addrs.Addresses {
		addresses = append(addresses, aws.ToString(a.AllocationId))
	}
	return instances, addresses
}

func (f *fixture) roleExists(name string) bool {
	f.t.Helper()
	_, err := iamclient.New(f.cfg).GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil && !strings.Contains(err.Error(), "NoSuchEntity") {
		f.t.Fatal(err)
	}
	return err == nil
}

// sections are the report's sections by region, with their order.
func sections(rep *report.Report) (map[string]report.Section, []string) {
	out := map[string]report.Section{}
	var order []string
	for _, s := range rep.Sections {
		out[s.Region] = *s
		order = append(order, s.Region)
	}
	return out, order
}

// With several regions a run works on them concurrently (at most
// COMMANDER_REGION_CONCURRENCY at once) with each region's own clients,
// runs IAM once as the region "global", and reports one section per
// region. Marks come first; a second run past the grace acts, region by
// region.
func TestRegions(t *testing.T) {
	three := []string{"us-east-1", "us-west-2", "eu-west-1"}
	cases := []struct {
		name    string
		regions []string
		env     map[string]string
		dryRun  bool
	}{
		{"three regions at once", three, map[string]string{"COMMANDER_REGION_CONCURRENCY": "4"}, false},
		{"three regions one at a time", three, map[string]string{"COMMANDER_REGION_CONCURRENCY": "1"}, false},
		{"two regions in a dry run", three[:2], map[string]string{"COMMANDER_DRY_RUN": "true"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			instance, address := map[string]string{}, map[string]string{}
			for _, region := range c.regions {
				instance[region], address[region] = f.stoppedInstance(region), f.idleAddress(region)
			}
			f.managedRole("old")
			env := map[string]string{"COMMANDER_CLEANUP_GRACE": "0d"}
			maps.Copy(env, c.env)
			j := f.regionalJob(regionalDoc, c.regions, env, nil)
			now := time.Now().UTC().Add(40 * day)

			marked := f.run(j, now, "")
			acted := f.run(j, now.Add(time.Minute), "")

			wantOrder := append(slices.Clone(c.regions), GlobalRegion)
			markCounts := map[string]int{"mark.done": 2}
			actCounts := map[string]int{"terminate.done": 1, "release.done": 1}
			globalMark, globalAct := map[string]int{"mark.done": 1}, map[string]int{"delete.done": 1}
			if c.dryRun {
				markCounts = map[string]int{"mark.planned": 2}
				actCounts, globalMark, globalAct = markCounts, map[string]int{"mark.planned": 1}, map[string]int{"mark.planned": 1}
			}
			for _, step := range []struct {
				name           string
				rep            *report.Report
				regional, glob map[string]int
			}{
				{"mark", marked, markCounts, globalMark},
				{"act", acted, actCounts, globalAct},
			} {
				secs, order := sections(step.rep)
				if !slices.Equal(order, wantOrder) {
					t.Fatalf("%s: sections %v, want %v", step.name, order, wantOrder)
				}
				for region, s := range secs {
					want := step.regional
					if region == GlobalRegion {
						want = step.glob
					}
					if s.Status != report.StatusOK || !maps.Equal(s.Counts, want) {
						t.Errorf("%s: section %s: %s %q %v, want ok %v", step.name, region, s.Status, s.Reason, s.Counts, want)
					}
				}
				if step.rep.Status != report.StatusOK {
					t.Errorf("%s: run %s %q", step.name, step.rep.Status, step.rep.Reason)
				}
			}
			for _, region := range c.regions {
				instances, addresses := f.regionState(region)
				wantInstance, wantAddresses := "terminated,marked", []string(nil)
				if c.dryRun {
					wantInstance, wantAddresses = "stopped", []string{address[region]}
				}
				if got := instances[instance[region]]; got != wantInstance || len(instances) != 1 {
					t.Errorf("%s: instances %v, want %s %s", region, instances, instance[region], wantInstance)
				}
				if !slices.Equal(addresses, wantAddresses) {
					t.Errorf("%s: addresses %v, want %v", region, addresses, wantAddresses)
				}
			}
			if f.roleExists("old") != c.dryRun {
				t.Errorf("role exists = %v in a dry run = %v", f.roleExists("old"), c.dryRun)
			}
		})
	}
}

// gate holds DescribeInstances until want calls are in flight at once (a
// region lists its instances first), so a test sees the regions overlap;
// then it holds them a moment longer, so that a region over the bound
// would be seen in flight too. Calls after that pass and are not counted.
// It never blocks for more than wait.
type gate struct {
	want int
	wait time.Duration
	then func() // runs once, when want are in flight

	mu      sync.Mutex
	in, max int
	opened  bool // want were in flight
	closed  bool // the hold is over
	open    chan struct{}
}

func newGate(want int, then func()) *gate {
	return &gate{want: want, wait: 10 * time.Second, then: then, open: make(chan struct{})}
}

func (g *gate) enter() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.in++
	g.max = max(g.max, g.in)
	if g.in >= g.want && !g.opened {
		g.opened = true
		if g.then != nil {
			g.then()
		}
		time.AfterFunc(100*time.Millisecond, func() {
			g.mu.Lock()
			g.closed = true
			g.mu.Unlock()
			close(g.open)
		})
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-time.After(g.wait):
	}
	g.mu.Lock()
	g.in--
	g.mu.Unlock()
}

func (g *gate) reached() (bool, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.opened, g.max
}

type gatedEC2 struct {
	EC2API
	gate *gate
}

func (e gatedEC2) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	e.gate.enter()
	return e.EC2API.DescribeInstances(ctx, in, opts...)
}

// Regions really run at the same time, as many as the bound allows and no more.
func TestRegionsOverlapUpToTheBound(t *testing.T) {
	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	for _, bound := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("bound %d", bound), func(t *testing.T) {
			f := newFixture(t)
			g := newGate(bound, nil)
			j := f.regionalJob(regionalDoc, regions, map[string]string{"COMMANDER_REGION_CONCURRENCY": fmt.Sprint(bound)},
				func(_ string, c Clients) Clients { c.EC2 = gatedEC2{c.EC2, g}; return c })
			rep := f.run(j, time.Now().UTC(), "")
			if opened, most := g.reached(); !opened || most != bound {
				t.Errorf("regions listing at once: reached %v, at most %d; want %d", opened, most, bound)
			}
			if rep.Status != report.StatusOK || len(rep.Sections) != len(regions)+1 {
				t.Errorf("report: %s %q, %d sections", rep.Status, rep.Reason, len(rep.Sections))
			}
		})
	}
}

type failingEC2 struct{ EC2API }

func (failingEC2) DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	return nil, errors.New("RequestLimitExceeded: still throttled after retries")
}

// A region whose listing fails says so in its section, never "0
// resources"; the others go on, and the run is partial. When every region
// fails, the run fails.
func TestRegionFails(t *testing.T) {
	regions := []string{"us-east-1", "us-west-2"}
	const instancesOnly = `
policies:
  - name: stopped-instances
    resource: ec2:instance
    action: terminate
    filters: [{state: stopped}, {stoppedFor: 30d}]
`
	cases := []struct {
		name       string
		failing    []string
		wantStatus string
	}{
		{"one region fails", []string{"us-west-2"}, report.StatusPartial},
		{"every region fails", regions, report.StatusFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			for _, region := range regions {
				f.stoppedInstance(region)
			}
			j := f.regionalJob(instancesOnly, regions, nil, func(region string, cl Clients) Clients {
				if slices.Contains(c.failing, region) {
					cl.EC2 = failingEC2{cl.EC2}
				}
				return cl
			})
			now := time.Now().UTC().Add(40 * day).Format(time.RFC3339)
			rep, err := j.Handle(context.Background(), json.RawMessage(`{"now":"`+now+`"}`))
			if (err != nil) != (c.wantStatus == report.StatusFailed) || rep == nil || rep.Status != c.wantStatus {
				t.Fatalf("err %v, report %+v; want %s", err, rep, c.wantStatus)
			}
			secs, _ := sections(rep)
			for _, region := range regions {
				s := secs[region]
				if slices.Contains(c.failing, region) {
					if s.Status != report.StatusFailed || len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "ec2:instance: list: ") || len(s.Counts) != 0 {
						t.Errorf("%s: %+v, want failed with the listing error", region, s)
					}
					continue
				}
				if s.Status != report.StatusOK || s.Counts["mark.done"] != 1 {
					t.Errorf("%s: %+v, want ok with its instance marked", region, s)
				}
			}
			if !strings.Contains(rep.Reason, "us-west-2: ec2:instance: list: ") {
				t.Errorf("reason %q does not name the failed region", rep.Reason)
			}
		})
	}
}

// The breaker's cap holds over all regions together: a policy whose due
// actions add up past COMMANDER_BREAKER_MAX_COUNT acts in the regions that
// fit and stops in the rest.
func TestBreakerAcrossRegions(t *testing.T) {
	regions := []string{"us-east-1", "us-west-2"}
	for _, bound := range []string{"1", "2"} {
		t.Run("bound "+bound, func(t *testing.T) {
			f := newFixture(t)
			for _, region := range regions {
				f.stoppedInstance(region)
				f.stoppedInstance(region)
			}
			j := f.regionalJob(regionalDoc, regions, map[string]string{
				"COMMANDER_REGION_CONCURRENCY": bound, "COMMANDER_BREAKER_MAX_COUNT": "3", "COMMANDER_CLEANUP_GRACE": "0d",
			}, nil)
			now := time.Now().UTC().Add(40 * day)
			f.run(j, now, "")
			rep := f.run(j, now.Add(time.Minute), "")

			var acted, tripped []string
			for _, region := range regions {
				instances, _ := f.regionState(region)
				terminated := 0
				for _, s := range instances {
					if strings.HasPrefix(s, "terminated") {
						terminated++
					}
				}
				s, _ := sections(rep)
				switch sec := s[region]; {
				case terminated == 2 && sec.Status == report.StatusOK && sec.Counts["terminate.done"] == 2:
					acted = append(acted, region)
				case terminated == 0 && sec.Status == report.StatusPartial && sec.Counts["terminate.skipped"] == 2 &&
					strings.Contains(sec.Reason, "more than the limit of 3 per run") && strings.Contains(sec.Reason, "2 of them were allowed earlier in this run"):
					tripped = append(tripped, region)
				default:
					t.Errorf("%s: %d terminated, section %+v", region, terminated, sec)
				}
			}
			if len(acted) != 1 || len(tripped) != 1 {
				t.Errorf("acted in %v, tripped in %v: want one of each", acted, tripped)
			}
			if bound == "1" && (len(acted) != 1 || acted[0] != regions[0]) {
				t.Errorf("one at a time, the first region acts: acted in %v", acted)
			}
			if rep.Status != report.StatusPartial {
				t.Errorf("run %s, want partial", rep.Status)
			}
		})
	}
}

// deadline is a context whose deadline a test moves (the Lambda deadline
// drawing near while regions work), without ever cancelling it.
type deadline struct {
	context.Context
	mu sync.Mutex
	at time.Time
}

func (d *deadline) Deadline() (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.at, true
}

func (d *deadline) set(at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = at
}

// Two regions stopped mid-way hand over one cursor: each region with the
// type it did not reach, and what the breaker already allowed. The
// follow-up finishes both, repeating nothing and losing nothing.
func TestHandOverWithRegionsStoppedMidway(t *testing.T) {
	regions := []string{"us-east-1", "us-west-2"}
	f := newFixture(t)
	instance, address := map[string]string{}, map[string]string{}
	for _, region := range regions {
		instance[region], address[region] = f.stoppedInstance(region), f.idleAddress(region)
	}
	doc := regionalDoc[:strings.Index(regionalDoc, "  - name: unused-roles")]
	env := map[string]string{"COMMANDER_CLEANUP_GRACE": "0d"}
	now := time.Now().UTC().Add(40 * day)
	f.run(f.regionalJob(doc, regions, env, nil), now, "") // marks everything

	// Both regions list their instances at once; then the deadline draws
	// near: each acts on its instances and stops before its addresses.
	ctx := &deadline{Context: context.Background(), at: time.Now().Add(time.Hour)}
	g := newGate(len(regions), func() { ctx.set(time.Now().Add(deadlineMargin - time.Second)) })
	j := f.regionalJob(doc, regions, env, func(_ string, c Clients) Clients { c.EC2 = gatedEC2{c.EC2, g}; return c })
	var payload []byte
	j.FollowUp = func(_ context.Context, p []byte) error { payload = p; return nil }
	at := now.Add(time.Minute).Format(time.RFC3339)
	rep, err := j.Handle(ctx, json.RawMessage(`{"now":"`+at+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"dryRun":false,"policies":null,"now":"` + at + `","resume":{"hop":1,"regions":[` +
		`{"region":"us-east-1","type":"ec2:address"},{"region":"us-west-2","type":"ec2:address"}],"actions":{"stopped-instances":2}}}`
	if string(payload) != want {
		t.Fatalf("payload = %s\nwant      %s", payload, want)
	}
	secs, _ := sections(rep)
	for _, region := range regions {
		s := secs[region]
		if s.Status != report.StatusPartial || !strings.Contains(s.Reason, "stopped before the Lambda deadline at ec2:address") || !maps.Equal(s.Counts, map[string]int{"terminate.done": 1}) {
			t.Errorf("first hop, %s: %+v", region, s)
		}
	}

	follow := f.regionalJob(doc, regions, env, nil)
	rep, err = follow.Handle(context.Background(), payload)
	if err != nil || rep.Status != report.StatusOK {
		t.Fatalf("follow-up: %v %s %q", err, rep.Status, rep.Reason)
	}
	if n := rep.APICalls["EC2.DescribeInstances"]; n != 0 {
		t.Errorf("the follow-up listed instances again (%d calls)", n)
	}
	secs, _ = sections(rep)
	for _, region := range regions {
		if s := secs[region]; s.Status != report.StatusOK || !maps.Equal(s.Counts, map[string]int{"release.done": 1}) {
			t.Errorf("follow-up, %s: %+v", region, s)
		}
		instances, addresses := f.regionState(region)
		if instances[instance[region]] != "terminated,marked" || len(addresses) != 0 {
			t.Errorf("%s after both hops: instances %v addresses %v", region, instances, addresses)
		}
	}
}
