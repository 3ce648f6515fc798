use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx};
use crate::model::{Job, Workflow};
use crate::yaml::Node;

audit!(
    /// **What it does**: flags `GITHUB_TOKEN` permissions broader than a workflow needs:
    /// `permissions: write-all` (error); no `permissions:` at the workflow or the job, so the
    /// token gets the repository's default, which is write access on older repositories and
    /// organisations (warning); write scopes granted at the workflow level, where every job gets
    /// them (warning); and job-level write scopes that no step of the job appears to use (note,
    /// low confidence: a step may use the token in ways the audit cannot see).
    ///
    /// **Why**: every step of a job can read its token. A compromised dependency or an injected
    /// command can do whatever the token allows: push code, publish releases, approve PRs.
    ///
    /// **Fix**: set `permissions: {}` (or `contents: read`) at the top of the workflow and grant
    /// each job only the scopes it uses.
    ExcessivePermissions,
    "excessive-permissions",
    Error,
    "The GITHUB_TOKEN has more permissions than the workflow needs."
);

/// Actions known not to use the job's token for writes (setup, cache, artifacts).
const READ_ONLY_ACTIONS: [&str; 12] = [
    "actions/checkout",
    "actions/setup-node",
    "actions/setup-python",
    "actions/setup-go",
    "actions/setup-java",
    "actions/cache",
    "actions/upload-artifact",
    "actions/download-artifact",
    "swatinem/rust-cache",
    "dtolnay/rust-toolchain",
    "taiki-e/install-action",
    "actions-rs/toolchain",
];

impl Audit for ExcessivePermissions {
    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        if wf.permissions.is_none() && wf.jobs.iter().any(|j| j.permissions.is_none()) {
            let at = wf.root.key("on").or(wf.on).unwrap_or(wf.root);
            cx.report(
                &ExcessivePermissions::RULE,
                Severity::Warning,
                Confidence::Medium,
                at.location(),
                "the workflow sets no `permissions:`; jobs without their own get the repository's default token permissions",
                "permissions",
            );
        }
        if let Some(p) = wf.permissions {
            check_write_all(p, "permissions", cx);
            // With one job, workflow-level permissions are that job's.
            if wf.jobs.len() < 2 {
                return;
            }
            for (scope, key, value) in p.entries() {
                if value.as_str() == Some("write") {
                    cx.report(
                        &ExcessivePermissions::RULE,
                        Severity::Warning,
                        Confidence::Medium,
                        key.location(),
                        format!("`{scope}: write` at the workflow level is granted to every job; grant it only to the jobs that need it"),
                        &format!("permissions.{scope}: write"),
                    );
                }
            }
        }
    }

    fn job(&self, wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let route = format!("jobs.{}.permissions", job.id);
        match job.permissions {
            Some(p) => {
                check_write_all(p, &route, cx);
                if job.uses.is_none() && !job_may_use_token(job) {
                    for (scope, key, value) in p.entries() {
                        if value.as_str() == Some("write") && scope != "id-token" {
                            cx.report(
                                &ExcessivePermissions::RULE,
                                Severity::Note,
                                Confidence::Low,
                                key.location(),
                                format!("job `{}` requests `{scope}: write` but none of its steps appears to use the token", job.id),
                                &format!("{route}.{scope}: write"),
                            );
                        }
                    }
                }
            }
            None if wf.permissions.is_none() => cx.report(
                &ExcessivePermissions::RULE,
                Severity::Warning,
                Confidence::Medium,
                job.key.location(),
                format!(
                    "job `{}` runs with the repository's default token permissions (no `permissions:` in the job or the workflow)",
                    job.id
                ),
                &route,
            ),
            None => {}
        }
    }
}

fn check_write_all(p: Node<'_>, route: &str, cx: &mut Ctx<'_>) {
    if p.as_str() == Some("write-all") {
        cx.report(
            &ExcessivePermissions::RULE,
            Severity::Error,
            Confidence::High,
            p.location(),
            "`permissions: write-all` gives the token write access to everything",
            &format!("{route}: write-all"),
        );
    }
}

/// Whether any step of the job could use the token for a write.
fn job_may_use_token(job: &Job<'_>) -> bool {
    let job_env = job.env.is_some_and(|e| {
        let raw = e.raw();
        raw.contains("GITHUB_TOKEN") || raw.contains("github.token")
    });
    job_env
        || job.steps.iter().any(|s| {
            let explicit = [s.with, s.env].into_iter().flatten().any(|n| {
                let raw = n.raw();
                raw.contains("GITHUB_TOKEN") || raw.contains("github.token")
            });
            let script = s.run_text().is_some_and(|t| {
                [
                    "gh ",
                    "git push",
                    "git tag",
                    "api.github.com",
                    "GITHUB_TOKEN",
                    "github.token",
                    "curl",
                    "octokit",
                ]
                .iter()
                .any(|w| t.contains(w))
            });
            let unknown_action = s.action().is_some_and(|a| {
                let a = a.to_ascii_lowercase();
                !READ_ONLY_ACTIONS.iter().any(|r| a == *r)
            });
            explicit || script || unknown_action
        })
}
