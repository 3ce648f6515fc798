//! The embedded store: one SQLite file, WAL mode, the records as JSON beside the columns
//! queries filter on. A mutex serialises writers (SQLite allows one at a time anyway).

use std::path::Path;
use std::sync::Mutex;

use ci_intel_core::pipeline_run::PipelineRun;
use std::collections::HashMap;

use ci_intel_store::rollup::Deltas;
use ci_intel_store::{
    Commit, Cutoffs, DayRollup, DayWindow, Deployment, MergeRefused, Purged, Retention, RunQuery,
    Scope, Store, StoreError, TestReport, TokenRecord, Upsert, canonical_time,
};
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

/// Schema migrations, in order; `user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX runs_repo_started ON runs (repo, started_at);
    CREATE INDEX runs_started ON runs (started_at);
    CREATE TABLE deliveries (id TEXT PRIMARY KEY, received_at TEXT NOT NULL);",
    "CREATE TABLE rollups (
        repo TEXT NOT NULL,
        day TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (repo, day)
    ) WITHOUT ROWID;
    CREATE INDEX rollups_day ON rollups (day);
    CREATE TABLE deployments (
        repo TEXT NOT NULL,
        id TEXT NOT NULL,
        environment TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        deployed_at TEXT NOT NULL,
        failed INTEGER NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (repo, id)
    );
    CREATE INDEX deployments_at ON deployments (deployed_at);
    CREATE TABLE commits (
        repo TEXT NOT NULL,
        sha TEXT NOT NULL,
        committed_at TEXT NOT NULL,
        PRIMARY KEY (repo, sha)
    ) WITHOUT ROWID;
    CREATE TABLE test_reports (
        run_id TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        started_at TEXT NOT NULL,
        total INTEGER NOT NULL,
        tests TEXT NOT NULL
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

/// One writer connection, and a few read-only ones: in WAL mode readers see the last commit
/// without waiting for the writer, so dashboards stay fast during a sustained ingest.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

/// How many read-only connections a store keeps.
const READERS: usize = 4;

/// Settings every connection gets.
fn tune(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(StoreError::backend)?;
    // The default 2 MB page cache makes every index probe of a large store a `pread` copy; a
    // 64 MB cache and a memory map keep the hot indexes in memory.
    conn.pragma_update(None, "cache_size", -65_536)
        .map_err(StoreError::backend)?;
    conn.pragma_update(None, "mmap_size", 1_i64 << 30)
        .map_err(StoreError::backend)
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating) the database file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError::backend_with(format!("cannot open {}", path.display()), e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(StoreError::backend)?;
        // Acknowledged means on disk: a crash right after an ingest loses nothing.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(StoreError::backend)?;
        tune(&conn)?;
        let readers = (0..READERS)
            .map(|_| {
                let r = Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(|e| {
                    StoreError::backend_with(format!("cannot open {}", path.display()), e)
                })?;
                tune(&r)?;
                Ok(Mutex::new(r))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Self {
            conn: Mutex::new(conn),
            readers,
            next_reader: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// A free read-only connection (or, when all are busy, the next in turn).
    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(guard) = r.try_lock() {
                return guard;
            }
        }
        let i = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.readers.len();
        self.readers[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn decode(run_id: &str, text: &str) -> Result<PipelineRun, StoreError> {
    StoreError::decode_run(run_id, serde_json::from_str(text))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(StoreError::backend)
}

/// Stores records in an open transaction: one outcome per record, rollups and deployments.
fn upsert_in(tx: &Transaction<'_>, runs: &[PipelineRun]) -> Result<Vec<Upsert>, StoreError> {
    let mut deltas = Deltas::default();
    let mut out = Vec::with_capacity(runs.len());
    {
        let mut select = tx
            .prepare_cached("SELECT record FROM runs WHERE run_id = ?1")
            .map_err(StoreError::backend)?;
        let mut write = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO runs (run_id, repo, status, started_at, record) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(StoreError::backend)?;
        for run in runs {
            let record = json(run)?;
            let started = canonical_time(&run.started_at)?;
            let before: Option<String> = select
                .query_row(params![run.run_id], |r| r.get(0))
                .optional()
                .map_err(StoreError::backend)?;
            let outcome = match before {
                Some(b) if b == record => Upsert::Unchanged,
                Some(b) => {
                    deltas.replace(Some(&decode(&run.run_id, &b)?), run);
                    Upsert::Updated
                }
                None => {
                    deltas.replace(None, run);
                    Upsert::Inserted
                }
            };
            if outcome != Upsert::Unchanged {
                write
                    .execute(params![
                        run.run_id,
                        run.repo,
                        run.status.as_str(),
                        started,
                        record
                    ])
                    .map_err(StoreError::backend)?;
                if let Some(d) = Deployment::from_run(run) {
                    put_deployment(tx, &d)?;
                }
            }
            out.push(outcome);
        }
    }
    apply_deltas(tx, deltas)?;
    Ok(out)
}

/// Adds the batch's rollup deltas to the stored rollups (a day with no runs left is removed).
fn apply_deltas(tx: &Transaction<'_>, deltas: Deltas) -> Result<(), StoreError> {
    let mut get = tx
        .prepare_cached("SELECT data FROM rollups WHERE repo = ?1 AND day = ?2")
        .map_err(StoreError::backend)?;
    let mut put = tx
        .prepare_cached("INSERT OR REPLACE INTO rollups (repo, day, data) VALUES (?1, ?2, ?3)")
        .map_err(StoreError::backend)?;
    let mut del = tx
        .prepare_cached("DELETE FROM rollups WHERE repo = ?1 AND day = ?2")
        .map_err(StoreError::backend)?;
    for ((repo, day), delta) in deltas.0 {
        let text: Option<String> = get
            .query_row(params![repo, day], |r| r.get(0))
            .optional()
            .map_err(StoreError::backend)?;
        let mut rollup: DayRollup = match text {
            Some(t) => serde_json::from_str(&t)
                .map_err(|e| StoreError::corrupt(&format!("rollup {repo} {day}"), e))?,
            None => DayRollup::default(),
        };
        rollup.merge(&delta);
        if rollup.runs == 0 {
            del.execute(params![repo, day])
                .map_err(StoreError::backend)?;
        } else {
            put.execute(params![repo, day, json(&rollup)?])
                .map_err(StoreError::backend)?;
        }
    }
    Ok(())
}

fn put_deployment(tx: &Connection, d: &Deployment) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO deployments (repo, id, environment, commit_sha, deployed_at, failed, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .map_err(StoreError::backend)?
    .execute(params![
        d.repo,
        d.id,
        d.environment,
        d.commit_sha,
        canonical_time(&d.deployed_at)?,
        d.failed,
        d.source
    ])
    .map_err(StoreError::backend)?;
    Ok(())
}

impl Store for SqliteStore {
    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let done: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(StoreError::backend)?;
        for (i, m) in MIGRATIONS.iter().enumerate().skip(done) {
            let tx = conn.transaction().map_err(StoreError::backend)?;
            tx.execute_batch(m).map_err(StoreError::backend)?;
            tx.pragma_update(None, "user_version", i + 1)
                .map_err(StoreError::backend)?;
            tx.commit().map_err(StoreError::backend)?;
        }
        Ok(())
    }

    fn upsert_runs(&self, runs: &[PipelineRun]) -> Result<Vec<Upsert>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::backend)?;
        let out = upsert_in(&tx, runs)?;
        tx.commit().map_err(StoreError::backend)?;
        Ok(out)
    }

    fn merge_run(
        &self,
        run_id: &str,
        merge: &mut dyn FnMut(Option<PipelineRun>) -> Result<PipelineRun, MergeRefused>,
    ) -> Result<Result<Upsert, MergeRefused>, StoreError> {
        // The one writer connection is held throughout: merges are serialised.
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::backend)?;
        let known: Option<String> = tx
            .query_row(
                "SELECT record FROM runs WHERE run_id = ?1",
                params![run_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::backend)?;
        let known = known.map(|t| decode(run_id, &t)).transpose()?;
        let merged = match merge(known) {
            Ok(m) => m,
            Err(why) => return Ok(Err(why)),
        };
        let out = upsert_in(&tx, std::slice::from_ref(&merged))?;
        tx.commit().map_err(StoreError::backend)?;
        Ok(Ok(out.first().copied().unwrap_or(Upsert::Unchanged)))
    }

    fn get_run(&self, run_id: &str) -> Result<Option<PipelineRun>, StoreError> {
        let text: Option<String> = self
            .reader()
            .query_row(
                "SELECT record FROM runs WHERE run_id = ?1",
                params![run_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::backend)?;
        text.map(|t| decode(run_id, &t)).transpose()
    }

    fn list_runs(&self, q: &RunQuery) -> Result<Vec<PipelineRun>, StoreError> {
        let (sql, values) = q.select_sql('?')?;
        let mut bind: Vec<&dyn rusqlite::ToSql> =
            values.iter().map(|v| v as &dyn rusqlite::ToSql).collect();
        let limit = q.effective_limit();
        bind.push(&limit);
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql).map_err(StoreError::backend)?;
        let rows = stmt
            .query_map(bind.as_slice(), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(StoreError::backend)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, text) = row.map_err(StoreError::backend)?;
            out.push(decode(&id, &text)?);
        }
        Ok(out)
    }

    fn repos(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.reader();
        // Skip-scan the (repo, started_at) index: one probe per repository, not one per run.
        let mut stmt = conn
            .prepare_cached(
                "WITH RECURSIVE r(repo) AS (
                    SELECT MIN(repo) FROM runs
                    UNION ALL
                    SELECT (SELECT MIN(repo) FROM runs WHERE repo > r.repo) FROM r WHERE r.repo IS NOT NULL
                 ) SELECT repo FROM r WHERE repo IS NOT NULL",
            )
            .map_err(StoreError::backend)?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .map_err(StoreError::backend)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::backend)
    }

    fn rollups(&self, w: &DayWindow) -> Result<Vec<(String, String, DayRollup)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT repo, day, data FROM rollups
                 WHERE (?1 IS NULL OR repo = ?1) AND day >= ?2 AND day < ?3 ORDER BY repo, day",
            )
            .map_err(StoreError::backend)?;
        let rows = stmt
            .query_map(params![w.repo, w.since, w.until], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(StoreError::backend)?;
        let mut out = Vec::new();
        for row in rows {
            let (repo, day, data) = row.map_err(StoreError::backend)?;
            let rollup = serde_json::from_str(&data)
                .map_err(|e| StoreError::corrupt(&format!("rollup {repo} {day}"), e))?;
            out.push((repo, day, rollup));
        }
        Ok(out)
    }

    fn upsert_deployment(&self, d: &Deployment) -> Result<(), StoreError> {
        put_deployment(&self.conn(), d)
    }

    fn deployments(
        &self,
        repo: Option<&str>,
        since: &str,
        until: &str,
    ) -> Result<Vec<Deployment>, StoreError> {
        let (since, until) = (canonical_time(since)?, canonical_time(until)?);
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT repo, id, environment, commit_sha, deployed_at, failed, source FROM deployments
                 WHERE (?1 IS NULL OR repo = ?1) AND deployed_at >= ?2 AND deployed_at < ?3
                 ORDER BY deployed_at, repo, id",
            )
            .map_err(StoreError::backend)?;
        let rows = stmt
            .query_map(params![repo, since, until], |r| {
                Ok(Deployment {
                    repo: r.get(0)?,
                    id: r.get(1)?,
                    environment: r.get(2)?,
                    commit_sha: r.get(3)?,
                    deployed_at: r.get(4)?,
                    failed: r.get(5)?,
                    source: r.get(6)?,
                })
            })
            .map_err(StoreError::backend)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::backend)
    }

    fn record_commits(&self, commits: &[Commit]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::backend)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO commits (repo, sha, committed_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (repo, sha) DO UPDATE SET committed_at = MIN(committed_at, excluded.committed_at)",
                )
                .map_err(StoreError::backend)?;
            for c in commits {
                stmt.execute(params![c.repo, c.sha, canonical_time(&c.committed_at)?])
                    .map_err(StoreError::backend)?;
            }
        }
        tx.commit().map_err(StoreError::backend)
    }

    fn commit_times(
        &self,
        repo: &str,
        shas: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let conn = self.reader();
        // One read transaction for all the lookups: one shared lock, not one per commit.
        let tx = conn.unchecked_transaction().map_err(StoreError::backend)?;
        let mut stmt = tx
            .prepare_cached("SELECT committed_at FROM commits WHERE repo = ?1 AND sha = ?2")
            .map_err(StoreError::backend)?;
        let mut out = HashMap::new();
        for sha in shas {
            if let Some(t) = stmt
                .query_row(params![repo, sha], |r| r.get::<_, String>(0))
                .optional()
                .map_err(StoreError::backend)?
            {
                out.insert(sha.clone(), t);
            }
        }
        drop(stmt);
        tx.finish().map_err(StoreError::backend)?;
        Ok(out)
    }

    fn put_test_reports(&self, reports: &[TestReport]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::backend)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO test_reports (run_id, repo, commit_sha, started_at, total, tests)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(StoreError::backend)?;
            for t in reports {
                stmt.execute(params![
                    t.run_id,
                    t.repo,
                    t.commit_sha,
                    canonical_time(&t.started_at)?,
                    i64::try_from(t.total).unwrap_or(i64::MAX),
                    json(&t.tests)?
                ])
                .map_err(StoreError::backend)?;
            }
        }
        tx.commit().map_err(StoreError::backend)
    }

    fn test_reports(&self, repo: &str, since: &str) -> Result<Vec<TestReport>, StoreError> {
        let since = canonical_time(since)?;
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT run_id, commit_sha, started_at, total, tests FROM test_reports
                 WHERE repo = ?1 AND started_at >= ?2 ORDER BY started_at, run_id",
            )
            .map_err(StoreError::backend)?;
        let rows = stmt
            .query_map(params![repo, since], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(StoreError::backend)?;
        let mut out = Vec::new();
        for row in rows {
            let (run_id, commit_sha, started_at, total, tests) =
                row.map_err(StoreError::backend)?;
            let tests =
                serde_json::from_str(&tests).map_err(|e| StoreError::corrupt(&run_id, e))?;
            out.push(TestReport {
                run_id,
                repo: repo.to_owned(),
                commit_sha,
                started_at,
                total: u64::try_from(total).unwrap_or(0),
                tests,
            });
        }
        Ok(out)
    }

    fn create_token(&self, t: &TokenRecord) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO tokens (id, secret_sha256, repo_pattern, scope, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![t.id, t.secret_sha256, t.repo_pattern, t.scope.as_str(), t.created_at],
            )
            .map_err(StoreError::backend)?;
        Ok(())
    }

    fn token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row: Option<(String, String, String, String)> = self
            .reader()
            .query_row(
                "SELECT secret_sha256, repo_pattern, scope, created_at FROM tokens WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(StoreError::backend)?;
        row.map(|(secret_sha256, repo_pattern, scope, created_at)| {
            Ok(TokenRecord {
                id: id.to_owned(),
                secret_sha256,
                repo_pattern,
                scope: Scope::parse(&scope)
                    .ok_or_else(|| StoreError::corrupt(&format!("token {id}"), scope))?,
                created_at,
            })
        })
        .transpose()
    }

    fn record_delivery(&self, delivery_id: &str, received_at: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO deliveries (id, received_at) VALUES (?1, ?2)",
                params![delivery_id, canonical_time(received_at)?],
            )
            .map_err(StoreError::backend)?;
        Ok(n == 1)
    }

    fn forget_delivery(&self, delivery_id: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM deliveries WHERE id = ?1", params![delivery_id])
            .map_err(StoreError::backend)?;
        Ok(())
    }

    fn purge(&self, r: &Retention, now: &str) -> Result<Purged, StoreError> {
        let c = Cutoffs::new(r, now)?;
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::backend)?;
        let del = |sql: &str, cutoff: &str| {
            tx.execute(sql, params![cutoff])
                .map_err(StoreError::backend)
        };
        let purged = Purged {
            runs: del("DELETE FROM runs WHERE started_at < ?1", &c.records)?,
            deployments: del("DELETE FROM deployments WHERE deployed_at < ?1", &c.records)?,
            test_reports: del("DELETE FROM test_reports WHERE started_at < ?1", &c.raw)?,
            deliveries: del("DELETE FROM deliveries WHERE received_at < ?1", &c.raw)?,
            rollups: del("DELETE FROM rollups WHERE day < ?1", &c.aggregates_day)?,
        };
        del("DELETE FROM commits WHERE committed_at < ?1", &c.records)?;
        tx.commit().map_err(StoreError::backend)?;
        Ok(purged)
    }
}
