package iamcmd

import (
	"regexp"

	"github.com/aws-commander/commander/shared/settings"
)

// BoundaryEnv names the variable holding the role boundary's ARN. The stack
// sets it: its api role may create roles only with that boundary, so a role
// made through this tool can never hold more than the boundary allows, whatever
// managed policies a caller attaches to it.
const BoundaryEnv = "COMMANDER_ROLE_BOUNDARY_ARN"

// boundaryRE is a customer managed policy ARN: the boundary is the stack's own
// policy, never an AWS managed one it could not control.
var boundaryRE = regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$`)

// BoundaryFromEnv reads COMMANDER_ROLE_BOUNDARY_ARN at start: empty when
// unset, an error naming the variable when it is not an IAM policy ARN.
func BoundaryFromEnv(get func(string) string) (string, error) {
	e := settings.NewEnv(get)
	v := e.Match(BoundaryEnv, "", boundaryRE, "an IAM policy ARN such as arn:aws:iam::123456789012:policy/commander-prod-role-boundary, or empty for roles without a permissions boundary")
	return v, e.Err()
}
