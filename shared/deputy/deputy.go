// Package deputy holds the bounds of the api function's power: whatever a
// caller asks, the api passes only roles it created (under its role path) or
// roles the stage lists, touches objects only in buckets it created or the
// stage lists, and attaches only allow-listed managed policies. The stack
// sets these variables from its context and scopes the api role's IAM
// statements to the same values, so code and IAM refuse the same things.
package deputy

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/guard"
	"github.com/aws-commander/commander/shared/settings"
)

// The api function's variables (set by the stack from cdk.json context).
const (
	RolePathEnv           = "COMMANDER_ROLE_PATH"           // context rolePath, default /commander/<stage>/
	PassableRolesEnv      = "COMMANDER_PASSABLE_ROLES"      // context passableRoles: role ARNs, comma-separated
	ObjectBucketsEnv      = "COMMANDER_OBJECT_BUCKETS"      // context objectBuckets: bucket names, comma-separated
	AttachablePoliciesEnv = "COMMANDER_ATTACHABLE_POLICIES" // context attachablePolicies: policy ARNs, comma-separated
	StagePrefixEnv        = "COMMANDER_STAGE_PREFIX"        // commander-<stage>-: the stack's own function names start with it
)

// DefaultRolePath is the role path locally and in the demo; the stack sets
// /commander/<stage>/.
const DefaultRolePath = "/commander/"

// DefaultAttachablePolicies are the AWS managed policies a role the api
// creates may carry when the stage lists none: what an instance or a function
// needs to run, log and be managed, and nothing that reads data or changes
// anything else. Names under arn:<partition>:iam::aws:policy/.
var DefaultAttachablePolicies = []string{
	"service-role/AWSLambdaBasicExecutionRole",
	"AWSXRayDaemonWriteAccess",
	"AmazonSSMManagedInstanceCore",
	"CloudWatchAgentServerPolicy",
	"AmazonEC2ReadOnlyAccess",
}

// AWSManagedPolicyARN is the ARN of an AWS managed policy in partition.
func AWSManagedPolicyARN(partition, name string) string {
	return "arn:" + partition + ":iam::aws:policy/" + name
}

// Bounds are the api's limits, read once at start.
type Bounds struct {
	RolePath           string   // roles and instance profiles the api creates live under it
	PassableRoles      []string // role ARNs the stage lists, beyond those under RolePath
	ObjectBuckets      []string // bucket names the stage lists, beyond those this system created
	AttachablePolicies []string // managed policy ARNs a role the api creates may carry
	StagePrefix        string   // names of the stack's own functions start with it; empty: unknown
}

var (
	rolePathRE = regexp.MustCompile(`^/(?:[\w+=,.@-]+/)+$`)
	roleARNRE  = regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$`)
	policyRE   = regexp.MustCompile(`^arn:aws[\w-]*:iam::(?:aws|\d{12}):policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$`)
	bucketRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	prefixRE   = regexp.MustCompile(`^[a-zA-Z0-9_-]+-$`)
)

// FromEnv reads the bounds, every problem named by its variable.
func FromEnv(get func(string) string) (Bounds, error) {
	e := settings.NewEnv(get)
	b := Bounds{
		RolePath:           e.Match(RolePathEnv, DefaultRolePath, rolePathRE, "an IAM path of one or more segments between slashes, such as /commander/prod/ (not / alone)"),
		PassableRoles:      list(e, PassableRolesEnv, roleARNRE, "IAM role ARNs such as arn:aws:iam::123456789012:role/app, comma-separated"),
		ObjectBuckets:      list(e, ObjectBucketsEnv, bucketRE, "S3 bucket names of 3 to 63 characters, comma-separated"),
		AttachablePolicies: list(e, AttachablePoliciesEnv, policyRE, "IAM managed policy ARNs, comma-separated"),
		StagePrefix:        e.Match(StagePrefixEnv, "", prefixRE, "the stage's function name prefix such as commander-prod- (letters, digits, _ or -, ending in -), or empty"),
	}
	if len(b.StagePrefix) > 63 {
		e.Fail(StagePrefixEnv, b.StagePrefix, "a prefix shorter than a function name (at most 63 characters)")
	}
	for _, n := range b.ObjectBuckets {
		if len(n) < 3 || len(n) > 63 {
			e.Fail(ObjectBucketsEnv, get(ObjectBucketsEnv), "S3 bucket names of 3 to 63 characters, comma-separated")
			break
		}
	}
	if strings.TrimSpace(get(AttachablePoliciesEnv)) == "" {
		for _, n := range DefaultAttachablePolicies {
			b.AttachablePolicies = append(b.AttachablePolicies, AWSManagedPolicyARN("aws", n))
		}
	}
	return b, e.Err()
}

func list(e *settings.Env, name string, re *regexp.Regexp, accepts string) []string {
	raw := e.String(name, "")
	if raw == "" {
		return nil
	}
	var out []string
	for _, v := range strings.Split(raw, ",") {
		v = strings.TrimSpace(v)
		if !re.MatchString(v) {
			e.Fail(name, raw, accepts)
			return nil
		}
		out = append(out, v)
	}
	return out
}

// OwnRole reports whether roleARN names a role under the api's role path.
func (b Bounds) OwnRole(roleARN string) bool {
	_, rest, ok := strings.Cut(roleARN, ":role/")
	return ok && roleARNRE.MatchString(roleARN) && b.UnderRolePath("/"+rest)
}

// UnderRolePath reports whether an IAM path (or "/"+path/name) lies under
// the role path. Zero Bounds hold nothing: an unset path never matches.
func (b Bounds) UnderRolePath(path string) bool {
	return strings.HasSuffix(b.RolePath, "/") && strings.HasPrefix(path, b.RolePath)
}

// PassableRole reports whether the api may pass roleARN to a service: a role
// it created under its path, or one the stage lists (compared exactly).
func (b Bounds) PassableRole(roleARN string) bool {
	return b.OwnRole(roleARN) || slices.Contains(b.PassableRoles, roleARN)
}

// AttachablePolicy reports whether policyARN is on the allow-list.
func (b Bounds) AttachablePolicy(policyARN string) bool {
	return slices.Contains(b.AttachablePolicies, policyARN)
}

// ListedBucket reports whether the stage lists bucket for object access.
func (b Bounds) ListedBucket(bucket string) bool { return slices.Contains(b.ObjectBuckets, bucket) }

// StageFunction reports whether a function name carries the stage's prefix:
// one of the stack's own functions, which the api never changes.
func (b Bounds) StageFunction(name string) bool {
	return b.StagePrefix != "" && strings.HasPrefix(name, b.StagePrefix)
}

// Refused is the answer to a request outside the bounds: a 403 naming the
// parameter, why, and what it accepts. It comes before any change.
func Refused(field, why, accepts string) *api.Error {
	return &api.Error{Status: http.StatusForbidden, Code: "OutOfBounds", Field: field, Rule: accepts,
		Message: fmt.Sprintf("parameter %q is refused: %s; accepts %s", field, why, accepts)}
}

// CheckTags refuses caller tags (parameter field) that name the protection
// tag (any case or padding) with a value that does not protect, or with
// padding IAM cannot see: a caller may add protection, never write it off.
func CheckTags(field string, m map[string]string, key string) error {
	for k, v := range m {
		if !guard.ProtectKey(k, key) {
			continue
		}
		if !guard.ProtectionValue(v) {
			return api.Invalid(field, fmt.Sprintf("tags; %q=%q names the protection tag with a value that does not protect: leave it out, or set it to true", k, v))
		}
		if k != strings.TrimSpace(k) {
			return api.Invalid(field, fmt.Sprintf("tags; %q is the protection tag padded with white space, which IAM does not match: write it as %s", k, key))
		}
	}
	return nil
}
