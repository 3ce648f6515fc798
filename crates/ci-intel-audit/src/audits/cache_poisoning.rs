use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx, Scope, step_route};
use crate::model::Step;

audit!(
    /// **What it does**: flags caches restored where a release is built: in workflows triggered
    /// by a release (a `release` event, a tag push, a push to `release*` branches), and in jobs
    /// that publish (`npm publish`, `cargo publish`, `docker push`, PyPI upload, …; dry runs
    /// excepted): `actions/cache`,
    /// `Swatinem/rust-cache`, and `actions/setup-*` steps whose caching is on (explicitly with
    /// `cache:`, or by default as in `setup-go` and `setup-node` ≥ 5).
    ///
    /// **Why**: caches are shared with other workflows of the repository, including ones that
    /// run pull-request code. A poisoned cache entry then ends up inside the released artifact.
    ///
    /// **Fix**: build releases from a clean state: remove the cache from release workflows, or
    /// turn it off (`cache: false`, `package-manager-cache: false`, `lookup-only`).
    CachePoisoning,
    "cache-poisoning",
    Error,
    "A release or publishing workflow restores a cache that other workflows can write."
);

impl Audit for CachePoisoning {
    fn step(&self, scope: Scope<'_, '_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        let Scope::Workflow(wf, job) = scope else {
            return;
        };
        let Some(action) = step.action() else { return };
        let action = action.to_ascii_lowercase();
        let off = |key: &str| {
            step.with_value(key)
                .and_then(|v| v.scalar_text())
                .is_some_and(|v| matches!(v.trim(), "false" | ""))
        };
        let reason = match action.as_str() {
            "actions/cache" | "actions/cache/restore" => {
                if step.with_value("lookup-only").and_then(|v| v.as_bool()) == Some(true) {
                    return;
                }
                "restores a cache"
            }
            "swatinem/rust-cache" => "restores a cache of the Cargo build",
            "actions/setup-go" if !off("cache") => "caches Go modules (on by default)",
            "actions/setup-node" if step.with_value("cache").is_some() && !off("cache") => {
                "caches the package manager's store"
            }
            "actions/setup-node"
                if step.with_value("cache").is_none() && !off("package-manager-cache") =>
            {
                "may cache the package manager's store (`package-manager-cache` is on by default)"
            }
            "actions/setup-python" | "actions/setup-java" | "astral-sh/setup-uv"
                if step.with_value("cache").is_some() && !off("cache")
                    || step
                        .with_value("enable-cache")
                        .is_some_and(|v| v.as_bool() == Some(true)) =>
            {
                "caches dependencies"
            }
            _ => return,
        };
        if !(wf.is_release_triggered() || job.publishes()) {
            return;
        }
        let Some(uses) = step.uses else { return };
        let confidence = if reason.starts_with("may") {
            Confidence::Low
        } else {
            Confidence::Medium
        };
        cx.report(
            &CachePoisoning::RULE,
            Severity::Error,
            confidence,
            uses.location(),
            format!("this step {reason} where a release is built or published"),
            &format!("{}.uses", step_route(scope, step)),
        );
    }
}
