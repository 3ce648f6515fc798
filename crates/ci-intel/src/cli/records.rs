//! Flags of `run` (validate, emit, migrate, upload, flush) and `hub` (serve, worker, tokens,
//! retention).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CommonArgs, Format};

#[derive(Subcommand, Debug)]
pub enum RunCommand {
    /// Validate NDJSON records against `pipeline_run.v1.2`; every bad line is reported with its
    /// line number and JSON pointer. Exit 1 if any record is invalid.
    Validate(ValidateArgs),
    /// Build a record from the CI environment and the analyzers the configuration enables.
    Emit(Box<EmitArgs>),
    /// Migrate v1.1 records to v1.2 (`flakiness_index` moves to the top level).
    Migrate(MigrateArgs),
    /// Send records to a hub (token from `CI_INTEL_TOKEN`), retrying with backoff; when the
    /// hub stays unreachable they are spooled to disk for `run flush`.
    Upload(UploadArgs),
    /// Send spooled records; each is deleted only once the hub acknowledged it.
    Flush(FlushArgs),
}

#[derive(Args, Debug)]
pub struct HubConnectionArgs {
    /// The hub's base URL, e.g. `https://hub.example.com`.
    #[arg(long, env = "CI_INTEL_HUB", value_name = "URL")]
    pub hub: String,
    /// Where unsent records wait [default: `$XDG_STATE_HOME/ci-intel/spool`].
    #[arg(long, env = "CI_INTEL_SPOOL", value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// Attempts per request before giving up (and spooling).
    #[arg(long, default_value_t = 5)]
    pub attempts: u32,
    /// First retry delay in milliseconds; doubles each attempt (with jitter), at most 30 s.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub backoff_ms: u64,
}

#[derive(Args, Debug)]
pub struct UploadArgs {
    /// Record files: one JSON record or NDJSON; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// A `ci-intel tests --format json` report for the (single) record: per-test outcomes for
    /// the hub's flaky-test and timing views.
    #[arg(long, value_name = "FILE")]
    pub tests_report: Option<PathBuf>,
    #[command(flatten)]
    pub connection: HubConnectionArgs,
}

#[derive(Args, Debug)]
pub struct FlushArgs {
    #[command(flatten)]
    pub connection: HubConnectionArgs,
}

#[cfg(feature = "hub")]
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HubCommand {
    #[command(subcommand)]
    pub command: Option<HubSubcommand>,
    #[command(flatten)]
    pub serve: HubServeArgs,
}

#[cfg(feature = "hub")]
#[derive(Subcommand, Debug)]
pub enum HubSubcommand {
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Consume the JetStream ingest queue and write records to the database (run any number).
    Worker(WorkerArgs),
    /// Delete what is older than the retention allows (the server also does this daily).
    Purge(PurgeArgs),
}

#[cfg(feature = "hub")]
#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it on stdout (only its hash is stored: keep it now).
    Create(TokenCreateArgs),
}

#[cfg(feature = "hub")]
#[derive(Args, Debug)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` or `postgres://USER@HOST:PORT/DB` [default: `sqlite://` a file in the
    /// user's data directory].
    #[arg(long, env = "CI_INTEL_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
}

#[cfg(feature = "hub")]
#[derive(Args, Debug)]
pub struct TokenCreateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Repositories the token covers: `owner/name`, `owner/*` or `*`.
    #[arg(long, value_name = "PATTERN")]
    pub repo: String,
    /// `ingest` (send and read records) or `read`.
    #[arg(long, value_parser = ["ingest", "read"])]
    pub scope: String,
}

#[cfg(feature = "hub")]
#[derive(Args, Debug)]
pub struct HubServeArgs {
    /// Address to listen on (`127.0.0.1:0` picks a free port and prints it).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Publish ingested records to NATS JetStream (workers write them).
    #[arg(long, env = "CI_INTEL_NATS_URL", value_name = "URL")]
    pub nats_url: Option<String>,
    /// Prefix for the JetStream stream, subject and consumer names, so several hubs can share
    /// one NATS server.
    #[arg(long, env = "CI_INTEL_NATS_PREFIX", value_name = "PREFIX")]
    pub nats_prefix: Option<String>,
    /// With `--nats-url`: how many workers this process runs itself (0: only separate
    /// `hub worker` processes write).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Fill an empty database with a deterministic 90-day synthetic history.
    #[arg(long)]
    pub demo: bool,
    /// Largest request body in bytes (compressed or not).
    #[arg(long, default_value_t = 16 * 1024 * 1024, value_name = "BYTES")]
    pub max_body: usize,
    /// Reads (`GET /api/v1/…`) need a token too (dashboards stay open: put them behind your
    /// SSO proxy).
    #[arg(long)]
    pub read_token_required: bool,
    /// Hub settings file (TOML): `[dora]` band thresholds, `[retention]` days,
    /// `[flaky] quarantine_after`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Logs as JSON lines (default when stderr is not a terminal).
    #[arg(long)]
    pub log_json: bool,
}

#[cfg(feature = "hub")]
#[derive(Args, Debug)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[arg(long, env = "CI_INTEL_NATS_URL", value_name = "URL")]
    pub nats_url: String,
    /// Prefix for the JetStream stream, subject and consumer names, so several hubs can share
    /// one NATS server.
    #[arg(long, env = "CI_INTEL_NATS_PREFIX", value_name = "PREFIX")]
    pub nats_prefix: Option<String>,
    /// Records per transaction.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Exit once the queue is empty (for drains and tests) instead of waiting for more.
    #[arg(long)]
    pub until_idle: bool,
}

#[cfg(feature = "hub")]
#[derive(Args, Debug)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Hub settings file (TOML) with a `[retention]` table.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// NDJSON files (one record per line) or single JSON records; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// `human` or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct EmitArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Git ref for diff coverage.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Run status (default: `failed` when a gate denied, else `success`).
    #[arg(long, value_parser = ["success", "failed", "canceled", "skipped"])]
    pub status: Option<String>,
    /// When the run started (RFC 3339); default `$CI_INTEL_STARTED_AT`, else now.
    #[arg(long, value_name = "TIME", env = "CI_INTEL_STARTED_AT")]
    pub started_at: Option<String>,
    /// Deployment environment of the run.
    #[arg(long, value_parser = ["preview", "dev", "staging", "prod", "test"])]
    pub environment: Option<String>,
    /// Job name (default: `$GITHUB_JOB`).
    #[arg(long)]
    pub job_name: Option<String>,
    /// Repository `owner/name` (default: from the CI environment or the `origin` remote).
    #[arg(long)]
    pub repo: Option<String>,
    /// Record id (default: derived from the CI run id and attempt, so re-emitting is idempotent).
    #[arg(long)]
    pub run_id: Option<String>,
    /// Append the record to --output instead of replacing it.
    #[arg(long, requires = "output")]
    pub append: bool,
    /// Do not run any analyzer: emit only what the environment says.
    #[arg(long)]
    pub no_analyzers: bool,
    /// The run's Release Evidence Bundle: recorded as `release_evidence_uri`, with the
    /// bundle's SHA-256 as the URI fragment (`…#sha256=HEX`) so the record pins its content.
    #[arg(long, value_name = "BUNDLE.tar.zst")]
    pub release_evidence: Option<PathBuf>,
    /// Where the bundle is published (default: its `file://` path).
    #[arg(long, value_name = "URI", requires = "release_evidence")]
    pub release_evidence_uri: Option<String>,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// NDJSON files of v1.1 (or mixed) records.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write the migrated records here (atomically); default standard output.
    #[arg(long, short, value_name = "FILE", conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// Rewrite each file in place (atomically).
    #[arg(long)]
    pub in_place: bool,
}
