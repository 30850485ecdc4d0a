// Package s3client builds the S3 client from awsclient's configuration.
// Each service has its own package so a function links only the SDK clients
// it uses (issue 9); the behaviour is tested in shared/awsclient.
package s3client

import (
	"github.com/aws-commander/commander/shared/awsclient"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// New is the S3 client for cfg (see awsclient.Load). It uses path-style
// addressing against an emulator, where bucket.localhost would not resolve.
func New(cfg aws.Config) *s3.Client {
	emulated := awsclient.Emulated(cfg, "S3")
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = emulated
		// moto returns no checksums; the SDK would log that on every GET.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}
