//! The shared store contract on a real SQLite file, and durability across reopening.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use ci_intel_store::{Store, contract};
use ci_intel_store_sqlite::SqliteStore;

#[test]
fn sqlite_passes_the_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    contract::run_all(&SqliteStore::open(&path).unwrap());
}

#[test]
fn what_was_acknowledged_is_there_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let first = SqliteStore::open(&path).unwrap();
    first.migrate().unwrap();
    let run = contract::run(
        "run-1",
        "org/app",
        "2026-11-01T10:00:00Z",
        ci_intel_core::pipeline_run::RunStatus::Success,
    );
    first.upsert_run(&run).unwrap();
    assert!(
        first
            .record_delivery("d-1", "2026-11-06T00:00:00Z")
            .unwrap()
    );
    drop(first);
    let again = SqliteStore::open(&path).unwrap();
    again.migrate().unwrap();
    assert_eq!(again.get_run("run-1").unwrap(), Some(run));
    assert!(
        !again
            .record_delivery("d-1", "2026-11-06T00:00:00Z")
            .unwrap()
    );
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    std::fs::write(
        &path,
        b"this is not sqlite at all, just text that goes on for a while....",
    )
    .unwrap();
    let r = SqliteStore::open(&path).and_then(|s| s.migrate());
    assert!(r.is_err());
}
