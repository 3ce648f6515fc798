use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx, Scope, step_route};
use crate::model::{Job, Step, Workflow};
use crate::yaml::Node;

audit!(
    /// **What it does**: flags `ACTIONS_ALLOW_UNSECURE_COMMANDS` set to true in any `env:`.
    ///
    /// **Why**: it re-enables the deprecated `set-env` and `add-path` workflow commands, with
    /// which anything a step prints (a test name, an issue title in a log) can set environment
    /// variables or `PATH` for later steps.
    ///
    /// **Fix**: remove it and write to `$GITHUB_ENV` / `$GITHUB_PATH` files instead.
    InsecureCommands,
    "insecure-commands",
    Error,
    "ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables workflow commands that let output set the environment."
);

impl Audit for InsecureCommands {
    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        check(wf.env, "env", cx);
    }

    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        check(job.env, &format!("jobs.{}.env", job.id), cx);
    }

    fn step(&self, scope: Scope<'_, '_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        check(step.env, &format!("{}.env", step_route(scope, step)), cx);
    }
}

fn check(env: Option<Node<'_>>, route: &str, cx: &mut Ctx<'_>) {
    let Some(env) = env else { return };
    for (key, k, v) in env.entries() {
        if key != "ACTIONS_ALLOW_UNSECURE_COMMANDS" {
            continue;
        }
        let on = v.as_bool() == Some(true)
            || v.scalar_text()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("true"));
        if on {
            cx.report(
                &InsecureCommands::RULE,
                Severity::Error,
                Confidence::High,
                k.location(),
                "`ACTIONS_ALLOW_UNSECURE_COMMANDS` lets anything printed to the log set env vars and PATH",
                &format!("{route}.ACTIONS_ALLOW_UNSECURE_COMMANDS"),
            );
        }
    }
}
