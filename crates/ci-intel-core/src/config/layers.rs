//! Layering: each file validated on its own, then merged over the defaults, weakest first, with
//! the origin (layer, file, line) of every value kept and a stricter layer's thresholds
//! protected from a looser one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{Config, REPO_CONFIG_PATHS, schema_validator};
use crate::error::{InputError, InputErrors, Position};
use crate::finding::Location;
use crate::suppression::{CompiledSuppression, Suppression};
use crate::yaml::{self, PositionedJson};

/// Which layer set a value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LayerKind {
    Default,
    Org,
    Repo,
    Flag,
}

impl LayerKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            LayerKind::Default => "default",
            LayerKind::Org => "org",
            LayerKind::Repo => "repo",
            LayerKind::Flag => "flag",
        }
    }
}

/// Where an effective value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub layer: LayerKind,
    pub file: Option<PathBuf>,
    pub position: Option<Position>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.layer.as_str())?;
        if let Some(file) = &self.file {
            write!(f, " ({}", file.display())?;
            if let Some(p) = self.position {
                write!(f, ":{}", p.line)?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// One layer: a parsed file (or the flags, as a JSON object).
#[derive(Debug, Clone)]
pub struct Layer {
    pub kind: LayerKind,
    pub file: Option<PathBuf>,
    pub doc: PositionedJson,
}

impl Layer {
    /// Reads and validates a configuration file.
    pub fn from_file(kind: LayerKind, path: &Path) -> Result<Self, InputErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputErrors(vec![InputError::io(path, &e)]))?;
        Self::from_str(kind, path, &text)
    }

    /// Parses and validates configuration text that came from `path`.
    pub fn from_str(kind: LayerKind, path: &Path, text: &str) -> Result<Self, InputErrors> {
        let doc = yaml::parse(path, text).map_err(|e| InputErrors(vec![e]))?;
        let errors = validate_layer(path, &doc);
        if !errors.is_empty() {
            return Err(InputErrors(errors));
        }
        Ok(Self {
            kind,
            file: Some(path.to_owned()),
            doc,
        })
    }

    /// A layer made of command-line flags (already a JSON object shaped like the config).
    pub fn flags(value: Value) -> Self {
        Self {
            kind: LayerKind::Flag,
            file: None,
            doc: PositionedJson {
                value,
                positions: BTreeMap::new(),
            },
        }
    }
}

fn validate_layer(path: &Path, doc: &PositionedJson) -> Vec<InputError> {
    let mut errors: Vec<InputError> = schema_validator()
        .iter_errors(&doc.value)
        .map(|e| {
            let pointer = e.instance_path().as_str().to_owned();
            let at = if pointer.is_empty() {
                String::new()
            } else {
                format!("`{}`: ", pointer_to_dotted(&pointer))
            };
            let message = format!("{at}{}", describe_schema_error(&e));
            match doc.position_of(&pointer) {
                Some(p) => InputError::at(path, p, message),
                None => InputError::new(path, message),
            }
        })
        .collect();
    // Semantic checks the schema cannot express.
    if let Some(list) = doc.value.get("suppressions").and_then(Value::as_array) {
        for (i, item) in list.iter().enumerate() {
            let pointer = format!("/suppressions/{i}");
            if let Ok(s) = serde_json::from_value::<Suppression>(item.clone())
                && let Err(msg) = CompiledSuppression::compile(s, None)
            {
                let p = doc.position_of(&pointer).unwrap_or_default();
                errors.push(InputError::at(
                    path,
                    p,
                    format!("`suppressions[{i}]`: {msg}"),
                ));
            }
        }
    }
    errors.sort_by_key(|e| e.position.map(|p| (p.line, p.column)));
    errors
}

fn describe_schema_error(e: &jsonschema::ValidationError<'_>) -> String {
    let s = e.to_string();
    if s.chars().count() > 200 {
        let mut t: String = s.chars().take(200).collect();
        t.push('…');
        t
    } else {
        s
    }
}

/// `/tests/max_failures` → `tests.max_failures`; `/suppressions/0/rule` → `suppressions[0].rule`.
pub fn pointer_to_dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

/// Which value of a setting is the stricter one, for the tighten-only rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Strictness {
    /// A larger number is stricter; `null` (no gate) is the loosest.
    Higher,
    /// A smaller number is stricter.
    Lower,
    /// `true` is stricter (an enabled analyzer).
    True,
    /// `false` is stricter (flaky tests not allowed).
    False,
    /// A lower `fail_on` severity is stricter (`never` is the loosest).
    FailOn,
}

fn strictness(pointer: &str) -> Option<Strictness> {
    Some(match pointer {
        "/coverage/min_lines" | "/coverage/min_branches" | "/coverage/min_diff" => {
            Strictness::Higher
        }
        "/tests/max_failures" | "/vuln/threshold" | "/vuln/vex_max_age_days" => Strictness::Lower,
        "/vuln/unknown_risk" => Strictness::Higher,
        "/tests/enabled" | "/coverage/enabled" | "/coverage/diff" | "/audit/enabled"
        | "/secrets/enabled" | "/vuln/enabled" => Strictness::True,
        "/audit/fail_on" | "/secrets/fail_on" => Strictness::FailOn,
        "/tests/allow_flaky" => Strictness::False,
        _ => return None,
    })
}

/// Whether `new` is looser than `old` for a setting of this strictness.
fn loosens(s: Strictness, old: &Value, new: &Value) -> bool {
    match s {
        Strictness::Higher => match (old.as_f64(), new.as_f64()) {
            (Some(o), Some(n)) => n < o,
            (Some(_), None) => true,
            _ => false,
        },
        Strictness::Lower => match (old.as_f64(), new.as_f64()) {
            (Some(o), Some(n)) => n > o,
            _ => false,
        },
        Strictness::True => old == &Value::Bool(true) && new == &Value::Bool(false),
        Strictness::False => old == &Value::Bool(false) && new == &Value::Bool(true),
        Strictness::FailOn => {
            let rank = |v: &Value| match v.as_str() {
                Some("note") => 0,
                Some("warning") => 1,
                Some("error") => 2,
                _ => 3,
            };
            rank(new) > rank(old)
        }
    }
}

/// The effective configuration and where each value came from.
#[derive(Debug, Clone)]
pub struct Effective {
    pub config: Config,
    /// The merged configuration as JSON (what `config show` prints).
    pub value: Value,
    /// Leaf pointer → origin.
    pub origins: BTreeMap<String, Origin>,
    /// Attempts to loosen an organisation setting, refused.
    pub warnings: Vec<String>,
    /// Suppressions compiled, with the config line each came from.
    pub suppressions: Vec<CompiledSuppression>,
}

impl Effective {
    /// Merges `layers` (weakest first) over the built-in defaults.
    pub fn resolve(layers: &[Layer]) -> Result<Self, InputErrors> {
        let defaults = serde_json::to_value(Config::default()).unwrap_or(Value::Null);
        let mut value = defaults.clone();
        let mut origins = BTreeMap::new();
        record_origins(
            &value,
            "",
            &Origin {
                layer: LayerKind::Default,
                file: None,
                position: None,
            },
            None,
            &mut origins,
        );
        let mut warnings = Vec::new();
        let mut suppression_sources = Vec::new();
        for layer in layers {
            let Some(obj) = layer.doc.value.as_object() else {
                continue;
            };
            merge_object(&mut value, obj, "", layer, &mut origins, &mut warnings);
            if let Some(list) = obj.get("suppressions").and_then(Value::as_array) {
                for i in 0..list.len() {
                    suppression_sources.push(layer.file.as_ref().map(|f| {
                        let line = layer
                            .doc
                            .position_of(&format!("/suppressions/{i}"))
                            .map_or(1, |p| p.line);
                        Location::line(f.display().to_string(), line as u32)
                    }));
                }
            }
        }
        let config: Config = serde_json::from_value(value.clone()).map_err(|e| {
            InputErrors(vec![InputError::new(
                layers
                    .last()
                    .and_then(|l| l.file.clone())
                    .unwrap_or_else(|| PathBuf::from("<flags>")),
                format!("invalid configuration: {e}"),
            )])
        })?;
        let mut suppressions = Vec::new();
        let mut errors = Vec::new();
        for (spec, source) in config.suppressions.iter().zip(suppression_sources) {
            match CompiledSuppression::compile(spec.clone(), source.clone()) {
                Ok(s) => suppressions.push(s),
                Err(msg) => errors.push(InputError::new(
                    source.map_or_else(|| PathBuf::from("<flags>"), |l| PathBuf::from(l.path)),
                    msg.to_string(),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(InputErrors(errors));
        }
        Ok(Self {
            config,
            value,
            origins,
            warnings,
            suppressions,
        })
    }

    /// Every leaf setting with its value and origin, in document order of the schema.
    pub fn entries(&self) -> Vec<(String, Value, Origin)> {
        let mut out = Vec::new();
        flatten(&self.value, "", &mut out);
        out.into_iter()
            .map(|(p, v)| {
                let origin = self.origins.get(&p).cloned().unwrap_or(Origin {
                    layer: LayerKind::Default,
                    file: None,
                    position: None,
                });
                (p, v, origin)
            })
            .collect()
    }
}

/// Leaves are scalars, arrays of scalars, and each element of an array of objects.
fn flatten(v: &Value, pointer: &str, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                flatten(
                    child,
                    &format!("{pointer}/{}", yaml::pointer_segment(k)),
                    out,
                );
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            for (i, item) in items.iter().enumerate() {
                out.push((format!("{pointer}/{i}"), item.clone()));
            }
        }
        _ => out.push((pointer.to_owned(), v.clone())),
    }
}

fn record_origins(
    v: &Value,
    pointer: &str,
    origin: &Origin,
    doc: Option<&PositionedJson>,
    origins: &mut BTreeMap<String, Origin>,
) {
    let mut leaves = Vec::new();
    flatten(v, pointer, &mut leaves);
    for (p, _) in leaves {
        let mut o = origin.clone();
        o.position = doc.and_then(|d| d.position_of(&p));
        origins.insert(p, o);
    }
}

fn merge_object(
    base: &mut Value,
    overlay: &Map<String, Value>,
    pointer: &str,
    layer: &Layer,
    origins: &mut BTreeMap<String, Origin>,
    warnings: &mut Vec<String>,
) {
    if !base.is_object() {
        *base = Value::Object(Map::new());
    }
    for (key, new) in overlay {
        let child = format!("{pointer}/{}", yaml::pointer_segment(key));
        let origin = Origin {
            layer: layer.kind.clone(),
            file: layer.file.clone(),
            position: None,
        };
        let Some(base_obj) = base.as_object_mut() else {
            return;
        };
        let old = base_obj.entry(key.clone()).or_insert(Value::Null);
        match (child.as_str(), new) {
            (_, Value::Object(m)) if old.is_object() => {
                merge_object(old, m, &child, layer, origins, warnings);
            }
            ("/suppressions", Value::Array(items)) => {
                let start = old.as_array().map_or(0, Vec::len);
                let arr = match old {
                    Value::Array(a) => a,
                    other => {
                        *other = Value::Array(Vec::new());
                        let Value::Array(a) = other else { return };
                        a
                    }
                };
                for (i, item) in items.iter().enumerate() {
                    arr.push(item.clone());
                    let mut o = origin.clone();
                    o.position = layer.doc.position_of(&format!("{child}/{i}"));
                    origins.insert(format!("{child}/{}", start + i), o);
                }
            }
            _ => {
                let old_origin = origins.get(&child).cloned();
                if let (Some(s), Some(prev)) = (strictness(&child), &old_origin)
                    && prev.layer == LayerKind::Org
                    && layer.kind > LayerKind::Org
                    && loosens(s, old, new)
                {
                    let mut here = origin.clone();
                    here.position = layer.doc.position_of(&child);
                    warnings.push(format!(
                        "{} sets `{}` to {}, looser than {} set by {}; keeping {}",
                        here,
                        pointer_to_dotted(&child),
                        new,
                        old,
                        prev,
                        old
                    ));
                    continue;
                }
                *old = new.clone();
                // Drop the origins of whatever the value replaced, then record the new ones.
                origins.retain(|p, _| !(p == &child || p.starts_with(&format!("{child}/"))));
                record_origins(new, &child, &origin, Some(&layer.doc), origins);
            }
        }
    }
}

/// Finds the repository's config file under `root`, if any.
pub fn find_repo_config(root: &Path) -> Option<PathBuf> {
    REPO_CONFIG_PATHS
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::json_schema;

    fn layer(kind: LayerKind, name: &str, text: &str) -> Layer {
        Layer::from_str(kind, Path::new(name), text).unwrap()
    }

    #[test]
    fn empty_layers_give_the_defaults() {
        let e = Effective::resolve(&[]).unwrap();
        assert_eq!(e.config, Config::default());
        let (_, v, o) = e
            .entries()
            .into_iter()
            .find(|(p, _, _)| p == "/tests/max_failures")
            .unwrap();
        assert_eq!(v, serde_json::json!(0));
        assert_eq!(o.layer, LayerKind::Default);
    }

    #[test]
    fn repo_overrides_defaults_and_records_the_line() {
        let repo = layer(
            LayerKind::Repo,
            ".ci-intel/config.yml",
            "version: 1\ncoverage:\n  min_lines: 80\n",
        );
        let e = Effective::resolve(&[repo]).unwrap();
        assert_eq!(e.config.coverage.min_lines, Some(80.0));
        let o = &e.origins["/coverage/min_lines"];
        assert_eq!(o.layer, LayerKind::Repo);
        assert_eq!(o.position.unwrap().line, 3);
        assert_eq!(o.to_string(), "repo (.ci-intel/config.yml:3)");
    }

    #[test]
    fn repo_may_tighten_but_not_loosen_org_settings() {
        let org = layer(
            LayerKind::Org,
            "org.yml",
            "coverage:\n  min_lines: 80\ntests:\n  allow_flaky: false\n  max_failures: 2\n",
        );
        let repo = layer(
            LayerKind::Repo,
            "repo.yml",
            "coverage:\n  min_lines: 60\ntests:\n  allow_flaky: true\n  max_failures: 0\n",
        );
        let e = Effective::resolve(&[org, repo]).unwrap();
        assert_eq!(e.config.coverage.min_lines, Some(80.0), "loosening refused");
        assert!(!e.config.tests.allow_flaky, "loosening refused");
        assert_eq!(e.config.tests.max_failures, 0, "tightening allowed");
        assert_eq!(e.warnings.len(), 2, "{:?}", e.warnings);
        assert!(
            e.warnings[0].contains("repo (repo.yml:2)"),
            "{}",
            e.warnings[0]
        );
        assert!(
            e.warnings[0].contains("org (org.yml:2)"),
            "{}",
            e.warnings[0]
        );
        assert_eq!(e.origins["/tests/max_failures"].layer, LayerKind::Repo);
        assert_eq!(e.origins["/coverage/min_lines"].layer, LayerKind::Org);
    }

    #[test]
    fn flags_cannot_loosen_org_either() {
        let org = layer(LayerKind::Org, "org.yml", "coverage:\n  min_diff: 90\n");
        let flags = Layer::flags(serde_json::json!({"coverage": {"min_diff": 50.0}}));
        let e = Effective::resolve(&[org, flags]).unwrap();
        assert_eq!(e.config.coverage.min_diff, Some(90.0));
        assert_eq!(e.warnings.len(), 1);
    }

    #[test]
    fn suppressions_add_up_across_layers() {
        let s = "suppressions:\n  - rule: uncovered-line\n    reason: r\n    owner: o\n    expires: 2030-01-01\n";
        let e = Effective::resolve(&[
            layer(LayerKind::Org, "org.yml", s),
            layer(LayerKind::Repo, "repo.yml", s),
        ])
        .unwrap();
        assert_eq!(e.config.suppressions.len(), 2);
        assert_eq!(e.suppressions[1].source.as_ref().unwrap().path, "repo.yml");
        assert_eq!(e.suppressions[1].source.as_ref().unwrap().start_line, 2);
        assert_eq!(e.origins["/suppressions/1"].layer, LayerKind::Repo);
    }

    #[test]
    fn schema_errors_name_file_line_and_key() {
        let err = Layer::from_str(
            LayerKind::Repo,
            Path::new("c.yml"),
            "version: 1\ntests:\n  max_failure: 3\ncoverage:\n  min_lines: 180\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 2, "{text}");
        assert!(text.contains("c.yml:2:"), "{text}"); // the unknown key's parent object
        assert!(text.contains("max_failure"), "{text}");
        assert!(text.contains("c.yml:5:"), "{text}");
        assert!(text.contains("coverage.min_lines"), "{text}");
    }

    #[test]
    fn bad_suppression_dates_are_reported_with_their_line() {
        let err = Layer::from_str(
            LayerKind::Repo,
            Path::new("c.yml"),
            "suppressions:\n  - rule: x\n    reason: r\n    owner: o\n    expires: 2030-02-31\n",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("c.yml:2:"), "{err}");
    }

    #[test]
    fn dotted_names() {
        assert_eq!(
            pointer_to_dotted("/tests/max_failures"),
            "tests.max_failures"
        );
        assert_eq!(
            pointer_to_dotted("/suppressions/0/rule"),
            "suppressions[0].rule"
        );
        assert_eq!(pointer_to_dotted(""), "");
    }

    #[test]
    fn published_schema_is_up_to_date() {
        let published: Value =
            serde_json::from_str(include_str!("../../../../schema/config.v1.json")).unwrap();
        assert_eq!(
            published,
            json_schema(),
            "schema/config.v1.json is stale: run `cargo run -- config schema --output schema/config.v1.json`"
        );
    }
}
