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
    /// Validate, emit and migrate `pipeline_run.v1.2` records.
    #[command(subcommand)]
    Run(RunCommand),
    /// List every rule ci-intel can report (generated from the analyzers' registries).
    Rules(RulesArgs),
    /// Accept today's findings: write a baseline so gates fail only on new ones.
    #[command(subcommand)]
    Baseline(BaselineCommand),
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
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
