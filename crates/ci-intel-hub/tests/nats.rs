//! The scale-out path on the local NATS JetStream and PostgreSQL: the hub publishes accepted
//! records and answers once JetStream stored them; a worker writes them to the store. Streams
//! get a per-process prefix and are deleted afterwards. Without the services the test skips,
//! unless `CI_INTEL_REQUIRE_SERVICES=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ci_intel_hub::nats::{self, Names, Publisher};
use ci_intel_hub::server::{Hub, Options, router};
use ci_intel_hub::{Scope, Store, auth, demo};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const NATS_URL: &str = "nats://127.0.0.1:4222";
const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn required() -> bool {
    std::env::var("CI_INTEL_REQUIRE_SERVICES").as_deref() == Ok("1")
}

fn skip(what: &str, e: &dyn std::fmt::Display) {
    assert!(
        !required(),
        "CI_INTEL_REQUIRE_SERVICES=1 but {what} is not reachable: {e}"
    );
    eprintln!("SKIPPED: {what} not reachable: {e}");
}

async fn post(hub: &Arc<Hub>, token: &str, records: &[Value]) -> (StatusCode, Value) {
    let mut body = Vec::new();
    for r in records {
        body.extend(serde_json::to_vec(r).unwrap());
        body.push(b'\n');
    }
    let req = Request::post("/api/v1/runs")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .unwrap();
    let resp = router(hub.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn stored(store: &dyn Store, repo: &str) -> usize {
    let q = ci_intel_store::RunQuery {
        repo: Some(repo.into()),
        since: None,
        until: None,
        limit: 100_000,
    };
    tokio::task::block_in_place(|| store.list_runs(&q))
        .unwrap()
        .len()
}

#[test]
fn accepted_records_travel_through_jetstream_to_postgres_once() {
    let tag = format!("t{}", std::process::id());
    let schema = format!("ci_intel_hub_nats_{}", std::process::id());
    let store: Arc<dyn Store> =
        match ci_intel_store_postgres::PostgresStore::connect(PG_URL, Some(&schema)) {
            Ok(s) => Arc::new(s),
            Err(e) => return skip("PostgreSQL", &e),
        };
    store.migrate().unwrap();
    let (record, token) = auth::mint("acme/*", Scope::Ingest, "2026-11-01T00:00:00Z").unwrap();
    store.create_token(&record).unwrap();
    let names = Names::prefixed(&tag).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let publisher = match Publisher::connect(NATS_URL, &names).await {
            Ok(p) => p,
            Err(e) => return skip("NATS JetStream", &e),
        };
        let hub = Hub::new(store.clone(), Some(publisher), Options::default());
        let records: Vec<Value> = (0..200)
            .map(|i| demo::sample_record(i, "acme/queue", time::macros::date!(2026 - 11 - 20)))
            .collect();

        let (status, answer) = post(&hub, &token, &records).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        assert_eq!(answer["queued"], 200);
        assert_eq!(
            stored(store.as_ref(), "acme/queue"),
            0,
            "queued, not yet written"
        );
        let ready = router(hub.clone())
            .oneshot(Request::get("/health/ready").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(ready.status(), StatusCode::OK);

        // Two workers share the consumer; together they store each record once.
        let (a, b) = tokio::join!(
            nats::work(
                store.clone(),
                NATS_URL,
                &names,
                64,
                true,
                std::future::pending()
            ),
            nats::work(
                store.clone(),
                NATS_URL,
                &names,
                64,
                true,
                std::future::pending()
            ),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.stored + b.stored, 200, "{a:?} {b:?}");
        assert_eq!(stored(store.as_ref(), "acme/queue"), 200);

        // A re-sent identical batch is deduplicated by JetStream; a changed record is not, and
        // updates the stored run.
        let (status, _) = post(&hub, &token, &records).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let mut changed = records[7].clone();
        changed["status"] = json!("canceled");
        let (status, answer) = post(&hub, &token, &[changed.clone()]).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        let w = nats::work(
            store.clone(),
            NATS_URL,
            &names,
            500,
            true,
            std::future::pending(),
        )
        .await
        .unwrap();
        assert_eq!(w.stored, 1, "only the changed record was queued again");
        assert_eq!(stored(store.as_ref(), "acme/queue"), 200);
        let id = changed["run_id"].as_str().unwrap().to_owned();
        let st = store.clone();
        let run = tokio::task::block_in_place(|| st.get_run(&id))
            .unwrap()
            .unwrap();
        assert_eq!(run.status.as_str(), "canceled");

        let client = async_nats::connect(NATS_URL).await.unwrap();
        async_nats::jetstream::new(client)
            .delete_stream(&names.stream)
            .await
            .unwrap();
    });
    drop(rt);
    let mut c = postgres::Client::connect(PG_URL, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
