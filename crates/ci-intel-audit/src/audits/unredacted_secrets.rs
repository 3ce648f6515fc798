use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx};
use crate::expr::{self, Expr};
use crate::model::{Action, Workflow};
use crate::walk;
use crate::yaml::Node;

audit!(
    /// **What it does**: flags secrets parsed as JSON (`fromJSON(secrets.X).field`) or indexed.
    ///
    /// **Why**: GitHub masks a secret's exact value in logs. A field taken out of a structured
    /// secret is a different string, so it is printed in clear if it reaches the log.
    ///
    /// **Fix**: store each value as its own secret.
    UnredactedSecrets,
    "unredacted-secrets",
    Warning,
    "A value derived from a structured secret escapes log masking."
);

impl Audit for UnredactedSecrets {
    fn workflow(&self, wf: &Workflow<'_>, cx: &mut Ctx<'_>) {
        check(wf.root, cx);
    }

    fn action(&self, a: &Action<'_>, cx: &mut Ctx<'_>) {
        check(a.root, cx);
    }
}

fn check(root: Node<'_>, cx: &mut Ctx<'_>) {
    walk::expressions(root, &mut |node, route, occ, parsed| {
        let Some(e) = parsed else { return };
        let mut calls = Vec::new();
        expr::calls(&e, &mut calls);
        let parses_secret = calls.iter().any(|(name, args)| {
            *name == "fromjson" && args.iter().any(|a| matches!(a, Expr::Context(p) if p.first().is_some_and(|r| r == "secrets") && p.len() >= 2))
        });
        if parses_secret {
            cx.report(
                &UnredactedSecrets::RULE,
                Severity::Warning,
                Confidence::High,
                walk::location_of(node, occ),
                format!(
                    "`${{{{ {} }}}}` takes a value out of a secret; it will not be masked in logs",
                    occ.inner
                ),
                &format!("{route}: {}", occ.inner),
            );
        }
    });
}
