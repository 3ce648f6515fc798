//! `ci-intel hub`: serve, `hub token create`, `hub worker`, `hub purge`.

use std::io::IsTerminal as _;
use std::sync::Arc;

use anyhow::{Context as _, Result, anyhow};
use ci_intel_core::exit;
use ci_intel_hub::config::HubConfig;
use ci_intel_hub::server::Options;
use ci_intel_hub::{Scope, Store, demo, nats, open_store, telemetry};

use crate::cli::{
    DatabaseArgs, HubCommand, HubServeArgs, HubSubcommand, PurgeArgs, TokenCommand,
    TokenCreateArgs, WorkerArgs,
};

pub fn run(cmd: HubCommand) -> Result<i32> {
    match cmd.command {
        None => serve(&cmd.serve),
        Some(HubSubcommand::Token(TokenCommand::Create(a))) => token_create(&a),
        Some(HubSubcommand::Worker(a)) => worker(&a),
        Some(HubSubcommand::Purge(a)) => purge(&a),
    }
}

fn database_url(d: &DatabaseArgs) -> String {
    d.database_url
        .clone()
        .unwrap_or_else(ci_intel_hub::default_database_url)
}

fn store(d: &DatabaseArgs) -> Result<Arc<dyn Store>> {
    let url = database_url(d);
    open_store(&url).with_context(|| format!("cannot open the database {}", redact_url(&url)))
}

/// A database URL without its password, for messages and logs.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn config(path: Option<&std::path::Path>) -> Result<HubConfig> {
    match path {
        Some(p) => HubConfig::load(p).map_err(|e| anyhow!(e)),
        None => Ok(HubConfig::default()),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn serve(a: &HubServeArgs) -> Result<i32> {
    telemetry::init_logs(a.log_json || !std::io::stderr().is_terminal());
    let cfg = config(a.config.as_deref())?;
    let url = database_url(&a.database);
    let store = store(&a.database)?;
    if a.demo {
        match demo::fill_if_empty(store.as_ref(), 2026)? {
            Some(f) => eprintln!(
                "demo: wrote {} runs, {} test reports and {} commits (90 days)",
                f.runs, f.test_reports, f.commits
            ),
            None => eprintln!("demo: the database already has runs; left alone"),
        }
    }
    let options = Options {
        max_body: a.max_body,
        webhook_secret: std::env::var("CI_INTEL_WEBHOOK_SECRET")
            .ok()
            .filter(|s| !s.is_empty()),
        read_token_required: a.read_token_required,
        dora_bands: cfg.dora.clone(),
        quarantine_after: cfg.flaky.quarantine_after,
    };
    let nats = match &a.nats_url {
        Some(url) => Some((url.clone(), nats_names(a.nats_prefix.as_deref())?)),
        None => None,
    };
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .with_context(|| format!("cannot listen on {}", a.listen))?;
        // The one line a script waits for (stdout); logs go to stderr.
        println!(
            "ci-intel hub listening on http://{} (database {})",
            listener.local_addr()?,
            redact_url(&url)
        );
        ci_intel_hub::run(store, listener, nats, a.workers, cfg.retention, options)
            .await
            .map_err(anyhow::Error::from)
    })?;
    Ok(exit::PASS)
}

fn nats_names(prefix: Option<&str>) -> Result<nats::Names> {
    match prefix {
        Some(p) => Ok(nats::Names::prefixed(p)?),
        None => Ok(nats::Names::default()),
    }
}

fn token_create(a: &TokenCreateArgs) -> Result<i32> {
    let scope =
        Scope::parse(&a.scope).ok_or_else(|| anyhow!("--scope: expected ingest or read"))?;
    let (record, token) = ci_intel_hub::auth::mint(&a.repo, scope, &ci_intel_hub::now_rfc3339())
        .map_err(|e| anyhow!(e))?;
    store(&a.database)?.create_token(&record)?;
    eprintln!(
        "token {} for `{}` (scope {}); only its hash is stored, so keep it now:",
        record.id,
        record.repo_pattern,
        scope.as_str()
    );
    println!("{token}");
    Ok(exit::PASS)
}

fn worker(a: &WorkerArgs) -> Result<i32> {
    telemetry::init_logs(!std::io::stderr().is_terminal());
    let store = store(&a.database)?;
    let names = nats_names(a.nats_prefix.as_deref())?;
    let rt = runtime()?;
    let done = rt.block_on(async {
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        nats::work(
            store,
            &a.nats_url,
            &names,
            a.batch.max(1),
            a.until_idle,
            stop,
        )
        .await
    })?;
    eprintln!(
        "worker: stored {} record(s), dropped {} undecodable",
        done.stored, done.rejected
    );
    Ok(exit::PASS)
}

fn purge(a: &PurgeArgs) -> Result<i32> {
    let cfg = config(a.config.as_deref())?;
    let p = store(&a.database)?.purge(&cfg.retention, &ci_intel_hub::now_rfc3339())?;
    println!(
        "purged {} run(s), {} deployment(s), {} test report(s), {} webhook deliveries, {} daily rollup(s)",
        p.runs, p.deployments, p.test_reports, p.deliveries, p.rollups
    );
    Ok(exit::PASS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///tmp/x"), "sqlite:///tmp/x");
    }
}
