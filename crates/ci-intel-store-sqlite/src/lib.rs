//! The embedded store: one SQLite file, WAL mode, the records as JSON beside the columns
//! queries filter on. A mutex serialises writers (SQLite allows one at a time anyway).

use std::path::Path;
use std::sync::Mutex;

use ci_intel_core::pipeline_run::PipelineRun;
use ci_intel_store::{RunQuery, Store, StoreError, Upsert, canonical_time};
use rusqlite::{Connection, OptionalExtension as _, params};

/// Schema migrations, in order; `user_version` records how many ran.
const MIGRATIONS: &[&str] = &["CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        repo TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX runs_repo_started ON runs (repo, started_at);
    CREATE INDEX runs_started ON runs (started_at);
    CREATE TABLE deliveries (id TEXT PRIMARY KEY, received_at TEXT NOT NULL);"];

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
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
            .map_err(|e| StoreError::Backend(format!("{}: {e}", path.display())))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        // Acknowledged means on disk: a crash right after an ingest loses nothing.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn decode(run_id: &str, text: &str) -> Result<PipelineRun, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        run_id: run_id.to_owned(),
        reason: e.to_string(),
    })
}

impl Store for SqliteStore {
    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let done: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(backend)?;
        for (i, m) in MIGRATIONS.iter().enumerate().skip(done) {
            let tx = conn.transaction().map_err(backend)?;
            tx.execute_batch(m).map_err(backend)?;
            tx.pragma_update(None, "user_version", i + 1)
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
        }
        Ok(())
    }

    fn upsert_run(&self, run: &PipelineRun) -> Result<Upsert, StoreError> {
        let record = serde_json::to_string(run).map_err(backend)?;
        let started = canonical_time(&run.started_at)?;
        let status = serde_json::to_value(run.status)
            .map_err(backend)?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let before: Option<String> = tx
            .query_row(
                "SELECT record FROM runs WHERE run_id = ?1",
                params![run.run_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        let outcome = match before {
            Some(b) if b == record => Upsert::Unchanged,
            Some(_) => {
                tx.execute(
                    "UPDATE runs SET repo = ?2, status = ?3, started_at = ?4, record = ?5 WHERE run_id = ?1",
                    params![run.run_id, run.repo, status, started, record],
                )
                .map_err(backend)?;
                Upsert::Updated
            }
            None => {
                tx.execute(
                    "INSERT INTO runs (run_id, repo, status, started_at, record) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![run.run_id, run.repo, status, started, record],
                )
                .map_err(backend)?;
                Upsert::Inserted
            }
        };
        tx.commit().map_err(backend)?;
        Ok(outcome)
    }

    fn get_run(&self, run_id: &str) -> Result<Option<PipelineRun>, StoreError> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT record FROM runs WHERE run_id = ?1",
                params![run_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        text.map(|t| decode(run_id, &t)).transpose()
    }

    fn list_runs(&self, q: &RunQuery) -> Result<Vec<PipelineRun>, StoreError> {
        let since = q.since.as_deref().map(canonical_time).transpose()?;
        let until = q.until.as_deref().map(canonical_time).transpose()?;
        let limit = if q.limit == 0 { 100 } else { q.limit } as i64;
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT run_id, record FROM runs
                 WHERE (?1 IS NULL OR repo = ?1) AND (?2 IS NULL OR started_at >= ?2) AND (?3 IS NULL OR started_at < ?3)
                 ORDER BY started_at DESC, run_id DESC LIMIT ?4",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![q.repo, since, until, limit], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(backend)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, text) = row.map_err(backend)?;
            out.push(decode(&id, &text)?);
        }
        Ok(out)
    }

    fn delete_runs_before(&self, cutoff: &str) -> Result<usize, StoreError> {
        let cutoff = canonical_time(cutoff)?;
        self.conn()
            .execute("DELETE FROM runs WHERE started_at < ?1", params![cutoff])
            .map_err(backend)
    }

    fn record_delivery(&self, delivery_id: &str, received_at: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO deliveries (id, received_at) VALUES (?1, ?2)",
                params![delivery_id, received_at],
            )
            .map_err(backend)?;
        Ok(n == 1)
    }
}
