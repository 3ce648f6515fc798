use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx, Scope, step_route};
use crate::model::{Job, Step, Workflow};
use crate::yaml::Node;

audit!(
    /// **What it does**: flags credentials written as literals in a workflow: container and
    /// service `credentials: { password: … }`, and `env:`/`with:` entries named like a secret
    /// (`password`, `token`, `secret`, `api_key`, `private_key`, …) whose value is a literal
    /// rather than an expression such as `${{ secrets.X }}`.
    ///
    /// **Why**: anything in a workflow file is readable by everyone who can read the
    /// repository, and stays in its history after it is removed.
    ///
    /// **Fix**: store the value as an encrypted secret (or use OIDC) and reference it:
    /// `password: ${{ secrets.REGISTRY_PASSWORD }}`. Rotate the exposed credential.
    HardcodedCredentials,
    "hardcoded-credentials",
    Error,
    "A password or token is written as a literal in the workflow."
);

/// Words in a key that mean its value is a credential.
const SECRET_WORDS: [&str; 9] = [
    "password",
    "passwd",
    "token",
    "secret",
    "api_key",
    "apikey",
    "api-key",
    "private_key",
    "access_key",
];

/// Literal values that are placeholders or switches, not credentials.
const NOT_SECRETS: [&str; 10] = [
    "true", "false", "", "null", "none", "changeme", "password", "secret", "token", "test",
];

impl Audit for HardcodedCredentials {
    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        if let Some(env) = wf.env {
            mapping(env, "env", cx);
        }
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let route = format!("jobs.{}", job.id);
        if let Some(env) = job.env {
            mapping(env, &format!("{route}.env"), cx);
        }
        if let Some(c) = job.node.get("container") {
            credentials(c, &format!("{route}.container"), cx);
        }
        if let Some(services) = job.node.get("services") {
            for (name, _, svc) in services.entries() {
                credentials(svc, &format!("{route}.services.{name}"), cx);
                if let Some(env) = svc.get("env") {
                    mapping(env, &format!("{route}.services.{name}.env"), cx);
                }
            }
        }
        if let Some(with) = job.node.get("with") {
            mapping(with, &format!("{route}.with"), cx);
        }
    }

    fn step(&self, scope: Scope<'_, '_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        let route = step_route(scope, step);
        if let Some(env) = step.env {
            mapping(env, &format!("{route}.env"), cx);
        }
        if let Some(with) = step.with {
            mapping(with, &format!("{route}.with"), cx);
        }
    }
}

/// Token prefixes of common services: a value starting so is a credential whatever its key.
const TOKEN_PREFIXES: [&str; 10] = [
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "github_pat_",
    "glpat-",
    "xox",
    "AKIA",
    "sk_live_",
    "npm_",
];

/// Whether a literal value looks like a credential rather than a name or a setting.
fn looks_like_credential(v: &str) -> bool {
    if TOKEN_PREFIXES.iter().any(|p| v.starts_with(p)) && v.len() >= 16 {
        return true;
    }
    if v.len() < 12 || v.contains(|c: char| c.is_whitespace() || c == ',') {
        return false;
    }
    let digits = v.chars().any(|c| c.is_ascii_digit());
    let letters = v.chars().any(|c| c.is_ascii_alphabetic());
    digits && letters && shannon(v) >= 3.0
}

/// Shannon entropy in bits per character.
fn shannon(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

fn credentials(node: Node<'_>, route: &str, cx: &mut Ctx<'_>) {
    let Some(pw) = node.get("credentials").and_then(|c| c.get("password")) else {
        return;
    };
    if let Some(v) = pw.scalar_text()
        && !v.contains("${{")
        && !v.trim().is_empty()
    {
        cx.report(
            &HardcodedCredentials::RULE,
            Severity::Error,
            Confidence::High,
            pw.location(),
            "registry password is written in the workflow; use `${{ secrets.… }}`",
            &format!("{route}.credentials.password"),
        );
    }
}

fn mapping(node: Node<'_>, route: &str, cx: &mut Ctx<'_>) {
    for (key, _, value) in node.entries() {
        let k = key.to_ascii_lowercase();
        if !SECRET_WORDS.iter().any(|w| k.contains(w)) {
            continue;
        }
        // Names of things, not the things: `token-name`, `secret_id`, `password_file`, …
        if [
            "name", "file", "path", "_id", "-id", "url", "env", "length", "type", "header",
        ]
        .iter()
        .any(|s| k.ends_with(s))
        {
            continue;
        }
        let Some(v) = value.scalar_text() else {
            continue;
        };
        let v = v.trim();
        if v.contains("${{")
            || v.starts_with('$')
            || NOT_SECRETS.contains(&v.to_ascii_lowercase().as_str())
        {
            continue;
        }
        if !looks_like_credential(v) {
            continue; // a word, a list of names, a sentence: not a credential
        }
        cx.report(
            &HardcodedCredentials::RULE,
            Severity::Error,
            Confidence::Medium,
            value.location(),
            format!("`{key}` is set to a literal value; store it as a secret and use `${{{{ secrets.… }}}}`"),
            &format!("{route}.{key}"),
        );
    }
}
