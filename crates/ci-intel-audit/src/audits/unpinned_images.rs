use ci_intel_core::finding::{Confidence, Severity};

use super::{Audit, Ctx};
use crate::model::{Job, Workflow};
use crate::yaml::Node;

audit!(
    /// **What it does**: flags job `container:` and `services:` images that are not pinned to a
    /// `@sha256:` digest, including images chosen by an expression.
    ///
    /// **Why**: an image tag (`node:20`, `postgres:latest`) can be re-pushed; the job then runs a
    /// different image with its token and secrets.
    ///
    /// **Fix**: reference images by digest (`postgres@sha256:…`), with the tag in a comment.
    UnpinnedImages,
    "unpinned-images",
    Warning,
    "A job's container or service image is not pinned to a digest."
);

impl Audit for UnpinnedImages {
    fn job(&self, _wf: &Workflow<'_>, job: &Job<'_>, cx: &mut Ctx<'_>) {
        if let Some(c) = job.node.get("container") {
            check(c, &format!("jobs.{}.container", job.id), cx);
        }
        if let Some(services) = job.node.get("services") {
            for (name, _, svc) in services.entries() {
                check(svc, &format!("jobs.{}.services.{name}", job.id), cx);
            }
        }
    }
}

fn check(node: Node<'_>, route: &str, cx: &mut Ctx<'_>) {
    // `container: image` or `container: {image: …}`.
    let image_node = if node.is_mapping() {
        node.get("image")
    } else {
        Some(node)
    };
    let Some(image_node) = image_node else { return };
    let Some(image) = image_node.as_str() else {
        return;
    };
    let image = image.trim();
    if image.is_empty() || image.contains("@sha256:") {
        return;
    }
    let (confidence, message) = if image.contains("${{") {
        (
            Confidence::Low,
            format!("container image `{image}` is chosen by an expression and may be unpinned"),
        )
    } else {
        (
            Confidence::High,
            format!("container image `{image}` is not pinned to a digest (@sha256:…)"),
        )
    };
    cx.report(
        &UnpinnedImages::RULE,
        Severity::Warning,
        confidence,
        image_node.location(),
        message,
        &format!("{route}: {image}"),
    );
}
