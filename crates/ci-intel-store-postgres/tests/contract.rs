//! The shared store contract on the local PostgreSQL (127.0.0.1:5432, database `test`), in a
//! schema of its own that is dropped afterwards. Without the service the test skips, unless
//! `CI_INTEL_REQUIRE_SERVICES=1` (as `.ci/run` sets), when it fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use ci_intel_store::contract;
use ci_intel_store_postgres::PostgresStore;

const URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The store in a schema of its own; `None` (the test skips) without PostgreSQL, unless
/// `CI_INTEL_REQUIRE_SERVICES=1`.
fn connect(url: &str, schema: &str) -> Option<PostgresStore> {
    match PostgresStore::connect(url, Some(schema)) {
        Ok(s) => Some(s),
        Err(e) => {
            assert!(
                std::env::var("CI_INTEL_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "CI_INTEL_REQUIRE_SERVICES=1 but PostgreSQL is not reachable: {e}"
            );
            eprintln!("SKIPPED: PostgreSQL not reachable at {URL}: {e}");
            None
        }
    }
}

#[test]
fn postgres_passes_the_store_contract() {
    let schema = format!("ci_intel_contract_{}", std::process::id());
    let Some(store) = connect(URL, &schema) else {
        return;
    };
    contract::run_all(&store);
    let mut c = postgres::Client::connect(URL, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

/// A lost connection (PostgreSQL restarted, or an administrator killed the session) costs at
/// most the request that found it lost: the next one reconnects.
#[test]
fn the_store_reconnects_after_its_connection_is_killed() {
    let app = format!("ci_intel_reconnect_{}", std::process::id());
    let url = format!("{URL}?application_name={app}");
    let schema = format!("ci_intel_reconnect_{}", std::process::id());
    let Some(store) = connect(&url, &schema) else {
        return;
    };
    use ci_intel_store::Store as _;
    store.migrate().unwrap();
    let run = contract::run(
        "reconnect-1",
        "org/app",
        "2026-11-05T09:00:00Z",
        ci_intel_core::pipeline_run::RunStatus::Success,
    );
    store.upsert_runs(std::slice::from_ref(&run)).unwrap();
    assert_eq!(store.get_run("reconnect-1").unwrap().as_ref(), Some(&run));

    // Both connections (writes and reads) are killed.
    let mut admin = postgres::Client::connect(URL, postgres::NoTls).unwrap();
    let killed = admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .unwrap();
    assert_eq!(killed, 2);
    // The first call on each may find its connection dead; the store then reconnects, within
    // the same call or the next.
    let first_read = store.get_run("reconnect-1");
    let again = store.get_run("reconnect-1").unwrap();
    assert_eq!(again.as_ref(), Some(&run), "after {first_read:?}");
    let mut changed = run.clone();
    changed.status = ci_intel_core::pipeline_run::RunStatus::Failed;
    let first_write = store.upsert_runs(std::slice::from_ref(&changed));
    if first_write.is_err() {
        store.upsert_runs(std::slice::from_ref(&changed)).unwrap();
    }
    assert_eq!(
        store.get_run("reconnect-1").unwrap(),
        Some(changed),
        "after {first_write:?}"
    );
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
