use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx};
use crate::model::Workflow;

audit!(
    /// **What it does**: flags release and deploy workflows (triggered by `release` or a tag
    /// push, named for releasing, deploying or publishing, or with a job deploying to a
    /// production environment) that set no `concurrency:` for the workflow or the deploying
    /// jobs.
    ///
    /// **Why**: two runs deploying at once race: an older build can finish last and overwrite
    /// the newer one, or two releases interleave their uploads.
    ///
    /// **Fix**: add `concurrency: { group: deploy-${{ github.ref }}, cancel-in-progress: false }`.
    MissingConcurrency,
    "missing-concurrency",
    Warning,
    "A release or deploy workflow can run twice at the same time."
);

impl Audit for MissingConcurrency {
    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        if wf.concurrency.is_some() || !wf.is_release_or_deploy() {
            return;
        }
        // Concurrency on every job that deploys (or on all jobs) is as good.
        let relevant: Vec<_> = if wf.jobs.iter().any(super::super::model::Job::deploys) {
            wf.jobs.iter().filter(|j| j.deploys()).collect()
        } else {
            wf.jobs.iter().collect()
        };
        if !relevant.is_empty() && relevant.iter().all(|j| j.node.get("concurrency").is_some()) {
            return;
        }
        let at = wf.root.key("on").or(wf.on).unwrap_or(wf.root);
        cx.report(
            &MissingConcurrency::RULE,
            Severity::Warning,
            Confidence::Medium,
            at.location(),
            "this workflow releases or deploys but sets no `concurrency:`; two runs can overlap",
            "concurrency",
        );
    }
}
