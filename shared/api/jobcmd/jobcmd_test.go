package jobcmd

import (
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		err  string
	}{
		{"unset", map[string]string{}, ""},
		{"names", map[string]string{"COMMANDER_BACKUP_FUNCTION": "commander-backup", "COMMANDER_CLEANUP_FUNCTION": "commander-cleanup"}, ""},
		{"arn with alias", map[string]string{"COMMANDER_BACKUP_FUNCTION": "arn:aws:lambda:eu-west-1:123456789012:function:commander-backup:live"}, ""},
		{"bad", map[string]string{"COMMANDER_CLEANUP_FUNCTION": "not a name"}, `COMMANDER_CLEANUP_FUNCTION="not a name" is invalid`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fns, err := FromEnv(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("err = %v", err)
				}
				return
			}
			if err != nil || fns["backup"] != tc.env["COMMANDER_BACKUP_FUNCTION"] {
				t.Errorf("fns = %v, err %v", fns, err)
			}
		})
	}
}
