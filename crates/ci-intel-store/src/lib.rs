//! The hub's storage contract.
//!
//! A [`Store`] keeps `pipeline_run.v1.2` records (idempotent by `run_id`: a re-sent record
//! updates, never duplicates), answers the queries dashboards and agents need, applies
//! retention, and remembers webhook deliveries so duplicates are ignored. Every backend passes
//! the same [`contract`] suite, so the hub behaves the same on a laptop (SQLite) and on a
//! cluster (PostgreSQL).

#[cfg(feature = "test-support")]
pub mod contract;
pub mod model;
pub mod rollup;

use ci_intel_core::pipeline_run::PipelineRun;

pub use model::{
    Commit, Deployment, Purged, Retention, Scope, TestOutcome, TestReport, TestResult, TokenRecord,
};
pub use rollup::DayRollup;

/// The driver's own error, kept as the source of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A store failure. The driver's error stays attached as the `source`, so a caller printing
/// the chain shows why (`cannot connect to PostgreSQL: error connecting to server: Connection
/// refused`), not just the driver's summary line.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed: connection, I/O, constraint, a statement it refused.
    #[error("{context}")]
    Backend {
        context: String,
        #[source]
        source: BoxError,
    },
    /// A row the store wrote earlier no longer decodes.
    #[error("stored record {run_id} is unreadable: {reason}")]
    Corrupt { run_id: String, reason: String },
    /// A value handed to the store that it cannot use (a time, a schema name).
    #[error("{0}")]
    Invalid(String),
    /// The store is shutting down or could not do what was asked in this state.
    #[error("{0}")]
    Unavailable(String),
}

impl StoreError {
    /// A driver error as it happened, with what the store was doing.
    pub fn backend_with(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StoreError::Backend {
            context: context.into(),
            source: source.into(),
        }
    }

    /// A driver error (for `map_err(StoreError::backend)`): both backends' statements.
    pub fn backend<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        Self::backend_with("storage backend", e)
    }

    /// A stored row (`what`: a run id or a table's key) that no longer decodes.
    pub fn corrupt(what: &str, e: impl std::fmt::Display) -> Self {
        StoreError::Corrupt {
            run_id: what.to_owned(),
            reason: e.to_string(),
        }
    }

    /// Decodes a stored run record (JSON text or a JSON value, as the backend keeps it).
    pub fn decode_run<T>(run_id: &str, parsed: Result<T, serde_json::Error>) -> Result<T, Self> {
        parsed.map_err(|e| Self::corrupt(run_id, e))
    }

    /// The message and every source below it, `: `-joined (for logs and API answers).
    pub fn chain(&self) -> String {
        ci_intel_core::error::chain(self)
    }
}

/// Why a merge declined to store what it was given (the record it made is not valid, say).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MergeRefused(pub String);

/// What storing a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Upsert {
    Inserted,
    /// A record with this `run_id` existed and differed: replaced.
    Updated,
    /// The same record again: nothing changed.
    Unchanged,
}

/// Which runs to list, newest `started_at` first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunQuery {
    pub repo: Option<String>,
    /// Inclusive RFC 3339 lower bound on `started_at`.
    pub since: Option<String>,
    /// Exclusive RFC 3339 upper bound on `started_at`.
    pub until: Option<String>,
    /// At most this many (0: the backend's default of 100).
    pub limit: usize,
}

impl RunQuery {
    /// The `SELECT run_id, record FROM runs …` statement for this query, with only the
    /// conditions it has (a `repo IS NULL OR …` form would keep planners off the
    /// `(repo, started_at)` index), placeholders `{mark}1`, `{mark}2`…, and the values to bind
    /// in order; the limit is the last placeholder (bind it as an integer).
    pub fn select_sql(&self, mark: char) -> Result<(String, Vec<String>), StoreError> {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        if let Some(r) = &self.repo {
            values.push(r.clone());
            conditions.push(format!("repo = {mark}{}", values.len()));
        }
        if let Some(t) = &self.since {
            values.push(canonical_time(t)?);
            conditions.push(format!("started_at >= {mark}{}", values.len()));
        }
        if let Some(t) = &self.until {
            values.push(canonical_time(t)?);
            conditions.push(format!("started_at < {mark}{}", values.len()));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        Ok((
            format!(
                "SELECT run_id, record FROM runs{filter} ORDER BY started_at DESC, run_id DESC LIMIT {mark}{}",
                values.len() + 1
            ),
            values,
        ))
    }

    /// The limit to bind (0 means the default of 100).
    pub fn effective_limit(&self) -> i64 {
        if self.limit == 0 {
            100
        } else {
            self.limit as i64
        }
    }
}

/// A time window of whole UTC days, `since` inclusive, `until` exclusive (`YYYY-MM-DD`), and
/// optionally one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayWindow {
    pub repo: Option<String>,
    pub since: String,
    pub until: String,
}

/// A storage backend. Every write is one transaction: what a call acknowledged is on disk.
pub trait Store: Send + Sync {
    /// Creates or upgrades the schema; safe to call on every start, from several hubs at once.
    fn migrate(&self) -> Result<(), StoreError>;
    /// Stores records keyed by `run_id`, with their rollups and deployments, in one
    /// transaction; one outcome per record, in order.
    fn upsert_runs(&self, runs: &[PipelineRun]) -> Result<Vec<Upsert>, StoreError>;
    /// Stores one record.
    fn upsert_run(&self, run: &PipelineRun) -> Result<Upsert, StoreError> {
        let mut v = self.upsert_runs(std::slice::from_ref(run))?;
        v.pop()
            .ok_or_else(|| StoreError::Unavailable("no outcome for the record".into()))
    }
    /// Reads a run and stores `merge(known)` in one transaction, so merges into one run from
    /// several hubs at once (GitHub job events for the same workflow run) never lose each
    /// other's changes. `Err` from `merge` stores nothing and is returned as the inner `Err`.
    fn merge_run(
        &self,
        run_id: &str,
        merge: &mut dyn FnMut(Option<PipelineRun>) -> Result<PipelineRun, MergeRefused>,
    ) -> Result<Result<Upsert, MergeRefused>, StoreError>;
    fn get_run(&self, run_id: &str) -> Result<Option<PipelineRun>, StoreError>;
    fn list_runs(&self, query: &RunQuery) -> Result<Vec<PipelineRun>, StoreError>;
    /// Repositories with at least one run, sorted.
    fn repos(&self) -> Result<Vec<String>, StoreError>;
    /// Daily rollups in a window: `(repo, day, rollup)`, by repo then day.
    fn rollups(&self, window: &DayWindow) -> Result<Vec<(String, String, DayRollup)>, StoreError>;

    /// Stores a deployment keyed by `(repo, id)` (a later report of the same one replaces it).
    fn upsert_deployment(&self, d: &Deployment) -> Result<(), StoreError>;
    /// Deployments finished in `[since, until)` (RFC 3339), oldest first.
    fn deployments(
        &self,
        repo: Option<&str>,
        since: &str,
        until: &str,
    ) -> Result<Vec<Deployment>, StoreError>;
    /// Remembers commit times; a commit reported twice keeps the earlier time (a pull request's
    /// opening dates its merge commit before the push that carries it).
    fn record_commits(&self, commits: &[Commit]) -> Result<(), StoreError>;
    /// Commit times by sha for one repository (unknown shas are left out).
    fn commit_times(
        &self,
        repo: &str,
        shas: &[String],
    ) -> Result<std::collections::HashMap<String, String>, StoreError>;

    /// Stores runs' test reports in one transaction (each replaces an earlier one for its run).
    fn put_test_reports(&self, reports: &[TestReport]) -> Result<(), StoreError>;
    /// Test reports of runs that started in `[since, ∞)`, oldest first.
    fn test_reports(&self, repo: &str, since: &str) -> Result<Vec<TestReport>, StoreError>;

    fn create_token(&self, token: &TokenRecord) -> Result<(), StoreError>;
    fn token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Records a webhook delivery id; `false` when it was seen before (a duplicate).
    fn record_delivery(&self, delivery_id: &str, received_at: &str) -> Result<bool, StoreError>;
    /// Forgets a delivery whose processing failed, so its redelivery is processed.
    fn forget_delivery(&self, delivery_id: &str) -> Result<(), StoreError>;
    /// Deletes what is older than the retention allows, counted from `now` (RFC 3339).
    fn purge(&self, retention: &Retention, now: &str) -> Result<Purged, StoreError>;
}

/// Timestamps are compared as text, so every backend stores them in one canonical form:
/// `YYYY-MM-DDThh:mm:ssZ`, UTC, whole seconds (fractions dropped: `…00.5Z` would sort before
/// `…00Z` as text). Other offsets than UTC are refused; the agent always writes UTC.
pub fn canonical_time(t: &str) -> Result<String, StoreError> {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    let bad = || StoreError::Invalid(format!("`{t}` is not an RFC 3339 UTC time"));
    if !shape {
        return Err(bad());
    }
    let rest = &t[19..];
    let zone = match rest.strip_prefix('.') {
        Some(r) => &r[r.bytes().take_while(u8::is_ascii_digit).count()..],
        None => rest,
    };
    match zone {
        "Z" | "z" | "+00:00" | "-00:00" => Ok(format!("{}T{}Z", &t[..10], &t[11..19])),
        _ => Err(bad()),
    }
}

/// The oldest times a retention pass keeps, counted back from `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cutoffs {
    /// Raw events (webhook deliveries, per-test reports): RFC 3339.
    pub raw: String,
    /// Run records and deployments: RFC 3339.
    pub records: String,
    /// Daily rollups: `YYYY-MM-DD`.
    pub aggregates_day: String,
}

impl Cutoffs {
    pub fn new(r: &Retention, now: &str) -> Result<Self, StoreError> {
        let now = rollup::parse_time(&canonical_time(now)?)
            .ok_or_else(|| StoreError::Invalid(format!("`{now}` is not a time")))?;
        let back = |days: u32| now - time::Duration::days(i64::from(days));
        let fmt = rollup::format_time;
        Ok(Cutoffs {
            raw: fmt(back(r.raw_days)),
            records: fmt(back(r.records_days)),
            aggregates_day: fmt(back(r.aggregates_days))[..10].to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_times() {
        assert_eq!(
            canonical_time("2026-11-23T10:00:00Z").unwrap(),
            "2026-11-23T10:00:00Z"
        );
        assert_eq!(
            canonical_time("2026-11-23t10:00:00.123+00:00").unwrap(),
            "2026-11-23T10:00:00Z"
        );
        for bad in [
            "",
            "2026-11-23",
            "2026-11-23T10:00:00+02:00",
            "2026-11-23T10:00:00",
            "x026-11-23T10:00:00Z",
            "2026-11-23T10:00:00.Zé",
        ] {
            assert!(canonical_time(bad).is_err(), "{bad}");
        }
    }
}
