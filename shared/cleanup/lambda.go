package cleanup

import (
	"context"
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// LambdaAPI is the slice of Lambda the cleanup job calls.
type LambdaAPI interface {
	lambda.ListFunctionsAPIClient
	lambda.ListVersionsByFunctionAPIClient // lambda:version
	lambda.ListAliasesAPIClient            // lambda:version
	ListTags(ctx context.Context, in *lambda.ListTagsInput, opts ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
	TagResource(ctx context.Context, in *lambda.TagResourceInput, opts ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *lambda.UntagResourceInput, opts ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error)
	DeleteFunction(ctx context.Context, in *lambda.DeleteFunctionInput, opts ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error)
}

// lambdaTime is Lambda's LastModified format, e.g. 2026-01-31T02:00:00.000+0000.
const lambdaTime = "2006-01-02T15:04:05.000-0700"

// parseLambdaTime reads LastModified; RFC 3339 (what moto sends) is accepted
// too. Zero when unreadable: age filters then never match.
func parseLambdaTime(s string) time.Time {
	for _, layout := range []string{lambdaTime, time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// listFunctions yields the region's functions this system created; their
// tags need one call each (bounded per page). Age is since the last change
// (Lambda reports no creation time).
func listFunctions(ctx context.Context, _ *run, c Clients, region string, _ []policy.Policy, yield func(plan.Resource)) error {
	p := lambda.NewListFunctionsPaginator(c.Lambda, &lambda.ListFunctionsInput{MaxItems: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list functions: %w", err)
		}
		got, err := describeEach(ctx, page.Functions, func(ctx context.Context, fn lambdatypes.FunctionConfiguration) (*plan.Resource, error) {
			out, err := c.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: fn.FunctionArn})
			if awserr.Is(err, awserr.NotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("function %s tags: %w", aws.ToString(fn.FunctionName), err)
			}
			if out.Tags[tags.ManagedBy] != tags.ManagedByValue {
				return nil, nil
			}
			return &plan.Resource{
				Type: policy.LambdaFunction, ID: aws.ToString(fn.FunctionName), ARN: aws.ToString(fn.FunctionArn), Region: region,
				Name: aws.ToString(fn.FunctionName), State: string(fn.State), Created: parseLambdaTime(aws.ToString(fn.LastModified)), Tags: out.Tags,
			}, nil
		})
		if err != nil {
			return err
		}
		for _, r := range got {
			if r != nil {
				yield(*r)
			}
		}
	}
	return nil
}

// actFunctions deletes each function with all its versions and aliases.
var actFunctions = deleteEach("delete function", func(ctx context.Context, c Clients, it item) error {
	_, err := c.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(it.res.ID)})
	return err
})
