use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx};
use crate::expr::{self, Expr};
use crate::model::{Action, Workflow};
use crate::walk;
use crate::yaml::Node;

audit!(
    /// **What it does**: flags `toJSON(secrets)` and `secrets[…]` with a computed index —
    /// expressions that hand every secret of the repository to one step.
    ///
    /// **Why**: GitHub only makes the secrets a workflow names available to its runner. Naming
    /// all of them at once defeats that, and one compromised step can read them all.
    ///
    /// **Fix**: pass the individual secrets the step needs.
    OverprovisionedSecrets,
    "overprovisioned-secrets",
    Error,
    "An expression exposes every secret of the repository to a step."
);

impl Audit for OverprovisionedSecrets {
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
        let whole = calls.iter().any(|(name, args)| {
            *name == "tojson"
                && args
                    .iter()
                    .any(|a| matches!(a, Expr::Context(p) if p.len() == 1 && p[0] == "secrets"))
        }) || mentions_dynamic_secret(&e);
        if whole {
            cx.report(
                &OverprovisionedSecrets::RULE,
                Severity::Error,
                Confidence::High,
                walk::location_of(node, occ),
                format!(
                    "`${{{{ {} }}}}` exposes every secret of the repository",
                    occ.inner
                ),
                &format!("{route}: {}", occ.inner),
            );
        }
    });
}

fn mentions_dynamic_secret(e: &Expr) -> bool {
    match e {
        Expr::Context(p) => p.len() == 2 && p[0] == "secrets" && p[1] == "*",
        Expr::Call(_, args) => args.iter().any(mentions_dynamic_secret),
        Expr::Index(a, b) | Expr::Compare(a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            mentions_dynamic_secret(a) || mentions_dynamic_secret(b)
        }
        Expr::Not(a) => mentions_dynamic_secret(a),
        _ => false,
    }
}
