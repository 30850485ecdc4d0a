package policy

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The shipped default parses and holds a policy for each type it promises,
// conservative where a deletion cannot be undone.
func TestDefaultIsValid(t *testing.T) {
	d, err := Parse(Default)
	if err != nil {
		t.Fatalf("the shipped default must parse: %v", err)
	}
	cases := []struct {
		name, resource, action string
		check                  func(p Policy) bool
	}{
		{"stopped-instances", EC2Instance, "terminate", nil},
		{"expired-instances", EC2Instance, "terminate", nil},
		{"unattached-volumes", EC2Volume, "delete", func(p Policy) bool { return p.FinalSnapshot }},
		{"orphan-snapshots", EC2Snapshot, "delete", nil},
		{"orphan-alarms", CloudWatchAlarm, "delete", nil},
		{"expired-functions", LambdaFunction, "delete", nil},
		{"old-function-versions", LambdaVersion, "delete", func(p Policy) bool {
			return p.Keep == 5 && len(p.Filters) == 1 && p.Filters[0].Duration == 30*24*time.Hour
		}},
		{"stale-multipart-uploads", S3MultipartUpload, "abort", func(p Policy) bool {
			return len(p.Filters) == 1 && p.Filters[0].Duration == 7*24*time.Hour
		}},
		{"unassociated-addresses", EC2Address, "release", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i := slices.IndexFunc(d.Policies, func(p Policy) bool { return p.Name == c.name })
			if i < 0 {
				t.Fatalf("the default has no policy %s", c.name)
			}
			p := d.Policies[i]
			if p.Resource != c.resource || p.Action != c.action || (c.check != nil && !c.check(p)) {
				t.Errorf("%+v, want %s %s", p, c.action, c.resource)
			}
		})
	}
	if len(d.Policies) != len(cases) {
		t.Errorf("the default has %d policies, the test knows %d", len(d.Policies), len(cases))
	}
}

func TestParseValid(t *testing.T) {
	cases := []struct {
		name  string
		doc   string
		check func(t *testing.T, d Document)
	}{
		{
			name: "yaml with every filter kind",
			doc: `
policies:
  - name: old
    resource: ec2:instance
    action: stop
    grace: 2d
    filters:
      - age: 30
      - stoppedFor: 12h
      - state: stopped
      - tag: env
        equals: dev
      - tag: team
        absent: true
      - name: "^tmp-"
    exclude:
      - tag: keep
        regex: "^(yes|true)$"
`,
			check: func(t *testing.T, d Document) {
				p := d.Policies[0]
				if p.Grace != 48*time.Hour || !p.GraceSet || len(p.Filters) != 6 || len(p.Exclude) != 1 {
					t.Errorf("policy = %+v", p)
				}
				if p.Filters[0].Duration != 30*24*time.Hour || p.Filters[1].Duration != 12*time.Hour {
					t.Errorf("durations = %v %v", p.Filters[0].Duration, p.Filters[1].Duration)
				}
				if p.Filters[2].States[0] != "stopped" || p.Filters[3].Value != "dev" || p.Filters[4].Test != Absent {
					t.Errorf("filters = %+v", p.Filters)
				}
				if p.Exclude[0].Regex == nil || p.Exclude[0].Path != "policies[0].exclude[0]" {
					t.Errorf("exclude = %+v", p.Exclude[0])
				}
			},
		},
		{
			name: "json",
			doc:  `{"version":1,"policies":[{"name":"v","resource":"ec2:volume","action":"delete","finalSnapshot":false,"filters":[{"age":"7d"},{"state":["available"]}]}]}`,
			check: func(t *testing.T, d Document) {
				p := d.Policies[0]
				if p.FinalSnapshot || p.GraceOr(time.Hour) != time.Hour || p.Filters[0].Duration != 7*24*time.Hour {
					t.Errorf("policy = %+v", p)
				}
			},
		},
		{
			name: "versions keep, default and set",
			doc:  `{"policies":[{"name":"a","resource":"lambda:version","action":"delete","filters":[{"age":"30d"}]},{"name":"b","resource":"lambda:version","action":"delete","keep":0,"filters":[{"name":"^tmp-"}]},{"name":"c","resource":"s3:multipart-upload","action":"abort","filters":[{"age":7}]}]}`,
			check: func(t *testing.T, d Document) {
				if d.Policies[0].Keep != DefaultKeep || d.Policies[1].Keep != 0 || d.Policies[2].Filters[0].Duration != 7*24*time.Hour {
					t.Errorf("policies = %+v", d.Policies)
				}
			},
		},
		{
			name: "volume final snapshot defaults to on",
			doc:  `{"policies":[{"name":"v","resource":"ec2:volume","action":"delete","filters":[{"state":"available"}]}]}`,
			check: func(t *testing.T, d Document) {
				if !d.Policies[0].FinalSnapshot {
					t.Error("finalSnapshot must default to true")
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Parse([]byte(c.doc))
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, d)
		})
	}
}

func TestParseRefusesBadDocuments(t *testing.T) {
	wrap := func(policy string) string { return "policies:\n" + policy }
	ok := "  - name: ok\n    resource: ec2:instance\n    action: terminate\n    filters: [{state: stopped}]\n"
	cases := []struct {
		name, doc, want string
	}{
		{"empty", ``, "policy document is empty"},
		{"not yaml", "policies: [", "not valid YAML"},
		{"not json", `{"policies": [}`, "not valid JSON"},
		// The same document twice in one mapping: neither parser picks one.
		{"json key twice", `{"policies": [], "policies": [{"name": "x"}]}`, `key "policies" is given twice`},
		{"json key twice, nested", `{"policies": [{"name": "a", "name": "b", "resource": "ec2:volume", "action": "delete"}]}`, `policies[0]: key "name" is given twice`},
		{"yaml key twice", "policies:\n  - name: a\n    name: b\n    resource: ec2:volume\n    action: delete\n", `mapping key "name" already defined`},
		{"not a mapping", `[1, 2]`, "document: must be a mapping"},
		{"unknown top-level field", "polices: []", "polices: unknown field; accepts version, policies"},
		{"no policies", "version: 1", "policies: required"},
		{"bad version", "version: 2\npolicies: []", "version: 2 is not supported"},
		{"unknown resource type", wrap("  - name: a\n    resource: ec2:banana\n    action: delete\n    filters: [{age: 1d}]\n"),
			`policies[0].resource: unknown resource type "ec2:banana"; accepts cloudwatch:alarm, ec2:address, ec2:image, ec2:instance, ec2:snapshot, ec2:volume, iam:instance-profile, iam:role, lambda:function, lambda:version, s3:bucket, s3:multipart-upload`},
		{"unknown action for the type", wrap("  - name: a\n    resource: ec2:volume\n    action: terminate\n    filters: [{age: 1d}]\n"),
			`policies[0].action: unknown action "terminate" for ec2:volume; accepts delete`},
		{"unknown filter", wrap(ok + "  - name: b\n    resource: ec2:volume\n    action: delete\n    filters: [{age: 1d}, {colour: red}]\n"),
			"policies[1].filters[1].colour: unknown field"},
		{"filter not for the type", wrap("  - name: a\n    resource: ec2:address\n    action: release\n    filters: [{age: 1d}]\n"),
			`policies[0].filters[0].age: filter "age" does not apply to this resource type`},
		{"negative age", wrap("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: -3}]\n"),
			"policies[0].filters[0].age: -3 is negative"},
		{"negative age string", wrap("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: -3d}]\n"),
			`policies[0].filters[0].age: "-3d" is negative`},
		{"bad duration", wrap("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: soon}]\n"),
			`policies[0].filters[0].age: "soon" is invalid: accepts a duration`},
		{"invalid tag regex", wrap(ok + ok + "  - name: c\n    resource: ec2:instance\n    action: stop\n    filters: [{tag: env, regex: \"(\"}]\n"),
			`policies[2].filters[0].regex: invalid regex "(": `},
		{"invalid name regex in exclude", wrap("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: 1d}]\n    exclude: [{name: \"[a-\"}]\n"),
			`policies[0].exclude[0].name: invalid regex "[a-"`},
		{"two kinds in one filter", wrap("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: 1d, state: available}]\n"),
			"policies[0].filters[0]: must set exactly one of"},
		{"tag without test", wrap("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{tag: env}]\n"),
			"policies[0].filters[0]: a tag filter sets exactly one of present, absent, equals, regex"},
		{"test without tag", wrap("  - name: a\n    resource: ec2:volume\n    action: delete\n    filters: [{age: 1d, equals: x}]\n"),
			"policies[0].filters[0].equals: applies only to a tag filter"},
		{"unknown state", wrap("  - name: a\n    resource: ec2:instance\n    action: stop\n    filters: [{state: [running, asleep]}]\n"),
			`policies[0].filters[0].state[1]: unknown state "asleep"`},
		{"no filters", wrap("  - name: a\n    resource: ec2:instance\n    action: stop\n"),
			"policies[0].filters: required: at least one filter"},
		{"empty filters", wrap("  - name: a\n    resource: ec2:instance\n    action: stop\n    filters: []\n"),
			"policies[0].filters: must be a list of at least one filter"},
		{"missing action", wrap("  - name: a\n    resource: ec2:instance\n    filters: [{state: stopped}]\n"),
			"policies[0].action: required"},
		// An empty resource, action or tag key would match nothing, silently.
		{"empty resource", wrap("  - name: a\n    resource: \"\"\n    action: stop\n    filters: [{state: stopped}]\n"),
			"policies[0].resource: required"},
		{"empty action", wrap("  - name: a\n    resource: ec2:instance\n    action: \"\"\n    filters: [{state: stopped}]\n"),
			"policies[0].action: required"},
		{"empty name", wrap("  - name: \"\"\n    resource: ec2:instance\n    action: stop\n    filters: [{state: stopped}]\n"),
			"policies[0].name: required"},
		{"empty tag key", wrap("  - name: a\n    resource: ec2:instance\n    action: stop\n    filters: [{tag: \"\", present: true}]\n"),
			"policies[0].filters[0].tag: required"},
		{"duplicate name", wrap(ok + ok), `policies[1].name: "ok" is already the name of policies[0]`},
		{"bad name", wrap("  - name: \"has space\"\n    resource: ec2:instance\n    action: stop\n    filters: [{state: stopped}]\n"),
			`policies[0].name: "has space" is invalid`},
		{"negative grace", wrap("  - name: a\n    resource: ec2:instance\n    action: stop\n    grace: -1d\n    filters: [{state: stopped}]\n"),
			`policies[0].grace: "-1d" is negative`},
		{"final snapshot on an instance", wrap("  - name: a\n    resource: ec2:instance\n    action: stop\n    finalSnapshot: true\n    filters: [{state: stopped}]\n"),
			"policies[0].finalSnapshot: applies only to ec2:volume"},
		{"expired not a boolean", wrap("  - name: a\n    resource: ec2:instance\n    action: stop\n    filters: [{expired: yes please}]\n"),
			`policies[0].filters[0].expired: "yes please" is invalid: accepts true or false`},
		{"keep on another type", wrap("  - name: a\n    resource: lambda:function\n    action: delete\n    keep: 3\n    filters: [{expired: true}]\n"),
			"policies[0].keep: applies only to lambda:version"},
		{"negative keep", wrap("  - name: a\n    resource: lambda:version\n    action: delete\n    keep: -1\n    filters: [{age: 30d}]\n"),
			"policies[0].keep: -1 is invalid: accepts a whole number of versions from 0 to 10000"},
		{"keep not a number", wrap("  - name: a\n    resource: lambda:version\n    action: delete\n    keep: some\n    filters: [{age: 30d}]\n"),
			`policies[0].keep: "some" is invalid: accepts a whole number`},
		{"fractional keep", `{"policies":[{"name":"a","resource":"lambda:version","action":"delete","keep":2.5,"filters":[{"age":"30d"}]}]}`,
			"policies[0].keep: 2.5 is invalid"},
		{"unknown action for versions", wrap("  - name: a\n    resource: lambda:version\n    action: prune\n    filters: [{age: 30d}]\n"),
			`policies[0].action: unknown action "prune" for lambda:version; accepts delete`},
		{"state filter on versions", wrap("  - name: a\n    resource: lambda:version\n    action: delete\n    filters: [{state: Active}]\n"),
			`policies[0].filters[0].state: filter "state" does not apply to this resource type; accepts age, tag, name`},
		{"delete is not abort", wrap("  - name: a\n    resource: s3:multipart-upload\n    action: delete\n    filters: [{age: 7d}]\n"),
			`policies[0].action: unknown action "delete" for s3:multipart-upload; accepts abort`},
		{"negative upload age", wrap("  - name: a\n    resource: s3:multipart-upload\n    action: abort\n    filters: [{age: -7d}]\n"),
			`policies[0].filters[0].age: "-7d" is negative`},
		{"expired on uploads", wrap("  - name: a\n    resource: s3:multipart-upload\n    action: abort\n    filters: [{expired: true}]\n"),
			`policies[0].filters[0].expired: filter "expired" does not apply to this resource type`},
		{"json unknown filter", `{"policies":[{"name":"a","resource":"ec2:snapshot","action":"delete","filters":[{"volumeGone":true},{"size":3}]}]}`,
			"policies[0].filters[1].size: unknown field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

// Every problem is reported at once, one per line.
func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`{"policies":[{"name":"a","resource":"ec2:nope","action":"x","filters":[{"age":-1}]},{"name":"b","resource":"ec2:volume","action":"delete","filters":[{"name":"("}]}]}`))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"policies[0].resource", "policies[1].filters[0].name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s: %v", want, err)
		}
	}
}
