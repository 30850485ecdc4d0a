package cleanup

import (
	"fmt"

	"github.com/aws-commander/commander/shared/cleanup/plan"
	"github.com/aws-commander/commander/shared/cleanup/policy"
	"github.com/aws-commander/commander/shared/pricing"
)

// saves prices what each action on a type stops being billed, from what
// its listing read (plan.Billing). A type or action not here has no
// estimate, never a zero: an AMI's deregistration saves nothing by itself
// (its snapshots do, as they are deleted), an alarm or a role costs little
// or nothing, and a stopped instance's termination frees volumes that
// DescribeInstances does not size.
var saves = map[string]func(t *pricing.Table, r plan.Resource, action string) (pricing.Estimate, bool){
	policy.EC2Volume: func(t *pricing.Table, r plan.Resource, action string) (pricing.Estimate, bool) {
		return t.Volume(r.Region, r.Billing.Type, r.Billing.SizeGiB, r.Billing.IOPS, r.Billing.Throughput)
	},
	policy.EC2Snapshot: func(t *pricing.Table, r plan.Resource, action string) (pricing.Estimate, bool) {
		return t.Snapshot(r.Region, r.Billing.SizeGiB)
	},
	policy.EC2Address: func(t *pricing.Table, r plan.Resource, action string) (pricing.Estimate, bool) {
		return t.PublicIPv4(r.Region)
	},
	policy.EC2Instance: func(t *pricing.Table, r plan.Resource, action string) (pricing.Estimate, bool) {
		if r.State != "running" && r.State != "pending" {
			return pricing.Estimate{}, false // a stopped instance bills no compute already
		}
		return t.Instance(r.Region, r.Billing.Type)
	},
}

// price sets the saving of it's action, and says it in its reason.
func (r *run) price(it *item) {
	f, ok := saves[it.res.Type]
	if !ok || r.job.Prices == nil {
		return
	}
	e, ok := f(r.job.Prices, it.res, it.dec.Action)
	if !ok {
		return
	}
	v := e.MonthlyUSD
	it.cost = &v
	when := ""
	if it.dec.Step == plan.Mark {
		when = " once " + it.dec.Action + " is due"
	}
	it.dec.Reason += fmt.Sprintf("; saves about $%.2f a month%s: %s", v, when, e.Basis)
}
