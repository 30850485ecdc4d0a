package stack

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/aws-commander/commander/shared/cleanup/policy"
)

// kindResources resolves the declarations' symbolic resources
// (policy.Res*) to ARN patterns in this account: the function's own region,
// or any region when regions are configured (see arns.each).
func (a arns) kindResources() map[string][]string {
	return map[string][]string{
		policy.AnyResource:         {"*"},
		policy.ResEC2Any:           a.each("ec2", "*", true), // instances, volumes, ENIs, security groups, subnets, key pairs, EIPs in this account
		policy.ResInstances:        a.each("ec2", "instance/*", true),
		policy.ResVolumes:          a.each("ec2", "volume/*", true),
		policy.ResSnapshots:        a.each("ec2", "snapshot/*", false),
		policy.ResImages:           a.each("ec2", "image/*", false),
		policy.ResElasticIPs:       a.each("ec2", "elastic-ip/*", true),
		policy.ResAlarms:           a.each("cloudwatch", "alarm:*", true),
		policy.ResFunctions:        a.each("lambda", "function:*", true),
		policy.ResRoles:            {a.global("iam", "role/*")},
		policy.ResInstanceProfiles: {a.global("iam", "instance-profile/*")},
		policy.ResBuckets:          {a.s3("*")},
		policy.ResObjects:          {a.s3("*/*")},
	}
}

// Sids of the statements that merge every type's actions on Resource *: the
// regional services' (limited to the configured regions, see regional) and
// the global ones' (IAM, S3). The suffix is the one
// TestResourceStarOnlyWhereNeeded and the cdk-nag reasons rely on.
const (
	kindStarSid       = "ListAndDescribeHasNoResourceLevelResourceStar"
	kindGlobalStarSid = "GlobalListHasNoResourceLevelResourceStar"
)

// kindStatements are the cleanup role's statements about its resource types,
// generated from their declarations (types: policy.Types): for each type, in
// name order, one statement per resource (and conditions) its grants name, with
// the Sid of the type (Ec2Volume, IamRole, ...; with the resource and
// condition when the type needs more than one, IamRoleRolesIfManagedBy); an
// action on a resource that an earlier type was granted already is not
// repeated. The actions on Resource * of every type are merged into the two
// ...ResourceStar statements, which come first.
func kindStatements(a arns, types map[string]policy.Type) []Statement {
	res := a.kindResources()
	type key struct{ action, resource, conditions string }
	granted := map[key]bool{}
	var star, globalStar []string
	var out []Statement
	for _, typ := range slices.Sorted(maps.Keys(types)) {
		type group struct {
			resource, conditions string
			stmt                 Statement
		}
		var groups []*group
		for _, g := range types[typ].IAM {
			resolved, ok := res[g.Resource]
			if !ok {
				panic(fmt.Sprintf("cleanup type %s: a grant names the resource %q, which infra/stack/kindiam.go does not resolve", typ, g.Resource))
			}
			if g.Resource == policy.AnyResource && len(g.Conditions) == 0 {
				for _, x := range g.Actions {
					if globalAction(x) {
						globalStar = append(globalStar, x)
					} else {
						star = append(star, x)
					}
				}
				continue
			}
			conds := conditionsOf(g.Conditions)
			ck := conditionKey(conds)
			i := slices.IndexFunc(groups, func(gr *group) bool { return gr.resource == g.Resource && gr.conditions == ck })
			if i < 0 {
				groups = append(groups, &group{resource: g.Resource, conditions: ck, stmt: Statement{Resources: resolved, Conditions: conds}})
				i = len(groups) - 1
			}
			for _, x := range g.Actions {
				if k := (key{x, g.Resource, ck}); !granted[k] {
					granted[k] = true
					groups[i].stmt.Actions = append(groups[i].stmt.Actions, x)
				}
			}
		}
		groups = slices.DeleteFunc(groups, func(gr *group) bool { return len(gr.stmt.Actions) == 0 })
		for _, gr := range groups {
			gr.stmt.Sid = sidWords(typ)
			if len(groups) > 1 {
				gr.stmt.Sid += sidWords(gr.resource)
				var keys []string
				for _, kv := range gr.stmt.Conditions {
					for k := range kv {
						keys = append(keys, k[strings.LastIndexAny(k, ":/")+1:])
					}
				}
				slices.Sort(keys)
				for _, k := range keys {
					gr.stmt.Sid += "If" + sidWords(k)
				}
			}
			if gr.resource == policy.AnyResource {
				gr.stmt.Sid += "ScopedResourceStar" // a condition scopes it
			}
			out = append(out, gr.stmt)
		}
	}
	var head []Statement
	if s := compact(star); len(s) > 0 {
		head = append(head, Statement{Sid: kindStarSid, Actions: s, Resources: []string{"*"}})
	}
	if s := compact(globalStar); len(s) > 0 {
		head = append(head, Statement{Sid: kindGlobalStarSid, Actions: s, Resources: []string{"*"}})
	}
	return append(head, out...)
}

// globalAction: the action is of a global service (IAM, S3), whose calls
// are not made "in" the configured regions.
func globalAction(x string) bool { return strings.HasPrefix(x, "iam:") || strings.HasPrefix(x, "s3:") }

// conditionsOf copies a grant's conditions into a statement's.
func conditionsOf(c map[string]map[string]string) map[string]map[string]any {
	if len(c) == 0 {
		return nil
	}
	out := map[string]map[string]any{}
	for op, kv := range c {
		out[op] = map[string]any{}
		for k, v := range kv {
			out[op][k] = v
		}
	}
	return out
}

func conditionKey(c map[string]map[string]any) string {
	if len(c) == 0 {
		return ""
	}
	b, _ := json.Marshal(c) // keys sorted
	return string(b)
}

// sidWords makes an alphanumeric Sid part of a name: ec2:instance is
// Ec2Instance, instance-profiles InstanceProfiles.
func sidWords(name string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// compact is list without repeats, in first-seen order.
func compact(list []string) []string {
	var out []string
	for _, x := range list {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
