package cliname

import (
	"testing"

	"github.com/aws-commander/commander/shared/api"
)

func TestKebab(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"one word", "list", "list"},
		{"camel case", "createSecurityGroup", "create-security-group"},
		{"trailing capitals", "memoryMB", "memory-mb"},
		{"digits stay with their word", "zipBase64", "zip-base64"},
		{"a capital run before a word", "HTTPServer", "http-server"},
		{"capitals after a digit", "s3ObjectVersion", "s3-object-version"},
		{"already kebab", "create-bucket", "create-bucket"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Kebab(c.in); got != c.want {
				t.Fatalf("Kebab(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestSynopsis(t *testing.T) {
	cases := []struct {
		name string
		cmd  api.Command
		want string
	}{
		{"path parameters in template order, then flags",
			api.Command{Action: "s3.deleteObject", Method: "DELETE", Path: "/s3/buckets/{bucket}/objects/{key+}", Mutates: true,
				Params: []api.Param{{Name: "key", Type: api.String, Required: true}, {Name: "bucket", Type: api.String, Required: true}, {Name: "allVersions", Type: api.Bool}}},
			"commander s3 delete-object BUCKET KEY [--all-versions] [--dry-run] [--yes]"},
		{"a required flag before the optional ones",
			api.Command{Action: "cloudwatch.deleteAlarms", Method: "DELETE", Path: "/cloudwatch/alarms", Mutates: true,
				Params: []api.Param{{Name: "names", Type: api.List, Required: true}}},
			"commander cloudwatch delete-alarms --names A,B [--dry-run] [--yes]"},
		{"a reading command has no dry run",
			api.Command{Action: "ec2.list", Method: "GET", Path: "/ec2/instances",
				Params: []api.Param{{Name: "maxResults", Type: api.Int}, {Name: "tags", Type: api.Map}}},
			"commander ec2 list [--max-results N] [--tags K=V]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Synopsis(c.cmd); got != c.want {
				t.Fatalf("Synopsis = %q\nwant       %q", got, c.want)
			}
		})
	}
}
