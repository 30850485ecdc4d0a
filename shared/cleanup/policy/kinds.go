package policy

// Grant is one permission a type's engine code needs: actions on one kind
// of resource, optionally under conditions. The stack resolves Resource to
// ARNs (infra/stack/kindiam.go) and generates the cleanup role from the
// grants of every type; docs/CLEANUP.md lists them.
type Grant struct {
	Actions []string
	// Resource is one of the symbolic resources below (Res*), or
	// AnyResource for actions that support no resource-level permission.
	Resource string
	// Conditions are IAM condition operators to condition keys to a value,
	// e.g. {"StringEquals": {"aws:ResourceTag/commander:managed-by": "commander"}}.
	Conditions map[string]map[string]string
}

// The symbolic resources of a Grant: plain names here (this package knows
// no ARN, no partition and no account); infra/stack resolves each to the
// ARN patterns of the account and regions it deploys to.
const (
	// AnyResource: actions that support no resource-level permission
	// (Describe*, List*); the stack merges them into its ...ResourceStar
	// statements.
	AnyResource = "*"
	// ResEC2Any is every EC2 resource of the account whose ARN names it
	// (instances, volumes, Elastic IPs, ...): what the marks tag.
	ResEC2Any           = "ec2-any"
	ResInstances        = "instances"
	ResVolumes          = "volumes"
	ResSnapshots        = "snapshots" // EC2 snapshot ARNs name no account
	ResImages           = "images"    // EC2 image ARNs name no account
	ResElasticIPs       = "elastic-ips"
	ResAlarms           = "alarms"
	ResFunctions        = "functions" // and their versions (function:name:N)
	ResRoles            = "roles"
	ResInstanceProfiles = "instance-profiles"
	ResBuckets          = "buckets"
	ResObjects          = "objects" // the objects (and multipart uploads) in any bucket
)

// Resources are the symbolic resources a Grant may name.
var Resources = []string{AnyResource, ResEC2Any, ResInstances, ResVolumes, ResSnapshots, ResImages, ResElasticIPs,
	ResAlarms, ResFunctions, ResRoles, ResInstanceProfiles, ResBuckets, ResObjects}

// ManagedByKey and ManagedByValue are the tag condition that limits a grant
// to resources this system created (tags.ManagedBy, which this package
// cannot import: it imports the EC2 SDK).
const (
	ManagedByKey   = "aws:ResourceTag/commander:managed-by"
	ManagedByValue = "commander"
)

var managedOnly = map[string]map[string]string{"StringEquals": {ManagedByKey: ManagedByValue}}
