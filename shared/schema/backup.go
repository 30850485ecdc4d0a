package schema

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws-commander/commander/shared/backup/retention"
)

// BackupPolicies is the schema of COMMANDER_BACKUP_POLICIES: not a mapping
// but one string in the compact syntax retention.Parse reads
// (name=key:value,...;...), so the schema is a string whose pattern is
// generated from retention.Keys. Looser than retention.Parse on: unique
// names and keys, a time zone that loads, a policy keeping something, and
// copykms/copydays needing copy.
func BackupPolicies() Schema {
	var docs []string
	for _, k := range retention.Keys {
		docs = append(docs, k.Name+": "+k.Doc)
	}
	return root(BackupPoliciesFile, "AWS Commander backup policies (COMMANDER_BACKUP_POLICIES)",
		"The backup function's extra or overriding policies: one string, "+retention.Syntax+". "+
			"Keys: "+strings.Join(docs, "; ")+". "+
			"retention.Parse (shared/backup/retention) also checks what this pattern cannot state: each policy name and each key once, "+
			"that a time zone loads, that a policy keeps something (one of last, days, daily, weekly, monthly, yearly above 0), "+
			"and that copykms and copydays come with copy. As a file for `commander validate` or an editor: a YAML or JSON document "+
			"that is this one string. See docs/BACKUP.md.",
		Schema{"type": "string", "pattern": backupPattern()})
}

// backupPattern is the compact syntax as one regular expression: policies
// separated by ";" (empty ones skipped), each name=key:value,... with
// space around every part trimmed, as Parse trims it.
func backupPattern() string {
	kinds := map[string][]string{}
	var order []string
	for _, k := range retention.Keys {
		if _, ok := kinds[k.Value]; !ok {
			order = append(order, k.Value)
		}
		kinds[k.Value] = append(kinds[k.Value], k.Name)
	}
	var kvs []string
	for _, kind := range order {
		kvs = append(kvs, "(?:"+strings.Join(kinds[kind], "|")+")"+ws+"*:"+ws+"*"+backupValue(kind))
	}
	kv := "(?:" + strings.Join(kvs, "|") + ")"
	item := unanchored(retention.NamePattern) + ws + "*=" + ws + "*" + kv + "(?:" + ws + "*," + ws + "*" + kv + ")*"
	return "^" + ws + "*(?:" + item + ws + "*)?(?:;" + ws + "*(?:" + item + ws + "*)?)*$"
}

// backupValue is a value of one kind; where Parse checks more than a
// pattern can (a zone loading), it is any text without a separator.
func backupValue(kind string) string {
	switch kind {
	case retention.ValueEvery:
		var es []string
		for _, e := range retention.Everys {
			es = append(es, string(e))
		}
		return "(?:" + strings.Join(es, "|") + ")"
	case retention.ValueCount:
		return countPattern(retention.MaxKeep)
	case retention.ValueRegion:
		return portableOr(retention.RegionPattern)
	case retention.ValueKMS:
		return portableOr(retention.KMSPattern)
	}
	return "[^,;]+"
}

// countPattern is what strconv.Atoi reads as a whole number from 0 to max:
// an optional +, leading zeros, and -0. A max that is no power of ten gets
// the digits' count alone (looser, never stricter).
func countPattern(max int) string {
	digits := len(strconv.Itoa(max))
	n := "[0-9]{1," + strconv.Itoa(digits) + "}"
	if digits > 1 && strconv.Itoa(max) == "1"+strings.Repeat("0", digits-1) {
		n = fmt.Sprintf("(?:[0-9]{1,%d}|%d)", digits-1, max)
	}
	return `(?:\+?0*` + n + `|-0+)`
}

// portableOr is an anchored pattern as a group, or any value when it has
// no portable spelling.
func portableOr(re string) string {
	if p, ok := portable(re); ok {
		return unanchored(p)
	}
	return "[^,;]+"
}
