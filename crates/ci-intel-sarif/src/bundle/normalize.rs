//! Making runs from any tool comparable before they are merged: artifact and rule indexes
//! resolved, URIs made `%SRCROOT%`-relative, and every rule given the help and level code
//! scanning shows.

use serde_json::{Map, Value, json};

use ci_intel_core::sarif::{self as writer, SRCROOT};

use crate::source::SourceTree;

pub(super) fn array_mut<'a>(obj: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    let slot = obj.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    #[expect(
        clippy::unreachable,
        reason = "the slot was set to an array just above"
    )]
    match slot {
        Value::Array(a) => a,
        _ => unreachable!("just made an array"),
    }
}

pub(super) fn index_of(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
}

/// Resolves a run's internal indexes so it can be merged: every result names its rule by id
/// (and its extension by name), every artifact location carries its URI; URIs inside the
/// repository become relative.
pub(super) fn normalize_run(run: &mut Map<String, Value>, tree: &SourceTree) {
    complete_rule_metadata(run);
    let tool = run.get("tool").cloned().unwrap_or_default();
    let driver_rules = tool["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let extensions = tool["extensions"].as_array().cloned().unwrap_or_default();
    let artifacts = run
        .remove("artifacts")
        .and_then(|a| match a {
            Value::Array(a) => Some(a),
            _ => None,
        })
        .unwrap_or_default();
    let rule_id_at = |ext: Option<usize>, index: usize| -> Option<String> {
        let rules = match ext {
            Some(e) => extensions.get(e)?.get("rules")?.as_array()?,
            None => &driver_rules,
        };
        rules.get(index)?.get("id")?.as_str().map(str::to_owned)
    };
    if let Some(Value::Array(results)) = run.get_mut("results") {
        for result in results.iter_mut() {
            let Value::Object(r) = result else { continue };
            let ext = r
                .get("rule")
                .and_then(|x| x.get("toolComponent"))
                .and_then(|t| index_of(t.get("index")));
            let index = index_of(r.get("ruleIndex"))
                .or_else(|| index_of(r.get("rule").and_then(|x| x.get("index"))));
            if r.get("ruleId").and_then(Value::as_str).is_none() {
                let id = r
                    .get("rule")
                    .and_then(|x| x.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| index.and_then(|i| rule_id_at(ext, i)));
                if let Some(id) = id {
                    r.insert("ruleId".into(), id.into());
                }
            }
            r.remove("ruleIndex");
            if let Some(Value::Object(rule)) = r.get_mut("rule") {
                rule.remove("index");
                if let Some(e) = ext
                    && let Some(name) = extensions.get(e).and_then(|x| x.get("name")).cloned()
                {
                    rule.insert("toolComponent".into(), json!({ "name": name }));
                }
            }
            resolve_artifacts(result, &artifacts, tree);
        }
    }
    for key in ["invocations", "threadFlowLocations"] {
        if let Some(v) = run.get_mut(key) {
            resolve_artifacts(v, &artifacts, tree);
        }
    }
}

/// Code scanning shows a rule's `help` on every alert and its `shortDescription` in lists:
/// rules that lack them get them from the descriptions the tool did write (or the id).
pub(super) fn complete_rule_metadata(run: &mut Map<String, Value>) {
    let Some(Value::Object(tool)) = run.get_mut("tool") else {
        return;
    };
    let mut components: Vec<&mut Value> = Vec::new();
    for (key, value) in tool.iter_mut() {
        match (key.as_str(), value) {
            ("driver", d) => components.push(d),
            ("extensions", Value::Array(exts)) => components.extend(exts.iter_mut()),
            _ => {}
        }
    }
    for component in components {
        let Some(Value::Array(rules)) = component.get_mut("rules") else {
            continue;
        };
        for rule in rules.iter_mut() {
            let Value::Object(rule) = rule else { continue };
            let text_of = |rule: &Map<String, Value>, key: &str| {
                rule.get(key)
                    .and_then(|d| d.get("text"))
                    .and_then(Value::as_str)
                    .filter(|t| !t.trim().is_empty())
                    .map(str::to_owned)
            };
            let id = rule
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let short = text_of(rule, "shortDescription")
                .or_else(|| text_of(rule, "fullDescription"))
                .or_else(|| rule.get("name").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| id.clone());
            if text_of(rule, "shortDescription").is_none() {
                rule.insert("shortDescription".into(), json!({ "text": short }));
            }
            if text_of(rule, "help").is_none() {
                let mut help = text_of(rule, "fullDescription").unwrap_or(short);
                if let Some(uri) = rule.get("helpUri").and_then(Value::as_str) {
                    help = format!("{help} See {uri}");
                }
                let markdown = rule.get("help").and_then(|h| h.get("markdown")).cloned();
                let mut h = json!({ "text": help });
                if let Some(m) = markdown {
                    h["markdown"] = m;
                }
                rule.insert("help".into(), h);
            }
        }
    }
}

/// Walks `v`: every artifact location gets the URI its `index` pointed at, loses the index,
/// and is made repository-relative.
pub(super) fn resolve_artifacts(v: &mut Value, artifacts: &[Value], tree: &SourceTree) {
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                if matches!(k.as_str(), "artifactLocation" | "analysisTarget")
                    && let Value::Object(loc) = child
                {
                    if let Some(i) = index_of(loc.remove("index").as_ref())
                        && !loc.contains_key("uri")
                        && let Some(Value::Object(a)) =
                            artifacts.get(i).and_then(|a| a.get("location"))
                    {
                        for key in ["uri", "uriBaseId"] {
                            if let Some(x) = a.get(key) {
                                loc.insert(key.into(), x.clone());
                            }
                        }
                    }
                    relativize_uri(loc, tree);
                }
                resolve_artifacts(child, artifacts, tree);
            }
        }
        Value::Array(a) => {
            for child in a {
                resolve_artifacts(child, artifacts, tree);
            }
        }
        _ => {}
    }
}

/// `file:///repo/src/a.py` (or `/repo/src/a.py`, or a bare `src/a.py`) → `src/a.py` under
/// `%SRCROOT%`.
pub(super) fn relativize_uri(loc: &mut Map<String, Value>, tree: &SourceTree) {
    if loc.contains_key("uriBaseId") {
        return;
    }
    let Some(uri) = loc.get("uri").and_then(Value::as_str) else {
        return;
    };
    let path = match uri.strip_prefix("file://") {
        Some(rest) => percent_decode(rest),
        None if uri.starts_with('/') => percent_decode(uri),
        // A bare relative reference (`src/a.py`) is relative to the checkout: say so.
        None if !uri.contains(':') && !uri.is_empty() => {
            loc.insert("uriBaseId".into(), SRCROOT.into());
            return;
        }
        None => return,
    };
    let rel = tree.relativize(&path);
    if !rel.starts_with('/') {
        loc.insert("uri".into(), writer::uri_path(&rel).into());
        loc.insert("uriBaseId".into(), SRCROOT.into());
    }
}

pub(super) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
