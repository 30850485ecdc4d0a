package lambdacmd

import (
	"fmt"
	"strings"

	"github.com/aws-commander/commander/shared/api"
)

// ReservedEnv are variables a caller may not set on a function: those Lambda
// reserves for itself, and those that change how the runtime, the loader or
// an interpreter starts, which would run code of the caller's choosing as the
// function's role. Compared in upper case.
var ReservedEnv = map[string]bool{
	// Reserved by Lambda (Developer Guide, "Defined runtime environment variables").
	"AWS_REGION": true, "AWS_DEFAULT_REGION": true, "AWS_EXECUTION_ENV": true,
	"AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true, "TZ": true,
	// The loader and interpreters.
	"LD_PRELOAD": true, "LD_LIBRARY_PATH": true, "LD_AUDIT": true, "PATH": true, "BASH_ENV": true, "ENV": true,
	"NODE_OPTIONS": true, "NODE_PATH": true,
	"PYTHONPATH": true, "PYTHONHOME": true, "PYTHONSTARTUP": true, "PYTHONWARNINGS": true, "PYTHONINSPECT": true,
	"JAVA_TOOL_OPTIONS": true, "JDK_JAVA_OPTIONS": true, "CLASSPATH": true,
	"PERL5OPT": true, "PERL5LIB": true, "PERLLIB": true, "RUBYOPT": true, "RUBYLIB": true,
	"DOTNET_STARTUP_HOOKS": true, "DOTNET_ADDITIONAL_DEPS": true, "CORECLR_ENABLE_PROFILING": true, "CORECLR_PROFILER_PATH": true,
	"GCONV_PATH": true,
}

// reservedPrefixes: every AWS_LAMBDA_* (AWS_LAMBDA_EXEC_WRAPPER starts a
// wrapper script before the runtime; the rest are Lambda's own), the
// dynamic loader's LD_* and DYLD_*, and _* (_HANDLER, _X_AMZN_TRACE_ID,
// _JAVA_OPTIONS; the name pattern refuses them as well).
var reservedPrefixes = []string{"AWS_LAMBDA_", "LD_", "DYLD_", "_"}

// CheckEnv refuses a variable ReservedEnv or its prefixes name, by name.
func CheckEnv(field string, env map[string]string) error {
	for k := range env {
		u := strings.ToUpper(k)
		bad := ReservedEnv[u]
		for _, p := range reservedPrefixes {
			bad = bad || strings.HasPrefix(u, p)
		}
		if bad {
			return api.Invalid(field, fmt.Sprintf("variables a function may set; %s is reserved by Lambda or changes how the runtime starts (AWS_LAMBDA_*, LD_*, interpreter options and paths)", k))
		}
	}
	return nil
}
