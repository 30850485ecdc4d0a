package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/tags"
)

var now = time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func parse(t *testing.T, doc string) []policy.Policy {
	t.Helper()
	d, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return d.Policies
}

func TestFilter(t *testing.T) {
	pols := parse(t, `
policies:
  - name: all
    resource: ec2:instance
    action: stop
    filters:
      - age: 30d
      - stoppedFor: 10d
      - state: [stopped, stopping]
      - expired: true
      - expired: false
      - tag: env
        present: true
      - tag: env
        absent: true
      - tag: env
        equals: dev
      - tag: env
        regex: "^de"
      - name: "^tmp-"
`)
	f := pols[0].Filters
	yes, no := true, false
	base := Resource{Type: policy.EC2Instance, ID: "i-1", State: "stopped", Name: "tmp-1",
		Created: now.Add(-days(31)), StoppedAt: now.Add(-days(11)),
		Tags: map[string]string{"env": "dev", tags.ExpiresAt: now.Add(-time.Hour).Format(time.RFC3339)}}
	with := func(mod func(r *Resource)) Resource {
		r := base
		r.Tags = map[string]string{}
		for k, v := range base.Tags {
			r.Tags[k] = v
		}
		mod(&r)
		return r
	}
	cases := []struct {
		name   string
		filter policy.Filter
		r      Resource
		want   bool
	}{
		{"age over", f[0], base, true},
		{"age under", f[0], with(func(r *Resource) { r.Created = now.Add(-days(29)) }), false},
		{"age unknown", f[0], with(func(r *Resource) { r.Created = time.Time{} }), false},
		{"stopped long enough", f[1], base, true},
		{"stopped recently", f[1], with(func(r *Resource) { r.StoppedAt = now.Add(-days(9)) }), false},
		{"running has no stop time that counts", f[1], with(func(r *Resource) { r.State = "running" }), false},
		{"state in list", f[2], base, true},
		{"state not in list", f[2], with(func(r *Resource) { r.State = "running" }), false},
		{"expired", f[3], base, true},
		{"expires later", f[3], with(func(r *Resource) { r.Tags[tags.ExpiresAt] = now.Add(time.Hour).Format(time.RFC3339) }), false},
		{"expires-at unreadable is not expired", f[3], with(func(r *Resource) { r.Tags[tags.ExpiresAt] = "soon" }), false},
		{"not expired wanted, expired", f[4], base, false},
		{"not expired wanted, no tag", f[4], with(func(r *Resource) { delete(r.Tags, tags.ExpiresAt) }), true},
		{"tag present", f[5], base, true},
		{"tag present, missing", f[5], with(func(r *Resource) { delete(r.Tags, "env") }), false},
		{"tag absent, present", f[6], base, false},
		{"tag absent", f[6], with(func(r *Resource) { delete(r.Tags, "env") }), true},
		{"tag equals", f[7], base, true},
		{"tag differs", f[7], with(func(r *Resource) { r.Tags["env"] = "prod" }), false},
		{"tag regex", f[8], base, true},
		{"tag regex no match", f[8], with(func(r *Resource) { r.Tags["env"] = "prod" }), false},
		{"tag regex, tag missing", f[8], with(func(r *Resource) { delete(r.Tags, "env") }), false},
		{"name regex", f[9], base, true},
		{"name regex no match", f[9], with(func(r *Resource) { r.Name = "web" }), false},
		{"volume gone unknown never matches", policy.Filter{Kind: policy.VolumeGone, Want: true}, base, false},
		{"volume gone", policy.Filter{Kind: policy.VolumeGone, Want: true}, with(func(r *Resource) { r.Gone = &yes }), true},
		{"instance gone", policy.Filter{Kind: policy.InstanceGone, Want: true}, with(func(r *Resource) { r.Gone = &yes }), true},
		{"instance exists, gone wanted", policy.Filter{Kind: policy.InstanceGone, Want: true}, with(func(r *Resource) { r.Gone = &no }), false},
		{"instance exists wanted", policy.Filter{Kind: policy.InstanceGone, Want: false}, with(func(r *Resource) { r.Gone = &no }), true},
		{"in state long enough", policy.Filter{Kind: policy.StateFor, Duration: days(3)}, with(func(r *Resource) { r.StateSince = now.Add(-days(4)) }), true},
		{"in state recently", policy.Filter{Kind: policy.StateFor, Duration: days(3)}, with(func(r *Resource) { r.StateSince = now.Add(-days(2)) }), false},
		{"state time unknown", policy.Filter{Kind: policy.StateFor, Duration: days(3)}, base, false},
		{"unused long enough", policy.Filter{Kind: policy.UnusedFor, Duration: days(3)}, with(func(r *Resource) { r.LastUsed = now.Add(-days(4)) }), true},
		{"used recently", policy.Filter{Kind: policy.UnusedFor, Duration: days(3)}, with(func(r *Resource) { r.LastUsed = now.Add(-days(1)) }), false},
		{"last use unknown", policy.Filter{Kind: policy.UnusedFor, Duration: days(3)}, base, false},
		{"unknown filter fails closed", policy.Filter{Kind: "colour"}, base, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, _ := Filter(c.filter, c.r, now); got != c.want {
				t.Errorf("Filter = %v, want %v", got, c.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	pols := parse(t, `
policies:
  - name: stopped
    resource: ec2:instance
    action: terminate
    grace: 3d
    filters: [{state: stopped}, {stoppedFor: 30d}]
    exclude: [{tag: keep, present: true}]
  - name: untagged
    resource: ec2:instance
    action: stop
    filters: [{state: running}, {tag: owner, absent: true}]
`)
	marked := func(action string, due time.Time, extra ...string) map[string]string {
		m := map[string]string{tags.CleanupAction: action, tags.CleanupDue: due.Format(time.RFC3339)}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	stopped := func(tg map[string]string) Resource {
		return Resource{Type: policy.EC2Instance, ID: "i-1", State: "stopped", StoppedAt: now.Add(-days(40)), Tags: tg}
	}
	cases := []struct {
		name   string
		r      Resource
		step   Step
		policy string
		due    time.Time
	}{
		{"no match, no marks", Resource{Type: policy.EC2Instance, State: "running", Tags: map[string]string{"owner": "me"}}, None, "", time.Time{}},
		{"new candidate is marked with the policy grace", stopped(nil), Mark, "stopped", now.Add(days(3))},
		{"second policy uses the default grace", Resource{Type: policy.EC2Instance, State: "running"}, Mark, "untagged", now.Add(days(7))},
		{"marked, not yet due", stopped(marked("terminate", now.Add(time.Hour))), Wait, "stopped", now.Add(time.Hour)},
		{"marked and due", stopped(marked("terminate", now.Add(-time.Second))), Act, "stopped", now.Add(-time.Second)},
		{"due exactly now", stopped(marked("terminate", now)), Act, "stopped", now},
		{"mark for another action is redone", stopped(marked("stop", now.Add(-days(1)))), Mark, "stopped", now.Add(days(3))},
		{"unreadable due is redone", stopped(map[string]string{tags.CleanupAction: "terminate", tags.CleanupDue: "tomorrow"}), Mark, "stopped", now.Add(days(3))},
		{"exclusion beats inclusion, marks removed", stopped(marked("terminate", now.Add(-days(1)), "keep", "1")), Unmark, "", time.Time{}},
		{"no longer matching loses its marks", Resource{Type: policy.EC2Instance, State: "running", Tags: marked("terminate", now, "owner", "me")}, Unmark, "", time.Time{}},
		{"protected even when due", stopped(marked("terminate", now.Add(-days(1)), "commander:protect", "TRUE")), Protected, "stopped", time.Time{}},
		{"protected and not matching is left alone", Resource{Type: policy.EC2Instance, State: "running", Tags: map[string]string{"owner": "me", "commander:protect": "true"}}, None, "", time.Time{}},
		{"held resource is never marked", Resource{Type: policy.EC2Instance, State: "running", Hold: "in use"}, Protected, "untagged", time.Time{}},
		{"protected under the key in another case", stopped(marked("terminate", now.Add(-days(1)), "Commander:Protect", "true")), Protected, "stopped", time.Time{}},
		{"protect=false is not protection", stopped(map[string]string{"commander:protect": "false"}), Mark, "stopped", now.Add(days(3))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(pols, c.r, now, "commander:protect", days(7))
			if d.Step != c.step || d.Policy != c.policy || !d.Due.Equal(c.due) {
				t.Errorf("Decide = %+v; want step %s policy %q due %v", d, c.step, c.policy, c.due)
			}
			if d.Step != None && d.Reason == "" {
				t.Error("every decision but none says why")
			}
		})
	}
}

func TestReasonNamesFilters(t *testing.T) {
	pols := parse(t, `{"policies":[{"name":"p","resource":"ec2:volume","action":"delete","filters":[{"state":"available"},{"age":"14d"}]}]}`)
	ok, why := Matches(pols[0], Resource{Type: policy.EC2Volume, State: "available", Created: now.Add(-days(20))}, now)
	if !ok || !strings.Contains(why, "state available") || !strings.Contains(why, "created 20d ago (more than 14d)") {
		t.Errorf("Matches = %v %q", ok, why)
	}
	if ok, _ := Matches(pols[0], Resource{Type: policy.EC2Instance, State: "available", Created: now.Add(-days(20))}, now); ok {
		t.Error("a policy never matches another resource type")
	}
}

// A published Lambda version is a candidate only beyond the newest keep and
// with no alias routing to it; a marked one an alias now points to, or that
// is back within the newest keep, loses its marks; protection on the
// function (its tags are the version's) beats everything.
func TestDecideLambdaVersions(t *testing.T) {
	pols := parse(t, `
policies:
  - name: old-versions
    resource: lambda:version
    action: delete
    keep: 3
    filters: [{age: 30d}]
    exclude: [{tag: pin, present: true}]
`)
	marked := map[string]string{tags.CleanupAction: "delete", tags.CleanupDue: now.Add(-time.Hour).Format(time.RFC3339)}
	version := func(rank int, aliases []string, tg map[string]string) Resource {
		return Resource{Type: policy.LambdaVersion, ID: "fn:1", Name: "fn", Rank: rank, Aliases: aliases, Created: now.Add(-days(40)), Tags: tg}
	}
	cases := []struct {
		name string
		r    Resource
		step Step
	}{
		{"beyond the kept, no alias: marked", version(4, nil, nil), Mark},
		{"the newest kept", version(1, nil, nil), None},
		{"the last kept", version(3, nil, nil), None},
		{"rank unknown is never a candidate", version(0, nil, nil), None},
		{"an alias points to it", version(9, []string{"live"}, nil), None},
		{"marked and due", version(4, nil, marked), Act},
		{"marked, an alias now points to it: unmarked", version(9, []string{"canary"}, marked), Unmark},
		{"marked, back within the newest kept: unmarked", version(2, nil, marked), Unmark},
		{"too young", Resource{Type: policy.LambdaVersion, Rank: 8, Created: now.Add(-days(10))}, None},
		{"excluded by the function's tag", version(5, nil, map[string]string{"pin": "yes"}), None},
		{"protected function, marked and due", version(5, nil, map[string]string{tags.CleanupAction: "delete", tags.CleanupDue: now.Add(-time.Hour).Format(time.RFC3339), "commander:protect": "true"}), Protected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(pols, c.r, now, "commander:protect", days(7))
			if d.Step != c.step {
				t.Errorf("Decide = %+v; want step %s", d, c.step)
			}
		})
	}
	keepNone := parse(t, `{"policies":[{"name":"all","resource":"lambda:version","action":"delete","keep":0,"filters":[{"name":"^fn$"}]}]}`)
	if ok, why := Matches(keepNone[0], version(1, nil, nil), now); !ok || !strings.Contains(why, "beyond the 0 kept") {
		t.Errorf("keep 0 matches the newest unaliased version: %v %q", ok, why)
	}
}

// An upload is a candidate by its age since initiation and its bucket's
// tags and name.
func TestDecideUploads(t *testing.T) {
	pols := parse(t, `
policies:
  - name: stale-uploads
    resource: s3:multipart-upload
    action: abort
    filters: [{age: 7d}]
    exclude: [{name: "^logs-"}]
`)
	upload := func(bucket string, age time.Duration, tg map[string]string) Resource {
		return Resource{Type: policy.S3MultipartUpload, ID: bucket + "/k?uploadId=1", Name: bucket, Created: now.Add(-age), Tags: tg}
	}
	marked := map[string]string{tags.CleanupAction: "abort", tags.CleanupDue: now.Add(-time.Hour).Format(time.RFC3339)}
	cases := []struct {
		name string
		r    Resource
		step Step
	}{
		{"old upload", upload("data", days(8), nil), Mark},
		{"recent upload", upload("data", days(6), nil), None},
		{"excluded bucket", upload("logs-1", days(8), nil), None},
		{"marked and due", upload("data", days(8), marked), Act},
		{"marked, bucket now excluded", upload("logs-1", days(30), marked), Unmark},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := Decide(pols, c.r, now, "commander:protect", days(7)); d.Step != c.step {
				t.Errorf("Decide = %+v; want step %s", d, c.step)
			}
		})
	}
}
