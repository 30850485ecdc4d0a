package cleanup

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/report"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// listVersions yields the published versions (never $LATEST) of the
// region's functions this system created, each with its rank from the
// newest and the aliases that route to it. The marks are read from the
// function's tags and given to each version as commander:cleanup-action and
// -due, so the planner treats a version like any taggable resource.
func listVersions(ctx context.Context, _ *run, c Clients, region string, _ []policy.Policy, yield func(plan.Resource)) error {
	api := c.Lambda
	p := lambda.NewListFunctionsPaginator(api, &lambda.ListFunctionsInput{MaxItems: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list functions: %w", err)
		}
		got, err := describeEach(ctx, page.Functions, func(ctx context.Context, fn lambdatypes.FunctionConfiguration) ([]plan.Resource, error) {
			name, arn := aws.ToString(fn.FunctionName), aws.ToString(fn.FunctionArn)
			out, err := api.ListTags(ctx, &lambda.ListTagsInput{Resource: fn.FunctionArn})
			if awserr.Is(err, awserr.NotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("function %s tags: %w", name, err)
			}
			if out.Tags[tags.ManagedBy] != tags.ManagedByValue {
				return nil, nil
			}
			list, err := functionVersions(ctx, api, name, arn, region, out.Tags)
			if awserr.Is(err, awserr.NotFound) {
				return nil, nil
			}
			return list, err
		})
		if err != nil {
			return err
		}
		for _, list := range got {
			for _, r := range list {
				yield(r)
			}
		}
	}
	return nil
}

// functionVersions lists one function's published versions as resources.
func functionVersions(ctx context.Context, api LambdaAPI, name, arn, region string, fnTags map[string]string) ([]plan.Resource, error) {
	aliases, err := aliasedVersions(ctx, api, name)
	if err != nil {
		return nil, err
	}
	type version struct {
		n       int
		arn     string
		state   string
		changed time.Time
	}
	var versions []version
	vp := lambda.NewListVersionsByFunctionPaginator(api, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name), MaxItems: aws.Int32(50)})
	for vp.HasMorePages() {
		page, err := vp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("function %s versions: %w", name, err)
		}
		for _, v := range page.Versions {
			n, err := strconv.Atoi(aws.ToString(v.Version))
			if err != nil || n < 1 {
				continue // $LATEST is never a candidate
			}
			changed := parseLambdaTime(aws.ToString(v.LastModified))
			versions = append(versions, version{n, aws.ToString(v.FunctionArn), string(v.State), changed})
		}
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i].n > versions[j].n })
	marks := parseVersionMarks(fnTags)
	out := make([]plan.Resource, 0, len(versions))
	for i, v := range versions {
		tg := maps.Clone(fnTags)
		// The function's own marks (lambda:function) are not the version's.
		delete(tg, tags.CleanupAction)
		delete(tg, tags.CleanupDue)
		maps.DeleteFunc(tg, func(k, _ string) bool { return strings.HasPrefix(k, VersionMarkPrefix) })
		if due, ok := marks[v.n]; ok {
			tg[tags.CleanupAction], tg[tags.CleanupDue] = "delete", due.Format(time.RFC3339)
		}
		if v.arn == "" {
			v.arn = arn + ":" + strconv.Itoa(v.n)
		}
		out = append(out, plan.Resource{
			Type: policy.LambdaVersion, ID: name + ":" + strconv.Itoa(v.n), ARN: v.arn, Region: region, Name: name,
			State: v.state, Created: v.changed, Tags: tg, Rank: i + 1, Aliases: aliases[strconv.Itoa(v.n)],
		})
	}
	return out, nil
}

// aliasedVersions maps each version an alias routes to (its main version or
// a weighted additional one) to the aliases' names.
func aliasedVersions(ctx context.Context, api LambdaAPI, function string) (map[string][]string, error) {
	out := map[string][]string{}
	p := lambda.NewListAliasesPaginator(api, &lambda.ListAliasesInput{FunctionName: aws.String(function), MaxItems: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("function %s aliases: %w", function, err)
		}
		for _, a := range page.Aliases {
			name := aws.ToString(a.Name)
			out[aws.ToString(a.FunctionVersion)] = append(out[aws.ToString(a.FunctionVersion)], name)
			if a.RoutingConfig != nil {
				for v := range a.RoutingConfig.AdditionalVersionWeights {
					out[v] = append(out[v], name)
				}
			}
		}
	}
	return out, nil
}

// versionOf splits a version resource into its function name, function ARN
// and version number.
func versionOf(res plan.Resource) (name, fnARN string, n int, err error) {
	name, v, ok := strings.Cut(res.ID, ":")
	n, err = strconv.Atoi(v)
	i := strings.LastIndex(res.ARN, ":")
	if !ok || err != nil || n < 1 || i < 0 || res.ARN[i+1:] != v {
		return "", "", 0, fmt.Errorf("%s (%s) is not a published version", res.ID, res.ARN)
	}
	return name, res.ARN[:i], n, nil
}

// byFunction groups items by their function, in a stable order.
func byFunction(items []item) ([][]item, map[string]error) {
	groups := map[string][]item{}
	bad := map[string]error{}
	for _, it := range items {
		_, fn, _, err := versionOf(it.res)
		if err != nil {
			bad[it.res.ID] = err
			continue
		}
		groups[fn] = append(groups[fn], it)
	}
	keys := slices.Sorted(maps.Keys(groups))
	out := make([][]item, 0, len(keys))
	for _, k := range keys {
		out = append(out, groups[k])
	}
	return out, bad
}

// actVersions deletes versions, one function at a time. Aliases are read
// again just before: a version an alias routes to now is never deleted.
// The deleted versions' marks are then removed from the function.
func actVersions(ctx context.Context, r *run, c Clients, p policy.Policy, items []item) {
	api := c.Lambda
	actByParent(r, p, items, byFunction, func(group []item) { actFunctionVersions(ctx, r, api, p, group) })
}

func actFunctionVersions(ctx context.Context, r *run, api LambdaAPI, p policy.Policy, group []item) {
	name, _, _, _ := versionOf(group[0].res)
	aliases, err := aliasedVersions(ctx, api, name)
	if awserr.Is(err, awserr.NotFound) {
		for _, it := range group {
			r.add(decision(it, p.Action, report.Done, it.dec.Reason+"; the function is gone"))
		}
		return
	}
	if err != nil {
		for _, it := range group {
			r.add(failed(it, p.Action, err))
		}
		return
	}
	var deleted []item
	for _, it := range group {
		_, _, n, _ := versionOf(it.res)
		if a := aliases[strconv.Itoa(n)]; len(a) > 0 {
			r.add(decision(it, p.Action, report.Skipped, "not deleted: alias "+strings.Join(a, ", ")+" now points to it (its marks go on the next run)"))
			continue
		}
		if err := ctx.Err(); err != nil {
			r.add(failed(it, p.Action, err))
			continue
		}
		_, err := api.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String(strconv.Itoa(n))})
		if err := ignoreGone(err); err != nil {
			r.add(failed(it, p.Action, fmt.Errorf("delete version: %w", err)))
			continue
		}
		deleted = append(deleted, it)
	}
	if len(deleted) == 0 {
		return
	}
	// Version numbers are never reused, so a mark left behind is harmless;
	// removing it keeps the function's tags short.
	note := ""
	if err := retagFunction(ctx, api, deleted, func(m map[int]time.Time, n int) { delete(m, n) }); err != nil {
		note = "; its mark stays on the function: " + err.Error()
	}
	for _, it := range deleted {
		r.add(decision(it, p.Action, report.Done, it.dec.Reason+note))
	}
}
