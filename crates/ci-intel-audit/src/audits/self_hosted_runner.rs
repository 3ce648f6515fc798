use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx};
use crate::model::{Job, Workflow};

audit!(
    /// **What it does**: flags jobs that run on self-hosted runners (`runs-on` includes
    /// `self-hosted`). It is an error when the workflow is triggered by pull requests
    /// (`pull_request`, `pull_request_target`), a warning otherwise.
    ///
    /// **Why**: self-hosted runners are usually persistent and sit inside a network; a job from
    /// a fork's pull request can leave code behind for the next job, or reach internal hosts.
    ///
    /// **Fix**: keep pull-request workflows on ephemeral GitHub-hosted runners, or use
    /// ephemeral, isolated self-hosted runners that only trusted events can reach.
    SelfHostedRunner,
    "self-hosted-runner",
    Warning,
    "A job runs on a self-hosted runner."
);

impl Audit for SelfHostedRunner {
    fn job(&self, wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if !job
            .runs_on()
            .iter()
            .any(|l| l.eq_ignore_ascii_case("self-hosted"))
        {
            return;
        }
        let Some(node) = job.node.get("runs-on") else {
            return;
        };
        let from_prs = wf.has_trigger("pull_request") || wf.has_trigger("pull_request_target");
        let (severity, message) = if from_prs {
            (
                Severity::Error,
                format!(
                    "job `{}` runs pull-request code on a self-hosted runner",
                    job.id
                ),
            )
        } else {
            (
                Severity::Warning,
                format!("job `{}` runs on a self-hosted runner", job.id),
            )
        };
        cx.report(
            &SelfHostedRunner::RULE,
            severity,
            Confidence::High,
            node.location(),
            message,
            &format!("jobs.{}.runs-on", job.id),
        );
    }
}
