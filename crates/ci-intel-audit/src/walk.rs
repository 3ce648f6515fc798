//! Visiting every expression of a document, wherever it appears.

use crate::expr::{self, Expr, Occurrence};
use crate::yaml::Node;

/// What [`expressions`] calls for each expression: the scalar, its route, the occurrence, and
/// the parsed expression (`None` when it does not parse).
pub type Visit<'v, 'a> = dyn FnMut(Node<'a>, &str, &Occurrence<'a>, Option<Expr>) + 'v;

/// Calls `f(node, route, occurrence, parsed)` for every `${{ … }}` in every scalar under
/// `root` (keys excluded), with the YAML route of the scalar (`jobs.build.steps[1].run`).
pub fn expressions<'a>(root: Node<'a>, f: &mut Visit<'_, 'a>) {
    walk(root, &mut String::new(), f);
}

fn walk<'a>(node: Node<'a>, route: &mut String, f: &mut Visit<'_, 'a>) {
    if let Some(s) = node.as_str() {
        if s.contains("${{") {
            for occ in expr::occurrences(s) {
                let parsed = expr::parse(occ.inner);
                f(node, route, &occ, parsed);
            }
        }
        return;
    }
    let len = route.len();
    if node.is_mapping() {
        for (k, _, v) in node.entries() {
            if !route.is_empty() {
                route.push('.');
            }
            route.push_str(k);
            walk(v, route, f);
            route.truncate(len);
        }
    } else if node.is_sequence() {
        for (i, v) in node.items().enumerate() {
            route.push_str(&format!("[{i}]"));
            walk(v, route, f);
            route.truncate(len);
        }
    }
}

/// The location of occurrence `occ` of `node` (found in the raw source), or the node's.
pub fn location_of(node: Node<'_>, occ: &Occurrence<'_>) -> ci_intel_core::finding::Location {
    let text = node.as_str().unwrap_or_default();
    let raw = text.get(occ.start..occ.end).unwrap_or_default();
    match node.find(raw, 0) {
        Some((s, e)) => node.src.location(s, e),
        None => node.location(),
    }
}
