package tagger

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// fake is every service the tagger calls: it records each call as
// "<op> <targets>" (EC2: the ids joined by commas) and fails a call when
// fail answers an error for one of its targets.
type fake struct {
	mu      sync.Mutex
	calls   []string
	fail    func(op, target string) error
	buckets map[string]map[string]string // S3 tag sets; a bucket without one answers NoSuchTagSet
	put     map[string][]s3types.Tag     // the last tag set put, by bucket
}

func (f *fake) call(op string, targets ...string) error {
	f.mu.Lock()
	f.calls = append(f.calls, op+" "+strings.Join(targets, ","))
	f.mu.Unlock()
	if f.fail == nil {
		return nil
	}
	for _, t := range targets {
		if err := f.fail(op, t); err != nil {
			return err
		}
	}
	return nil
}

func (f *fake) CreateTags(_ context.Context, in *ec2.CreateTagsInput, _ ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error) {
	return &ec2.CreateTagsOutput{}, f.call("CreateTags", in.Resources...)
}

func (f *fake) DeleteTags(_ context.Context, in *ec2.DeleteTagsInput, _ ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error) {
	return &ec2.DeleteTagsOutput{}, f.call("DeleteTags", in.Resources...)
}

type cwFake struct{ *fake }

func (f cwFake) TagResource(_ context.Context, in *cloudwatch.TagResourceInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.TagResourceOutput, error) {
	return &cloudwatch.TagResourceOutput{}, f.call("CloudWatch.TagResource", aws.ToString(in.ResourceARN))
}

func (f cwFake) UntagResource(_ context.Context, in *cloudwatch.UntagResourceInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.UntagResourceOutput, error) {
	return &cloudwatch.UntagResourceOutput{}, f.call("CloudWatch.UntagResource", aws.ToString(in.ResourceARN))
}

type lambdaFake struct{ *fake }

func (f lambdaFake) TagResource(_ context.Context, in *lambda.TagResourceInput, _ ...func(*lambda.Options)) (*lambda.TagResourceOutput, error) {
	return &lambda.TagResourceOutput{}, f.call("Lambda.TagResource", aws.ToString(in.Resource))
}

func (f lambdaFake) UntagResource(_ context.Context, in *lambda.UntagResourceInput, _ ...func(*lambda.Options)) (*lambda.UntagResourceOutput, error) {
	return &lambda.UntagResourceOutput{}, f.call("Lambda.UntagResource", aws.ToString(in.Resource))
}

func (f *fake) TagRole(_ context.Context, in *iam.TagRoleInput, _ ...func(*iam.Options)) (*iam.TagRoleOutput, error) {
	return &iam.TagRoleOutput{}, f.call("TagRole", aws.ToString(in.RoleName))
}

func (f *fake) UntagRole(_ context.Context, in *iam.UntagRoleInput, _ ...func(*iam.Options)) (*iam.UntagRoleOutput, error) {
	return &iam.UntagRoleOutput{}, f.call("UntagRole", aws.ToString(in.RoleName))
}

func (f *fake) TagInstanceProfile(_ context.Context, in *iam.TagInstanceProfileInput, _ ...func(*iam.Options)) (*iam.TagInstanceProfileOutput, error) {
	return &iam.TagInstanceProfileOutput{}, f.call("TagInstanceProfile", aws.ToString(in.InstanceProfileName))
}

func (f *fake) UntagInstanceProfile(_ context.Context, in *iam.UntagInstanceProfileInput, _ ...func(*iam.Options)) (*iam.UntagInstanceProfileOutput, error) {
	return &iam.UntagInstanceProfileOutput{}, f.call("UntagInstanceProfile", aws.ToString(in.InstanceProfileName))
}

func (f *fake) GetBucketTagging(_ context.Context, in *s3.GetBucketTaggingInput, _ ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	b := aws.ToString(in.Bucket)
	if err := f.call("GetBucketTagging", b); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tg, ok := f.buckets[b]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchTagSet"}
	}
	out := &s3.GetBucketTaggingOutput{}
	for _, k := range slices.Sorted(maps.Keys(tg)) {
		out.TagSet = append(out.TagSet, s3types.Tag{Key: aws.String(k), Value: aws.String(tg[k])})
	}
	return out, nil
}

func (f *fake) PutBucketTagging(_ context.Context, in *s3.PutBucketTaggingInput, _ ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error) {
	b := aws.ToString(in.Bucket)
	if err := f.call("PutBucketTagging", b); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.put == nil {
		f.put = map[string][]s3types.Tag{}
	}
	f.put[b] = in.Tagging.TagSet
	return &s3.PutBucketTaggingOutput{}, nil
}

func (f *fake) DeleteBucketTagging(_ context.Context, in *s3.DeleteBucketTaggingInput, _ ...func(*s3.Options)) (*s3.DeleteBucketTaggingOutput, error) {
	b := aws.ToString(in.Bucket)
	if err := f.call("DeleteBucketTagging", b); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.put == nil {
		f.put = map[string][]s3types.Tag{}
	}
	f.put[b] = nil
	return &s3.DeleteBucketTaggingOutput{}, nil
}

func (f *fake) tagger() Tagger {
	return Tagger{EC2: f, CloudWatch: cwFake{f}, IAM: f, S3: f, Lambda: lambdaFake{f}, Concurrency: 1}
}

var (
	gone   = &smithy.GenericAPIError{Code: "InvalidVolume.NotFound"}
	denied = &smithy.GenericAPIError{Code: "UnauthorizedOperation"}
)

const (
	vol1    = "arn:aws:ec2:us-east-1:123456789012:volume/vol-1"
	vol2    = "arn:aws:ec2:us-east-1:123456789012:volume/vol-2"
	inst    = "arn:aws:ec2:us-east-1:123456789012:instance/i-1"
	alarm   = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high"
	fn      = "arn:aws:lambda:us-east-1:123456789012:function:app"
	role    = "arn:aws:iam::123456789012:role/service/app-role"
	profile = "arn:aws:iam::123456789012:instance-profile/app-profile"
	bucket  = "arn:aws:s3:::data"
)

// Each ARN goes to its service's call with the id or name that call takes;
// EC2's ids share one call.
func TestDispatch(t *testing.T) {
	cases := []struct {
		name  string
		arns  []string
		untag bool
		want  []string // calls, in order (Concurrency 1)
	}{
		{"ec2 shares a call", []string{vol1, inst, vol2}, false, []string{"CreateTags vol-1,i-1,vol-2"}},
		{"ec2 untag", []string{vol1}, true, []string{"DeleteTags vol-1"}},
		{"alarm by ARN", []string{alarm}, false, []string{"CloudWatch.TagResource " + alarm}},
		{"alarm untag", []string{alarm}, true, []string{"CloudWatch.UntagResource " + alarm}},
		{"function by ARN", []string{fn}, false, []string{"Lambda.TagResource " + fn}},
		{"function untag", []string{fn}, true, []string{"Lambda.UntagResource " + fn}},
		{"role by the last segment of its path", []string{role}, false, []string{"TagRole app-role"}},
		{"role untag", []string{role}, true, []string{"UntagRole app-role"}},
		{"instance profile by name", []string{profile}, false, []string{"TagInstanceProfile app-profile"}},
		{"instance profile untag", []string{profile}, true, []string{"UntagInstanceProfile app-profile"}},
		{"bucket: read, then write", []string{bucket}, false, []string{"GetBucketTagging data", "PutBucketTagging data"}},
		{"bucket untag: emptied, so deleted", []string{bucket}, true, []string{"GetBucketTagging data", "DeleteBucketTagging data"}},
		{"GovCloud and China ARNs", []string{"arn:aws-us-gov:ec2:us-gov-west-1:1:volume/vol-g", "arn:aws-cn:iam::1:role/r"}, false,
			[]string{"CreateTags vol-g", "TagRole r"}},
		{"a repeated ARN is tagged once", []string{vol1, vol1, role, role}, false, []string{"CreateTags vol-1", "TagRole app-role"}},
		{"nothing", nil, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fake{}
			var errs map[string]error
			if c.untag {
				errs = f.tagger().Untag(context.Background(), c.arns, "k")
			} else {
				errs = f.tagger().Tag(context.Background(), c.arns, map[string]string{"k": "v"})
			}
			if len(errs) != 0 {
				t.Errorf("errors: %v", errs)
			}
			if !slices.Equal(f.calls, c.want) {
				t.Errorf("calls %q, want %q", f.calls, c.want)
			}
		})
	}
}

// EC2 ids go Batch to a call; a batch that fails is split in halves down
// to the ids at fault (batch.PerID), so only the ids that fail are
// answered, gone ones are done, and a cancelled batch fails every id
// without a retry.
func TestEC2Batches(t *testing.T) {
	many := make([]string, 2*Batch+500)
	for i := range many {
		many[i] = fmt.Sprintf("arn:aws:ec2:us-east-1:1:snapshot/snap-%d", i)
	}
	cases := []struct {
		name    string
		arns    []string
		fail    map[string]error // id -> error of any call that names it
		sizes   []int            // ids per call
		wantErr []string
	}{
		{"batches of 1000", many, nil, []int{1000, 1000, 500}, nil},
		{"one gone in the batch", []string{vol1, vol2, inst}, map[string]error{"vol-2": gone}, []int{3, 1, 2, 1, 1}, nil},
		{"one denied", []string{vol1, vol2, inst}, map[string]error{"i-1": denied}, []int{3, 1, 2, 1, 1}, []string{inst}},
		{"a lone id denied", []string{vol1}, map[string]error{"vol-1": denied}, []int{1}, []string{vol1}},
		{"cancelled batch is not retried", []string{vol1, vol2}, map[string]error{"vol-1": context.Canceled}, []int{2}, []string{vol1, vol2}},
		{"only the failed batch is split", many[:Batch+2], map[string]error{"snap-1001": denied}, []int{1000, 2, 1, 1}, []string{many[1001]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fake{fail: func(_, id string) error { return c.fail[id] }}
			errs := f.tagger().Tag(context.Background(), c.arns, map[string]string{"k": "v"})
			var sizes []int
			for _, call := range f.calls {
				sizes = append(sizes, len(strings.Split(strings.TrimPrefix(call, "CreateTags "), ",")))
			}
			if !slices.Equal(sizes, c.sizes) {
				t.Errorf("call sizes %v, want %v", sizes, c.sizes)
			}
			got := slices.Sorted(maps.Keys(errs))
			if !slices.Equal(got, slices.Sorted(slices.Values(c.wantErr))) {
				t.Errorf("failed %v, want %v", got, c.wantErr)
			}
			for a, err := range errs {
				if !strings.HasPrefix(err.Error(), "tag "+a+": ") {
					t.Errorf("error %q does not name %s", err, a)
				}
			}
			if c.name == "one denied" && !errors.Is(errs[inst], denied) {
				t.Errorf("error %v does not wrap the service's", errs[inst])
			}
		})
	}
}

// Every ARN is answered on its own: a failed one fails only itself, a gone
// one is done, and what the tagger cannot tag fails with the reason,
// naming the ARN, without a call.
func TestPerARNErrors(t *testing.T) {
	alarm2 := "arn:aws:cloudwatch:us-east-1:123456789012:alarm:other"
	cases := []struct {
		name  string
		arns  []string
		fail  map[string]error // target -> error
		want  map[string]string
		calls int
	}{
		{"one alarm denied", []string{alarm, alarm2}, map[string]error{alarm2: denied}, map[string]string{alarm2: "UnauthorizedOperation"}, 2},
		{"gone function is done", []string{fn}, map[string]error{fn: &smithy.GenericAPIError{Code: "ResourceNotFoundException"}}, nil, 1},
		{"gone role is done", []string{role}, map[string]error{"app-role": &smithy.GenericAPIError{Code: "NoSuchEntity"}}, nil, 1},
		{"denied profile, others done", []string{profile, role, vol1}, map[string]error{"app-profile": denied},
			map[string]string{profile: "UnauthorizedOperation"}, 3},
		{"not an ARN", []string{"vol-1"}, nil, map[string]string{"vol-1": "not an ARN"}, 0},
		{"empty", []string{""}, nil, map[string]string{"": "not an ARN"}, 0},
		{"unsupported service", []string{"arn:aws:sqs:us-east-1:1:queue"}, nil, map[string]string{"arn:aws:sqs:us-east-1:1:queue": `service "sqs" is not one`}, 0},
		{"ec2 without an id", []string{"arn:aws:ec2:us-east-1:1:volume"}, nil, map[string]string{"arn:aws:ec2:us-east-1:1:volume": "is not <type>/<id>"}, 0},
		{"ec2 with an empty id", []string{"arn:aws:ec2:us-east-1:1:volume/"}, nil, map[string]string{"arn:aws:ec2:us-east-1:1:volume/": "is not <type>/<id>"}, 0},
		{"iam user", []string{"arn:aws:iam::1:user/bob"}, nil, map[string]string{"arn:aws:iam::1:user/bob": "not a role or an instance profile"}, 0},
		{"iam role without a name", []string{"arn:aws:iam::1:role/path/"}, nil, map[string]string{"arn:aws:iam::1:role/path/": "names no role"}, 0},
		{"s3 object", []string{"arn:aws:s3:::data/key"}, nil, map[string]string{"arn:aws:s3:::data/key": "is not a bucket"}, 0},
		{"s3 access point", []string{"arn:aws:s3:us-east-1:1:accesspoint/ap"}, nil, map[string]string{"arn:aws:s3:us-east-1:1:accesspoint/ap": "is not a bucket"}, 0},
		{"lambda without a resource", []string{"arn:aws:lambda:us-east-1:1:"}, nil, map[string]string{"arn:aws:lambda:us-east-1:1:": "names no resource"}, 0},
		{"bad ones fail alone", []string{"nope", vol1, fn}, nil, map[string]string{"nope": "not an ARN"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fake{fail: func(_, target string) error { return c.fail[target] }}
			errs := f.tagger().Tag(context.Background(), c.arns, map[string]string{"k": "v"})
			if len(errs) != len(c.want) {
				t.Errorf("errors %v, want %v", errs, c.want)
			}
			for a, want := range c.want {
				err := errs[a]
				if err == nil || !strings.HasPrefix(err.Error(), "tag "+a+": ") || !strings.Contains(err.Error(), want) {
					t.Errorf("%q: error %v, want one naming it with %q", a, err, want)
				}
			}
			if len(f.calls) != c.calls {
				t.Errorf("calls %q, want %d", f.calls, c.calls)
			}
		})
	}
}

// A tagger bound to a region refuses an ARN of another region, which its
// clients would answer not-found (read as done); global ARNs name none.
func TestRegionBound(t *testing.T) {
	f := &fake{}
	tg := f.tagger()
	tg.Region = "eu-west-1"
	other := "arn:aws:ec2:eu-west-1:123456789012:volume/vol-9"
	errs := tg.Tag(context.Background(), []string{vol1, other, role, "arn:aws:s3:::data"}, map[string]string{"k": "v"})
	if err := errs[vol1]; err == nil || !strings.Contains(err.Error(), "the ARN is in us-east-1, the tagger's clients in eu-west-1") {
		t.Errorf("%s: %v, want the region named", vol1, err)
	}
	if len(errs) != 1 {
		t.Errorf("errors %v: only the other region's ARN fails", errs)
	}
	for _, c := range f.calls {
		if strings.Contains(c, "vol-1") {
			t.Errorf("a call named the other region's volume: %q", f.calls)
		}
	}
}

// A service without a client fails its ARNs, and only those.
func TestMissingClient(t *testing.T) {
	f := &fake{}
	tg := Tagger{IAM: f, Concurrency: 4}
	errs := tg.Untag(context.Background(), []string{vol1, alarm, fn, bucket, role}, "k")
	for _, a := range []string{vol1, alarm, fn, bucket} {
		if err := errs[a]; err == nil || !strings.HasPrefix(err.Error(), "untag "+a+": ") || !errors.Is(err, errNoClient) {
			t.Errorf("%s: %v", a, err)
		}
	}
	if errs[role] != nil || !slices.Equal(f.calls, []string{"UntagRole app-role"}) {
		t.Errorf("role: %v, calls %q", errs[role], f.calls)
	}
}

// S3 rewrites the whole tag set: what the bucket had, with set's tags and
// without remove's keys. No tag set yet reads as none; a read that fails
// writes nothing; a bucket gone at the write is done; an emptied set is
// deleted (a put needs a tag set).
func TestBucketRetag(t *testing.T) {
	cases := []struct {
		name    string
		had     map[string]string // nil: NoSuchTagSet
		set     map[string]string
		remove  []string
		fail    map[string]error // op -> error
		want    []string         // key=value put, sorted; nil: the set deleted
		noPut   bool
		wantErr string
	}{
		{"adds to what it had", map[string]string{"team": "data", "k": "old"}, map[string]string{"k": "new", "a": "1"}, nil, nil, []string{"a=1", "k=new", "team=data"}, false, ""},
		{"no tag set yet", nil, map[string]string{"k": "v"}, nil, nil, []string{"k=v"}, false, ""},
		{"removes keys", map[string]string{"team": "data", "k": "v"}, nil, []string{"k", "absent"}, nil, []string{"team=data"}, false, ""},
		{"sets and removes in one write", map[string]string{"x": "1", "y": "2"}, map[string]string{"z": "3", "y": "9"}, []string{"x", "y"}, nil, []string{"z=3"}, false, ""},
		{"emptied", map[string]string{"k": "v"}, nil, []string{"k"}, nil, nil, false, ""},
		{"emptied, none before", nil, nil, []string{"k"}, nil, nil, false, ""},
		{"delete denied", map[string]string{"k": "v"}, nil, []string{"k"}, map[string]error{"DeleteBucketTagging": denied}, nil, true, "untag arn:aws:s3:::data: delete tag set: "},
		{"read denied", map[string]string{"k": "v"}, map[string]string{"a": "1"}, nil, map[string]error{"GetBucketTagging": denied}, nil, true, "tag arn:aws:s3:::data: read tag set: "},
		{"write denied", map[string]string{"k": "v"}, map[string]string{"a": "1"}, nil, map[string]error{"PutBucketTagging": denied}, []string{}, true, "tag arn:aws:s3:::data: write tag set: "},
		{"gone at the write", nil, map[string]string{"a": "1"}, nil, map[string]error{"PutBucketTagging": &smithy.GenericAPIError{Code: "NoSuchBucket"}}, nil, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fake{buckets: map[string]map[string]string{}, fail: func(op, _ string) error { return c.fail[op] }}
			if c.had != nil {
				f.buckets["data"] = c.had
			}
			errs := f.tagger().Change(context.Background(), []string{bucket}, c.set, c.remove)
			if got := errs[bucket]; (got == nil) != (c.wantErr == "") || got != nil && !strings.HasPrefix(got.Error(), c.wantErr) {
				t.Errorf("error %v, want %q", got, c.wantErr)
			}
			put, ok := f.put["data"]
			if c.noPut {
				if ok {
					t.Errorf("put %v", put)
				}
				return
			}
			if !ok {
				t.Fatalf("nothing put; calls %q", f.calls)
			}
			if last := f.calls[len(f.calls)-1]; (c.want == nil) != (last == "DeleteBucketTagging data") {
				t.Errorf("last call %q; want the set deleted: %v", last, c.want == nil)
			}
			var got []string
			for _, tag := range put {
				got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("put %v, want %v", got, c.want)
			}
		})
	}
}

// Change on the services tagged by call: the tag call, then the untag
// call; a resource whose tag call failed is not untagged.
func TestChange(t *testing.T) {
	f := &fake{fail: func(op, target string) error {
		if op == "CreateTags" && target == "vol-2" {
			return denied
		}
		return nil
	}}
	errs := f.tagger().Change(context.Background(), []string{vol1, vol2, fn}, map[string]string{"a": "1"}, []string{"b"})
	want := []string{"CreateTags vol-1,vol-2", "CreateTags vol-1", "CreateTags vol-2", "DeleteTags vol-1",
		"Lambda.TagResource " + fn, "Lambda.UntagResource " + fn}
	if !slices.Equal(f.calls, want) {
		t.Errorf("calls %q, want %q", f.calls, want)
	}
	if len(errs) != 1 || !errors.Is(errs[vol2], denied) || !strings.HasPrefix(errs[vol2].Error(), "retag "+vol2+": ") {
		t.Errorf("errors %v", errs)
	}
	// Nothing to change: no call, yet what cannot be tagged still says so.
	f = &fake{}
	errs = f.tagger().Change(context.Background(), []string{vol1, "nope"}, nil, nil)
	if len(f.calls) != 0 || len(errs) != 1 || errs["nope"] == nil {
		t.Errorf("empty change: calls %q errors %v", f.calls, errs)
	}
}

// A context that ends fails what was not called yet, per ARN.
func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := &fake{}
	errs := f.tagger().Tag(ctx, []string{alarm, role}, map[string]string{"k": "v"})
	for _, a := range []string{alarm, role} {
		if !errors.Is(errs[a], context.Canceled) {
			t.Errorf("%s: %v", a, errs[a])
		}
	}
	if len(f.calls) != 0 {
		t.Errorf("calls %q", f.calls)
	}
}
