//! `.ci-intel/config.yml`: the one configuration contract, layered.
//!
//! Layers, weakest first: built-in defaults → an organisation overlay (`--org-config FILE`) → the
//! repository's file → command-line flags. A later layer overrides an earlier one, except that it
//! may not loosen a threshold the organisation set: such a change is refused, the organisation's
//! value is kept, and a warning names both places. Suppression lists add up across layers.
//!
//! Each file is validated on its own against the published JSON Schema
//! (`schema/config.v1.json`, generated from the types below), so an error names the file and
//! line that caused it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{InputError, InputErrors, Position};
use crate::finding::Location;
use crate::suppression::{CompiledSuppression, Suppression};
use crate::yaml::{self, PositionedJson};

/// Where the repository's configuration lives, relative to its root.
pub const REPO_CONFIG_PATHS: [&str; 2] = [".ci-intel/config.yml", ".ci-intel/config.yaml"];

/// The whole configuration. Every field has a default, so an empty file is a valid config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
#[schemars(title = "ci-intel configuration", extend("$id" = "https://ci-intel.dev/schema/config.v1.json"))]
pub struct Config {
    /// Version of this file's format; only `1` exists.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    pub tests: TestsConfig,
    pub coverage: CoverageConfig,
    pub audit: AuditConfig,
    pub secrets: SecretsConfig,
    pub vuln: VulnConfig,
    /// Accepted findings, each with a reason, an owner and an expiry date.
    pub suppressions: Vec<Suppression>,
    /// A baseline file (from `--baseline-write`): findings it lists do not fail gates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    pub output: OutputConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: 1,
            tests: TestsConfig::default(),
            coverage: CoverageConfig::default(),
            audit: AuditConfig::default(),
            secrets: SecretsConfig::default(),
            vuln: VulnConfig::default(),
            suppressions: Vec::new(),
            baseline: None,
            output: OutputConfig::default(),
        }
    }
}

/// Test results: JUnit/xUnit reports and their gates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TestsConfig {
    /// Run the test-results analyzer in `ci-intel check`.
    pub enabled: bool,
    /// Globs (relative to the repository root) of JUnit/xUnit XML reports.
    pub reports: Vec<String>,
    /// Most failed tests (failures plus errors) allowed before the gate denies.
    pub max_failures: u64,
    /// Whether flaky tests (failed, then passed on a retry) are allowed: `true` warns, `false`
    /// denies.
    pub allow_flaky: bool,
    /// How many of the slowest tests the reports list.
    #[schemars(range(max = 1000))]
    pub slowest: usize,
}

impl Default for TestsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            reports: [
                "**/junit*.xml",
                "**/TEST-*.xml",
                "**/test-results/**/*.xml",
                "**/nextest/**/junit.xml",
            ]
            .map(String::from)
            .to_vec(),
            max_failures: 0,
            allow_flaky: true,
            slowest: 10,
        }
    }
}

/// Coverage reports and their gates. Thresholds are percentages (0–100).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CoverageConfig {
    /// Run the coverage analyzer in `ci-intel check`.
    pub enabled: bool,
    /// Globs of coverage reports: Cobertura XML, LCOV, JaCoCo XML, Go cover profiles.
    pub reports: Vec<String>,
    /// Minimum total line coverage, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub min_lines: Option<f64>,
    /// Minimum total branch coverage, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub min_branches: Option<f64>,
    /// Minimum coverage of the lines changed since the base, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 100.0))]
    pub min_diff: Option<f64>,
    /// Compute diff coverage (needs a git checkout with the base available).
    pub diff: bool,
    /// Git ref to compare against; default: the merge-base with the default branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

impl Default for CoverageConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            reports: [
                "**/coverage.xml",
                "**/cobertura*.xml",
                "**/lcov.info",
                "**/*.lcov",
                "**/jacoco*.xml",
                "**/cover.out",
                "**/coverage.out",
            ]
            .map(String::from)
            .to_vec(),
            min_lines: None,
            min_branches: None,
            min_diff: None,
            diff: true,
            base: None,
        }
    }
}

/// How severe a finding must be to fail a gate.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Note,
    Warning,
    Error,
    /// Findings never fail the gate (it warns).
    Never,
}

/// The GitHub Actions workflow audit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Run the workflow audit in `ci-intel check` (on `.github/workflows/*` and `action.yml`
    /// files under the root).
    pub enabled: bool,
    /// The least severity of a finding that makes the `audit.findings` gate deny.
    pub fail_on: FailOn,
    /// Owners (`actions`) or repositories (`docker/login-action`) whose actions may be used by
    /// tag instead of a commit SHA.
    pub trusted_owners: Vec<String>,
    /// Workflow paths (globs) allowed to use `pull_request_target` / `workflow_run`.
    pub allowed_dangerous_triggers: Vec<String>,
    /// Audit ids not to run.
    pub disable: Vec<String>,
    /// Globs (relative to the root) of workflow and action files not to audit, e.g. vendored
    /// actions or test fixtures.
    pub exclude: Vec<String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            fail_on: FailOn::Error,
            trusted_owners: Vec::new(),
            allowed_dangerous_triggers: Vec::new(),
            disable: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

/// The SBOM of the repository's lockfiles and the vulnerability gate on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct VulnConfig {
    /// Generate the SBOM and scan it in `ci-intel check` (needs `db`).
    pub enabled: bool,
    /// The OSV database: a directory of OSV JSON files, OSV zip archives, or an index from
    /// `ci-intel vuln db index` (relative to the root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<String>,
    /// Deny when a vulnerability not suppressed by VEX has at least this risk (0..1).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub threshold: f64,
    /// Risk of a vulnerability with no computable CVSS score (v3.x or v4.0) and no EPSS entry.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub unknown_risk: f64,
    /// VEX documents (OpenVEX or CycloneDX VEX), relative to the root.
    pub vex: Vec<String>,
    /// Days a VEX statement suppresses after its timestamp.
    #[schemars(range(min = 0, max = 3650))]
    pub vex_max_age_days: i64,
    /// Where to write the CycloneDX SBOM (relative to the root); `run emit` records it as
    /// `sbom_uri`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sbom_output: Option<String>,
}

impl Default for VulnConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            db: None,
            threshold: 0.7,
            unknown_risk: 0.5,
            vex: Vec::new(),
            vex_max_age_days: 90,
            sbom_output: None,
        }
    }
}

/// Secret scanning of the repository tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// Run the secret scan in `ci-intel check` (on the tree under the root).
    pub enabled: bool,
    /// The least severity of a finding that makes the `secrets.findings` gate deny.
    pub fail_on: FailOn,
    /// Globs (relative to the root) of files not to scan (test fixtures with fake keys, …).
    pub exclude: Vec<String>,
    /// Environment variables `--env`/`--proc` sweeps skip: the runner's own short-lived tokens.
    pub allow_env: Vec<String>,
    /// Files larger than this many megabytes are skipped with a note.
    #[schemars(range(min = 1, max = 4096))]
    pub max_file_size_mb: u64,
    /// A rules file replacing the built-in `rules/secrets.toml`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            fail_on: FailOn::Error,
            exclude: Vec::new(),
            allow_env: [
                "GITHUB_TOKEN",
                "ACTIONS_RUNTIME_TOKEN",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            ]
            .map(String::from)
            .to_vec(),
            max_file_size_mb: 10,
            rules: None,
        }
    }
}

/// Rendering settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// Most `::error`/`::warning` annotations emitted in GitHub Actions (GitHub shows few per
    /// step anyway); the rest are counted in one notice.
    #[schemars(range(max = 1000))]
    pub max_annotations: usize,
}

impl Default for OutputConfig {
    fn default() -> Self {
        Self {
            max_annotations: 50,
        }
    }
}

/// The JSON Schema of the configuration, as published in `schema/config.v1.json`.
pub fn json_schema() -> Value {
    let schema = schemars::schema_for!(Config);
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

fn schema_validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        #[expect(
            clippy::expect_used,
            reason = "the generated schema is checked by tests"
        )]
        jsonschema::options()
            .build(&json_schema())
            .expect("generated config schema compiles")
    })
}

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
            serde_json::from_str(include_str!("../../../schema/config.v1.json")).unwrap();
        assert_eq!(
            published,
            json_schema(),
            "schema/config.v1.json is stale: run `cargo run -- config schema --output schema/config.v1.json`"
        );
    }
}
