//! The hub: remembers every pipeline run and shows what no single run can.
//!
//! - [`server`]: the HTTP surface (ingest, webhooks, JSON API, dashboards, health, metrics).
//! - [`ingest`]: request bodies to acknowledged records; the group-commit writer.
//! - [`nats`]: the scale-out path: JetStream as the ingest queue, `hub worker` consumers.
//! - [`webhooks`]: GitHub events, signature first.
//! - [`analytics`]: DORA, run health, flaky tests, timings, resilience, cost and carbon.
//! - [`pages`]: server-rendered HTML with inline SVG charts.
//! - [`demo`]: a deterministic synthetic history for `hub --demo`.

pub mod analytics;
pub mod api;
pub mod auth;
pub mod config;
pub mod demo;
pub mod error;
pub mod ingest;
pub mod nats;
pub mod pages;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod webhooks;

use std::path::PathBuf;
use std::sync::Arc;

use ci_intel_store::StoreError;

pub use error::HubError;

/// Opens the store a `--database-url` names: `sqlite://PATH` (or a bare path) or
/// `postgres://…` / `postgresql://…`; and brings its schema up to date.
/// Each backend is a cargo feature of the hub (`sqlite`, `postgres`; both by default); a URL for
/// a backend left out of the build is refused with that reason.
pub fn open_store(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        open_postgres(url)?
    } else {
        open_sqlite(url.strip_prefix("sqlite://").unwrap_or(url))?
    };
    store.migrate()?;
    Ok(store)
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(ci_intel_store_postgres::PostgresStore::connect(
        url, None,
    )?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Err(StoreError::Invalid(
        "this build has no PostgreSQL store (the hub's `postgres` feature)".into(),
    ))
}

#[cfg(feature = "sqlite")]
fn open_sqlite(path: &str) -> Result<Arc<dyn Store>, StoreError> {
    let path = PathBuf::from(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::backend_with(format!("cannot create {}", dir.display()), e))?;
    }
    Ok(Arc::new(ci_intel_store_sqlite::SqliteStore::open(&path)?))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_path: &str) -> Result<Arc<dyn Store>, StoreError> {
    Err(StoreError::Invalid(
        "this build has no SQLite store (the hub's `sqlite` feature)".into(),
    ))
}

/// The default database: `hub.sqlite3` in the user's data directory
/// (`$XDG_DATA_HOME/ci-intel`, else `~/.local/share/ci-intel`).
pub fn default_database_url() -> String {
    let dir = ci_intel_core::fsutil::xdg_dir("XDG_DATA_HOME", ".local/share");
    format!("sqlite://{}", dir.join("hub.sqlite3").display())
}

/// Now, as the canonical RFC 3339 UTC text the store keeps.
pub fn now_rfc3339() -> String {
    ci_intel_core::format::now_rfc3339()
}

pub use ci_intel_store::{Retention, Scope, Store};

/// Everything `ci-intel hub` runs besides the HTTP server: in-process JetStream workers and the
/// daily retention pass; then the server until SIGINT/SIGTERM.
pub async fn run(
    store: Arc<dyn Store>,
    listener: tokio::net::TcpListener,
    nats: Option<(String, nats::Names)>,
    workers: usize,
    retention: Retention,
    options: server::Options,
) -> Result<(), HubError> {
    let queue = match &nats {
        Some((url, names)) => Some(nats::Publisher::connect(url, names).await?),
        None => None,
    };
    if let Some((url, names)) = nats {
        for _ in 0..workers {
            let (st, url, names) = (store.clone(), url.clone(), names.clone());
            tokio::spawn(async move {
                let never = std::future::pending();
                if let Err(e) = nats::work(st, &url, &names, 500, false, never).await {
                    tracing::error!(error = %e, "in-process worker stopped");
                }
            });
        }
    }
    let st = store.clone();
    tokio::spawn(async move {
        let mut daily = tokio::time::interval(std::time::Duration::from_hours(24));
        loop {
            daily.tick().await;
            let st = st.clone();
            let now = now_rfc3339();
            match tokio::task::spawn_blocking(move || st.purge(&retention, &now)).await {
                Ok(Ok(p)) => tracing::info!(?p, "retention pass"),
                Ok(Err(e)) => tracing::error!(error = %e, "retention pass failed"),
                Err(e) => tracing::error!(error = %e, "retention task failed"),
            }
        }
    });
    let hub = server::Hub::new(store, queue, options);
    server::serve(hub, listener).await?;
    Ok(())
}
