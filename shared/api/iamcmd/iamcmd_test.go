package iamcmd

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// pagedIAM answers the listings a role deletion reads, in two pages each.
type pagedIAM struct{ API }

func (pagedIAM) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	if in.Marker == nil {
		return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: []types.AttachedPolicy{{PolicyArn: aws.String("arn:1")}}, IsTruncated: true, Marker: aws.String("m")}, nil
	}
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: []types.AttachedPolicy{{PolicyArn: aws.String("arn:2")}}}, nil
}

func (pagedIAM) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	if in.Marker == nil {
		return &iam.ListRolePoliciesOutput{PolicyNames: []string{"a"}, IsTruncated: true, Marker: aws.String("m")}, nil
	}
	return &iam.ListRolePoliciesOutput{PolicyNames: []string{"b"}}, nil
}

func (pagedIAM) ListInstanceProfilesForRole(context.Context, *iam.ListInstanceProfilesForRoleInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesForRoleOutput, error) {
	return &iam.ListInstanceProfilesForRoleOutput{InstanceProfiles: []types.InstanceProfile{{InstanceProfileName: aws.String("p")}}}, nil
}

// Deleting a role completely: every page of every attachment, in order.
func TestRoleSteps(t *testing.T) {
	steps, err := RoleSteps(context.Background(), pagedIAM{}, "r")
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	for _, s := range steps {
		calls = append(calls, s.Call)
	}
	want := []string{"IAM.DetachRolePolicy", "IAM.DetachRolePolicy", "IAM.DeleteRolePolicy", "IAM.DeleteRolePolicy", "IAM.RemoveRoleFromInstanceProfile", "IAM.DeleteRole"}
	if len(calls) != len(want) {
		t.Fatalf("calls = %v", calls)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("call %d = %s, want %s", i, calls[i], want[i])
		}
	}
}

func TestTrustPolicy(t *testing.T) {
	var doc struct {
		Statement []struct {
			Effect    string
			Principal struct{ Service string }
			Action    string
		}
	}
	if err := json.Unmarshal([]byte(TrustPolicy("lambda.amazonaws.com")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 1 || doc.Statement[0].Principal.Service != "lambda.amazonaws.com" || doc.Statement[0].Action != "sts:AssumeRole" || doc.Statement[0].Effect != "Allow" {
		t.Errorf("trust = %+v", doc)
	}
}
