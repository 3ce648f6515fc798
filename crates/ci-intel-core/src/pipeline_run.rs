//! The `pipeline_run.v1.2` data contract: Rust types, the JSON Schema and its validator, and the
//! v1.1 → v1.2 migration.
//!
//! The schema lives in `schema/pipeline_run.v1.2.json` (embedded here) and is the authority; the
//! types mirror it and a test checks that the canonical example round-trips through them
//! unchanged. `docs/pipeline-run.md` lists where the schema differs from the specification's.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The value of the `schema` field of every v1.2 record.
pub const SCHEMA_ID: &str = "pipeline_run.v1.2";
/// The value of the `schema` field of a v1.1 record.
pub const SCHEMA_ID_V1_1: &str = "pipeline_run.v1.1";
/// The JSON Schema text, as published in `schema/`.
pub const SCHEMA_JSON: &str = include_str!("../../../schema/pipeline_run.v1.2.json");

/// Status of a run or a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Success,
    Failed,
    Canceled,
    Skipped,
}

impl RunStatus {
    /// The status as the contract spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Success => "success",
            RunStatus::Failed => "failed",
            RunStatus::Canceled => "canceled",
            RunStatus::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Preview,
    Dev,
    Staging,
    Prod,
    Test,
}

impl Environment {
    /// The environment as the contract spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Preview => "preview",
            Environment::Dev => "dev",
            Environment::Staging => "staging",
            Environment::Prod => "prod",
            Environment::Test => "test",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    Direct,
    Rolling,
    BlueGreen,
    Canary,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunnerOs {
    Linux,
    Windows,
    Macos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunnerType {
    Hosted,
    SelfHosted,
}

/// One record: a CI pipeline run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineRun {
    pub schema: String,
    pub run_id: String,
    pub repo: String,
    pub commit_sha: String,
    pub branch: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<u64>,
    pub started_at: String,
    pub ended_at: String,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout_step: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sbom_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_evidence_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_os: Option<RunnerOs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_type: Option<RunnerType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carbon_g_co2e: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<Energy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_keys: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flakiness_index: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_metrics: Option<CanaryMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<Canary>,
    pub jobs: Vec<Job>,
    pub tests: Tests,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaos: Option<Vec<ChaosEvent>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autopsy: Option<Autopsy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<Policy>>,
    pub cost: Cost,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Energy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kwh: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanaryMetrics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p95_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_p99_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reqs_per_s: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CanaryDecision {
    Promote,
    Rollback,
    Hold,
}

/// The canary decision and its evidence (allowed since the schema correction; see the docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Canary {
    pub decision: CanaryDecision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<CanaryWindow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanaryWindow {
    pub start: String,
    pub end: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub id: String,
    pub name: String,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u64>,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<JobCache>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Machine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix: Option<serde_json::Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs_uri: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobCache {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hit: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ram_gb: Option<f64>,
}

/// The `tests` object: also exactly what `ci-intel tests --format json` prints under `tests`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tests {
    pub total: u64,
    /// Failures plus errors.
    pub failed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<u64>,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// Absent when no mutation run happened: never a fake score of 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resilience: Option<Resilience>,
}

/// Coverage fractions, each in 0–1.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branches_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statements_pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resilience {
    pub mutants_total: u64,
    pub killed: u64,
    pub equiv: u64,
    pub timeout: u64,
    pub score: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_vs_main: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equivalent_mutants_dropped: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaosEvent {
    pub fault: String,
    pub target: String,
    pub seed: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Autopsy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_causes: Option<Vec<RootCause>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCause {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    pub pattern: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub suggestion: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_uri: Option<String>,
}

impl RootCause {
    /// The failure's signature, the same for the same failure in another run: see
    /// [`failure_signature`].
    pub fn signature(&self) -> String {
        failure_signature(&self.pattern, self.message.as_deref().unwrap_or(""))
    }
}

/// A root cause's signature from its rule (`pattern`) and message, with the message's variable
/// parts (numbers, hex ids and hashes) masked, so the agent and the hub compute the same one from
/// a record without a field of its own.
pub fn failure_signature(rule: &str, message: &str) -> String {
    crate::finding::fingerprint(rule, "autopsy", "", &mask_variables(message))
}

/// `message` with runs of digits, and hex words of 8 or more characters holding a digit,
/// replaced by `#`.
pub fn mask_variables(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while !rest.is_empty() {
        let word_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        if word_len == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let word = &rest[..word_len];
        if word.len() >= 8
            && word.bytes().all(|b| b.is_ascii_hexdigit())
            && word.bytes().any(|b| b.is_ascii_digit())
        {
            out.push('#');
        } else {
            let mut in_digits = false;
            for c in word.chars() {
                if c.is_ascii_digit() {
                    if !in_digits {
                        out.push('#');
                    }
                    in_digits = true;
                } else {
                    out.push(c);
                    in_digits = false;
                }
            }
        }
        rest = &rest[word_len..];
    }
    out
}

/// A gate verdict as the contract records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: String,
    pub result: crate::gate::GateResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ns: Option<u64>,
}

impl From<&crate::gate::GateVerdict> for Policy {
    fn from(v: &crate::gate::GateVerdict) -> Self {
        Self {
            id: v.id.clone(),
            result: v.result,
            reason: Some(v.reason.clone()),
            docs_uri: None,
            time_ns: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_seconds: Option<f64>,
}

/// One schema violation: where (a JSON pointer into the record) and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// RFC 6901 JSON pointer; empty for the record itself.
    pub pointer: String,
    pub message: String,
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        // The schema is part of this crate; a schema that does not compile is a build bug that
        // the unit tests below catch.
        #[expect(clippy::expect_used, reason = "embedded schema is checked by tests")]
        let schema: Value = serde_json::from_str(SCHEMA_JSON).expect("embedded schema is JSON");
        #[expect(clippy::expect_used, reason = "embedded schema is checked by tests")]
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("embedded schema compiles")
    })
}

/// Validates one record against the v1.2 schema; returns every violation, sorted by pointer.
pub fn validate(record: &Value) -> Vec<Violation> {
    let mut out: Vec<Violation> = validator()
        .iter_errors(record)
        .map(|e| Violation {
            pointer: e.instance_path().as_str().to_owned(),
            message: shorten(&e.to_string(), 300),
        })
        .collect();
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
    out.dedup();
    out
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

/// Why a record could not be migrated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrateError {
    #[error("expected a JSON object")]
    NotAnObject,
    #[error("expected `schema` to be `{SCHEMA_ID_V1_1}` or `{SCHEMA_ID}`, found {0}")]
    UnknownSchema(String),
    #[error(
        "`flakiness_index` is set both at the top level ({top}) and under tests.resilience ({nested}) with different values"
    )]
    ConflictingFlakiness { top: String, nested: String },
}

/// Migrates one record from v1.1 to v1.2 in place: `schema` becomes v1.2 and
/// `tests.resilience.flakiness_index` moves to the top-level `flakiness_index`. A v1.1
/// `resilience` object that held nothing but the flakiness index is dropped rather than kept
/// as an empty (invalid) object. v1.2 records are returned unchanged.
pub fn migrate_v1_1(record: &mut Value) -> Result<bool, MigrateError> {
    let obj = record.as_object_mut().ok_or(MigrateError::NotAnObject)?;
    match obj.get("schema").and_then(Value::as_str) {
        Some(SCHEMA_ID) => return Ok(false),
        Some(SCHEMA_ID_V1_1) => {}
        other => {
            return Err(MigrateError::UnknownSchema(
                other.map_or_else(|| "nothing".to_owned(), |s| format!("`{s}`")),
            ));
        }
    }
    let nested = obj
        .get_mut("tests")
        .and_then(Value::as_object_mut)
        .and_then(|t| {
            let res = t.get_mut("resilience")?.as_object_mut()?;
            let fi = res.remove("flakiness_index");
            if res.is_empty() {
                t.remove("resilience");
            }
            fi
        });
    if let Some(nested) = nested {
        match obj.get("flakiness_index") {
            Some(top) if top != &nested => {
                return Err(MigrateError::ConflictingFlakiness {
                    top: top.to_string(),
                    nested: nested.to_string(),
                });
            }
            _ => {
                obj.insert("flakiness_index".into(), nested);
            }
        }
    }
    obj.insert("schema".into(), Value::String(SCHEMA_ID.into()));
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical() -> Value {
        serde_json::from_str(include_str!(
            "../../../schema/fixtures/pipeline_run/canonical.json"
        ))
        .unwrap()
    }

    #[test]
    fn canonical_example_is_valid() {
        assert_eq!(validate(&canonical()), vec![]);
    }

    #[test]
    fn canonical_example_round_trips_through_the_types() {
        let v = canonical();
        let run: PipelineRun = serde_json::from_value(v.clone()).unwrap();
        // Integers written as floats (`16` vs `16.0`) are the same JSON number.
        assert_eq!(
            numbers_as_f64(serde_json::to_value(&run).unwrap()),
            numbers_as_f64(v)
        );
    }

    fn numbers_as_f64(v: Value) -> Value {
        match v {
            Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
            Value::Array(a) => Value::Array(a.into_iter().map(numbers_as_f64).collect()),
            Value::Object(o) => {
                Value::Object(o.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect())
            }
            other => other,
        }
    }

    #[test]
    fn a_run_without_mutation_results_is_valid() {
        let mut v = canonical();
        v["tests"].as_object_mut().unwrap().remove("resilience");
        assert_eq!(validate(&v), vec![]);
    }

    #[test]
    fn every_invalid_fixture_reports_the_expected_pointer() {
        let lines = include_str!("../../../schema/fixtures/pipeline_run/invalid.ndjson");
        let expected: Vec<Value> = serde_json::from_str(include_str!(
            "../../../schema/fixtures/pipeline_run/invalid.expected.json"
        ))
        .unwrap();
        for (line, exp) in lines.lines().zip(&expected) {
            let Ok(record) = serde_json::from_str::<Value>(line) else {
                continue; // the truncated line is a parse error, covered by the CLI tests
            };
            let v = validate(&record);
            let want = exp["pointer"].as_str().unwrap();
            assert!(
                v.iter().any(|x| x.pointer == want),
                "line {}: {} — got {v:?}",
                exp["line"],
                exp["why"]
            );
            // and the types refuse it too, so no invalid record is ever emitted
            assert!(serde_json::from_value::<PipelineRun>(record).is_err() || !v.is_empty());
        }
    }

    #[test]
    fn migrates_v1_1_to_a_valid_v1_2_record() {
        let mut v: Value = serde_json::from_str(include_str!(
            "../../../schema/fixtures/pipeline_run/v1.1.ndjson"
        ))
        .unwrap();
        assert!(!validate(&v).is_empty());
        assert!(migrate_v1_1(&mut v).unwrap());
        assert_eq!(validate(&v), vec![]);
        assert_eq!(v["flakiness_index"], serde_json::json!(0.02));
        assert!(v["tests"]["resilience"].get("flakiness_index").is_none());
        // idempotent
        let before = v.clone();
        assert!(!migrate_v1_1(&mut v).unwrap());
        assert_eq!(v, before);
    }

    #[test]
    fn migrate_refuses_conflicts_and_unknown_versions() {
        let mut v = serde_json::json!({"schema": "pipeline_run.v1.1", "flakiness_index": 0.1,
            "tests": {"resilience": {"flakiness_index": 0.2}}});
        assert!(matches!(
            migrate_v1_1(&mut v),
            Err(MigrateError::ConflictingFlakiness { .. })
        ));
        let mut v = serde_json::json!({"schema": "pipeline_run.v0.9"});
        assert!(matches!(
            migrate_v1_1(&mut v),
            Err(MigrateError::UnknownSchema(_))
        ));
    }

    #[test]
    fn resilience_holding_only_flakiness_is_dropped() {
        let mut v = serde_json::json!({"schema": "pipeline_run.v1.1",
            "tests": {"total": 1, "resilience": {"flakiness_index": 0.2}}});
        migrate_v1_1(&mut v).unwrap();
        assert!(v["tests"].get("resilience").is_none());
        assert_eq!(v["flakiness_index"], serde_json::json!(0.2));
    }
}

/// A `run_id` derived from a name (UUID v5): the same CI run, workflow attempt or demo run
/// always gets the same id, so re-sending its record updates it instead of adding another.
pub fn stable_run_id(name: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()).to_string()
}

/// One problem with one record of a batch: its line (1-based; the first line of a record that
/// spans several), where in the record, and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordError {
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    pub message: String,
}

/// A record that is not JSON: where (the line when the record spans several), and why. The
/// parser's message is part of the text: readers print this as one line under the file.
#[derive(Debug, thiserror::Error)]
#[error("invalid JSON at {}column {column}: {source}", line.map_or(String::new(), |l| format!("line {l}, ")))]
pub struct JsonLineError {
    pub line: Option<usize>,
    pub column: usize,
    source: serde_json::Error,
}

/// Reads records: NDJSON (one per line, blank lines skipped) or one JSON record spread over
/// several lines (pretty-printed). Calls `each(line, parsed)` with the 1-based line a record
/// starts on; returns how many records it saw. A line that is not JSON is reported and reading
/// goes on. Streams: a large NDJSON file is never held whole.
pub fn for_each_record<R: std::io::BufRead>(
    mut reader: R,
    mut each: impl FnMut(usize, Result<Value, JsonLineError>),
) -> std::io::Result<usize> {
    let mut line = Vec::new();
    let mut n = 0;
    let mut records = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        n += 1;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        records += 1;
        match serde_json::from_str::<Value>(text) {
            Ok(v) => each(n, Ok(v)),
            Err(e) if e.is_eof() && records == 1 && text.starts_with('{') => {
                // A single multi-line JSON document: read the rest and parse it whole.
                let mut all = line.clone();
                reader.read_to_end(&mut all)?;
                each(
                    n,
                    serde_json::from_slice::<Value>(&all).map_err(|e| JsonLineError {
                        line: Some(e.line() + n - 1),
                        column: e.column(),
                        source: e,
                    }),
                );
                break;
            }
            Err(e) => each(
                n,
                Err(JsonLineError {
                    line: None,
                    column: e.column(),
                    source: e,
                }),
            ),
        }
    }
    Ok(records)
}

/// Reads a batch (what [`for_each_record`] reads, held in memory). Every record is checked
/// against the schema; all problems are returned, each with its line, so a sender can fix them
/// in one go.
pub fn parse_batch(text: &str) -> Result<Vec<PipelineRun>, Vec<RecordError>> {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let error = |line, pointer, message| RecordError {
        line,
        pointer,
        message,
    };
    // Reading from memory cannot fail.
    let _ = for_each_record(text.as_bytes(), |line, parsed| {
        let value = match parsed {
            Ok(v) => v,
            Err(message) => return errors.push(error(line, None, message.to_string())),
        };
        let violations = validate(&value);
        if !violations.is_empty() {
            errors.extend(
                violations
                    .into_iter()
                    .map(|v| error(line, Some(v.pointer), v.message)),
            );
            return;
        }
        match serde_json::from_value::<PipelineRun>(value) {
            Ok(run) => records.push(run),
            Err(e) => errors.push(error(line, None, e.to_string())),
        }
    });
    if records.is_empty() && errors.is_empty() {
        errors.push(error(
            1,
            None,
            "no record: expected a pipeline_run.v1.2 JSON object or NDJSON".into(),
        ));
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod batch_tests {
    #[test]
    fn failure_signatures_ignore_variable_parts() {
        use super::{failure_signature, mask_variables};
        assert_eq!(
            mask_variables("exit code 137 after 12.5s in job 4f9a2b1c0d (pid 99)"),
            "exit code # after #.#s in job # (pid #)"
        );
        assert_eq!(mask_variables("E0425 in src/a2.rs"), "E# in src/a#.rs");
        assert_eq!(
            failure_signature("npm/e404", "404 Not Found - GET https://r/x - 1.2.3"),
            failure_signature("npm/e404", "404 Not Found - GET https://r/x - 4.5.6")
        );
        assert_ne!(
            failure_signature("npm/e404", "GET https://r/x"),
            failure_signature("npm/e404", "GET https://r/y")
        );
        assert_ne!(failure_signature("a/b", "m"), failure_signature("a/c", "m"));
    }

    use super::*;

    fn canonical_line() -> String {
        let v: Value = serde_json::from_str(include_str!(
            "../../../schema/fixtures/pipeline_run/canonical.json"
        ))
        .unwrap();
        serde_json::to_string(&v).unwrap()
    }

    #[test]
    fn a_batch_is_one_record_or_ndjson_and_every_bad_line_is_named() {
        let good = canonical_line();
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(&good).unwrap()).unwrap();
        assert_eq!(parse_batch(&pretty).map(|r| r.len()), Ok(1));
        assert_eq!(
            parse_batch(&format!("\n{good}\n\n{good}\n")).map(|r| r.len()),
            Ok(2)
        );
        let bad = good.replace("\"repo\":\"org/app\"", "\"repo\":\"no-slash\"");
        let Err(errors) = parse_batch(&format!("{good}\n{bad}\n{{oops\n")) else {
            panic!("a bad batch was accepted");
        };
        assert!(
            errors
                .iter()
                .any(|e| e.line == 2 && e.pointer.as_deref() == Some("/repo")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.line == 3 && e.message.starts_with("invalid JSON")),
            "{errors:?}"
        );
        assert!(errors.iter().all(|e| e.line != 1), "{errors:?}");
        let Err(empty) = parse_batch(" \n\n") else {
            panic!("an empty body was accepted");
        };
        assert!(empty[0].message.starts_with("no record"));
    }

    proptest::proptest! {
        /// Garbage never panics, and every error names a line of the input.
        #[test]
        fn garbage_is_refused_with_lines_in_range(text in "\\PC{0,300}(\n\\PC{0,80}){0,5}") {
            if let Err(errors) = parse_batch(&text) {
                let lines = text.lines().count().max(1);
                proptest::prop_assert!(errors.iter().all(|e| e.line >= 1 && e.line <= lines));
            }
        }
    }
}
