package batch_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws-commander/commander/shared/batch"
	"github.com/aws/smithy-go"
)

// PerID retries a failed batch one id at a time so one vanished resource
// (not-found: done) does not fail the others.
func TestPerID(t *testing.T) {
	gone := &smithy.GenericAPIError{Code: "InvalidInstanceID.NotFound"}
	denied := &smithy.GenericAPIError{Code: "UnauthorizedOperation"}
	cases := []struct {
		name    string
		fail    map[string]error // id -> error when that id is in the call
		wantErr []string
		calls   int
	}{
		{"batch succeeds", nil, nil, 1},
		{"one gone in the batch", map[string]error{"b": gone}, nil, 4},
		{"one denied", map[string]error{"c": denied}, []string{"c"}, 4},
		{"cancelled batch is not retried", map[string]error{"a": context.Canceled}, []string{"a", "b", "c"}, 1},
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
