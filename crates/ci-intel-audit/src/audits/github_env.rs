use ci_intel_core::finding::{Confidence, Severity};

use super::template_injection::step_env;
use super::{Audit, Ctx, Scope, step_route};
use crate::expr;
use crate::model::Step;
use crate::taint::Level;

audit!(
    /// **What it does**: flags `run:` lines that write to `$GITHUB_ENV` or `$GITHUB_PATH`
    /// values an attacker may control: an error when the line expands an untrusted expression,
    /// a warning for any such write in a workflow triggered by `pull_request_target` or
    /// `workflow_run` (where the written data often comes from a fork's artifacts or files).
    ///
    /// **Why**: every later step of the job starts with those variables. Setting `LD_PRELOAD`,
    /// `NODE_OPTIONS`, `BASH_ENV` or a `PATH` entry runs the attacker's code in them.
    ///
    /// **Fix**: do not write untrusted data to these files; if a value must be passed on, write
    /// it to a step output (`$GITHUB_OUTPUT`) under a fixed name and validate it where it is read.
    GithubEnv,
    "github-env",
    Error,
    "Untrusted data is written to $GITHUB_ENV or $GITHUB_PATH."
);

impl Audit for GithubEnv {
    fn step(&self, scope: Scope<'_, '_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        let (Some(run), Some(text)) = (step.run, step.run_text()) else {
            return;
        };
        let privileged = match scope {
            Scope::Workflow(wf, _) => {
                wf.has_trigger("pull_request_target") || wf.has_trigger("workflow_run")
            }
            Scope::Action(_) => false,
        };
        let env = step_env(scope, step);
        let mut cursor = 0;
        for line in text.lines() {
            let target = ["GITHUB_ENV", "GITHUB_PATH"]
                .into_iter()
                .find(|t| line.contains(t));
            let Some(target) = target else { continue };
            if !(line.contains(">>") || line.contains("tee")) {
                continue;
            }
            let tainted = expr::occurrences(line)
                .iter()
                .filter_map(|o| env.expression(o.inner))
                .filter(|t| t.level >= Level::Medium)
                .max_by_key(|t| t.level);
            let (severity, confidence, message) = match (&tainted, privileged) {
                (Some(t), _) => (
                    Severity::Error,
                    Confidence::High,
                    format!(
                        "writes `{}` (which an attacker may control) to `${target}`",
                        t.path
                    ),
                ),
                (None, true) => (
                    Severity::Warning,
                    Confidence::Medium,
                    format!(
                        "writes to `${target}` in a workflow that runs for events a fork can cause"
                    ),
                ),
                (None, false) => continue,
            };
            let trimmed = line.trim();
            let location = match run.find(trimmed, cursor) {
                Some((s, e)) => {
                    cursor = e - run.byte_span().0;
                    run.src.location(s, e)
                }
                None => run.location(),
            };
            cx.report(
                &GithubEnv::RULE,
                severity,
                confidence,
                location,
                message,
                &format!("{}.run: {trimmed}", step_route(scope, step)),
            );
        }
    }
}
