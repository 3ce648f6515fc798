//! The hub's storage contract.
//!
//! A [`Store`] keeps `pipeline_run.v1.2` records (idempotent by `run_id`: a re-sent record
//! updates, never duplicates), answers the queries dashboards and agents need, applies
//! retention, and remembers webhook deliveries so duplicates are ignored. Every backend passes
//! the same [`contract`] suite, so the hub behaves the same on a laptop (SQLite) and on a
//! cluster (PostgreSQL).

pub mod contract;

use ci_intel_core::pipeline_run::PipelineRun;

/// A backend failure (connection, constraint, corrupt row).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage backend: {0}")]
    Backend(String),
    #[error("stored record {run_id} is unreadable: {reason}")]
    Corrupt { run_id: String, reason: String },
}

/// What storing a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A storage backend.
pub trait Store: Send + Sync {
    /// Creates or upgrades the schema; safe to call on every start.
    fn migrate(&self) -> Result<(), StoreError>;
    /// Stores a record, keyed by its `run_id`.
    fn upsert_run(&self, run: &PipelineRun) -> Result<Upsert, StoreError>;
    fn get_run(&self, run_id: &str) -> Result<Option<PipelineRun>, StoreError>;
    fn list_runs(&self, query: &RunQuery) -> Result<Vec<PipelineRun>, StoreError>;
    /// Deletes runs that started before `cutoff` (RFC 3339); returns how many.
    fn delete_runs_before(&self, cutoff: &str) -> Result<usize, StoreError>;
    /// Records a webhook delivery id; `false` when it was seen before (a duplicate).
    fn record_delivery(&self, delivery_id: &str, received_at: &str) -> Result<bool, StoreError>;
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
    let bad = || StoreError::Backend(format!("`{t}` is not an RFC 3339 UTC time"));
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
