//! The command-line surface: every command and flag, with its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// CI intelligence in one binary: test and coverage gates, failure summaries and pipeline
/// records, inside any CI job.
///
/// Exit codes: 0 every gate passed (or warned), 1 a gate denied, 2 bad usage or unreadable input.
#[derive(Parser, Debug)]
#[command(name = "ci-intel", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run every analyzer the configuration enables and print one verdict.
    Check(CheckArgs),
    /// Test results and coverage: counts, failures, flaky tests, diff coverage, gates.
    Tests(TestsArgs),
    /// Audit GitHub Actions workflows and composite actions for security problems.
    Audit(AuditArgs),
    /// Find credentials in files, git history or live environments; mask them in logs.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Show or validate the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Validate, emit, migrate and upload `pipeline_run.v1.2` records.
    #[command(subcommand)]
    Run(RunCommand),
    /// The hub: ingest records and GitHub webhooks, store them (SQLite, or PostgreSQL and NATS
    /// JetStream to scale out), serve DORA and quality dashboards and a JSON API.
    #[cfg(feature = "hub")]
    Hub(HubCommand),
    /// List every rule ci-intel can report (generated from the analyzers' registries).
    Rules(RulesArgs),
    /// Accept today's findings: write a baseline so gates fail only on new ones.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Convert linter and scanner outputs to SARIF; merge and dedupe SARIF logs for code
    /// scanning.
    #[command(subcommand)]
    Sarif(SarifCommand),
    /// Digests, checksum files, DSSE signing and SLSA provenance: what a release is made of and
    /// who built it, checkable offline.
    #[command(subcommand)]
    Attest(AttestCommand),
    /// The Release Evidence Bundle: pack a release's evidence into one signed, deterministic
    /// `tar.zst`; verify it; show it.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Software bills of materials: generate CycloneDX and SPDX from lockfiles.
    #[command(subcommand)]
    Sbom(SbomCommand),
    /// Known vulnerabilities of a project's components, offline (OSV database), with VEX.
    #[command(subcommand)]
    Vuln(VulnCommand),
    /// Write VEX statements (OpenVEX).
    #[command(subcommand)]
    Vex(VexCommand),
    /// The release truth table over a Release Evidence Bundle: signature, provenance policy,
    /// Rekor inclusion, SBOM, determinism and DR drill, one gate verdict each.
    Verify(VerifyArgs),
}

#[derive(Subcommand, Debug)]
pub enum SbomCommand {
    /// Read the lockfiles under DIR (Cargo.lock, package-lock.json, poetry.lock, uv.lock,
    /// Pipfile.lock, requirements*.txt, go.mod) and write CycloneDX 1.6 and/or SPDX 2.3 JSON.
    /// The same input gives byte-identical output.
    Generate(SbomGenerateArgs),
    /// Policy on any CycloneDX or SPDX JSON SBOM: minimum components, required fields,
    /// licence expressions against allow/deny lists, the file's digest.
    Check(SbomCheckArgs),
    /// What changed between two SBOMs: added, removed, upgraded, downgraded components and
    /// licence changes; a gate on new dependencies and their licences.
    Diff(SbomDiffArgs),
}

/// What provenance must say: the checks slsa-verifier performs.
#[derive(Args, Debug, Clone, Default)]
pub struct ProvenancePolicyArgs {
    /// Required provenance builder id (an id without `@ref` matches any ref).
    #[arg(long, value_name = "ID")]
    pub builder_id: Option<String>,
    /// Required provenance source repository (`github.com/owner/repo`).
    #[arg(long, value_name = "URI")]
    pub source_uri: Option<String>,
    /// Required provenance workflow file (`.github/workflows/release.yml`).
    #[arg(long, value_name = "PATH")]
    pub workflow: Option<String>,
    /// Required provenance source tag (`v1.2.3`).
    #[arg(long, value_name = "TAG")]
    pub source_tag: Option<String>,
}

/// Licence allow and deny lists (`sbom check` applies them to every component, `sbom diff` to
/// added and changed ones).
#[derive(Args, Debug, Clone, Default)]
pub struct LicensePolicyArgs {
    /// Licences allowed (SPDX ids; repeatable). With any given, every licence expression must
    /// be satisfiable from them.
    #[arg(long = "allow-license", value_name = "ID")]
    pub allow_license: Vec<String>,
    /// Licences denied (SPDX ids, or `ID WITH EXCEPTION`; repeatable).
    #[arg(long = "deny-license", value_name = "ID")]
    pub deny_license: Vec<String>,
}

/// A field every component must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SbomField {
    Version,
    Purl,
    License,
    Hash,
}

#[derive(Args, Debug)]
pub struct SbomCheckArgs {
    /// The SBOM (CycloneDX or SPDX JSON, from any tool).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Fewest components the SBOM must list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_components: usize,
    /// Fields every component must have (repeatable or comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [SbomField::Version, SbomField::Purl])]
    pub require: Vec<SbomField>,
    #[command(flatten)]
    pub licenses: LicensePolicyArgs,
    /// The SHA-256 the SBOM file must have (as recorded when it was published).
    #[arg(long, value_name = "HEX")]
    pub verify_hash: Option<String>,
    /// Output format (human or json).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct SbomDiffArgs {
    /// The SBOM before (CycloneDX or SPDX JSON).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The SBOM after.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Deny when a component was added ("new dependency needs review").
    #[arg(long)]
    pub fail_on_new: bool,
    #[command(flatten)]
    pub licenses: LicensePolicyArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// An SBOM format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    Cyclonedx,
    Spdx,
    /// Both: `-o BASE` writes `BASE.cdx.json` and `BASE.spdx.json`.
    Both,
}

#[derive(Args, Debug)]
pub struct SbomGenerateArgs {
    /// A directory (searched for lockfiles) or one lockfile.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub format: SbomFormat,
    /// Write to FILE (atomically) instead of standard output; with `--format both`, the base
    /// name of the two files.
    #[arg(long, short, value_name = "FILE", required_if_eq("format", "both"))]
    pub output: Option<PathBuf>,
    /// The project name recorded (default: the root package or directory name).
    #[arg(long)]
    pub name: Option<String>,
    /// Leave out development-only components (dev and build dependencies, dev groups).
    #[arg(long)]
    pub no_dev: bool,
}

#[derive(Subcommand, Debug)]
pub enum VulnCommand {
    /// Match the components of a directory's lockfiles, a lockfile, or an SBOM (CycloneDX or
    /// SPDX JSON) against an offline OSV database; gate on risk, VEX applied.
    Scan(VulnScanArgs),
    /// The OSV database.
    #[command(subcommand)]
    Db(VulnDbCommand),
}

#[derive(Subcommand, Debug)]
pub enum VulnDbCommand {
    /// Compile an OSV database (directory of JSON files, OSV zip archives) into one compact
    /// index file that `vuln scan --db` loads in milliseconds.
    Index(VulnDbIndexArgs),
}

#[derive(Args, Debug)]
pub struct VulnDbIndexArgs {
    /// The database: a directory of OSV JSON files and/or OSV's per-ecosystem zip archives.
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// Where to write the index.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Args, Debug)]
pub struct VulnScanArgs {
    /// A directory (its lockfiles), one lockfile, or an SBOM file.
    #[arg(value_name = "INPUT", default_value = ".")]
    pub input: PathBuf,
    /// The OSV database: a directory of OSV JSON files, OSV zip archives, or an index from
    /// `vuln db index`.
    #[arg(long, value_name = "PATH", env = "CI_INTEL_OSV_DB")]
    pub db: PathBuf,
    /// EPSS scores (FIRST's CSV: `cve,epss,percentile`).
    #[arg(long, value_name = "CSV")]
    pub epss: Option<PathBuf>,
    /// CISA's Known Exploited Vulnerabilities catalogue (JSON); listed CVEs are critical.
    #[arg(long, value_name = "JSON")]
    pub kev: Option<PathBuf>,
    /// VEX documents (OpenVEX or CycloneDX VEX; repeatable).
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Days a VEX statement suppresses after its timestamp.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub vex_max_age_days: i64,
    /// Deny when an unsuppressed vulnerability's risk is at least this (0..1).
    #[arg(long, value_name = "RISK", default_value_t = 0.7)]
    pub threshold: f64,
    /// Risk of a vulnerability with no computable CVSS score (v3.x or v4.0) and no EPSS entry.
    #[arg(long, value_name = "RISK", default_value_t = 0.5)]
    pub unknown_risk: f64,
    /// Leave out development-only components.
    #[arg(long)]
    pub no_dev: bool,
    /// Leave out RustSec's informational advisories (unmaintained, unsound).
    #[arg(long)]
    pub no_informational: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Subcommand, Debug)]
pub enum VexCommand {
    /// Write an OpenVEX document with one statement.
    Create(VexCreateArgs),
}

#[derive(Args, Debug)]
pub struct VexCreateArgs {
    /// The vulnerability (CVE, GHSA, RUSTSEC, PYSEC or GO id).
    #[arg(long, value_name = "ID")]
    pub vulnerability: String,
    /// Products (purls; without `@version` every version); repeatable.
    #[arg(long, value_name = "PURL", required = true)]
    pub product: Vec<String>,
    #[arg(long, value_parser = ["not_affected", "affected", "fixed", "under_investigation"])]
    pub status: String,
    /// Required for `not_affected` (OpenVEX's justifications, e.g.
    /// `vulnerable_code_not_in_execute_path`).
    #[arg(long, value_parser = ["component_not_present", "vulnerable_code_not_present", "vulnerable_code_not_in_execute_path", "vulnerable_code_cannot_be_controlled_by_adversary", "inline_mitigations_already_exist"], required_if_eq("status", "not_affected"))]
    pub justification: Option<String>,
    /// When the statement stops suppressing (RFC 3339); it also stops after `--vex-max-age-days`.
    #[arg(long, value_name = "TIME")]
    pub expires: Option<String>,
    /// Who makes the statement.
    #[arg(long, default_value = "ci-intel")]
    pub author: String,
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The Release Evidence Bundle (`.tar.zst`).
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// Public keys (SPKI PEM) that may have signed the manifest and the provenance.
    #[arg(long, value_name = "KEY.pub", required = true)]
    pub key: Vec<PathBuf>,
    #[command(flatten)]
    pub provenance: ProvenancePolicyArgs,
    /// Sigstore trusted root for the artifacts' Sigstore bundles (role `signature`).
    #[arg(long, value_name = "ROOT.json")]
    pub trusted_root: Option<PathBuf>,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Minimum number of components in the SBOM.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub sbom_min_components: usize,
    /// Maximum age of the last passing disaster-recovery drill, in days.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub dr_drill_max_age_days: i64,
    /// A row whose evidence may be missing (warns instead of denying); repeatable:
    /// release.provenance, release.transparency, release.sbom, release.dr-drill.
    #[arg(long, value_name = "ROW")]
    pub optional: Vec<String>,
    /// Output format (human or json).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A summary for people.
    Human,
    /// Versioned JSON (`ci-intel.tests/v1`, `ci-intel.check/v1`).
    Json,
    /// SARIF 2.1.0 with the findings.
    Sarif,
    /// The Markdown health dashboard (what goes to the GitHub job summary).
    Markdown,
}

/// `--format` and `--output`, as every command that writes a report takes them.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format (the formats a command cannot write are refused).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Who must have signed a Sigstore bundle: `--identity` and `--issuer`, each a regular
/// expression that must match the whole value.
#[derive(Args, Debug, Clone)]
pub struct SignerArgs {
    /// Regular expression the signing certificate's identity (SAN) must match as a whole.
    #[arg(long, value_name = "REGEX")]
    pub identity: Option<String>,
    /// Regular expression the signing certificate's OIDC issuer must match as a whole.
    #[arg(long, value_name = "REGEX")]
    pub issuer: Option<String>,
}

/// Options every analysis command shares.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Repository root (default: the git work tree containing the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Configuration file (default: `.ci-intel/config.yml` under the root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Organisation configuration, applied before the repository's (which may only tighten it).
    #[arg(long, value_name = "FILE", env = "CI_INTEL_ORG_CONFIG")]
    pub org_config: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
    /// A baseline file: its findings do not count (see `--write-baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the current findings as a baseline to FILE and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Inside GitHub Actions, do not write the job summary or annotations.
    #[arg(long)]
    pub no_github: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Git ref to compute diff coverage against (default: merge-base with the default branch).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Workflow or action files, or directories searched for `.github/workflows/*.yml` and
    /// `action.yml` (default: the repository root).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Scan files (default: the repository), the git history, or environments for credentials.
    /// Findings show a short preview and a fingerprint, never the secret.
    Scan(SecretsScanArgs),
    /// Mask secrets in a stream, line by line: `cmd 2>&1 | ci-intel secrets redact`.
    Redact(SecretsRedactArgs),
}

#[derive(Args, Debug)]
pub struct SecretsScanArgs {
    /// Files or directories to scan (default: the repository root).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Scan every line added by every commit of the repository's history instead.
    #[arg(long, conflicts_with_all = ["env", "proc"])]
    pub git_history: bool,
    /// Scan this process's environment variables instead.
    #[arg(long, conflicts_with = "proc")]
    pub env: bool,
    /// Scan the environment of every readable process (`/proc/*/environ`) instead.
    #[arg(long)]
    pub proc: bool,
    /// A rules file replacing the built-in rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Scan files that `.gitignore` excludes too.
    #[arg(long)]
    pub no_gitignore: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct SecretsRedactArgs {
    /// Also mask the exact values of these environment variables (and their base64 and
    /// URL-encoded forms).
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub values_from_env: Vec<String>,
    /// A rules file replacing the built-in rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct TestsArgs {
    /// JUnit/xUnit or coverage reports, as files or globs; each file's kind is detected from its
    /// content. Without reports here or in --junit/--coverage, the configured globs are used.
    #[arg(value_name = "REPORT")]
    pub reports: Vec<String>,
    /// JUnit/xUnit XML reports (files or globs; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub junit: Vec<String>,
    /// Coverage reports: Cobertura/JaCoCo XML, LCOV, Go cover profiles (files or globs).
    #[arg(long, value_name = "GLOB")]
    pub coverage: Vec<String>,
    /// Git ref to compute diff coverage against (default: merge-base with the default branch).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Do not compute diff coverage.
    #[arg(long)]
    pub no_diff: bool,
    /// Minimum total line coverage, in percent.
    #[arg(long, value_name = "PERCENT", value_parser = percent)]
    pub min_coverage: Option<f64>,
    /// Minimum total branch coverage, in percent.
    #[arg(long, value_name = "PERCENT", value_parser = percent)]
    pub min_branch_coverage: Option<f64>,
    /// Minimum coverage of changed lines, in percent.
    #[arg(long, value_name = "PERCENT", value_parser = percent)]
    pub min_diff_coverage: Option<f64>,
    /// Most failed tests allowed.
    #[arg(long, value_name = "N")]
    pub max_failures: Option<u64>,
    /// Flaky tests fail the gate (by default they only warn).
    #[arg(long, conflicts_with = "allow_flaky")]
    pub fail_on_flaky: bool,
    /// Flaky tests only warn.
    #[arg(long)]
    pub allow_flaky: bool,
    /// How many of the slowest tests to list.
    #[arg(long, value_name = "N")]
    pub slowest: Option<usize>,
    #[command(flatten)]
    pub common: CommonArgs,
}

fn percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=100.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("`{s}` is not a percentage between 0 and 100"))
    }
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the effective value of every setting and the layer that set it.
    Show(ConfigShowArgs),
    /// Validate configuration files; errors name the file and line.
    Check(ConfigCheckArgs),
    /// Print the configuration's JSON Schema (published as `schema/config.v1.json`).
    Schema(SchemaArgs),
}

#[derive(Args, Debug)]
pub struct ConfigShowArgs {
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_name = "FILE", env = "CI_INTEL_ORG_CONFIG")]
    pub org_config: Option<PathBuf>,
    /// `human` (a table) or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct ConfigCheckArgs {
    /// Files to check (default: the repository's config and --org-config).
    pub files: Vec<PathBuf>,
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[arg(long, value_name = "FILE", env = "CI_INTEL_ORG_CONFIG")]
    pub org_config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SchemaArgs {
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

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

#[derive(Subcommand, Debug)]
pub enum BaselineCommand {
    /// Run the analyzers `check` runs and write the fingerprints of every finding to FILE;
    /// point `baseline:` in the configuration (or `--baseline`) at it.
    Write(BaselineWriteArgs),
}

#[derive(Args, Debug)]
pub struct BaselineWriteArgs {
    /// Where to write the baseline.
    #[arg(default_value = ".ci-intel/baseline.json")]
    pub file: PathBuf,
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_name = "FILE", env = "CI_INTEL_ORG_CONFIG")]
    pub org_config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum SarifCommand {
    /// Convert tool outputs to one SARIF 2.1.0 log (one run per tool).
    ///
    /// Formats: pylint JSON/json2, flake8 text, mypy text or JSON, bandit JSON, ESLint JSON (or
    /// json-with-metadata), Ruff JSON, cargo/clippy JSON messages, gitleaks JSON, TruffleHog
    /// JSON. Paths become repository-relative URIs under %SRCROOT%, every result gets a stable
    /// partial fingerprint, every rule help text and a help URI; secret values never reach
    /// the log.
    Convert(SarifConvertArgs),
    /// Merge SARIF logs (and tool outputs, detected) into one log with one run per tool.
    Merge(SarifMergeArgs),
    /// Remove duplicate results from a SARIF log (same rule, fingerprint, place and message).
    Dedupe(SarifDedupeArgs),
}

#[derive(Args, Debug)]
pub struct SarifConvertArgs {
    /// Tool output files (`-` reads standard input).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The tool that wrote the inputs; `auto` recognises each input (name the tool in
    /// pipelines: an empty output cannot be recognised).
    #[arg(long, value_name = "TOOL", default_value = "auto", value_parser = converter_ids())]
    pub from: String,
    #[command(flatten)]
    pub options: SarifOptions,
}

#[derive(Args, Debug)]
pub struct SarifMergeArgs {
    /// SARIF logs or tool outputs (`-` reads standard input).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Keep duplicate results.
    #[arg(long)]
    pub no_dedupe: bool,
    #[command(flatten)]
    pub options: SarifOptions,
}

#[derive(Args, Debug)]
pub struct SarifDedupeArgs {
    /// A SARIF log (`-` reads standard input).
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    #[command(flatten)]
    pub options: SarifOptions,
}

/// What every `sarif` command shares.
#[derive(Args, Debug)]
pub struct SarifOptions {
    /// Repository root: tool paths are made relative to it and source lines read from it
    /// (default: the git work tree containing the current directory).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Configuration whose `suppressions:` apply (default: `.ci-intel/config.yml` under the root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Organisation configuration, applied before the repository's.
    #[arg(long, value_name = "FILE", env = "CI_INTEL_ORG_CONFIG")]
    pub org_config: Option<PathBuf>,
    /// A baseline: results it knows get `baselineState: unchanged`, others `new`, and only new
    /// ones count for `--fail-on`.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 when a result at this level or worse is neither suppressed nor baselined.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<Level>,
    /// Leave suppressed results out instead of marking them with a SARIF `suppressions` entry.
    #[arg(long)]
    pub drop_suppressed: bool,
    /// Write the log to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A SARIF result level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Level {
    Error,
    Warning,
    Note,
}

/// `auto` and every converter's id, from the converter registry.
fn converter_ids() -> clap::builder::PossibleValuesParser {
    let ids = std::iter::once("auto").chain(ci_intel_sarif::CONVERTERS.iter().map(|c| c.id()));
    clap::builder::PossibleValuesParser::new(ids)
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// `human` (a list), `json` or `markdown` (the generated `docs/rules.md`).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn percentages() {
        assert_eq!(percent("80"), Ok(80.0));
        assert_eq!(percent("80%"), Ok(80.0));
        assert!(percent("180").is_err());
        assert!(percent("x").is_err());
    }
}

#[derive(Subcommand, Debug)]
pub enum AttestCommand {
    /// SHA-256, SHA-512 and BLAKE3 of files and directory trees; writes checksum files that
    /// `sha256sum -c` / `b3sum -c` accept, or checks one (`--check`).
    Digest(AttestDigestArgs),
    /// Make an Ed25519 key pair (PKCS#8 private key, SPKI public key, PEM).
    Keygen(AttestKeygenArgs),
    /// Sign a payload into a DSSE envelope.
    Sign(AttestSignArgs),
    /// Verify a DSSE envelope: its signature, and for provenance its subjects and policy.
    Verify(AttestVerifyArgs),
    /// Write an in-toto Statement v1 with a SLSA Provenance v1.0 predicate for the subjects,
    /// from the CI environment; `--key` signs it into a DSSE envelope.
    Provenance(AttestProvenanceArgs),
    /// Verify a Sigstore bundle offline (v0.1 to v0.3): the certificate's chain to a Fulcio CA
    /// valid at the signing time, identity and OIDC issuer, the artifact or DSSE signature, the
    /// Rekor entry, its inclusion proof and signed checkpoint, the signed entry timestamp and
    /// RFC 3161 timestamps.
    VerifyBundle(AttestVerifyBundleArgs),
}

/// A digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DigestAlgorithm {
    Sha256,
    Sha512,
    Blake3,
}

#[derive(Args, Debug)]
pub struct AttestDigestArgs {
    /// Files or directories (every file below, in byte order of their paths).
    #[arg(value_name = "PATH", required_unless_present = "check")]
    pub paths: Vec<PathBuf>,
    /// Algorithms (repeatable). One gives GNU `HEX  PATH` lines; several give BSD-tagged lines
    /// (`SHA256 (PATH) = HEX`).
    #[arg(long = "algorithm", short = 'a', value_enum, default_values_t = [DigestAlgorithm::Sha256])]
    pub algorithms: Vec<DigestAlgorithm>,
    /// Check the digests listed in FILE (GNU or BSD-tagged lines; paths relative to the current
    /// directory) instead; exit 1 when any differs or is missing.
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub check: Option<PathBuf>,
    /// Write a JSON manifest (every file's size and digests, and the tree digest) to FILE.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Write the checksum lines to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AttestKeygenArgs {
    /// Where to write the private key (created with mode 0600).
    #[arg(long, value_name = "KEY.pem")]
    pub private: PathBuf,
    /// Where to write the public key.
    #[arg(long, value_name = "KEY.pub")]
    pub public: PathBuf,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct AttestSignArgs {
    /// The Ed25519 private key (PKCS#8 PEM).
    #[arg(long, value_name = "KEY.pem")]
    pub key: PathBuf,
    /// The payload's media type (`application/vnd.in-toto+json` for in-toto statements).
    #[arg(
        long,
        value_name = "TYPE",
        default_value = "application/vnd.in-toto+json"
    )]
    pub payload_type: String,
    /// The payload file (`-` reads standard input).
    #[arg(value_name = "PAYLOAD")]
    pub payload: PathBuf,
    /// Where to write the envelope (default: standard output).
    #[arg(long, short, value_name = "ENVELOPE.json")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AttestVerifyArgs {
    /// Public keys (SPKI PEM: Ed25519, or ECDSA P-256 as cosign makes them); any may have signed.
    #[arg(long, value_name = "KEY.pub", required = true)]
    pub key: Vec<PathBuf>,
    /// The envelope.
    #[arg(value_name = "ENVELOPE.json")]
    pub envelope: PathBuf,
    /// Artifacts that must be subjects of the statement with a matching digest (repeatable).
    #[arg(long, value_name = "PATH")]
    pub subject: Vec<PathBuf>,
    #[command(flatten)]
    pub provenance: ProvenancePolicyArgs,
    /// Also print the verified payload to standard output.
    #[arg(long)]
    pub print_payload: bool,
}

#[derive(Args, Debug)]
pub struct AttestProvenanceArgs {
    /// Subjects: a file path (its SHA-256 is computed) or `NAME@sha256:HEX` (repeatable).
    #[arg(long, value_name = "PATH|NAME@sha256:HEX", required = true)]
    pub subject: Vec<String>,
    /// Override the builder id (default: from the CI environment).
    #[arg(long, value_name = "ID")]
    pub builder_id: Option<String>,
    /// When the build started (RFC 3339; default: now).
    #[arg(long, value_name = "TIME")]
    pub started_on: Option<String>,
    /// Sign the statement with this Ed25519 key (PKCS#8 PEM) and write a DSSE envelope.
    #[arg(long, value_name = "KEY.pem")]
    pub key: Option<PathBuf>,
    /// Where to write the statement or envelope (default: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AttestVerifyBundleArgs {
    /// The signed artifact (for a DSSE bundle: a subject of its in-toto statement).
    #[arg(value_name = "ARTIFACT")]
    pub artifact: PathBuf,
    /// The Sigstore bundle (default: `ARTIFACT.sigstore.json`).
    #[arg(long, value_name = "BUNDLE")]
    pub bundle: Option<PathBuf>,
    /// The Sigstore trusted root (`trusted_root.json`: Fulcio CAs, Rekor and CT logs,
    /// timestamp authorities).
    #[arg(long, value_name = "ROOT.json")]
    pub trusted_root: PathBuf,
    /// Required unless `--key` names a managed key.
    #[command(flatten)]
    pub signer: SignerArgs,
    /// For bundles signed with a managed key: its public key (SPKI PEM).
    #[arg(long, value_name = "KEY.pub")]
    pub key: Option<PathBuf>,
    /// Print what was verified as JSON (`ci-intel.sigstore-verification/v1`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum EvidenceCommand {
    /// Pack evidence files (`ROLE=PATH`, e.g. `sbom=sbom.cdx.json provenance=app.dsse.json`)
    /// with a manifest of their SHA-256 digests, signed as a DSSE envelope.
    ///
    /// Roles: artifact, sbom, provenance, signature, vex, rekor, tests, resilience, flakes,
    /// performance, policy, dr-drill, determinism, pipeline-run, file (a bare PATH).
    Pack(EvidencePackArgs),
    /// Verify a bundle: the manifest's signature, then every file's digest; any changed,
    /// missing or extra file fails (exit 1).
    Verify(EvidenceVerifyArgs),
    /// Show what a bundle holds (without verifying it; use `verify` for that).
    Show(EvidenceShowArgs),
}

#[derive(Args, Debug)]
pub struct EvidencePackArgs {
    /// Evidence files, `ROLE=PATH` or `PATH`.
    #[arg(value_name = "ROLE=PATH", required = true)]
    pub inputs: Vec<String>,
    /// Where to write the bundle (`.tar.zst`).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The Ed25519 key (PKCS#8 PEM) that signs the manifest.
    #[arg(long, value_name = "KEY.pem")]
    pub key: PathBuf,
    /// The pipeline run the evidence belongs to (default: `GITHUB_RUN_ID`/`CI_PIPELINE_ID`).
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// Record this creation time (RFC 3339) in the manifest; by default none is recorded, so
    /// packing the same inputs twice gives identical bytes.
    #[arg(long, value_name = "TIME")]
    pub created: Option<String>,
}

#[derive(Args, Debug)]
pub struct EvidenceVerifyArgs {
    /// The bundle.
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// Public keys (SPKI PEM); any may have signed the manifest.
    #[arg(long, value_name = "KEY.pub", required = true)]
    pub key: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct EvidenceShowArgs {
    /// The bundle.
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
    /// Print the manifest as JSON.
    #[arg(long)]
    pub json: bool,
}
