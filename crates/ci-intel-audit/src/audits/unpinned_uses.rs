use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx, Scope, step_route};
use crate::model::{Job, Step, Workflow};
use crate::yaml::Node;

audit!(
    /// **What it does**: flags actions and reusable workflows that are not pinned to a full
    /// 40-character commit SHA (`uses: owner/repo@v4`, `@main`, or no ref at all), and
    /// `docker://` images without a `@sha256:` digest.
    ///
    /// **Why**: a tag or a branch can be moved by whoever controls the action's repository (or
    /// steals its credentials); the workflow then runs new code with its secrets and token.
    /// A commit SHA cannot be moved.
    ///
    /// **Fix**: pin to the commit the tag points at and keep the tag as a comment, e.g.
    /// `uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1`; a bot such as
    /// Dependabot keeps such pins current. Owners you trust to move tags responsibly can be
    /// listed in `audit.trusted_owners`. GitHub's own actions (`actions/*`, `github/*`) used by
    /// tag are reported as warnings, everything else as errors.
    UnpinnedUses,
    "unpinned-uses",
    Error,
    "An action, reusable workflow or docker:// image is not pinned to an immutable commit SHA or digest."
);

impl Audit for UnpinnedUses {
    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some(uses) = job.uses {
            check(uses, &format!("jobs.{}.uses", job.id), cx);
        }
    }

    fn step(&self, scope: Scope<'_, '_>, step: &Step<'_>, cx: &mut Ctx<'_>) {
        if let Some(uses) = step.uses {
            check(uses, &format!("{}.uses", step_route(scope, step)), cx);
        }
    }
}

/// Whether `r` is a full commit SHA.
pub fn is_sha(r: &str) -> bool {
    r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check(node: Node<'_>, route: &str, cx: &mut Ctx<'_>) {
    let Some(uses) = node.as_str() else { return };
    let uses = uses.trim();
    // `./path` and `$/path` (the same repository): pinned by this very commit.
    if uses.starts_with("./")
        || uses.starts_with(".\\")
        || uses.starts_with("$/")
        || uses.starts_with("${{")
    {
        return;
    }
    let snippet = format!("{route}: {uses}");
    if let Some(image) = uses.strip_prefix("docker://") {
        if !image.contains("@sha256:") {
            cx.report(
                &UnpinnedUses::RULE,
                Severity::Error,
                Confidence::High,
                node.location(),
                format!("docker image `{image}` is not pinned to a digest (@sha256:…)"),
                &snippet,
            );
        }
        return;
    }
    let (action, reference) = match uses.split_once('@') {
        Some((a, r)) => (a, Some(r)),
        None => (uses, None),
    };
    if reference.is_some_and(is_sha) || cx.config.trusts(action) {
        return;
    }
    let first_party = {
        let owner = action
            .split('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        owner == "actions" || owner == "github"
    };
    let (severity, what) = match reference {
        None => (
            Severity::Error,
            "has no ref: it runs whatever the default branch holds".to_owned(),
        ),
        Some(r) => (
            if first_party {
                Severity::Warning
            } else {
                Severity::Error
            },
            format!("is pinned to `{r}`, which can be moved; pin a full commit SHA"),
        ),
    };
    cx.report(
        &UnpinnedUses::RULE,
        severity,
        Confidence::High,
        node.location(),
        format!("`{action}` {what}"),
        &snippet,
    );
}
