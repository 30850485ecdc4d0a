package iamcmd

import (
	"context"
	"fmt"
	"time"

	"github.com/aws-commander/commander/shared/api"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// User is a user in a listing.
type User struct {
	Name             string      `json:"name"`
	Arn              string      `json:"arn"`
	Created          *time.Time  `json:"created,omitempty"`
	PasswordLastUsed *time.Time  `json:"passwordLastUsed,omitempty"`
	AccessKeys       []AccessKey `json:"accessKeys"`
}

// AccessKey is a user's key and its last use.
type AccessKey struct {
	ID       string     `json:"accessKeyId"`
	Status   string     `json:"status"`
	Created  *time.Time `json:"created,omitempty"`
	LastUsed *time.Time `json:"lastUsed,omitempty"`
	Service  string     `json:"lastUsedService,omitempty"`
}

func (d Deps) listUsers(ctx context.Context, c *api.Call) (any, error) {
	max := int(c.Params.Int("maxItems"))
	list := []User{}
	pg := iam.NewListUsersPaginator(d.IAM, &iam.ListUsersInput{PathPrefix: aws.String(c.Params.Str("pathPrefix"))})
	truncated := false
	for pg.HasMorePages() && !truncated {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		for _, u := range out.Users {
			if len(list) == max {
				truncated = true
				break
			}
			user := User{Name: aws.ToString(u.UserName), Arn: aws.ToString(u.Arn), Created: u.CreateDate, PasswordLastUsed: u.PasswordLastUsed, AccessKeys: []AccessKey{}}
			kp := iam.NewListAccessKeysPaginator(d.IAM, &iam.ListAccessKeysInput{UserName: u.UserName})
			for kp.HasMorePages() {
				ko, err := kp.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("list access keys of %s: %w", user.Name, err)
				}
				for _, k := range ko.AccessKeyMetadata {
					key := AccessKey{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status), Created: k.CreateDate}
					lu, err := d.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
					if err != nil {
						return nil, fmt.Errorf("last use of key %s: %w", key.ID, err)
					}
					if lu.AccessKeyLastUsed != nil {
						key.LastUsed, key.Service = lu.AccessKeyLastUsed.LastUsedDate, aws.ToString(lu.AccessKeyLastUsed.ServiceName)
					}
					user.AccessKeys = append(user.AccessKeys, key)
				}
			}
			list = append(list, user)
		}
	}
	return map[string]any{"users": list, "truncated": truncated}, nil
}
