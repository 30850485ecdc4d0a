package cleanup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/tagger"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func hasTag(list []types.Tag, key string) bool {
	return slices.ContainsFunc(list, func(t types.Tag) bool { return aws.ToString(t.Key) == key })
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ec2Types are the resource types of EC2's ARNs, by cleanup type.
var ec2Types = map[string]string{
	policy.EC2Instance: "instance", policy.EC2Volume: "volume", policy.EC2Snapshot: "snapshot",
	policy.EC2Image: "image", policy.EC2Address: "elastic-ip",
}

// arnOf is the ARN res is tagged by: the one its listing set or, for a
// resource held by its id alone (see held), the one its type, region and id
// make (the tagger needs no more of them). Empty when there is none.
func arnOf(res plan.Resource) string {
	if res.ARN != "" {
		return res.ARN
	}
	if typ, ok := ec2Types[res.Type]; ok {
		return tagger.EC2ARN(res.Region, "", typ, res.ID)
	}
	switch res.Type {
	case policy.S3Bucket:
		return tagger.BucketARN(res.Region, res.ID)
	case policy.IAMRole:
		return tagger.IAMARN(tagger.Partition(res.Region), "role", res.ID)
	case policy.IAMInstanceProfile:
		return tagger.IAMARN(tagger.Partition(res.Region), "instance-profile", res.ID)
	}
	return ""
}

// taggerOf is the tagger of the region items were listed in (every item of
// one call is of one region; the global types' ARNs name none).
func taggerOf(r *run, c Clients, items []item) tagger.Tagger {
	t := tagger.Tagger{EC2: c.EC2, CloudWatch: c.CloudWatch, IAM: c.IAM, S3: c.S3, Lambda: c.Lambda, Concurrency: r.job.Settings.Concurrency}
	if len(items) > 0 && items[0].res.Region != GlobalRegion {
		t.Region = items[0].res.Region
	}
	return t
}

// tagItems is the tag of every kind whose resources carry their own tags:
// the tagger, on each item's ARN, answering per resource id.
func tagItems(ctx context.Context, r *run, c Clients, items []item, set map[string]string) map[string]error {
	return byARN(items, func(arns []string) map[string]error { return taggerOf(r, c, items).Tag(ctx, arns, set) })
}

// untagItems removes keys as tagItems sets them.
func untagItems(ctx context.Context, r *run, c Clients, items []item, keys ...string) map[string]error {
	return byARN(items, func(arns []string) map[string]error { return taggerOf(r, c, items).Untag(ctx, arns, keys...) })
}

// byARN calls call with the items' ARNs and answers its errors by id.
func byARN(items []item, call func(arns []string) map[string]error) map[string]error {
	out := map[string]error{}
	arns := make([]string, 0, len(items))
	for _, it := range items {
		if a := arnOf(it.res); a != "" {
			arns = append(arns, a)
		} else {
			out[it.res.ID] = fmt.Errorf("%s %s has no ARN to tag it by", it.res.Type, it.res.ID)
		}
	}
	errs := call(arns)
	for _, it := range items {
		if err := errs[arnOf(it.res)]; err != nil {
			out[it.res.ID] = err
		}
	}
	return out
}

// changeMarks makes the tags of prefix on a parent (a bucket, a function)
// those of want, where cur are its tags: the tagger sets what differs and
// removes the rest of prefix, and is not called when nothing does.
func changeMarks(ctx context.Context, t tagger.Tagger, arn, prefix string, cur, want map[string]string) error {
	set := map[string]string{}
	for k, v := range want {
		if old, ok := cur[k]; !ok || old != v {
			set[k] = v
		}
	}
	var drop []string
	for _, k := range sortedStrings(cur) {
		if _, keep := want[k]; strings.HasPrefix(k, prefix) && !keep {
			drop = append(drop, k)
		}
	}
	if len(set) == 0 && len(drop) == 0 {
		return nil
	}
	return t.Change(ctx, []string{arn}, set, drop)[arn]
}
