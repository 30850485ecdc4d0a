// Command alarm is the alarm Lambda function: it builds its dependencies from
// settings and hands them to lambda.Start.
package main

import (
	"github.com/aws-commander/commander/shared/boot"
	"github.com/aws-commander/commander/shared/pending"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	d := boot.Start("alarm")
	lambda.Start(pending.Handler(d.Function, d.Log))
}
