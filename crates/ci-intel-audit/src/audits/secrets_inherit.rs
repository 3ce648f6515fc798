use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx};
use crate::model::{Job, Workflow};

audit!(
    /// **What it does**: flags reusable-workflow calls with `secrets: inherit`.
    ///
    /// **Why**: the called workflow receives every secret of the caller, including ones it
    /// never uses; a compromise of the called workflow exposes all of them.
    ///
    /// **Fix**: pass the secrets the called workflow declares, one by one:
    /// `secrets: { NPM_TOKEN: "${{ secrets.NPM_TOKEN }}" }`.
    SecretsInherit,
    "secrets-inherit",
    Warning,
    "A reusable workflow receives all of the caller's secrets."
);

impl Audit for SecretsInherit {
    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        let (Some(uses), Some(secrets)) = (job.uses, job.node.get("secrets")) else {
            return;
        };
        if secrets.as_str() == Some("inherit") {
            cx.report(
                &SecretsInherit::RULE,
                Severity::Warning,
                Confidence::High,
                uses.location(),
                format!(
                    "`{}` receives every secret of this repository (`secrets: inherit`)",
                    uses.as_str().unwrap_or_default()
                ),
                &format!("jobs.{}.secrets: inherit", job.id),
            );
        }
    }
}
