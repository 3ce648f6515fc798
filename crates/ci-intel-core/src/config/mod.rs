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

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::suppression::Suppression;

mod layers;

pub use layers::*;

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
    pub autopsy: AutopsyConfig,
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
            autopsy: AutopsyConfig::default(),
            suppressions: Vec::new(),
            baseline: None,
            output: OutputConfig::default(),
        }
    }
}

/// Pipeline Autopsy: the job's logs explained when it fails.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AutopsyConfig {
    /// Run the autopsy in `ci-intel check` on the logs below, when the job failed (a gate
    /// denied, `CI_INTEL_JOB_STATUS`/`CI_JOB_STATUS` says so, or the logs show a failed step).
    pub enabled: bool,
    /// Globs (relative to the root) of the job's log files (plain, gzip, or a GitHub run's log
    /// zip).
    pub logs: Vec<String>,
    /// Rule packs added after the built-in ones (`.toml` files, or directories of them); a
    /// rule with a built-in rule's id replaces it.
    pub rules: Vec<String>,
    /// Most root causes reported.
    #[schemars(range(min = 1, max = 100))]
    pub max_root_causes: usize,
    /// ML second: when no rule explains the failure, let a classifier trained on the rule
    /// packs' examples name the category of an unknown error line it is at least 80% sure of
    /// (`autopsy/classified`). On by default: on every labelled set it never lowered precision,
    /// and on the fourth unseen set it raised top-1 (docs/autopsy.md).
    pub classifier: bool,
}

impl Default for AutopsyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            logs: Vec::new(),
            rules: Vec::new(),
            max_root_causes: 5,
            classifier: true,
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
