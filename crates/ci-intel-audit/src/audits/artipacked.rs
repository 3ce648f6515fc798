use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx, Scope, step_route};
use crate::model::Step;

audit!(
    /// **What it does**: flags `actions/checkout` steps without `persist-credentials: false`.
    /// It is an error when a later step of the same job uploads an artifact (the credentials
    /// may be uploaded with it), a warning otherwise.
    ///
    /// **Why**: by default checkout stores the job's token in the checked-out repository's git
    /// configuration, where every later step — and any artifact made of the working tree — can
    /// read it.
    ///
    /// **Fix**: add `with: { persist-credentials: false }` to checkout, and pass a token
    /// explicitly to the one step that pushes, if any.
    Artipacked,
    "artipacked",
    Warning,
    "actions/checkout leaves the job's token in the working tree's git configuration."
);

impl Audit for Artipacked {
    fn step(&self, scope: Scope<'_, '_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        if !step.uses_action("actions/checkout") {
            return;
        }
        let persist = step
            .with_value("persist-credentials")
            .and_then(|p| p.scalar_text())
            .map(|t| t.trim().to_ascii_lowercase());
        if persist.as_deref() == Some("false") {
            return;
        }
        // Written out as `true`: a deliberate choice, reported only as a note.
        let explicit = persist.as_deref() == Some("true");
        let uploads_later = match scope {
            Scope::Workflow(_, job) => job.steps[step.index..]
                .iter()
                .any(|s| s.uses_action("actions/upload-artifact")),
            Scope::Action(_) => false,
        };
        let (severity, extra) = if uploads_later {
            (
                Severity::Error,
                " and a later step uploads an artifact, which may include it",
            )
        } else if explicit {
            (
                Severity::Note,
                " (`persist-credentials: true` is set explicitly)",
            )
        } else {
            (Severity::Warning, "")
        };
        let Some(uses) = step.uses else { return };
        cx.report(
            &Artipacked::RULE,
            severity,
            Confidence::High,
            uses.location(),
            if explicit {
                format!("checkout keeps the token in `.git/config`{extra}")
            } else {
                format!("checkout keeps the token in `.git/config` (no `persist-credentials: false`){extra}")
            },
            &format!("{}.uses", step_route(scope, step)),
        );
    }
}
