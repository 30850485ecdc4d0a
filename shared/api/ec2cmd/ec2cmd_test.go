package ec2cmd

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws-commander/commander/shared/settings"
	"github.com/aws-commander/commander/shared/tags"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func testSettings(t *testing.T, env map[string]string) settings.Settings {
	t.Helper()
	env["AWS_REGION"] = "eu-west-1"
	s, err := settings.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The launch request is hardened whatever the caller asks.
func TestLaunchInput(t *testing.T) {
	img := types.Image{ImageId: aws.String("ami-0123456789abcdef0"), RootDeviceName: aws.String("/dev/sda1")}
	cases := []struct {
		name     string
		env      map[string]string
		params   api.Params
		wantKMS  string
		wantSize int32
		wantType types.VolumeType
	}{
		{"defaults", map[string]string{}, api.Params{"instanceType": "t2.micro"}, "", 8, types.VolumeTypeGp3},
		{"settings", map[string]string{"COMMANDER_ROOT_VOLUME_SIZE_GB": "20", "COMMANDER_ROOT_VOLUME_TYPE": "gp2", "COMMANDER_ROOT_VOLUME_KMS_KEY": "alias/ebs"},
			api.Params{"instanceType": "t3.small"}, "alias/ebs", 20, types.VolumeTypeGp2},
		{"kms from the request wins", map[string]string{"COMMANDER_ROOT_VOLUME_KMS_KEY": "alias/ebs"},
			api.Params{"instanceType": "t3.small", "kmsKeyId": "alias/mine", "userData": "#!/bin/sh", "name": "web"}, "alias/mine", 8, types.VolumeTypeGp3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Deps{Settings: testSettings(t, tc.env)}
			c := &api.Call{Params: tc.params, Caller: "arn:aws:iam::1:user/a", Token: "req-1", Now: time.Unix(0, 0)}
			in := d.LaunchInput(c, img)
			bd := in.BlockDeviceMappings[0]
			if aws.ToString(bd.DeviceName) != "/dev/sda1" || !aws.ToBool(bd.Ebs.Encrypted) || !aws.ToBool(bd.Ebs.DeleteOnTermination) ||
				aws.ToInt32(bd.Ebs.VolumeSize) != tc.wantSize || bd.Ebs.VolumeType != tc.wantType || aws.ToString(bd.Ebs.KmsKeyId) != tc.wantKMS {
				t.Errorf("root volume = %+v", bd.Ebs)
			}
			if in.MetadataOptions.HttpTokens != types.HttpTokensStateRequired {
				t.Errorf("IMDSv2 not required")
			}
			if aws.ToString(in.ClientToken) != ClientToken("req-1") || len(aws.ToString(in.ClientToken)) > 64 {
				t.Errorf("client token = %s", aws.ToString(in.ClientToken))
			}
			tg := map[string]string{}
			for _, x := range in.TagSpecifications[0].Tags {
				tg[aws.ToString(x.Key)] = aws.ToString(x.Value)
			}
			if tg[tags.CreatedBy] != "arn:aws:iam::1:user/a" || tg[tags.ManagedBy] != "commander" || tg[tags.RunKey] != ClientToken("req-1") {
				t.Errorf("tags = %v", tg)
			}
			if ud := tc.params.Str("userData"); ud != "" {
				if got, _ := base64.StdEncoding.DecodeString(aws.ToString(in.UserData)); string(got) != ud {
					t.Errorf("user data = %q", got)
				}
			}
		})
	}
	if ClientToken("a") == ClientToken("b") || ClientToken("a") != ClientToken("a") {
		t.Error("client token must be stable per request and differ between requests")
	}
}

func TestIngressPermissions(t *testing.T) {
	cases := []struct {
		name  string
		rules []Ingress
		ok    bool
	}{
		{"https", []Ingress{{Protocol: "tcp", Port: 443, CIDR: "10.0.0.0/16"}}, true},
		{"range", []Ingress{{Protocol: "udp", FromPort: 1000, ToPort: 2000, CIDR: "0.0.0.0/0"}}, true},
		{"all traffic", []Ingress{{Protocol: "-1", CIDR: "10.1.0.0/16"}}, true},
		{"bad protocol", []Ingress{{Protocol: "gre", Port: 1, CIDR: "10.0.0.0/8"}}, false},
		{"reversed ports", []Ingress{{Protocol: "tcp", FromPort: 90, ToPort: 80, CIDR: "10.0.0.0/8"}}, false},
		{"no port", []Ingress{{Protocol: "tcp", CIDR: "10.0.0.0/8"}}, false},
		{"bad cidr", []Ingress{{Protocol: "tcp", Port: 22, CIDR: "10.0.0.300/8"}}, false},
		{"cidr without mask", []Ingress{{Protocol: "tcp", Port: 22, CIDR: "10.0.0.1"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := IngressPermissions(tc.rules)
			if (err == nil) != tc.ok {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestListFilters(t *testing.T) {
	f := ListFilters([]string{"running"}, []string{"env=prod", "team=a=b"})
	if len(f) != 3 || aws.ToString(f[1].Name) != "tag:env" || f[1].Values[0] != "prod" || aws.ToString(f[2].Name) != "tag:team" || f[2].Values[0] != "a=b" {
		t.Errorf("filters = %+v", f)
	}
}
