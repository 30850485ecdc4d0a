package guard

import "strings"

// The protection rule, written once. Code and IAM read it from here: the jobs,
// reactions and commands through Protected, the stack's policies through
// ProtectedConditions and the tag-change conditions built on it.
//
// A resource is protected when any of its tags has the protection key, compared
// without regard to case and surrounding white space, and a value other than
// "false" (in any case, nothing trimmed). It is fail-safe: "true", "TRUE",
// " true", "yes", "" and "Commander:Protect=true" all protect; only an explicit
// "false" does not. IAM compares condition key names without regard to case and
// cannot trim, so the IAM conditions below match the same rule except for a key
// padded with white space, which only the code catches.

// Protected reports whether tags protect the resource under key (COMMANDER_PROTECT_TAG).
func Protected(tags map[string]string, key string) bool {
	if v, ok := tags[key]; ok && !unprotected(v) {
		return true
	}
	want := strings.TrimSpace(key)
	for k, v := range tags {
		if strings.EqualFold(strings.TrimSpace(k), want) && !unprotected(v) {
			return true
		}
	}
	return false
}

// ProtectKey reports whether k names the protection tag under the same rule
// (case and surrounding white space ignored): a change to such a tag is a
// change to protection.
func ProtectKey(k, key string) bool {
	return strings.EqualFold(strings.TrimSpace(k), strings.TrimSpace(key))
}

// ProtectionValue reports whether v, as the protection tag's value, protects.
func ProtectionValue(v string) bool { return !unprotected(v) }

func unprotected(v string) bool { return strings.EqualFold(v, "false") }

// ProtectedConditions is the IAM condition block that holds for a resource
// Protected under key: the tag is present and its value is not "false".
func ProtectedConditions(key string) map[string]map[string]any {
	k := "aws:ResourceTag/" + key
	return map[string]map[string]any{
		"Null":                      {k: "false"},
		"StringNotEqualsIgnoreCase": {k: "false"},
	}
}

// ProtectTagRemovalConditions is the IAM condition block that holds for an
// untagging request that names the protection key on a protected resource.
// Untag actions see no aws:RequestTag, so any removal of the key is refused.
func ProtectTagRemovalConditions(key string) map[string]map[string]any {
	c := ProtectedConditions(key)
	c["ForAnyValue:StringEqualsIgnoreCase"] = map[string]any{"aws:TagKeys": []string{key}}
	return c
}

// ProtectTagChangeConditions is the IAM condition block that holds for a
// tagging request that changes the protection tag of a protected resource:
// the resource is protected, the request names the key, and it does not set
// it to "true". Adding protection, or confirming it, stays allowed.
func ProtectTagChangeConditions(key string) map[string]map[string]any {
	c := ProtectTagRemovalConditions(key)
	c["StringNotEqualsIgnoreCase"]["aws:RequestTag/"+key] = "true"
	return c
}

// ObjectProtectedConditions is the same rule on an S3 object's own tags
// (s3:ExistingObjectTag), which S3 evaluates for object tagging and reads,
// not for DeleteObject or PutObject.
func ObjectProtectedConditions(key string) map[string]map[string]any {
	k := "s3:ExistingObjectTag/" + key
	return map[string]map[string]any{"Null": {k: "false"}, "StringNotEqualsIgnoreCase": {k: "false"}}
}

// ObjectProtectTagChangeConditions holds for a PutObjectTagging that would
// leave a protected object without protection: the new tag set does not
// carry the key set to "true".
func ObjectProtectTagChangeConditions(key string) map[string]map[string]any {
	c := ObjectProtectedConditions(key)
	c["StringNotEqualsIgnoreCase"]["s3:RequestObjectTag/"+key] = "true"
	return c
}
