//! The rules on credentials that are not their own examples: values drawn at random in each
//! vendor's documented shape (written here, independently of `rules/secrets.toml`), planted in
//! the places people leave them (env files, YAML, JSON, shell, HTTP headers, URLs). Each must
//! be found by its vendor's rule, exactly where it is.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use ci_intel_secrets::{RuleSet, entropy};
use proptest::prelude::*;

/// `(rule id, a strategy for a credential in that vendor's format)`.
fn vendors() -> Vec<(&'static str, BoxedStrategy<String>)> {
    let s = |re: &'static str| proptest::string::string_regex(re).unwrap().boxed();
    vec![
        ("github-pat", s("ghp_[A-Za-z0-9]{36}")),
        (
            "github-fine-grained-pat",
            s("github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"),
        ),
        ("aws-access-key-id", s("AKIA[A-Z2-7]{16}")),
        ("gitlab-personal-access-token", s("glpat-[A-Za-z0-9_-]{20}")),
        (
            "slack-bot-token",
            s("xoxb-[0-9]{11}-[0-9]{12}-[A-Za-z0-9]{24}"),
        ),
        ("stripe-secret-key", s("sk_live_[0-9a-zA-Z]{24}")),
        ("npm-access-token", s("npm_[A-Za-z0-9]{36}")),
        (
            "sendgrid-api-key",
            s("SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}"),
        ),
        ("gitlab-pipeline-trigger-token", s("glptt-[a-f0-9]{40}")),
    ]
}

/// Where a credential ends up: `{}` is the value.
const CONTEXTS: &[&str] = &[
    "export TOKEN={}\n",
    "env:\n  API_TOKEN: \"{}\"\n",
    "{\"auth\": {\"token\": \"{}\"}}\n",
    "curl -H \"Authorization: Bearer {}\" https://api.example.com\n",
    "const client = new Client('{}');\n",
    "# rotated 2026-11-02\nKEY={}   # do not commit\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn each_vendor_rule_finds_fresh_credentials_in_real_contexts(
        (index, value) in (0..vendors().len()).prop_flat_map(|i| (Just(i), vendors().swap_remove(i).1)),
        context in proptest::sample::select(CONTEXTS),
        lines_before in 0usize..3,
    ) {
        let rule = vendors()[index].0;
        // A random value can come out as repetitive as a placeholder (`AKIA222AAA2222AA2222`);
        // rules with an entropy floor skip those on purpose, so only values above it count.
        let floor = RuleSet::builtin()
            .rules
            .iter()
            .find(|r| r.id == rule)
            .and_then(|r| r.entropy)
            .unwrap_or(0.0);
        prop_assume!(entropy(value.as_bytes()) >= floor);
        let text = format!("{}{}", "# a line\n".repeat(lines_before), context.replace("{}", &value));
        let hits = RuleSet::builtin().scan(text.as_bytes());
        let found: Vec<_> = hits
            .iter()
            .map(|h| (h.rule.to_string(), text[h.start..h.end].to_owned()))
            .collect();
        prop_assert!(
            found.iter().any(|(r, v)| r == rule && *v == value),
            "{rule} missed {value} in {text:?}: {found:?}"
        );
    }
}
