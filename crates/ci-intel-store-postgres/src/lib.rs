//! The scale-out store: PostgreSQL, for several hub replicas and workers sharing one database.
//! Records are `jsonb` beside the columns queries filter on; an upsert is one statement, so
//! concurrent writers of the same `run_id` never duplicate it.

use std::sync::{Mutex, MutexGuard};

use ci_intel_core::pipeline_run::PipelineRun;
use std::collections::HashMap;

use ci_intel_store::rollup::Deltas;
use ci_intel_store::{
    Commit, Cutoffs, DayRollup, DayWindow, Deployment, MergeRefused, Purged, Retention, RunQuery,
    Scope, Store, StoreError, TestReport, TokenRecord, Upsert, canonical_time,
};
use postgres::{Client, NoTls, Transaction};

pub mod tls;

/// Schema migrations, in order; `ci_intel_migrations` records which ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        record JSONB NOT NULL
    );
    CREATE INDEX runs_repo_started ON runs (repo, started_at);
    CREATE INDEX runs_started ON runs (started_at);
    CREATE TABLE deliveries (id TEXT PRIMARY KEY, received_at TEXT NOT NULL);",
    "CREATE TABLE rollups (
        repo TEXT NOT NULL,
        day TEXT NOT NULL,
        data JSONB NOT NULL,
        PRIMARY KEY (repo, day)
    );
    CREATE INDEX rollups_day ON rollups (day);
    CREATE TABLE deployments (
        repo TEXT NOT NULL,
        id TEXT NOT NULL,
        environment TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        deployed_at TEXT NOT NULL,
        failed BOOLEAN NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (repo, id)
    );
    CREATE INDEX deployments_at ON deployments (deployed_at);
    CREATE TABLE commits (
        repo TEXT NOT NULL,
        sha TEXT NOT NULL,
        committed_at TEXT NOT NULL,
        PRIMARY KEY (repo, sha)
    );
    CREATE TABLE test_reports (
        run_id TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        started_at TEXT NOT NULL,
        total BIGINT NOT NULL,
        tests JSONB NOT NULL
    );
    CREATE INDEX test_reports_repo ON test_reports (repo, started_at);
    CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        secret_sha256 TEXT NOT NULL,
        repo_pattern TEXT NOT NULL,
        scope TEXT NOT NULL,
        created_at TEXT NOT NULL
    );",
];

/// A write and a read connection, each reopened on the next call once it is lost (PostgreSQL
/// restarted, the network dropped): a hub outlives its database's restarts without being
/// restarted itself.
pub struct PostgresStore {
    url: String,
    schema: Option<String>,
    /// Writes (and migrations).
    client: Mutex<Option<Client>>,
    /// Reads, so a hub's dashboards do not queue behind its own ingest.
    reader: Mutex<Option<Client>>,
}

/// The locked, open connection.
struct Conn<'a>(MutexGuard<'a, Option<Client>>);

// A `Conn` is only made around an open client (`open_slot` fills the slot first), so the
// `None` arm cannot be reached; `Deref` has no way to return an error.

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    #[expect(clippy::unreachable, reason = "see the note on `Conn`")]
    fn deref(&self) -> &Client {
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("a Conn is only made around an open client"))
    }
}

impl std::ops::DerefMut for Conn<'_> {
    #[expect(clippy::unreachable, reason = "see the note on `Conn`")]
    fn deref_mut(&mut self) -> &mut Client {
        self.0
            .as_mut()
            .unwrap_or_else(|| unreachable!("a Conn is only made around an open client"))
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // `postgres::Client` closes by blocking on a runtime of its own, which panics on a
        // thread that drives an async runtime (a hub shutting down): close it on a plain thread.
        let clients: Vec<Client> = [&mut self.client, &mut self.reader]
            .into_iter()
            .filter_map(|m| {
                m.get_mut()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take()
            })
            .collect();
        if !clients.is_empty() {
            let _ = std::thread::spawn(move || drop(clients)).join();
        }
    }
}

fn open(url: &str, schema: Option<&str>) -> Result<Client, StoreError> {
    let target = tls::target(url)?;
    let connected = match target.tls {
        Some(tls) => Client::connect(&target.url, tls),
        None => Client::connect(&target.url, NoTls),
    };
    let mut client =
        connected.map_err(|e| StoreError::backend_with("cannot connect to PostgreSQL", e))?;
    if let Some(s) = schema {
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {s}; SET search_path TO {s}"
            ))
            .map_err(StoreError::backend)?;
    }
    Ok(client)
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
        if let Some(s) = schema
            && !s
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Invalid(format!(
                "schema name `{s}`: only a-z, 0-9 and _"
            )));
        }
        let client = open(url, schema)?;
        Ok(Self {
            url: url.to_owned(),
            schema: schema.map(str::to_owned),
            client: Mutex::new(Some(client)),
            // Opened on the first read, after `migrate` may have created the schema.
            reader: Mutex::new(None),
        })
    }

    /// Runs one store operation; when it fails, the connection is checked and dropped if it
    /// is gone (`is_closed` only notices a dead socket on a later use), so the next operation
    /// reconnects.
    fn checked<T>(&self, op: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let result = op();
        if result.is_err() {
            for slot in [&self.client, &self.reader] {
                let mut guard = slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if guard
                    .as_mut()
                    .is_some_and(|c| c.is_valid(std::time::Duration::from_secs(2)).is_err())
                {
                    *guard = None;
                }
            }
        }
        result
    }

    /// The connection, reopened first if the last one was lost.
    fn client(&self) -> Result<Conn<'_>, StoreError> {
        self.open_slot(&self.client)
    }

    /// The read connection, (re)opened as needed.
    fn reader(&self) -> Result<Conn<'_>, StoreError> {
        self.open_slot(&self.reader)
    }

    fn open_slot<'a>(&self, slot: &'a Mutex<Option<Client>>) -> Result<Conn<'a>, StoreError> {
        let mut guard = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.as_ref().is_none_or(Client::is_closed) {
            *guard = None;
            *guard = Some(open(&self.url, self.schema.as_deref())?);
        }
        Ok(Conn(guard))
    }
}

fn decode(run_id: &str, v: serde_json::Value) -> Result<PipelineRun, StoreError> {
    StoreError::decode_run(run_id, serde_json::from_value(v))
}

impl Store for PostgresStore {
    fn migrate(&self) -> Result<(), StoreError> {
        self.checked(|| {
            let mut c = self.client()?;
            let mut tx = c.transaction().map_err(StoreError::backend)?;
            // One migrator at a time across replicas.
            tx.batch_execute("SELECT pg_advisory_xact_lock(7248213); CREATE TABLE IF NOT EXISTS ci_intel_migrations (n INT PRIMARY KEY)")
                .map_err(StoreError::backend)?;
            let done: i64 = tx
                .query_one("SELECT count(*) FROM ci_intel_migrations", &[])
                .map_err(StoreError::backend)?
                .get(0);
            for (i, m) in MIGRATIONS.iter().enumerate().skip(done as usize) {
                tx.batch_execute(m).map_err(StoreError::backend)?;
                tx.execute(
                    "INSERT INTO ci_intel_migrations (n) VALUES ($1)",
                    &[&(i as i32 + 1)],
                )
                .map_err(StoreError::backend)?;
            }
            tx.commit().map_err(StoreError::backend)
        })
    }

    fn upsert_runs(&self, runs: &[PipelineRun]) -> Result<Vec<Upsert>, StoreError> {
        self.checked(|| {
            let mut c = self.client()?;
            let mut tx = c.transaction().map_err(StoreError::backend)?;
            let out = upsert_in(&mut tx, runs)?;
            tx.commit().map_err(StoreError::backend)?;
            Ok(out)
        })
    }

    fn merge_run(
        &self,
        run_id: &str,
        merge: &mut dyn FnMut(Option<PipelineRun>) -> Result<PipelineRun, MergeRefused>,
    ) -> Result<Result<Upsert, MergeRefused>, StoreError> {
        self.checked(|| {
            let mut c = self.client()?;
            let mut tx = c.transaction().map_err(StoreError::backend)?;
            // A lock on the run id, held to the commit: it serialises merges across hubs even
            // while the row does not exist yet (a row lock could not).
            tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&run_id])
                .map_err(StoreError::backend)?;
            let known = tx
                .query_opt("SELECT record FROM runs WHERE run_id = $1", &[&run_id])
                .map_err(StoreError::backend)?
                .map(|r| decode(run_id, r.get(0)))
                .transpose()?;
            let merged = match merge(known) {
                Ok(m) => m,
                Err(why) => return Ok(Err(why)),
            };
            let out = upsert_in(&mut tx, std::slice::from_ref(&merged))?;
            tx.commit().map_err(StoreError::backend)?;
            Ok(Ok(out.first().copied().unwrap_or(Upsert::Unchanged)))
        })
    }

    fn get_run(&self, run_id: &str) -> Result<Option<PipelineRun>, StoreError> {
        self.checked(|| {
            let row = self
                .reader()?
                .query_opt("SELECT record FROM runs WHERE run_id = $1", &[&run_id])
                .map_err(StoreError::backend)?;
            row.map(|r| decode(run_id, r.get(0))).transpose()
        })
    }

    fn list_runs(&self, q: &RunQuery) -> Result<Vec<PipelineRun>, StoreError> {
        self.checked(|| {
            let (sql, values) = q.select_sql('$')?;
            let limit = q.effective_limit();
            let mut bind: Vec<&(dyn postgres::types::ToSql + Sync)> = values
                .iter()
                .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                .collect();
            bind.push(&limit);
            let rows = self
                .reader()?
                .query(&sql, &bind)
                .map_err(StoreError::backend)?;
            rows.into_iter()
                .map(|r| decode(&r.get::<_, String>(0), r.get(1)))
                .collect()
        })
    }

    fn repos(&self) -> Result<Vec<String>, StoreError> {
        self.checked(|| {
            // A recursive skip scan over the (repo, started_at) index: one probe per repository.
            let rows = self
                .reader()?
                .query(
                    "WITH RECURSIVE r(repo) AS (
                        SELECT MIN(repo) FROM runs
                        UNION ALL
                        SELECT (SELECT MIN(repo) FROM runs WHERE repo > r.repo) FROM r WHERE r.repo IS NOT NULL
                     ) SELECT repo FROM r WHERE repo IS NOT NULL",
                    &[],
                )
                .map_err(StoreError::backend)?;
            Ok(rows.into_iter().map(|r| r.get(0)).collect())
        })
    }

    fn rollups(&self, w: &DayWindow) -> Result<Vec<(String, String, DayRollup)>, StoreError> {
        self.checked(|| {
            let rows = self
                .reader()?
                .query(
                    "SELECT repo, day, data FROM rollups
                     WHERE ($1::text IS NULL OR repo = $1) AND day >= $2 AND day < $3 ORDER BY repo, day",
                    &[&w.repo, &w.since, &w.until],
                )
                .map_err(StoreError::backend)?;
            rows.into_iter()
                .map(|r| {
                    let (repo, day): (String, String) = (r.get(0), r.get(1));
                    let rollup = serde_json::from_value(r.get(2))
                        .map_err(|e| StoreError::corrupt(&format!("rollup {repo} {day}"), e))?;
                    Ok((repo, day, rollup))
                })
                .collect()
        })
    }

    fn upsert_deployment(&self, d: &Deployment) -> Result<(), StoreError> {
        self.checked(|| {
            let mut c = self.client()?;
            let mut tx = c.transaction().map_err(StoreError::backend)?;
            put_deployment(&mut tx, d)?;
            tx.commit().map_err(StoreError::backend)
        })
    }

    fn deployments(
        &self,
        repo: Option<&str>,
        since: &str,
        until: &str,
    ) -> Result<Vec<Deployment>, StoreError> {
        self.checked(|| {
            let (since, until) = (canonical_time(since)?, canonical_time(until)?);
            let rows = self
                .reader()?
                .query(
                    "SELECT repo, id, environment, commit_sha, deployed_at, failed, source FROM deployments
                     WHERE ($1::text IS NULL OR repo = $1) AND deployed_at >= $2 AND deployed_at < $3
                     ORDER BY deployed_at, repo, id",
                    &[&repo, &since, &until],
                )
                .map_err(StoreError::backend)?;
            Ok(rows
                .into_iter()
                .map(|r| Deployment {
                    repo: r.get(0),
                    id: r.get(1),
                    environment: r.get(2),
                    commit_sha: r.get(3),
                    deployed_at: r.get(4),
                    failed: r.get(5),
                    source: r.get(6),
                })
                .collect())
        })
    }

    fn record_commits(&self, commits: &[Commit]) -> Result<(), StoreError> {
        self.checked(|| {
            let mut c = self.client()?;
            let mut tx = c.transaction().map_err(StoreError::backend)?;
            let stmt = tx
                .prepare(
                    "INSERT INTO commits (repo, sha, committed_at) VALUES ($1, $2, $3)
                     ON CONFLICT (repo, sha) DO UPDATE SET committed_at = LEAST(commits.committed_at, EXCLUDED.committed_at)",
                )
                .map_err(StoreError::backend)?;
            for commit in commits {
                let at = canonical_time(&commit.committed_at)?;
                tx.execute(&stmt, &[&commit.repo, &commit.sha, &at])
                    .map_err(StoreError::backend)?;
            }
            tx.commit().map_err(StoreError::backend)
        })
    }

    fn commit_times(
        &self,
        repo: &str,
        shas: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.checked(|| {
            let rows = self
                .reader()?
                .query(
                    "SELECT sha, committed_at FROM commits WHERE repo = $1 AND sha = ANY($2)",
                    &[&repo, &shas],
                )
                .map_err(StoreError::backend)?;
            Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn put_test_reports(&self, reports: &[TestReport]) -> Result<(), StoreError> {
        self.checked(|| {
            let mut c = self.client()?;
            let mut tx = c.transaction().map_err(StoreError::backend)?;
            let stmt = tx
                .prepare(
                    "INSERT INTO test_reports (run_id, repo, commit_sha, started_at, total, tests)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (run_id) DO UPDATE SET repo = EXCLUDED.repo, commit_sha = EXCLUDED.commit_sha,
                         started_at = EXCLUDED.started_at, total = EXCLUDED.total, tests = EXCLUDED.tests",
                )
                .map_err(StoreError::backend)?;
            for t in reports {
                let tests = serde_json::to_value(&t.tests).map_err(StoreError::backend)?;
                let started = canonical_time(&t.started_at)?;
                let total = i64::try_from(t.total).unwrap_or(i64::MAX);
                tx.execute(
                    &stmt,
                    &[&t.run_id, &t.repo, &t.commit_sha, &started, &total, &tests],
                )
                .map_err(StoreError::backend)?;
            }
            tx.commit().map_err(StoreError::backend)
        })
    }

    fn test_reports(&self, repo: &str, since: &str) -> Result<Vec<TestReport>, StoreError> {
        self.checked(|| {
            let since = canonical_time(since)?;
            let rows = self
                .reader()?
                .query(
                    "SELECT run_id, commit_sha, started_at, total, tests FROM test_reports
                     WHERE repo = $1 AND started_at >= $2 ORDER BY started_at, run_id",
                    &[&repo, &since],
                )
                .map_err(StoreError::backend)?;
            rows.into_iter()
                .map(|r| {
                    let run_id: String = r.get(0);
                    let tests = serde_json::from_value(r.get(4))
                        .map_err(|e| StoreError::corrupt(&run_id, e))?;
                    Ok(TestReport {
                        run_id,
                        repo: repo.to_owned(),
                        commit_sha: r.get(1),
                        started_at: r.get(2),
                        total: u64::try_from(r.get::<_, i64>(3)).unwrap_or(0),
                        tests,
                    })
                })
                .collect()
        })
    }

    fn create_token(&self, t: &TokenRecord) -> Result<(), StoreError> {
        self.checked(|| {
            self.client()?
                .execute(
                    "INSERT INTO tokens (id, secret_sha256, repo_pattern, scope, created_at) VALUES ($1, $2, $3, $4, $5)",
                    &[&t.id, &t.secret_sha256, &t.repo_pattern, &t.scope.as_str(), &t.created_at],
                )
                .map_err(StoreError::backend)?;
            Ok(())
        })
    }

    fn token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.checked(|| {
            let row = self
                .reader()?
                .query_opt(
                    "SELECT secret_sha256, repo_pattern, scope, created_at FROM tokens WHERE id = $1",
                    &[&id],
                )
                .map_err(StoreError::backend)?;
            row.map(|r| {
                let scope: String = r.get(2);
                Ok(TokenRecord {
                    id: id.to_owned(),
                    secret_sha256: r.get(0),
                    repo_pattern: r.get(1),
                    scope: Scope::parse(&scope)
                        .ok_or_else(|| StoreError::corrupt(&format!("token {id}"), scope))?,
                    created_at: r.get(3),
                })
            })
            .transpose()
        })
    }

    fn forget_delivery(&self, delivery_id: &str) -> Result<(), StoreError> {
        self.checked(|| {
            self.client()?
                .execute("DELETE FROM deliveries WHERE id = $1", &[&delivery_id])
                .map_err(StoreError::backend)?;
            Ok(())
        })
    }

    fn purge(&self, r: &Retention, now: &str) -> Result<Purged, StoreError> {
        self.checked(|| {
            let c = Cutoffs::new(r, now)?;
            let mut client = self.client()?;
            let mut tx = client.transaction().map_err(StoreError::backend)?;
            let mut del = |sql: &str, cutoff: &str| {
                tx.execute(sql, &[&cutoff])
                    .map(|n| n as usize)
                    .map_err(StoreError::backend)
            };
            let purged = Purged {
                runs: del("DELETE FROM runs WHERE started_at < $1", &c.records)?,
                deployments: del("DELETE FROM deployments WHERE deployed_at < $1", &c.records)?,
                test_reports: del("DELETE FROM test_reports WHERE started_at < $1", &c.raw)?,
                deliveries: del("DELETE FROM deliveries WHERE received_at < $1", &c.raw)?,
                rollups: del("DELETE FROM rollups WHERE day < $1", &c.aggregates_day)?,
            };
            del("DELETE FROM commits WHERE committed_at < $1", &c.records)?;
            tx.commit().map_err(StoreError::backend)?;
            Ok(purged)
        })
    }

    fn record_delivery(&self, delivery_id: &str, received_at: &str) -> Result<bool, StoreError> {
        self.checked(|| {
            let n = self
                .client()?
                .execute(
                    "INSERT INTO deliveries (id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&delivery_id, &canonical_time(received_at)?],
                )
                .map_err(StoreError::backend)?;
            Ok(n == 1)
        })
    }
}

/// Stores records in an open transaction, set-based: a handful of statements per batch, not a
/// round trip per run; a batch of 500 spends its time in PostgreSQL, not on the wire.
fn upsert_in(tx: &mut Transaction<'_>, runs: &[PipelineRun]) -> Result<Vec<Upsert>, StoreError> {
    let mut out = vec![Upsert::Unchanged; runs.len()];
    // The last record of a run id in the batch wins; earlier ones count as replaced by it.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, r) in runs.iter().enumerate() {
        last.insert(r.run_id.as_str(), i);
    }
    // Rows are locked in run_id order (and rollups in key order), so concurrent batches
    // from several workers wait for each other instead of deadlocking.
    let mut ids: Vec<&str> = last.keys().copied().collect();
    ids.sort_unstable();
    let mut known: HashMap<String, PipelineRun> = HashMap::new();
    for row in tx
        .query(
            "SELECT run_id, record FROM runs WHERE run_id = ANY($1) ORDER BY run_id FOR UPDATE",
            &[&ids],
        )
        .map_err(StoreError::backend)?
    {
        let id: String = row.get(0);
        let run = decode(&id, row.get(1))?;
        known.insert(id, run);
    }
    // Outcomes as if the records were applied one after another (a repeat within the
    // batch is unchanged, a later different one an update); the rows get the final state.
    let mut current: HashMap<&str, &PipelineRun> =
        known.iter().map(|(k, v)| (k.as_str(), v)).collect();
    for (i, run) in runs.iter().enumerate() {
        out[i] = match current.get(run.run_id.as_str()) {
            None => Upsert::Inserted,
            Some(old) if *old == run => Upsert::Unchanged,
            Some(_) => Upsert::Updated,
        };
        current.insert(run.run_id.as_str(), run);
    }
    let mut deltas = Deltas::default();
    let mut fresh = Rows::default();
    let mut changed = Rows::default();
    for id in &ids {
        let run = &runs[last[id]];
        match known.get(*id) {
            None => {
                fresh.push(run)?;
                deltas.replace(None, run);
            }
            Some(old) if old == run => {}
            Some(old) => {
                changed.push(run)?;
                deltas.replace(Some(old), run);
            }
        }
    }
    if !fresh.ids.is_empty() {
        let inserted = tx
            .query(
                "INSERT INTO runs (run_id, repo, status, started_at, record)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
                 ON CONFLICT (run_id) DO NOTHING RETURNING run_id",
                &fresh.params(),
            )
            .map_err(StoreError::backend)?;
        if inserted.len() != fresh.ids.len() {
            // Another writer inserted some of these since the lock above: roll back, and
            // the caller's retry sees them as known rows.
            return Err(StoreError::Unavailable(
                "concurrent insert of the same runs; retry the batch".into(),
            ));
        }
    }
    if !changed.ids.is_empty() {
        tx.execute(
            "UPDATE runs SET repo = t.repo, status = t.status, started_at = t.started_at, record = t.record
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
                 AS t(run_id, repo, status, started_at, record)
             WHERE runs.run_id = t.run_id",
            &changed.params(),
        )
        .map_err(StoreError::backend)?;
    }
    for run in fresh.runs.iter().chain(&changed.runs) {
        if let Some(d) = Deployment::from_run(run) {
            put_deployment(tx, &d)?;
        }
    }
    merge_rollups(tx, &deltas)?;
    Ok(out)
}

/// Run rows for one `unnest` statement, column by column.
#[derive(Default)]
struct Rows<'a> {
    runs: Vec<&'a PipelineRun>,
    ids: Vec<String>,
    repos: Vec<String>,
    statuses: Vec<String>,
    started: Vec<String>,
    records: Vec<serde_json::Value>,
}

impl<'a> Rows<'a> {
    fn push(&mut self, run: &'a PipelineRun) -> Result<(), StoreError> {
        self.runs.push(run);
        self.ids.push(run.run_id.clone());
        self.repos.push(run.repo.clone());
        self.statuses.push(run.status.as_str().to_owned());
        self.started.push(canonical_time(&run.started_at)?);
        self.records
            .push(serde_json::to_value(run).map_err(StoreError::backend)?);
        Ok(())
    }

    fn params(&self) -> [&(dyn postgres::types::ToSql + Sync); 5] {
        [
            &self.ids,
            &self.repos,
            &self.statuses,
            &self.started,
            &self.records,
        ]
    }
}

/// Adds a batch's rollup deltas: the touched day rows are created, locked in key order, merged
/// in memory, and written back in one statement.
fn merge_rollups(tx: &mut Transaction<'_>, deltas: &Deltas) -> Result<(), StoreError> {
    if deltas.0.is_empty() {
        return Ok(());
    }
    let (repos, days): (Vec<&str>, Vec<&str>) = deltas
        .0
        .keys()
        .map(|(r, d)| (r.as_str(), d.as_str()))
        .unzip();
    tx.execute(
        "INSERT INTO rollups (repo, day, data)
         SELECT repo, day, '{}'::jsonb FROM unnest($1::text[], $2::text[]) AS t(repo, day)
         ON CONFLICT DO NOTHING",
        &[&repos, &days],
    )
    .map_err(StoreError::backend)?;
    let rows = tx
        .query(
            "SELECT r.repo, r.day, r.data FROM rollups r
             JOIN unnest($1::text[], $2::text[]) AS t(repo, day) ON r.repo = t.repo AND r.day = t.day
             ORDER BY r.repo, r.day FOR UPDATE OF r",
            &[&repos, &days],
        )
        .map_err(StoreError::backend)?;
    let (mut keep_repo, mut keep_day, mut keep_data) = (Vec::new(), Vec::new(), Vec::new());
    let (mut drop_repo, mut drop_day) = (Vec::new(), Vec::new());
    for row in rows {
        let (repo, day): (String, String) = (row.get(0), row.get(1));
        let mut rollup: DayRollup = serde_json::from_value(row.get(2))
            .map_err(|e| StoreError::corrupt(&format!("rollup {repo} {day}"), e))?;
        if let Some(delta) = deltas.0.get(&(repo.clone(), day.clone())) {
            rollup.merge(delta);
        }
        if rollup.runs == 0 {
            drop_repo.push(repo);
            drop_day.push(day);
        } else {
            keep_data.push(serde_json::to_value(&rollup).map_err(StoreError::backend)?);
            keep_repo.push(repo);
            keep_day.push(day);
        }
    }
    if !keep_repo.is_empty() {
        tx.execute(
            "UPDATE rollups SET data = t.data
             FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS t(repo, day, data)
             WHERE rollups.repo = t.repo AND rollups.day = t.day",
            &[&keep_repo, &keep_day, &keep_data],
        )
        .map_err(StoreError::backend)?;
    }
    if !drop_repo.is_empty() {
        tx.execute(
            "DELETE FROM rollups USING unnest($1::text[], $2::text[]) AS t(repo, day)
             WHERE rollups.repo = t.repo AND rollups.day = t.day",
            &[&drop_repo, &drop_day],
        )
        .map_err(StoreError::backend)?;
    }
    Ok(())
}

fn put_deployment(tx: &mut Transaction<'_>, d: &Deployment) -> Result<(), StoreError> {
    let at = canonical_time(&d.deployed_at)?;
    tx.execute(
        "INSERT INTO deployments (repo, id, environment, commit_sha, deployed_at, failed, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (repo, id) DO UPDATE SET environment = EXCLUDED.environment,
             commit_sha = EXCLUDED.commit_sha, deployed_at = EXCLUDED.deployed_at,
             failed = EXCLUDED.failed, source = EXCLUDED.source",
        &[
            &d.repo,
            &d.id,
            &d.environment,
            &d.commit_sha,
            &at,
            &d.failed,
            &d.source,
        ],
    )
    .map_err(StoreError::backend)?;
    Ok(())
}
