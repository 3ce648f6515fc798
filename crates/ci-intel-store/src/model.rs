//! What the hub keeps besides run records: deployments and commits (DORA), per-test outcomes
//! (flakiness, timings), API tokens and retention.

use ci_intel_core::pipeline_run::PipelineRun;
use serde::{Deserialize, Serialize};

use crate::rollup::deployment_failed;

/// One deployment of a commit to an environment, from an agent record or a GitHub
/// `deployment_status` webhook.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub repo: String,
    /// The deployment's id (`deployment_id`, the GitHub deployment id, or the run id).
    pub id: String,
    /// `prod`, `staging`, … (GitHub's `production` is stored as `prod`).
    pub environment: String,
    pub commit_sha: String,
    /// When it finished (RFC 3339 UTC).
    pub deployed_at: String,
    /// It failed or was rolled back: a failed change in DORA's sense.
    pub failed: bool,
    /// Where it came from: `record` or `github`.
    pub source: String,
}

impl Deployment {
    /// The deployment a run record describes, if it deployed (it names an environment).
    pub fn from_run(run: &PipelineRun) -> Option<Deployment> {
        let env = run.environment?;
        Some(Deployment {
            repo: run.repo.clone(),
            id: run
                .deployment_id
                .clone()
                .unwrap_or_else(|| run.run_id.clone()),
            environment: env.as_str().to_owned(),
            commit_sha: run.commit_sha.clone(),
            deployed_at: run.ended_at.clone(),
            failed: deployment_failed(run),
            source: "record".to_owned(),
        })
    }
}

/// A commit's author time, for lead time (first commit → deployment).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub repo: String,
    pub sha: String,
    pub committed_at: String,
}

/// How a test ended in one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TestOutcome {
    /// The last attempt failed.
    Failed,
    /// Failed, then passed on a retry.
    Flaky,
    /// Passed (recorded for the tests whose duration the report gives).
    Passed,
}

impl TestOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            TestOutcome::Failed => "failed",
            TestOutcome::Flaky => "flaky",
            TestOutcome::Passed => "passed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "failed" => Some(TestOutcome::Failed),
            "flaky" => Some(TestOutcome::Flaky),
            "passed" => Some(TestOutcome::Passed),
            _ => None,
        }
    }
}

/// One run's test report, as the hub keeps it: which run, where, and the notable tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    pub run_id: String,
    pub repo: String,
    pub commit_sha: String,
    pub started_at: String,
    pub total: u64,
    pub tests: Vec<TestResult>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub id: String,
    pub outcome: TestOutcome,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
}

/// What an API token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Send records (and read them).
    Ingest,
    /// Read only.
    Read,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ingest" => Some(Scope::Ingest),
            "read" => Some(Scope::Read),
            _ => None,
        }
    }
}

/// A stored token: never the token itself, only its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    /// The public part of the token, used to find the record.
    pub id: String,
    /// Lowercase hex SHA-256 of the secret part.
    pub secret_sha256: String,
    /// Repositories it covers: `org/name`, `org/*` or `*`.
    pub repo_pattern: String,
    pub scope: Scope,
    pub created_at: String,
}

/// How long the hub keeps what (the seed's defaults: raw events 30 days, records 180 days,
/// aggregates 400 days).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    pub raw_days: u32,
    pub records_days: u32,
    pub aggregates_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw_days: 30,
            records_days: 180,
            aggregates_days: 400,
        }
    }
}

/// What a retention pass deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub runs: usize,
    pub test_reports: usize,
    pub deployments: usize,
    pub rollups: usize,
    pub deliveries: usize,
}
