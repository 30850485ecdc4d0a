package awsclient_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestEachPackageLinksOnlyItsService: a Go binary carries every imported
// SDK service's generated schemas (package-level, built at init), whether
// it calls the service or not. So awsclient imports no service and each
// constructor package only its own; a function then links only the clients
// it builds (issue 9: bootstrap sizes).
func TestEachPackageLinksOnlyItsService(t *testing.T) {
	const mod = "github.com/aws-commander/commander/shared/awsclient"
	// The credential-chain clients come with the config package (for
	// config.NewEnvConfig) and are not ours to choose.
	chain := []string{"signin", "sso", "ssooidc", "sts"}
	tests := []struct {
		pkg  string
		want []string
	}{
		{"", nil},
		{"/ec2client", []string{"ec2"}},
		{"/s3client", []string{"s3"}},
		{"/lambdaclient", []string{"lambda"}},
		{"/iamclient", []string{"iam"}},
		{"/cloudwatchclient", []string{"cloudwatch"}},
		{"/eventbridgeclient", []string{"eventbridge"}},
	}
	for _, tt := range tests {
		t.Run("awsclient"+tt.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", mod+tt.pkg).Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			var got []string
			for _, p := range strings.Fields(string(out)) {
				if svc, ok := strings.CutPrefix(p, "github.com/aws/aws-sdk-go-v2/service/"); ok && !strings.Contains(svc, "/") && !slices.Contains(chain, svc) {
					got = append(got, svc)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("links services %v, want %v", got, tt.want)
			}
		})
	}
}
