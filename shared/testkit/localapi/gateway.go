// Package localapi is a local stand-in for the stack's HTTP API: an
// http.Handler that verifies each request's SigV4 signature (service
// execute-api) against known credentials, as the routes' AWS_IAM
// authorization does, matches it to the command's route, translates it into
// an API Gateway HTTP API payload 2.0 event with the verified IAM identity,
// and invokes the api handler as the integration's alias. Tests run the CLI
// against it, and `make serve` runs it on loopback (cmd/serve).
package localapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Handler is the api function's entry point (lambda.Handler, as
// *api.Server implements it).
type Handler interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Routes is the slice of the registry the gateway reads: the route key of
// a method and path, as API Gateway matches it.
type Routes interface {
	Match(method, path string) (*api.Command, map[string]string, bool)
}

// Credential is one access key the gateway accepts, and the identity IAM
// would put in the event for it.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string // when set, the request must carry it (X-Amz-Security-Token)
	UserARN         string // e.g. arn:aws:iam::123456789012:user/local
	UserID          string
}

// Account is the account id of an ARN (its fifth field).
func (c Credential) Account() string {
	parts := strings.Split(c.UserARN, ":")
	if len(parts) > 4 {
		return parts[4]
	}
	return ""
}

// UnsignedCaller is the identity of an unsigned request when the gateway
// allows them (Gateway.AllowUnsigned).
const UnsignedCaller = "arn:aws:iam::123456789012:user/unsigned-local"

// Gateway is the local HTTP API.
type Gateway struct {
	Handler     Handler
	Routes      Routes
	Region      string // the region a signature must be for
	Credentials []Credential
	// AllowUnsigned lets a request without a signature through as
	// UnsignedCaller (for a quick curl); a signed request is still verified.
	AllowUnsigned bool
	// FunctionARN is the unqualified api function's ARN; the gateway invokes
	// it as FunctionARN:http (api.IntegrationAlias), as the integration does.
	FunctionARN string
	Now         func() time.Time
	// Log receives one line per request; nil writes none.
	Log io.Writer
}

// maxSkew is how far a signature's time may be from the gateway's, as AWS allows.
const maxSkew = 15 * time.Minute

// maxBody is API Gateway's HTTP API payload limit.
const maxBody = 10 << 20

// ServeHTTP answers one request as API Gateway would: 404 for no route,
// 403 for a missing or wrong signature, otherwise the api's answer.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status := g.serve(w, r)
	if g.Log != nil {
		fmt.Fprintf(g.Log, "%s %s %s -> %d\n", g.now().UTC().Format(time.RFC3339), r.Method, r.URL.RequestURI(), status)
	}
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) int {
	// API Gateway matches the route before it authorizes: an unknown route
	// is a 404 for signed and unsigned callers alike. An HTTP API answers
	// 404 (not 405) for a known path with another method too.
	cmd, pathParams, ok := g.Routes.Match(r.Method, r.URL.Path)
	if !ok {
		return message(w, http.StatusNotFound, "Not Found")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return message(w, http.StatusBadRequest, "Bad Request")
	}
	if len(body) > maxBody {
		return message(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	}
	who, status, msg := g.authorize(r, body)
	if status != 0 {
		return message(w, status, msg)
	}
	ev := g.event(r, cmd, pathParams, body, who)
	payload, err := json.Marshal(ev)
	if err != nil {
		return message(w, http.StatusInternalServerError, "Internal Server Error")
	}
	lc := &lambdacontext.LambdaContext{AwsRequestID: newID(), InvokedFunctionArn: g.FunctionARN + ":" + api.IntegrationAlias}
	out, err := g.Handler.Invoke(lambdacontext.NewContext(r.Context(), lc), payload)
	if err != nil {
		// What API Gateway answers when the integration fails.
		return message(w, http.StatusInternalServerError, "Internal Server Error")
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		return message(w, http.StatusInternalServerError, "Internal Server Error")
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Apigw-Requestid", ev.RequestContext.RequestID)
	respBody := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if respBody, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return message(w, http.StatusInternalServerError, "Internal Server Error")
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
	return resp.StatusCode
}

// message is API Gateway's own answer: {"message": "..."}.
func message(w http.ResponseWriter, status int, msg string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": msg})
	_, _ = w.Write(b)
	return status
}

// authorize verifies the request's SigV4 signature: it recomputes it with
// the SDK's signer from the secret of the access key the request names, over
// the headers the request says it signed, and compares. The answer is the
// caller, or a status and API Gateway's message.
func (g *Gateway) authorize(r *http.Request, body []byte) (Credential, int, string) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		if g.AllowUnsigned {
			return Credential{AccessKeyID: "unsigned", UserARN: UnsignedCaller, UserID: "unsigned-local"}, 0, ""
		}
		return Credential{}, http.StatusForbidden, "Missing Authentication Token"
	}
	sig, err := parseAuthorization(auth)
	if err != nil {
		return Credential{}, http.StatusForbidden, err.Error()
	}
	if sig.service != "execute-api" || sig.region != g.Region {
		return Credential{}, http.StatusForbidden, fmt.Sprintf("Credential should be scoped to a valid region and service: execute-api in %s, not %s in %s", g.Region, sig.service, sig.region)
	}
	var cred Credential
	for _, c := range g.Credentials {
		if c.AccessKeyID == sig.accessKey {
			cred = c
		}
	}
	if cred.AccessKeyID == "" {
		return Credential{}, http.StatusForbidden, "The security token included in the request is invalid."
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if cred.SessionToken != "" && !hmac.Equal([]byte(token), []byte(cred.SessionToken)) {
		return Credential{}, http.StatusForbidden, "The security token included in the request is invalid."
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return Credential{}, http.StatusForbidden, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
	}
	if d := g.now().Sub(at); d > maxSkew || d < -maxSkew {
		return Credential{}, http.StatusForbidden, "Signature expired: " + at.Format("20060102T150405Z") + " is now earlier than the allowed window"
	}
	want, err := g.expected(r, body, sig, cred, token, at)
	if err != nil {
		return Credential{}, http.StatusForbidden, err.Error()
	}
	if !hmac.Equal([]byte(want), []byte(sig.signature)) {
		return Credential{}, http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
	}
	return cred, 0, ""
}

// expected is the signature the request should carry: the SDK's signer over
// a copy of the request holding only the headers it claims to have signed.
func (g *Gateway) expected(r *http.Request, body []byte, sig authorization, cred Credential, token string, at time.Time) (string, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	cp, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("the request URL: %w", err)
	}
	cp.Host = r.Host
	for _, h := range sig.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			cp.ContentLength = int64(len(body))
		default:
			cp.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey, SessionToken: token}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, cp, hex.EncodeToString(sum[:]), sig.service, sig.region, at); err != nil {
		return "", fmt.Errorf("signature: %w", err)
	}
	got, err := parseAuthorization(cp.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	if strings.Join(got.signedHeaders, ";") != strings.Join(sig.signedHeaders, ";") {
		// The signer signs what it would sign, not what the client chose:
		// a client signing other headers cannot be verified here.
		return "", fmt.Errorf("the request signs headers %s; the verifier signs %s", strings.Join(sig.signedHeaders, ";"), strings.Join(got.signedHeaders, ";"))
	}
	return got.signature, nil
}

// authorization is a parsed SigV4 Authorization header.
type authorization struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

func parseAuthorization(h string) (authorization, error) {
	var a authorization
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a, fmt.Errorf("Authorization header requires the AWS4-HMAC-SHA256 algorithm")
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return a, fmt.Errorf("Authorization header has a malformed Credential: %q", v)
			}
			a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
			sort.Strings(a.signedHeaders)
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKey == "" || a.signature == "" || len(a.signedHeaders) == 0 {
		return a, fmt.Errorf("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'")
	}
	return a, nil
}

// event is the payload 2.0 event API Gateway sends the integration for r.
func (g *Gateway) event(r *http.Request, cmd *api.Command, pathParams map[string]string, body []byte, who Credential) events.APIGatewayV2HTTPRequest {
	now := g.now().UTC()
	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	headers["host"] = r.Host
	var query map[string]string
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q) > 0 {
		query = map[string]string{}
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: cmd.Route(), RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Headers: headers, QueryStringParameters: query, PathParameters: pathParams,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: cmd.Route(), AccountID: who.Account(), Stage: "$default", RequestID: newID(),
			APIID: "local", DomainName: r.Host, DomainPrefix: strings.Split(r.Host, ".")[0],
			Time: now.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path,
				Protocol: r.Proto, SourceIP: sourceIP(r), UserAgent: r.UserAgent()},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{IAM: &events.APIGatewayV2HTTPRequestContextAuthorizerIAMDescription{
				AccessKey: who.AccessKeyID, AccountID: who.Account(), CallerID: who.UserID, UserARN: who.UserARN, UserID: who.UserID}},
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

func sourceIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndex(host, ":"); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

func (g *Gateway) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// newID is a random request id.
func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
