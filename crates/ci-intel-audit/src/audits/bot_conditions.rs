use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx};
use crate::expr::{self, Expr};
use crate::model::Workflow;
use crate::yaml::Node;

audit!(
    /// **What it does**: flags `if:` conditions that trust a bot by the actor's name, such as
    /// `github.actor == 'dependabot[bot]'`, in workflows triggered by pull requests.
    ///
    /// **Why**: `github.actor` is whoever caused the latest event, not the author of the
    /// change: anyone can push to a pull request that Dependabot opened (or re-trigger a run)
    /// and inherit the trust given to the bot.
    ///
    /// **Fix**: check the pull request's author instead:
    /// `github.event.pull_request.user.login == 'dependabot[bot]'`.
    BotConditions,
    "bot-conditions",
    Warning,
    "A condition trusts a bot by the spoofable actor name."
);

impl Audit for BotConditions {
    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        if !wf
            .triggers
            .iter()
            .any(|(t, _)| t.starts_with("pull_request"))
        {
            return;
        }
        for job in &wf.jobs {
            check(job.node.get("if"), &format!("jobs.{}.if", job.id), cx);
            for step in &job.steps {
                check(
                    step.node.get("if"),
                    &format!("jobs.{}.steps[{}].if", job.id, step.index),
                    cx,
                );
            }
        }
    }
}

fn check(cond: Option<Node<'_>>, route: &str, cx: &mut Ctx<'_>) {
    let Some(cond) = cond else { return };
    let Some(text) = cond.scalar_text() else {
        return;
    };
    let inner = text.trim().trim_start_matches("${{").trim_end_matches("}}");
    let Some(e) = expr::parse(inner) else { return };
    if compares_actor_to_bot(&e) {
        cx.report(
            &BotConditions::RULE,
            Severity::Warning,
            Confidence::High,
            cond.location(),
            "`github.actor` names whoever triggered the run, not who wrote the change; check `github.event.pull_request.user.login`",
            &format!("{route}: {inner}"),
        );
    }
}

fn compares_actor_to_bot(e: &Expr) -> bool {
    match e {
        Expr::Compare(a, b) => {
            let is_actor = |x: &Expr| matches!(x, Expr::Context(p) if p.len() == 2 && p[0] == "github" && (p[1] == "actor" || p[1] == "triggering_actor"));
            let is_bot = |x: &Expr| matches!(x, Expr::Str(s) if s.ends_with("[bot]"));
            (is_actor(a) && is_bot(b)) || (is_actor(b) && is_bot(a))
        }
        Expr::And(a, b) | Expr::Or(a, b) => compares_actor_to_bot(a) || compares_actor_to_bot(b),
        Expr::Not(a) => compares_actor_to_bot(a),
        _ => false,
    }
}
