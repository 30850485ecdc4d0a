package validate

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/backup/retention"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/schedule"
)

// Every shipped default and every api direct sample is recognised and valid.
func TestShippedDocuments(t *testing.T) {
	var builtins []string
	for _, p := range retention.Builtins(30, time.UTC) {
		builtins = append(builtins, p.String())
	}
	sort.Strings(builtins)
	cases := []struct {
		name string
		data []byte
		kind string
	}{
		{"default.yaml", policy.Default, CleanupPolicy},
		{"schedules.yaml", []byte(schedule.Default), Schedules},
		{"backup-policies.yaml", []byte(strings.Join(builtins, ";")), BackupPolicies},
		{"backup-policies.json", []byte(`"dr=days:30,copy:eu-west-1,copykms:alias/dr-backups,copydays:7;daily=days:14"`), BackupPolicies},
	}
	samples, err := filepath.Glob("../../events/samples/api/*-direct.json")
	if err != nil || len(samples) == 0 {
		t.Fatalf("no api direct samples: %v", err)
	}
	for _, path := range samples {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			name string
			data []byte
			kind string
		}{filepath.Base(path), b, APIDirect})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind, err := Document(c.name, c.data)
			if kind != c.kind || err != nil {
				t.Fatalf("got %q, %v; want %q, nil", kind, err, c.kind)
			}
		})
	}
}

// A refused document comes back as its kind and exactly the validator's
// problems, each named by its path; one Document cannot place is no kind
// and an error listing the kinds.
func TestBadDocuments(t *testing.T) {
	const kinds = `the kinds are cleanup-policy (a mapping with the key "policies"), schedules (a mapping with the key "schedules"), ` +
		`api-direct (a JSON object with the key "action"), backup-policies (one string in the syntax of COMMANDER_BACKUP_POLICIES, e.g. critical=every:run,last:14)`
	cases := []struct {
		name, file, doc string
		kind            string
		err             string // the whole message
		invalid         bool   // an *Error: the validator refused it
	}{
		{name: "cleanup: every problem with its path", file: "policy.yaml",
			doc:  "version: 1\npolicies:\n  - name: a\n    resource: ec2:volume\n    action: terminate\n    filters: [{age: soon}, {colour: red}]\n",
			kind: CleanupPolicy, invalid: true,
			err: "policies[0].action: unknown action \"terminate\" for ec2:volume; accepts delete\n" +
				"policies[0].filters[0].age: \"soon\" is invalid: accepts a duration from 0 to 36500d, such as 12h or 30d, or a whole number of days\n" +
				"policies[0].filters[1].colour: unknown field; accepts age, stoppedFor, stateFor, unusedFor, state, expired, tag, name, volumeGone, instanceGone, metric, present, absent, equals, regex\n" +
				"policies[0].filters[1]: must set exactly one of age, stoppedFor, stateFor, unusedFor, state, expired, tag, name, volumeGone, instanceGone, metric; got 0"},
		{name: "schedules: every problem with its path", file: "schedules.json",
			doc:  `{"schedules": [{"name": "a", "timezone": "Mars/Olympus", "periods": [{"days": ["mon", "funday"], "start": "8:00"}]}]}`,
			kind: Schedules, invalid: true,
			err: "schedules[0].timezone: must be an IANA time zone name such as Europe/Paris, got \"Mars/Olympus\"\n" +
				"schedules[0].periods[0].days[1]: must be one of mon, tue, wed, thu, fri, sat, sun, got \"funday\"\n" +
				"schedules[0].periods[0].start: must be a time HH:MM (00:00–23:59), got \"8:00\""},
		{name: "backup: every problem with its policy and key", file: "backup.txt", doc: "x=every:hour,days:-1;y=keep:3",
			kind: BackupPolicies, invalid: true,
			err: "policy \"x\": every:hour: accepts run, day, week or month\npolicy \"x\": days:-1: accepts a whole number from 0 to 100000\n" +
				"policy \"y\": unknown key \"keep\": accepts every, last, days, daily, weekly, monthly, yearly, tz, copy, copykms, copydays"},
		{name: "api: a parameter", file: "call.json", doc: `{"action": "jobs.start", "params": {"job": "dance"}}`,
			kind: APIDirect, invalid: true, err: "params.job: parameter \"job\" is invalid: accepts a string among backup, cleanup, scheduler"},
		{name: "api: a required parameter", file: "call.json", doc: `{"action": "jobs.start"}`,
			kind: APIDirect, invalid: true, err: "params.job: parameter \"job\" is required: a string among backup, cleanup, scheduler"},
		{name: "api: an unknown action", file: "call.json", doc: `{"action": "ec2.explode"}`,
			kind: APIDirect, invalid: true, err: "action: no action \"ec2.explode\""},
		{name: "api: an unknown key", file: "call.json", doc: `{"action": "commands.list", "dryrun2": true}`,
			kind: APIDirect, invalid: true, err: "document: a direct invocation is {\"action\": \"service.verb\", \"params\": {...}, \"dryRun\": false}: json: unknown field \"dryrun2\""},
		{name: "api: YAML is not what the function reads", file: "call.yaml", doc: "action: commands.list\n",
			kind: APIDirect, invalid: true, err: "document: the event is not valid JSON (strict: each key once, UTF-8, finite numbers): malformed JSON at byte 1: invalid character 'a' looking for beginning of value"},
		{name: "unknown shape: a mapping", file: "x.yaml", doc: "polices: []\n",
			err: `x.yaml: cannot tell which document this is: a mapping with the keys "polices"; ` + kinds},
		{name: "unknown shape: two at once", file: "x.yaml", doc: "policies: []\nschedules: []\n",
			err: "x.yaml: cannot tell which document this is: it has the shape of cleanup-policy and schedules at once; " + kinds},
		{name: "unknown shape: a list", file: "x.yaml", doc: "- a\n",
			err: "x.yaml: cannot tell which document this is: a list at the top level; " + kinds},
		{name: "empty", file: "x.yaml", doc: "  \n", err: "x.yaml is empty"},
		{name: "a key twice", file: "x.json", doc: `{"policies": [], "policies": []}`,
			err: `x.json is not valid JSON (strict: each key once, UTF-8, finite numbers): key "policies" is given twice: give each key once`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind, err := Document(c.file, []byte(c.doc))
			if kind != c.kind {
				t.Errorf("kind %q, want %q", kind, c.kind)
			}
			if err == nil || err.Error() != c.err {
				t.Fatalf("err:\n%v\nwant:\n%s", err, c.err)
			}
			var verr *Error
			if got := errors.As(err, &verr); got != c.invalid || (got && (verr.Kind != c.kind || verr.Name != c.file)) {
				t.Fatalf("an *Error: %v (%+v), want %v", got, verr, c.invalid)
			}
		})
	}
}
