package stack

import (
	"fmt"
	"net/http"
	"regexp"

	"github.com/aws-commander/commander/shared/api/catalog"
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// Route is one command's HTTP route, as the api's registry declares it.
type Route struct {
	Action  string
	Method  string
	Path    string // API Gateway's syntax: {id}, {key+}
	Mutates bool
}

// CommandRoutes are every command's route, read from the registry the api
// function itself runs, so the stack cannot offer a route the function lacks.
func CommandRoutes() ([]Route, error) {
	reg, err := catalog.Declared()
	if err != nil {
		return nil, fmt.Errorf("the api's command registry: %w", err)
	}
	var out []Route
	for _, d := range reg.Docs() {
		c, _ := reg.Lookup(d.Action)
		out = append(out, Route{Action: c.Action, Method: c.Method, Path: c.Path, Mutates: c.Mutates})
	}
	return out, nil
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// ResourcePath is the route's path as an execute-api ARN names it: each path
// parameter a *. (In an ARN a * also spans "/", so a grant on
// GET /s3/buckets/* covers every GET below it; see docs/SECURITY.md.)
func (r Route) ResourcePath() string { return pathParam.ReplaceAllString(r.Path, "*") }

// ReadOnly are the routes the read-only caller policy grants: every GET
// command (none of which changes anything; the template tests check it).
func ReadOnly(routes []Route) []Route {
	var out []Route
	for _, r := range routes {
		if r.Method == http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

// ReaderName and OperatorName are the caller policies' names: attach one to
// the people and roles that call the HTTP API.
func ReaderName(c Config) string   { return c.Name("api-reader") }
func OperatorName(c Config) string { return c.Name("api-operator") }

// callerPolicies are the two managed policies for callers of the HTTP API:
// read-only (execute-api:Invoke on each GET route) and operator (every
// route), each with cloudformation:DescribeStacks on this stack alone, where
// the CLI reads the API's URL. Neither grants lambda:InvokeFunction on the api function: direct
// invocation is the operator's door, granted apart (docs/SECURITY.md).
func (s *Stack) callerPolicies() {
	arn := func(method, path string) *string {
		return s.API.ArnForExecuteApi(jsii.String(method), jsii.String(path), jsii.String("*"))
	}
	var read []*string
	for _, r := range ReadOnly(s.Config.Routes) {
		read = append(read, arn(r.Method, r.ResourcePath()))
	}
	// The CLI (docs/CLI.md) finds the API's URL in this stack's outputs.
	findAPI := func() awsiam.PolicyStatement {
		return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("FindTheApiUrl"), Actions: jsii.Strings("cloudformation:DescribeStacks"),
			Resources: jsii.Strings(*awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${AWS::StackName}/*"), nil)),
		})
	}
	s.Callers = map[string]awsiam.ManagedPolicy{}
	s.Callers["reader"] = awsiam.NewManagedPolicy(s.Stack, jsii.String("ApiReaderPolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(ReaderName(s.Config)),
		Description:       jsii.String("AWS Commander " + s.Config.Stage + ": call every read-only (GET) command of the HTTP API"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("InvokeReadOnlyCommands"), Actions: jsii.Strings("execute-api:Invoke"), Resources: &read,
		}), findAPI()},
	})
	s.Callers["operator"] = awsiam.NewManagedPolicy(s.Stack, jsii.String("ApiOperatorPolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(OperatorName(s.Config)),
		Description:       jsii.String("AWS Commander " + s.Config.Stage + ": call every command of the HTTP API, mutating ones included"),
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("InvokeEveryCommand"), Actions: jsii.Strings("execute-api:Invoke"),
			Resources: &[]*string{arn("*", "/*")},
		}), findAPI()},
	})
}
