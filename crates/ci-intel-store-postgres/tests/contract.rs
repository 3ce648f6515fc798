//! The shared store contract on the local PostgreSQL (127.0.0.1:5432, database `test`), in a
//! schema of its own that is dropped afterwards. Without the service the test skips, unless
//! `CI_INTEL_REQUIRE_SERVICES=1` (as `.ci/run` sets), when it fails.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use ci_intel_store::contract;
use ci_intel_store_postgres::PostgresStore;

const URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[test]
fn postgres_passes_the_store_contract() {
    let schema = format!("ci_intel_contract_{}", std::process::id());
    let store = match PostgresStore::connect(URL, Some(&schema)) {
        Ok(s) => s,
        Err(e) => {
            assert!(
                std::env::var("CI_INTEL_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "CI_INTEL_REQUIRE_SERVICES=1 but PostgreSQL is not reachable: {e}"
            );
            eprintln!("SKIPPED: PostgreSQL not reachable at {URL}: {e}");
            return;
        }
    };
    contract::run_all(&store);
    let mut c = postgres::Client::connect(URL, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
