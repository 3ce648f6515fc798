//! The scale-out store: PostgreSQL, for several hub replicas and workers sharing one database.
//! Records are `jsonb` beside the columns queries filter on; an upsert is one statement, so
//! concurrent writers of the same `run_id` never duplicate it.

use std::sync::Mutex;

use ci_intel_core::pipeline_run::PipelineRun;
use ci_intel_store::{RunQuery, Store, StoreError, Upsert, canonical_time};
use postgres::{Client, NoTls};

/// Schema migrations, in order; `ci_intel_migrations` records which ran.
const MIGRATIONS: &[&str] = &["CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        record JSONB NOT NULL
    );
    CREATE INDEX runs_repo_started ON runs (repo, started_at);
    CREATE INDEX runs_started ON runs (started_at);
    CREATE TABLE deliveries (id TEXT PRIMARY KEY, received_at TEXT NOT NULL);"];

pub struct PostgresStore {
    client: Mutex<Client>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects with a libpq-style URL (`postgres://user@host:5432/db`). `schema`, when given,
    /// is created and used (isolates tests and tenants).
    pub fn connect(url: &str, schema: Option<&str>) -> Result<Self, StoreError> {
        let mut client = Client::connect(url, NoTls)
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        if let Some(s) = schema {
            if !s
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(StoreError::Backend(format!(
                    "schema name `{s}`: only a-z, 0-9 and _"
                )));
            }
            client
                .batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {s}; SET search_path TO {s}"
                ))
                .map_err(backend)?;
        }
        Ok(Self {
            client: Mutex::new(client),
        })
    }

    fn client(&self) -> std::sync::MutexGuard<'_, Client> {
        self.client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn decode(run_id: &str, v: serde_json::Value) -> Result<PipelineRun, StoreError> {
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt {
        run_id: run_id.to_owned(),
        reason: e.to_string(),
    })
}

impl Store for PostgresStore {
    fn migrate(&self) -> Result<(), StoreError> {
        let mut c = self.client();
        let mut tx = c.transaction().map_err(backend)?;
        // One migrator at a time across replicas.
        tx.batch_execute("SELECT pg_advisory_xact_lock(7248213); CREATE TABLE IF NOT EXISTS ci_intel_migrations (n INT PRIMARY KEY)")
            .map_err(backend)?;
        let done: i64 = tx
            .query_one("SELECT count(*) FROM ci_intel_migrations", &[])
            .map_err(backend)?
            .get(0);
        for (i, m) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            tx.batch_execute(m).map_err(backend)?;
            tx.execute(
                "INSERT INTO ci_intel_migrations (n) VALUES ($1)",
                &[&(i as i32 + 1)],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    fn upsert_run(&self, run: &PipelineRun) -> Result<Upsert, StoreError> {
        let record = serde_json::to_value(run).map_err(backend)?;
        let started = canonical_time(&run.started_at)?;
        let status = record["status"].as_str().unwrap_or_default().to_owned();
        // `xmax = 0` tells a fresh insert from an update; an identical record updates nothing.
        let row = self
            .client()
            .query_opt(
                "INSERT INTO runs (run_id, repo, status, started_at, record) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (run_id) DO UPDATE SET repo = EXCLUDED.repo, status = EXCLUDED.status,
                     started_at = EXCLUDED.started_at, record = EXCLUDED.record
                 WHERE runs.record IS DISTINCT FROM EXCLUDED.record
                 RETURNING (xmax = 0) AS inserted",
                &[&run.run_id, &run.repo, &status, &started, &record],
            )
            .map_err(backend)?;
        Ok(match row {
            None => Upsert::Unchanged,
            Some(r) if r.get::<_, bool>(0) => Upsert::Inserted,
            Some(_) => Upsert::Updated,
        })
    }

    fn get_run(&self, run_id: &str) -> Result<Option<PipelineRun>, StoreError> {
        let row = self
            .client()
            .query_opt("SELECT record FROM runs WHERE run_id = $1", &[&run_id])
            .map_err(backend)?;
        row.map(|r| decode(run_id, r.get(0))).transpose()
    }

    fn list_runs(&self, q: &RunQuery) -> Result<Vec<PipelineRun>, StoreError> {
        let since = q.since.as_deref().map(canonical_time).transpose()?;
        let until = q.until.as_deref().map(canonical_time).transpose()?;
        let limit = if q.limit == 0 { 100 } else { q.limit } as i64;
        let rows = self
            .client()
            .query(
                "SELECT run_id, record FROM runs
                 WHERE ($1::text IS NULL OR repo = $1) AND ($2::text IS NULL OR started_at >= $2) AND ($3::text IS NULL OR started_at < $3)
                 ORDER BY started_at DESC, run_id DESC LIMIT $4",
                &[&q.repo, &since, &until, &limit],
            )
            .map_err(backend)?;
        rows.into_iter()
            .map(|r| decode(&r.get::<_, String>(0), r.get(1)))
            .collect()
    }

    fn delete_runs_before(&self, cutoff: &str) -> Result<usize, StoreError> {
        let cutoff = canonical_time(cutoff)?;
        self.client()
            .execute("DELETE FROM runs WHERE started_at < $1", &[&cutoff])
            .map(|n| n as usize)
            .map_err(backend)
    }

    fn record_delivery(&self, delivery_id: &str, received_at: &str) -> Result<bool, StoreError> {
        let n = self
            .client()
            .execute(
                "INSERT INTO deliveries (id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&delivery_id, &received_at],
            )
            .map_err(backend)?;
        Ok(n == 1)
    }
}
