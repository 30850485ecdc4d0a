package deputy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws-commander/commander/shared/api"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	defaults := make([]string, 0, len(DefaultAttachablePolicies))
	for _, n := range DefaultAttachablePolicies {
		defaults = append(defaults, "arn:aws:iam::aws:policy/"+n)
	}
	cases := []struct {
		name    string
		env     map[string]string
		want    Bounds
		wantErr string // part of the error; empty: none
	}{
		{name: "defaults", env: nil,
			want: Bounds{RolePath: "/commander/", AttachablePolicies: defaults}},
		{name: "everything set", env: map[string]string{
			RolePathEnv:           "/commander/prod/",
			PassableRolesEnv:      "arn:aws:iam::123456789012:role/app, arn:aws:iam::123456789012:role/team/etl",
			ObjectBucketsEnv:      "shared-data,logs.example",
			AttachablePoliciesEnv: "arn:aws:iam::123456789012:policy/app-read",
			StagePrefixEnv:        "commander-prod-",
		}, want: Bounds{RolePath: "/commander/prod/",
			PassableRoles:      []string{"arn:aws:iam::123456789012:role/app", "arn:aws:iam::123456789012:role/team/etl"},
			ObjectBuckets:      []string{"shared-data", "logs.example"},
			AttachablePolicies: []string{"arn:aws:iam::123456789012:policy/app-read"},
			StagePrefix:        "commander-prod-"}},
		{name: "the root path is refused", env: map[string]string{RolePathEnv: "/"}, wantErr: RolePathEnv},
		{name: "a path without the trailing slash is refused", env: map[string]string{RolePathEnv: "/commander"}, wantErr: RolePathEnv},
		{name: "a role that is not an ARN is refused", env: map[string]string{PassableRolesEnv: "admin"}, wantErr: PassableRolesEnv},
		{name: "a user ARN is not a role", env: map[string]string{PassableRolesEnv: "arn:aws:iam::123456789012:user/alice"}, wantErr: PassableRolesEnv},
		{name: "a bucket name too short is refused", env: map[string]string{ObjectBucketsEnv: "ab"}, wantErr: ObjectBucketsEnv},
		{name: "a bucket name too long is refused", env: map[string]string{ObjectBucketsEnv: strings.Repeat("a", 64)}, wantErr: ObjectBucketsEnv},
		{name: "an upper-case bucket is refused", env: map[string]string{ObjectBucketsEnv: "Data"}, wantErr: ObjectBucketsEnv},
		{name: "a role ARN is not a policy", env: map[string]string{AttachablePoliciesEnv: "arn:aws:iam::123456789012:role/x"}, wantErr: AttachablePoliciesEnv},
		{name: "a stage prefix must end in -", env: map[string]string{StagePrefixEnv: "commander-prod"}, wantErr: StagePrefixEnv},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromEnv(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.RolePath != tc.want.RolePath || got.StagePrefix != tc.want.StagePrefix ||
				!slices.Equal(got.PassableRoles, tc.want.PassableRoles) || !slices.Equal(got.ObjectBuckets, tc.want.ObjectBuckets) ||
				!slices.Equal(got.AttachablePolicies, tc.want.AttachablePolicies) {
				t.Errorf("FromEnv = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestBounds(t *testing.T) {
	b := Bounds{RolePath: "/commander/prod/",
		PassableRoles:      []string{"arn:aws:iam::123456789012:role/app"},
		ObjectBuckets:      []string{"shared-data"},
		AttachablePolicies: []string{"arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"},
		StagePrefix:        "commander-prod-"}
	cases := []struct {
		name string
		got  bool
		want bool
	}{
		{"a role under the path is its own", b.OwnRole("arn:aws:iam::123456789012:role/commander/prod/fn-role"), true},
		{"a role deeper under the path is its own", b.OwnRole("arn:aws:iam::123456789012:role/commander/prod/x/fn-role"), true},
		{"a role at / is not", b.OwnRole("arn:aws:iam::123456789012:role/admin"), false},
		{"another stage's path is not", b.OwnRole("arn:aws:iam::123456789012:role/commander/dev/fn-role"), false},
		{"a path that only starts alike is not", b.OwnRole("arn:aws:iam::123456789012:role/commander/production/fn"), false},
		{"a role named like the path is not", b.OwnRole("arn:aws:iam::123456789012:role/commander"), false},
		{"a malformed ARN is not", b.OwnRole("arn:aws:iam::123456789012:role/commander/prod/"), false},
		{"a user under the path is not a role", b.OwnRole("arn:aws:iam::123456789012:user/commander/prod/x"), false},
		{"its own role is passable", b.PassableRole("arn:aws:iam::123456789012:role/commander/prod/fn-role"), true},
		{"a listed role is passable", b.PassableRole("arn:aws:iam::123456789012:role/app"), true},
		{"a listed role in another account is not", b.PassableRole("arn:aws:iam::210987654321:role/app"), false},
		{"an admin role is not passable", b.PassableRole("arn:aws:iam::123456789012:role/admin"), false},
		{"a listed policy is attachable", b.AttachablePolicy("arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"), true},
		{"full access is not", b.AttachablePolicy("arn:aws:iam::aws:policy/AmazonEC2FullAccess"), false},
		{"a listed bucket is listed", b.ListedBucket("shared-data"), true},
		{"another bucket is not", b.ListedBucket("shared-data-2"), false},
		{"a stage function", b.StageFunction("commander-prod-api"), true},
		{"another function", b.StageFunction("team-fn"), false},
		{"a path under the role path", b.UnderRolePath("/commander/prod/"), true},
		{"the root path", b.UnderRolePath("/"), false},
		// Zero bounds hold nothing: a consumer built without them refuses.
		{"zero bounds own no role", Bounds{}.OwnRole("arn:aws:iam::123456789012:role/x"), false},
		{"zero bounds pass no role", Bounds{}.PassableRole("arn:aws:iam::123456789012:role/x"), false},
		{"zero bounds attach nothing", Bounds{}.AttachablePolicy("arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"), false},
		{"zero bounds know no stage", Bounds{}.StageFunction("commander-prod-api"), false},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestCheckTags(t *testing.T) {
	cases := []struct {
		name string
		tags map[string]string
		ok   bool
	}{
		{"no tags", nil, true},
		{"other tags", map[string]string{"team": "ops"}, true},
		{"adding protection", map[string]string{"commander:protect": "true"}, true},
		{"adding protection in another case", map[string]string{"Commander:Protect": "yes"}, true},
		{"writing protection off", map[string]string{"commander:protect": "false"}, false},
		{"writing it off in another case", map[string]string{"COMMANDER:PROTECT": "False"}, false},
		{"padded key with true", map[string]string{" commander:protect": "true"}, false},
		{"padded key with false", map[string]string{"commander:protect ": "false"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTags("tags", tc.tags, "commander:protect")
			if (err == nil) != tc.ok {
				t.Fatalf("CheckTags = %v, want ok %v", err, tc.ok)
			}
			var e *api.Error
			if err != nil && (!errors.As(err, &e) || e.Field != "tags" || e.Status != 400) {
				t.Errorf("error = %#v, want a 400 naming tags", err)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	e := Refused("roleArn", "not a role the api created", "a role under /commander/")
	if e.Status != 403 || e.Field != "roleArn" || !strings.Contains(e.Message, `"roleArn"`) || !strings.Contains(e.Message, "/commander/") {
		t.Errorf("Refused = %+v", e)
	}
}
