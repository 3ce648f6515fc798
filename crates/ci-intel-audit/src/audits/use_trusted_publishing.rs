use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx, Scope, step_route};
use crate::model::Step;

audit!(
    /// **What it does**: flags publishing to PyPI, npm, crates.io or RubyGems with a long-lived
    /// token (`password:` of `pypa/gh-action-pypi-publish`, `always-auth` of `setup-node`,
    /// `NODE_AUTH_TOKEN`,
    /// `CARGO_REGISTRY_TOKEN`, `TWINE_PASSWORD`, `GEM_HOST_API_KEY`) where the registry supports
    /// trusted publishing (OIDC).
    ///
    /// **Why**: a stored token works from anywhere until someone revokes it; a trusted-publishing
    /// credential is minted per run, for this repository and workflow only, and expires in
    /// minutes.
    ///
    /// **Fix**: configure trusted publishing at the registry, give the job `id-token: write`,
    /// and drop the token.
    UseTrustedPublishing,
    "use-trusted-publishing",
    Note,
    "A package is published with a long-lived token where trusted publishing (OIDC) is available."
);

const TOKENS: [&str; 5] = [
    "NODE_AUTH_TOKEN",
    "CARGO_REGISTRY_TOKEN",
    "TWINE_PASSWORD",
    "GEM_HOST_API_KEY",
    "UV_PUBLISH_TOKEN",
];

impl Audit for UseTrustedPublishing {
    fn step(&self, scope: Scope<'_, '_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        let via_action = step.uses_action("pypa/gh-action-pypi-publish")
            && step.with_value("password").is_some();
        let via_command = step.run_text().is_some_and(|t| {
            [
                "npm publish",
                "cargo publish",
                "twine upload",
                "gem push",
                "uv publish",
            ]
            .iter()
            .any(|c| t.contains(c))
        }) && step
            .env
            .is_some_and(|env| env.entries().any(|(k, _, _)| TOKENS.contains(&k)));
        // setup-node writing an `.npmrc` with a token (`always-auth`) for a later publish.
        let via_npmrc = step.uses_action("actions/setup-node")
            && step
                .with_value("always-auth")
                .and_then(|v| v.scalar_text())
                .is_some_and(|v| v.trim() == "true");
        if !(via_action || via_command || via_npmrc) {
            return;
        }
        cx.report(
            &UseTrustedPublishing::RULE,
            Severity::Note,
            Confidence::Medium,
            step.node.location(),
            "this step publishes with a long-lived token; the registry supports trusted publishing (OIDC)",
            &format!("{}: publish", step_route(scope, step)),
        );
    }
}
