use ci_intel_core::finding::{Confidence, Severity};
use globset::Glob;

use super::{Audit, Ctx};
use crate::expr;
use crate::model::Workflow;

audit!(
    /// **What it does**: flags workflows triggered by `pull_request_target`, `workflow_run` or
    /// `issue_comment` (which runs for comments on pull requests from forks).
    /// It is an error when such a workflow also checks out or runs the pull request's code
    /// (`ref: ${{ github.event.pull_request.head.sha }}`, `github.head_ref`,
    /// `github.event.workflow_run.head_sha`); otherwise a warning.
    ///
    /// **Why**: these triggers run in the context of the base repository, with its secrets and
    /// a write token, for events a fork can cause. Checking out the fork's code there hands
    /// both to the fork ("pwn request").
    ///
    /// **Fix**: use `pull_request` (no secrets for forks) and a separate, unprivileged workflow
    /// for anything that needs the fork's code; keep `pull_request_target` for labelling and
    /// commenting without checking anything out. Workflows that must keep the trigger can be
    /// listed in `audit.allowed_dangerous_triggers`.
    DangerousTriggers,
    "dangerous-triggers",
    Error,
    "The workflow runs with the base repository's privileges for events a fork can cause (pull_request_target, workflow_run, issue_comment)."
);

const HEAD_REFS: [&str; 7] = [
    "github.event.issue.number",
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.head_ref",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.pull_request.merge_commit_sha",
];

impl Audit for DangerousTriggers {
    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        let allowed =
            cx.config.allowed_dangerous_triggers.iter().any(|g| {
                Glob::new(g).is_ok_and(|g| g.compile_matcher().is_match(&wf.root.src.path))
            });
        if allowed {
            return;
        }
        for (name, node) in &wf.triggers {
            if !matches!(
                *name,
                "pull_request_target" | "workflow_run" | "issue_comment"
            ) {
                continue;
            }
            let checks_out_head = wf.jobs.iter().flat_map(|j| &j.steps).any(|s| {
                let with_ref = s
                    .with_value("ref")
                    .and_then(|r| r.as_str())
                    .is_some_and(mentions_head);
                let run_fetch = s.run_text().is_some_and(|t| {
                    t.contains("gh pr checkout")
                        || ((t.contains("git fetch") || t.contains("git checkout"))
                            && mentions_head(t))
                });
                (s.uses_action("actions/checkout") && with_ref) || run_fetch
            });
            let (severity, confidence, message) = if checks_out_head {
                (
                    Severity::Error,
                    Confidence::High,
                    format!(
                        "`{name}` runs with secrets and a write token, and this workflow checks out the pull request's code"
                    ),
                )
            } else {
                (
                    Severity::Warning,
                    Confidence::Medium,
                    format!(
                        "`{name}` runs with the base repository's secrets and a write token for events a fork can cause"
                    ),
                )
            };
            cx.report(
                &DangerousTriggers::RULE,
                severity,
                confidence,
                node.location(),
                message,
                &format!("on.{name}"),
            );
        }
    }
}

fn mentions_head(text: &str) -> bool {
    expr::occurrences(text).iter().any(|o| {
        expr::parse(o.inner)
            .map(|e| expr::value_sources(&e))
            .unwrap_or_default()
            .iter()
            .any(|p| HEAD_REFS.iter().any(|h| expr::path_matches(h, p)))
    })
}
