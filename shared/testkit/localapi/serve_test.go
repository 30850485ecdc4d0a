package localapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/testkit/emulator/emulatortest"
	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// make serve's local API: the real api over moto with the demo's estate,
// signed requests with the printed credentials answered, unsigned ones
// refused, anything off loopback refused.
func TestServe(t *testing.T) {
	emulatortest.Moto(t) // Start uses the emulator AWS_ENDPOINT_URL names
	t.Setenv("COMMANDER_LOG_LEVEL", "WARN")
	if _, err := Start(context.Background(), Options{Addr: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("0.0.0.0: %v, want refused", err)
	}
	var log bytes.Buffer
	opts := Options{Addr: "127.0.0.1:0", Estate: true, Log: &log}
	r, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	var banner bytes.Buffer
	r.Banner(&banner, opts)
	for _, want := range []string{r.URL, Local.AccessKeyID, Local.SecretAccessKey, "commander --endpoint " + r.URL + " ec2 list", "curl --aws-sigv4", r.Estate.Web} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner.String())
		}
	}
	cases := []struct {
		name   string
		cred   aws.Credentials
		status int
		body   string
	}{
		{"signed with the printed credentials", aws.Credentials{AccessKeyID: Local.AccessKeyID, SecretAccessKey: Local.SecretAccessKey}, 200, r.Estate.Web},
		{"unsigned", aws.Credentials{}, 403, "Missing Authentication Token"},
		{"signed with another secret", aws.Credentials{AccessKeyID: Local.AccessKeyID, SecretAccessKey: "x"}, 403, "does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := signed(t, "GET", r.URL+"/ec2/instances", nil, c.cred, Region, "execute-api", time.Now(), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || !strings.Contains(string(b), c.body) {
				t.Fatalf("status %d, want %d with %q: %s", resp.StatusCode, c.status, c.body, b)
			}
		})
	}
	if !strings.Contains(log.String(), "GET /ec2/instances -> 200") {
		t.Errorf("request log:\n%s", log.String())
	}
}
