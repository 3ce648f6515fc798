"""Compares `ci-intel audit --format json` with `zizmor --format json` finding by finding.

Usage: python compare_audit.py OURS.json ZIZMOR.json [--show RULE]
A finding matches when both tools flag the same rule id in the same file within WINDOW lines
(the tools point at different parts of the same step or job: `uses:` or the step's first line,
`secrets: inherit` or the job's `uses:`), each finding matched at most once.
Prints per shared rule: both, only ci-intel, only zizmor (recall = both / zizmor's count).
"""

import collections
import json
import sys

SHARED = [
    "unpinned-uses", "unpinned-images", "dangerous-triggers", "excessive-permissions",
    "template-injection", "artipacked", "secrets-inherit", "hardcoded-credentials",
    "self-hosted-runner", "insecure-commands", "github-env", "cache-poisoning",
    "overprovisioned-secrets", "unredacted-secrets", "bot-conditions", "use-trusted-publishing",
]


def norm(p):
    return p.lstrip("./")


def ours(path):
    out = collections.defaultdict(set)
    for f in json.load(open(path))["findings"]:
        loc = f.get("location") or {}
        out[f["rule_id"]].add((norm(loc.get("path", "")), loc.get("start_line")))
    return out


def theirs(path):
    out = collections.defaultdict(set)
    for f in json.load(open(path)):
        for loc in f["locations"]:
            if loc["symbolic"]["kind"] != "Primary":
                continue
            p = norm(loc["symbolic"]["key"]["Local"]["verbatim_path"])
            out[f["ident"]].add((p, loc["concrete"]["location"]["start_point"]["row"] + 1))
    return out


WINDOW = 3


def match(x, y):
    """Greedy one-to-one matching of (path, line) sets within WINDOW lines."""
    both, left = [], sorted(y)
    for p, line in sorted(x):
        best = None
        for i, (q, m) in enumerate(left):
            if q == p and abs(m - line) <= WINDOW and (best is None or abs(m - line) < abs(left[best][1] - line)):
                best = i
        if best is not None:
            both.append(((p, line), left.pop(best)))
    only_x = set(x) - {a for a, _ in both}
    only_y = set(left)
    return both, only_x, only_y


def main():
    a, b = ours(sys.argv[1]), theirs(sys.argv[2])
    show = sys.argv[sys.argv.index("--show") + 1] if "--show" in sys.argv else None
    print(f"{'rule':28} {'ci-intel':>8} {'zizmor':>7} {'both':>5} {'only ours':>9} {'only zizmor':>11} {'recall':>7}")
    for rule in SHARED:
        x, y = a.get(rule, set()), b.get(rule, set())
        if not x and not y:
            continue
        both, only_x, only_y = match(x, y)
        recall = f"{len(both) / len(y):.0%}" if y else "-"
        print(f"{rule:28} {len(x):>8} {len(y):>7} {len(both):>5} {len(only_x):>9} {len(only_y):>11} {recall:>7}")
        if rule == show:
            for p in sorted(only_y):
                print("   only zizmor:", p)
            for p in sorted(only_x):
                print("   only ours:  ", p)
    others = sorted(set(b) - set(SHARED))
    print("zizmor-only audits:", ", ".join(f"{r} ({len(b[r])})" for r in others))


if __name__ == "__main__":
    main()
