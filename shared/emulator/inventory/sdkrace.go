package inventory

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// RaceSafeHTTPClient wraps an SDK HTTP client (nil: the SDK's default
// BuildableClient) so request bodies expose only Read.
//
// Why: smithy-go closes a request body as soon as the response headers
// arrive; net/http's writeLoop may at that moment still be about to io.Copy
// the (already sent) body's remainder, and the closed body's WriteTo answers
// io.EOF, which io.Copy reports as an error. The transport then closes the
// connection under the response being read: "deserialization failed ...
// use of closed network connection" (aws/aws-sdk-go-v2#1825, #2737). Real
// AWS answers too slowly to lose this race often; this server answers in
// microseconds and loses it every few large pages. Through Read, a closed
// body simply ends. Set it as aws.Config.HTTPClient before building clients.
func RaceSafeHTTPClient(next aws.HTTPClient) aws.HTTPClient {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	return raceSafe{next}
}

type raceSafe struct{ next aws.HTTPClient }

type readOnlyBody struct{ io.ReadCloser }

func (c raceSafe) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = readOnlyBody{r.Body}
	}
	return c.next.Do(r)
}
