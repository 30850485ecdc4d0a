// Package tagger tags and untags AWS resources named by their ARNs: one
// entry point for every service the jobs mark, dispatching on the ARN's
// service to the call that service tags with. EC2 tags many ids per call;
// CloudWatch and Lambda tag one ARN per call, IAM one role or instance
// profile by name, S3 rewrites a bucket's whole tag set.
//
// Each service is a narrow interface of the SDK methods called, so the
// service clients (and fakes of them) fit as they are. A resource that no
// longer exists counts as done: there is nothing left to tag.
package tagger

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws-commander/commander/shared/awserr"
	"github.com/aws-commander/commander/shared/batch"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// EC2 is what the tagger calls of EC2.
type EC2 interface {
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(ctx context.Context, in *ec2.DeleteTagsInput, opts ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
}

// CloudWatch is what the tagger calls of CloudWatch.
type CloudWatch interface {
	TagResource(ctx context.Context, in *cloudwatch.TagResourceInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *cloudwatch.UntagResourceInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.UntagResourceOutput, error)
}

// IAM is what the tagger calls of IAM.
type IAM interface {
	TagRole(ctx context.Context, in *iam.TagRoleInput, opts ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	UntagRole(ctx context.Context, in *iam.UntagRoleInput, opts ...func(*iam.Options)) (*iam.UntagRoleOutput, error)
	TagInstanceProfile(ctx context.Context, in *iam.TagInstanceProfileInput, opts ...func(*iam.Options)) (*iam.TagInstanceProfileOutput, error)
	UntagInstanceProfile(ctx context.Context, in *iam.UntagInstanceProfileInput, opts ...func(*iam.Options)) (*iam.UntagInstanceProfileOutput, error)
}

// S3 is what the tagger calls of S3.
type S3 interface {
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, opts ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	PutBucketTagging(ctx context.Context, in *s3.PutBucketTaggingInput, opts ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error)
	DeleteBucketTagging(ctx context.Context, in *s3.DeleteBucketTaggingInput, opts ...func(*s3.Options)) (*s3.DeleteBucketTaggingOutput, error)
}

// Lambda is what the tagger calls of Lambda.
type Lambda interface {
	TagResource(ctx context.Context, in *lambda.TagResourceInput, opts ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *lambda.UntagResourceInput, opts ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error)
}

// Tagger tags resources with one region's clients (IAM's and S3's, for
// their global resources). A client left nil fails the ARNs of its service.
type Tagger struct {
	EC2        EC2
	CloudWatch CloudWatch
	IAM        IAM
	S3         S3
	Lambda     Lambda
	// Concurrency bounds the calls in flight for the services that tag one
	// resource per call (all but EC2); below 1, one at a time.
	Concurrency int
	// Region is the region the clients serve (empty: not checked). An ARN
	// naming another region fails: its call would answer not-found, which
	// would read as done. Global ARNs (IAM, S3) name no region.
	Region string
}

// Batch is how many ids one CreateTags or DeleteTags call names: the most
// EC2 accepts ("Up to 1000 resource IDs"). A batch that fails is split in
// halves down to the ids at fault (batch.PerID), so one bad id does not
// fail the others.
const Batch = 1000

// Tag sets the tags of set on every resource of arns. It answers an error
// per ARN that failed; an ARN it does not name is done.
func (t Tagger) Tag(ctx context.Context, arns []string, set map[string]string) map[string]error {
	return t.Change(ctx, arns, set, nil)
}

// Untag removes keys from every resource of arns (a key a resource does not
// carry is no error), answering as Tag.
func (t Tagger) Untag(ctx context.Context, arns []string, keys ...string) map[string]error {
	return t.Change(ctx, arns, nil, keys)
}

// Change sets the tags of set and removes the keys of remove (a key in both
// is removed) on every resource of arns, answering as Tag. S3 makes it one
// write per bucket; the other services a tag call and an untag call.
func (t Tagger) Change(ctx context.Context, arns []string, set map[string]string, remove []string) map[string]error {
	verb := "retag"
	switch {
	case len(remove) == 0:
		verb = "tag"
	case len(set) == 0:
		verb = "untag"
	}
	c := change{set: set, remove: remove}
	out := map[string]error{}
	var mu sync.Mutex
	fail := func(s string, err error) {
		mu.Lock()
		out[s] = fmt.Errorf("%s %s: %w", verb, s, err)
		mu.Unlock()
	}
	var ec2IDs []string
	ec2ARNs := map[string][]string{} // id -> the ARNs naming it
	var one []resource
	seen := map[string]bool{}
	for _, s := range arns {
		if seen[s] {
			continue
		}
		seen[s] = true
		r, err := parse(s)
		switch {
		case err != nil:
			fail(s, err)
		case t.Region != "" && r.region != "" && r.region != t.Region:
			fail(s, fmt.Errorf("the ARN is in %s, the tagger's clients in %s", r.region, t.Region))
		case c.empty():
		case r.service == "ec2":
			if len(ec2ARNs[r.name]) == 0 {
				ec2IDs = append(ec2IDs, r.name)
			}
			ec2ARNs[r.name] = append(ec2ARNs[r.name], s)
		default:
			one = append(one, r)
		}
	}
	if len(ec2IDs) > 0 {
		for id, err := range t.ec2(ctx, ec2IDs, c) {
			for _, s := range ec2ARNs[id] {
				fail(s, err)
			}
		}
	}
	g := errgroup.Group{}
	g.SetLimit(max(1, t.Concurrency))
	for _, r := range one {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				fail(r.arn, err)
			} else if err := awserr.IgnoreNotFound(t.tagOne(ctx, r, c)); err != nil {
				fail(r.arn, err)
			}
			return nil
		})
	}
	_ = g.Wait() // every error is answered per ARN
	return out
}

// change is what Change does to each resource.
type change struct {
	set    map[string]string
	remove []string
}

func (c change) empty() bool { return len(c.set) == 0 && len(c.remove) == 0 }

// resource is a parsed ARN: its service, what kind of resource it names
// (IAM: role or instance-profile) and the id or name the service's tag
// call takes.
type resource struct {
	arn, service, kind, name, region string
}

func parse(s string) (resource, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return resource{}, fmt.Errorf("not an ARN: %w", err)
	}
	r := resource{arn: s, service: a.Service, region: a.Region}
	switch a.Service {
	case "ec2":
		// <type>/<id>: CreateTags takes the id of any EC2 resource.
		typ, id, _ := strings.Cut(a.Resource, "/")
		if typ == "" || id == "" || strings.Contains(id, "/") {
			return r, fmt.Errorf("EC2 resource %q is not <type>/<id>", a.Resource)
		}
		r.kind, r.name = typ, id
	case "iam":
		kind, path, _ := strings.Cut(a.Resource, "/")
		if kind != "role" && kind != "instance-profile" {
			return r, fmt.Errorf("IAM resource %q is not a role or an instance profile", a.Resource)
		}
		r.kind, r.name = kind, path[strings.LastIndex(path, "/")+1:]
		if r.name == "" {
			return r, fmt.Errorf("IAM resource %q names no %s", a.Resource, kind)
		}
	case "s3":
		if a.Resource == "" || strings.Contains(a.Resource, "/") || a.Region != "" || a.AccountID != "" {
			return r, fmt.Errorf("S3 resource %q is not a bucket (arn:<partition>:s3:::<bucket>)", a.Resource)
		}
		r.name = a.Resource
	case "cloudwatch", "lambda":
		// Tagged by ARN: the service says what it cannot tag.
		if a.Resource == "" {
			return r, fmt.Errorf("%s ARN names no resource", a.Service)
		}
	default:
		return r, fmt.Errorf("service %q is not one the tagger tags (ec2, cloudwatch, lambda, iam, s3)", a.Service)
	}
	return r, nil
}

var errNoClient = errors.New("no client for the service")

// ec2 tags ids Batch at a time, answering an error per id that failed.
func (t Tagger) ec2(ctx context.Context, ids []string, c change) map[string]error {
	out := map[string]error{}
	if t.EC2 == nil {
		return batch.Errors(ids, fmt.Errorf("EC2: %w", errNoClient))
	}
	if len(c.set) > 0 {
		tl := tags.List(c.set, func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} })
		for chunk := range slices.Chunk(ids, Batch) {
			maps.Copy(out, batch.PerID(chunk, func(ids []string) error {
				_, err := t.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: tl})
				return err
			}))
		}
	}
	if len(c.remove) > 0 {
		// Only the ids whose tags were set (or none were to be).
		left := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return out[id] != nil })
		var tl []ec2types.Tag
		for _, k := range c.remove {
			tl = append(tl, ec2types.Tag{Key: aws.String(k)})
		}
		for chunk := range slices.Chunk(left, Batch) {
			maps.Copy(out, batch.PerID(chunk, func(ids []string) error {
				_, err := t.EC2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: ids, Tags: tl})
				return err
			}))
		}
	}
	return out
}

// tagOne changes one resource of a service that tags one per call.
func (t Tagger) tagOne(ctx context.Context, r resource, c change) error {
	var tag, untag func() error
	switch r.service {
	case "cloudwatch":
		if t.CloudWatch == nil {
			return fmt.Errorf("CloudWatch: %w", errNoClient)
		}
		tag = func() error {
			tl := tags.List(c.set, func(k, v *string) cwtypes.Tag { return cwtypes.Tag{Key: k, Value: v} })
			_, err := t.CloudWatch.TagResource(ctx, &cloudwatch.TagResourceInput{ResourceARN: aws.String(r.arn), Tags: tl})
			return err
		}
		untag = func() error {
			_, err := t.CloudWatch.UntagResource(ctx, &cloudwatch.UntagResourceInput{ResourceARN: aws.String(r.arn), TagKeys: c.remove})
			return err
		}
	case "lambda":
		if t.Lambda == nil {
			return fmt.Errorf("Lambda: %w", errNoClient)
		}
		tag = func() error {
			_, err := t.Lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(r.arn), Tags: c.set})
			return err
		}
		untag = func() error {
			_, err := t.Lambda.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(r.arn), TagKeys: c.remove})
			return err
		}
	case "iam":
		if t.IAM == nil {
			return fmt.Errorf("IAM: %w", errNoClient)
		}
		tl := tags.List(c.set, func(k, v *string) iamtypes.Tag { return iamtypes.Tag{Key: k, Value: v} })
		name := aws.String(r.name)
		if r.kind == "role" {
			tag = func() error {
				_, err := t.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: name, Tags: tl})
				return err
			}
			untag = func() error {
				_, err := t.IAM.UntagRole(ctx, &iam.UntagRoleInput{RoleName: name, TagKeys: c.remove})
				return err
			}
		} else {
			tag = func() error {
				_, err := t.IAM.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: name, Tags: tl})
				return err
			}
			untag = func() error {
				_, err := t.IAM.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: name, TagKeys: c.remove})
				return err
			}
		}
	case "s3":
		return t.bucket(ctx, r.name, c)
	}
	if len(c.set) > 0 {
		if err := tag(); err != nil {
			return err
		}
	}
	if len(c.remove) > 0 {
		return untag()
	}
	return nil
}

// bucket changes a bucket's tags: S3 replaces the whole set, so read it,
// change it, write it back. No tag set yet (NoSuchTagSet) reads as none; a
// bucket that is gone fails the write with NoSuchBucket, which is done. An
// emptied set is deleted: PutBucketTagging requires a tag set (the SDK
// refuses a put without one before sending it).
func (t Tagger) bucket(ctx context.Context, bucket string, c change) error {
	if t.S3 == nil {
		return fmt.Errorf("S3: %w", errNoClient)
	}
	tg := map[string]string{}
	out, err := t.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	switch {
	case awserr.Is(err, awserr.NotFound):
	case err != nil:
		return fmt.Errorf("read tag set: %w", err)
	default:
		for _, tag := range out.TagSet {
			tg[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
	}
	maps.Copy(tg, c.set)
	for _, k := range c.remove {
		delete(tg, k)
	}
	if len(tg) == 0 {
		_, err = t.S3.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String(bucket)})
		if err = awserr.IgnoreNotFound(err); err != nil {
			return fmt.Errorf("delete tag set: %w", err)
		}
		return nil
	}
	set := tags.List(tg, func(k, v *string) s3types.Tag { return s3types.Tag{Key: k, Value: v} })
	_, err = t.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket), Tagging: &s3types.Tagging{TagSet: set}})
	if err = awserr.IgnoreNotFound(err); err != nil {
		return fmt.Errorf("write tag set: %w", err)
	}
	return nil
}
