package guard

// DryRun is the one dry-run rule: the deployment's setting (or, unset, the
// job's default) decides, and a request may ask for a dry run but never
// lift one.
func DryRun(deployment, asked bool) bool { return deployment || asked }
