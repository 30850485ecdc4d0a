package awsclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// httpClient is the SDK's default HTTP client (BuildableClient, its
// timeouts unchanged), trusting only caBundle's certificates when it names a
// PEM file (AWS_CA_BUNDLE, as LoadDefaultConfig does), and race-safe.
func httpClient(caBundle string) (aws.HTTPClient, error) {
	c := awshttp.NewBuildableClient()
	if caBundle != "" {
		pem, err := os.ReadFile(caBundle)
		if err != nil {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("AWS_CA_BUNDLE %s: no PEM certificate in it", caBundle)
		}
		c = c.WithTransportOptions(func(tr *http.Transport) {
			if tr.TLSClientConfig == nil {
				tr.TLSClientConfig = &tls.Config{}
			}
			tr.TLSClientConfig.RootCAs = roots
		})
	}
	return RaceSafe(c), nil
}

// RaceSafe makes c race-safe (see raceSafe): what a test that gives the SDK
// a client of its own (an in-memory network, say) wraps it in, so that it
// meets the same connections the functions do.
func RaceSafe(c aws.HTTPClient) aws.HTTPClient { return raceSafe{c} }

// raceSafe is an SDK HTTP client whose request bodies expose only Read.
//
// Why: smithy-go closes a request body as soon as the response headers
// arrive; net/http's writeLoop may at that moment still be about to io.Copy
// the (already sent) body's remainder, and the closed body's WriteTo answers
// io.EOF, which io.Copy reports as an error. The transport then closes the
// connection under the response being read: "deserialization failed ...
// use of closed network connection" (aws/aws-sdk-go-v2#1825, #2737), a
// failed attempt the retryer has to absorb. AWS answers too slowly to lose
// this race often, a loopback emulator every few large pages; through Read
// a closed body simply ends.
type raceSafe struct{ next aws.HTTPClient }

type readOnlyBody struct{ io.ReadCloser }

func (c raceSafe) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readOnlyBody{r.Body}
	}
	return c.next.Do(r)
}
