package cleanup

import (
	"context"
	"slices"

	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
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

func ec2Tag(ctx context.Context, _ *run, c Clients, items []item, set map[string]string) map[string]error {
	api, list := c.EC2, ids(items)
	tl := tags.List(set, func(k, v *string) types.Tag { return types.Tag{Key: k, Value: v} })
	return perID(list, func(ids []string) error {
		_, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: tl})
		return err
	})
}

func ec2Untag(ctx context.Context, _ *run, c Clients, items []item, keys ...string) map[string]error {
	api, list := c.EC2, ids(items)
	var tl []types.Tag
	for _, k := range keys {
		tl = append(tl, types.Tag{Key: aws.String(k)})
	}
	return perID(list, func(ids []string) error {
		_, err := api.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: ids, Tags: tl})
		return err
	})
}
