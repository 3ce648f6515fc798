//! Load for the hub benchmarks (`bench/hub.sh`):
//!
//! - `ingest`: many concurrent `POST /api/v1/runs` NDJSON batches; prints records/s and, with
//!   `--acked FILE`, appends the run ids of every acknowledged batch (flushed before the next
//!   request) so a crash test can check none was lost.
//! - `fill`: writes N runs over D days straight into a store (the dashboard benchmark's
//!   history).
//! - `query`: times dashboard and API requests, sequentially, and prints p50/p95 per path.
//! - `verify`: counts acknowledged run ids (from `--acked`) missing from a store.

#![allow(
    clippy::unwrap_used,
    clippy::print_stderr,
    reason = "a benchmark tool fails loudly"
)]

use std::io::{BufRead as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ci_intel_core::pipeline_run::PipelineRun;
use ci_intel_store::{TestOutcome, TestReport, TestResult};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Ingest {
        #[arg(long)]
        url: String,
        #[arg(long, env = "CI_INTEL_TOKEN")]
        token: String,
        /// Records in all (0: until the hub stops answering).
        #[arg(long, default_value_t = 100_000)]
        records: u64,
        #[arg(long, default_value_t = 500)]
        batch: u64,
        #[arg(long, default_value_t = 8)]
        concurrency: u64,
        /// Keeps run ids apart between runs of the tool.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        #[arg(long)]
        acked: Option<std::path::PathBuf>,
        /// Spread the runs over this many days back from today (1: live traffic; 90: a
        /// backfill touching every day's rollup in every batch).
        #[arg(long, default_value_t = 1)]
        days: u64,
    },
    Fill {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1_000_000)]
        runs: u64,
        #[arg(long, default_value_t = 90)]
        days: u64,
        #[arg(long, default_value_t = 40)]
        repos: u64,
    },
    Query {
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 40)]
        rounds: usize,
        paths: Vec<String>,
    },
    Verify {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        acked: std::path::PathBuf,
    },
}

fn repo(i: u64, repos: u64) -> String {
    format!("bench/repo-{:02}", i % repos)
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// A run of the demo's shape: day `i % days` back from today, every 40th a prod deployment.
fn record(i: u64, repos: u64, days: u64) -> Value {
    let day = today() - time::Duration::days((i % days) as i64);
    let mut r = ci_intel_hub::demo::sample_record(i, &repo(i, repos), day);
    if i.is_multiple_of(40) {
        r["environment"] = json!("prod");
        r["deployment_id"] = json!(format!("dep-{i}"));
    }
    r
}

fn main() {
    match Cli::parse().command {
        Cmd::Ingest {
            url,
            token,
            records,
            batch,
            concurrency,
            offset,
            acked,
            days,
        } => ingest(
            &url,
            &token,
            records,
            (batch, concurrency),
            offset,
            acked,
            days,
        ),
        Cmd::Fill {
            database_url,
            runs,
            days,
            repos,
        } => fill(&database_url, runs, days, repos),
        Cmd::Query { url, rounds, paths } => query(&url, rounds, &paths),
        Cmd::Verify {
            database_url,
            acked,
        } => verify(&database_url, &acked),
    }
}

fn ingest(
    url: &str,
    token: &str,
    records: u64,
    (batch, concurrency): (u64, u64),
    offset: u64,
    acked: Option<std::path::PathBuf>,
    days: u64,
) {
    let make = move |b: u64| {
        let mut body = String::new();
        let mut ids = Vec::new();
        for i in 0..batch {
            let r = record(offset + b * batch + i, 40, days);
            ids.push(r["run_id"].as_str().unwrap().to_owned());
            body.push_str(&serde_json::to_string(&r).unwrap());
            body.push('\n');
        }
        (body, ids)
    };
    // Bounded runs build their bodies before the clock starts (the hub is measured, not this
    // tool); unbounded runs (crash tests) build each one as they go, every record a new run.
    let batches = records.div_ceil(batch);
    let bodies: Vec<(String, Vec<String>)> = (0..batches).map(make).collect();
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let log = acked.map(|p| {
        Arc::new(std::sync::Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .unwrap(),
        ))
    });
    let start = Instant::now();
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let (bodies, next, done, stop, log) = (
                bodies.clone(),
                next.clone(),
                done.clone(),
                stop.clone(),
                log.clone(),
            );
            let (url, token) = (format!("{url}/api/v1/runs"), format!("Bearer {token}"));
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_mins(1)))
                    .build()
                    .into();
                loop {
                    let b = next.fetch_add(1, Ordering::Relaxed);
                    if stop.load(Ordering::Relaxed) || (records > 0 && b >= batches) {
                        return;
                    }
                    let fresh;
                    let (body, ids) = if records == 0 {
                        fresh = make(b);
                        (&fresh.0, &fresh.1)
                    } else {
                        (&bodies[b as usize].0, &bodies[b as usize].1)
                    };
                    match agent
                        .post(&url)
                        .header("authorization", &token)
                        .header("content-type", "application/x-ndjson")
                        .send(body.as_str())
                    {
                        Ok(r) if r.status().is_success() => {
                            if let Some(log) = &log {
                                let mut f = log.lock().unwrap();
                                for id in ids {
                                    writeln!(f, "{id}").unwrap();
                                }
                                f.flush().unwrap();
                            }
                            done.fetch_add(ids.len() as u64, Ordering::Relaxed);
                        }
                        Ok(r) => {
                            eprintln!("hub answered {}", r.status());
                            stop.store(true, Ordering::Relaxed);
                        }
                        Err(e) => {
                            eprintln!("hub unreachable: {e}");
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    println!(
        "acknowledged {n} records in {secs:.2} s: {:.0} records/s (batch {batch}, {concurrency} connections, {days} day(s))",
        n as f64 / secs
    );
}

fn fill(database_url: &str, runs: u64, days: u64, repos: u64) {
    let store = ci_intel_hub::open_store(database_url).unwrap();
    let start = Instant::now();
    let chunk = 5_000;
    let mut i = 0;
    let reports_from = (today() - time::Duration::days(30)).to_string();
    while i < runs {
        let batch: Vec<PipelineRun> = (i..(i + chunk).min(runs))
            .map(|j| serde_json::from_value(record(j, repos, days)).unwrap())
            .collect();
        store.upsert_runs(&batch).unwrap();
        // Per-test results for the last 30 days (the raw-event retention): 25 tests per run,
        // one of them flaky now and then.
        let reports: Vec<TestReport> = batch
            .iter()
            .enumerate()
            .filter(|(_, r)| r.started_at[..10] >= *reports_from)
            .map(|(k, r)| test_report(i + k as u64, r))
            .collect();
        store.put_test_reports(&reports).unwrap();
        i += chunk;
        if i % 100_000 == 0 {
            eprintln!("{i} runs, {:.0} s", start.elapsed().as_secs_f64());
        }
    }
    println!(
        "filled {runs} runs over {days} days in {:.1} s ({:.0} runs/s)",
        start.elapsed().as_secs_f64(),
        runs as f64 / start.elapsed().as_secs_f64()
    );
}

fn test_report(i: u64, run: &PipelineRun) -> TestReport {
    let tests = (0..25u64)
        .map(|t| {
            let flaky = t == i % 25 && i.is_multiple_of(7);
            TestResult {
                id: format!("suite{}::test_{t:02}", t % 5),
                outcome: if flaky {
                    TestOutcome::Flaky
                } else {
                    TestOutcome::Passed
                },
                attempts: if flaky { 2 } else { 1 },
                duration_ms: Some((50 + (i * 31 + t * 97) % 4000) as f64),
            }
        })
        .collect();
    TestReport {
        run_id: run.run_id.clone(),
        repo: run.repo.clone(),
        commit_sha: run.commit_sha.clone(),
        started_at: run.started_at.clone(),
        total: 25,
        tests,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn query(url: &str, rounds: usize, paths: &[String]) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    println!("| request | p50 | p95 | max | response |");
    println!("|---|---|---|---|---|");
    for path in paths {
        let mut ms = Vec::with_capacity(rounds);
        let mut size = 0;
        for round in 0..=rounds {
            let t = Instant::now();
            let mut r = agent.get(format!("{url}{path}")).call().unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            size = r.body_mut().read_to_string().unwrap().len();
            if round > 0 {
                // The first request warms caches; it is not counted.
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "| `GET {path}` | {:.1} ms | {:.1} ms | {:.1} ms | {:.0} KB |",
            percentile(&ms, 0.5),
            percentile(&ms, 0.95),
            ms[ms.len() - 1],
            size as f64 / 1024.0
        );
    }
}

fn verify(database_url: &str, acked: &std::path::Path) {
    let store = ci_intel_hub::open_store(database_url).unwrap();
    let file = std::io::BufReader::new(std::fs::File::open(acked).unwrap());
    let (mut total, mut missing) = (0u64, 0u64);
    let mut seen = std::collections::HashSet::new();
    for line in file.lines() {
        let id = line.unwrap();
        if id.is_empty() || !seen.insert(id.clone()) {
            continue;
        }
        total += 1;
        if store.get_run(&id).unwrap().is_none() {
            missing += 1;
        }
    }
    println!("acknowledged {total} distinct records; missing from the store: {missing}");
    if missing > 0 {
        std::process::exit(1);
    }
}
