package batch_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws-commander/commander/shared/batch"
	"github.com/aws/smithy-go"
)

// PerID splits a failed batch in halves down to the ids at fault, so one
// vanished resource (not-found: done) or one refused does not fail the
// others; a failure no single id causes fails them all at once.
func TestPerID(t *testing.T) {
	gone := &smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound"}
	denied := &smithy.GenericAPIError{Code: "UnauthorizedOperation"}
	protected := &smithy.GenericAPIError{Code: "OperationNotPermitted"}
	throttled := &smithy.GenericAPIError{Code: "RequestLimitExceeded"}
	cases := []struct {
		name    string
		fail    map[string]error // id -> error when that id is in the call
		wantErr []string
		calls   int
	}{
		{"batch succeeds", nil, nil, 1},
		{"one gone in the batch", map[string]error{"b": gone}, nil, 5},
		{"one denied", map[string]error{"c": denied}, []string{"c"}, 5},
		{"one protected", map[string]error{"a": protected}, []string{"a"}, 3},
		{"cancelled batch is not retried", map[string]error{"a": context.Canceled}, []string{"a", "b", "c"}, 1},
		{"throttled batch is not split", map[string]error{"b": throttled}, []string{"a", "b", "c"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			errs := batch.PerID([]string{"a", "b", "c"}, func(ids []string) error {
				calls++
				for _, id := range ids {
					if err := c.fail[id]; err != nil {
						return err
					}
				}
				return nil
			})
			var got []string
			for id, err := range errs {
				if err == nil {
					t.Errorf("%s: nil error recorded", id)
				}
				got = append(got, id)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.wantErr) || calls != c.calls {
				t.Errorf("failed ids %v calls %d; want %v and %d", got, calls, c.wantErr, c.calls)
			}
			if c.name == "one denied" && !errors.Is(errs["c"], denied) {
				t.Errorf("error = %v", errs["c"])
			}
		})
	}
}

// One bad id among many costs about 2·log2(n) calls more, not n.
func TestPerIDBisects(t *testing.T) {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("i-%04d", i)
	}
	calls := 0
	errs := batch.PerID(ids, func(list []string) error {
		calls++
		if slices.Contains(list, "i-0617") {
			return &smithy.GenericAPIError{Code: "OperationNotPermitted"}
		}
		return nil
	})
	if len(errs) != 1 || errs["i-0617"] == nil || calls > 1+2*10 {
		t.Errorf("errors %v after %d calls; want only i-0617, in at most 21 calls", errs, calls)
	}
}
