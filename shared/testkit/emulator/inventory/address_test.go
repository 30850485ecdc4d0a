package inventory_test

import (
	"testing"

	"github.com/aws-commander/commander/shared/awsclient/ec2client"
	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// ReleaseAddress as AWS answers it for VPC addresses. The seeded estate
// associates address 0 with instance 0 and leaves address 1 free.
func TestReleaseAddress(t *testing.T) {
	_, api, _, ctx, counter := start(t, inventory.Spec{Instances: 2, Addresses: 2})
	free, associated := addresses(t, api)
	before := counter.Calls()["EC2.ReleaseAddress"]
	cases := []struct {
		name     string
		in       ec2.ReleaseAddressInput
		wantCode string
	}{
		{"dry run of a free address", ec2.ReleaseAddressInput{AllocationId: aws.String(free), DryRun: aws.Bool(true)}, "DryRunOperation"},
		{"associated address", ec2.ReleaseAddressInput{AllocationId: aws.String(associated)}, "InvalidIPAddress.InUse"},
		{"unknown allocation", ec2.ReleaseAddressInput{AllocationId: aws.String("eipalloc-0000000000000ffff")}, "InvalidAllocationID.NotFound"},
		{"EC2-Classic public IP", ec2.ReleaseAddressInput{PublicIp: aws.String("198.18.0.1")}, "InvalidParameterValue"},
		{"no id", ec2.ReleaseAddressInput{}, "MissingParameter"},
		{"free address", ec2.ReleaseAddressInput{AllocationId: aws.String(free)}, ""},
		{"released twice", ec2.ReleaseAddressInput{AllocationId: aws.String(free)}, "InvalidAllocationID.NotFound"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := api.ReleaseAddress(ctx, &c.in)
			if got := code(err); got != c.wantCode {
				t.Errorf("code %q (%v), want %q", got, err, c.wantCode)
			}
		})
	}
	out, err := api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Addresses) != 1 || aws.ToString(out.Addresses[0].AllocationId) != associated {
		t.Errorf("addresses after the release: %+v, want only %s", out.Addresses, associated)
	}
	if n := counter.Calls()["EC2.ReleaseAddress"] - before; n != int64(len(cases)) {
		t.Errorf("counted %d ReleaseAddress calls, want %d", n, len(cases))
	}
}

// The answers moto gives too: a free address is released and then unknown.
// (moto also releases an associated address, disassociating it first, as AWS
// does in a default VPC only; ours refuses it, as AWS does elsewhere.)
func TestReleaseAddressContractWithMoto(t *testing.T) {
	emulatortest.Moto(t)
	moto := ec2client.New(load(t, "us-east-1"))
	_, inv, _, ctx, _ := start(t, inventory.Spec{Addresses: 1})
	invFree, _ := addresses(t, inv)
	alloc, err := moto.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []struct {
		name string
		api  *ec2.Client
		id   string
	}{{"moto", moto, aws.ToString(alloc.AllocationId)}, {"inventory", inv, invFree}} {
		if _, err := b.api.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(b.id)}); err != nil {
			t.Errorf("%s: release: %v", b.name, err)
		}
		if _, err := b.api.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(b.id)}); code(err) != "InvalidAllocationID.NotFound" {
			t.Errorf("%s: second release: %v, want InvalidAllocationID.NotFound", b.name, err)
		}
		out, err := b.api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
		if err != nil || len(out.Addresses) != 0 {
			t.Errorf("%s: addresses after the release: %v %+v", b.name, err, out)
		}
	}
}

// addresses are the allocation ids of the first free and the first
// associated address.
func addresses(t *testing.T, api *ec2.Client) (free, associated string) {
	t.Helper()
	out, err := api.DescribeAddresses(t.Context(), &ec2.DescribeAddressesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.Addresses {
		switch {
		case a.AssociationId == nil && free == "":
			free = aws.ToString(a.AllocationId)
		case a.AssociationId != nil && associated == "":
			associated = aws.ToString(a.AllocationId)
		}
	}
	return free, associated
}
