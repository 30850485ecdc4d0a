"""Check that every condition key in IAM policy statements is one its actions
support, per policy_sentry's IAM database (the AWS Service Authorization
Reference, pinned in the Makefile) and parliament's table of global keys.

stdin: a JSON list of {"where": str, "actions": [str], "keys": [str]}.
stdout: one line per problem; exit status 1 when there is any.
"""

import fnmatch
import json
import re
import sys

from parliament.statement import GLOBAL_CONDITION_KEYS
from policy_sentry.querying.actions import get_actions_for_service, get_privilege_info

# Tag keys are not global: each action lists the ones it evaluates, and an
# action that does not list them ignores them (a Deny on it would do nothing).
PER_ACTION = ("aws:requesttag/", "aws:resourcetag/", "aws:tagkeys")
GLOBAL = [k.lower() for k in GLOBAL_CONDITION_KEYS if not k.lower().startswith(PER_ACTION)]


def pattern(template):
    """aws:ResourceTag/${TagKey} (or s3:ExistingObjectTag/<key>) -> a regexp
    matching aws:resourcetag/<any>."""
    parts = re.split(r"\$\{[^}]+\}|<[^>]+>", template.lower())
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$")


def matches(key, templates):
    return any(pattern(t).match(key.lower()) for t in templates)


def expand(action):
    service, _, name = action.partition(":")
    if not any(c in name for c in "*?"):
        return [action]
    names = get_actions_for_service(service)
    return [a for a in names if fnmatch.fnmatchcase(a.lower(), action.lower())]


def keys_of(action):
    service, _, name = action.partition(":")
    try:
        info = get_privilege_info(service, name)
    except Exception:  # policy_sentry raises for an unknown service or action
        return None
    # An action supports its own keys and those of each resource type it acts on.
    out = set()
    resources = info.get("service_resources", {})
    for name, rt in info.get("resource_types", {}).items():
        out.update(rt.get("condition_keys", []))
        out.update(resources.get(name, {}).get("condition_keys", []))
    return out


def check(statements):
    problems = []
    for s in statements:
        for action in s["actions"]:
            expanded = expand(action)
            if not expanded:
                problems.append(f"{s['where']}: {action} matches no action in the IAM reference")
                continue
            for a in expanded:
                supported = keys_of(a)
                if supported is None:
                    problems.append(f"{s['where']}: {a} is not an action in the IAM reference")
                    continue
                for key in s["keys"]:
                    if matches(key, supported) or matches(key, GLOBAL):
                        continue
                    problems.append(f"{s['where']}: {a} does not support the condition key {key} "
                                    f"(it supports: {', '.join(sorted(supported)) or 'none'}; global keys also apply)")
    return problems


def main():
    problems = check(json.load(sys.stdin))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
