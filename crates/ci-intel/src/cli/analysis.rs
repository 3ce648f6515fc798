//! Flags of the analysis commands: `check`, `tests`, `autopsy`, `audit`, `secrets`, `sarif`,
//! `config`, `baseline`, `rules`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{CommonArgs, Format, OutputArgs};

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
    use crate::cli::Cli;
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

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AutopsyArgs {
    #[command(subcommand)]
    pub command: Option<AutopsyCommand>,
    /// Logs: files (plain or .gz), directories of them, GitHub run log zips, or `-` for
    /// standard input (default: the configured `autopsy.logs` globs).
    #[arg(value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Download and read the logs of this GitHub Actions run (GITHUB_TOKEN with `actions:
    /// read`; GITHUB_API_URL for GitHub Enterprise).
    #[arg(long, value_name = "RUN_ID")]
    pub github_run: Option<u64>,
    /// The repository of `--github-run` (default: GITHUB_REPOSITORY).
    #[arg(long, value_name = "OWNER/NAME", requires = "github_run")]
    pub repo: Option<String>,
    /// Rule packs added after the built-in ones (`.toml` files or directories of them).
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Most root causes reported (default: `autopsy.max_root_causes`).
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
    /// When no rule explains the failure, let the classifier trained on the rule packs name
    /// the category of an unknown error line (default: `autopsy.classifier`, on).
    #[arg(long, overrides_with = "no_classifier")]
    pub classifier: bool,
    /// Leave error lines no rule knows `unknown` (rules and the template miner only).
    #[arg(long, overrides_with = "classifier")]
    pub no_classifier: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Subcommand, Debug)]
pub enum AutopsyCommand {
    /// Rule packs: `rules test` runs every rule's examples and counter-examples.
    #[command(subcommand)]
    Rules(AutopsyRulesCommand),
    /// Measure accuracy on labelled logs: precision, recall and F1 per category, top-1
    /// accuracy, and how often the top root cause points at the right line.
    Eval(AutopsyEvalArgs),
}

#[derive(Subcommand, Debug)]
pub enum AutopsyRulesCommand {
    /// Run every rule's examples (must match) and counter-examples (must not) through the
    /// scanner; exit 1 when one fails.
    Test(AutopsyRulesTestArgs),
}

#[derive(Args, Debug)]
pub struct AutopsyRulesTestArgs {
    /// Rule packs to test with the built-in ones (`.toml` files or directories of them).
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AutopsyEvalArgs {
    /// The labels: a TOML file of `[[log]]` entries (path, category, line or lines, file,
    /// source_line).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Rule packs added after the built-in ones.
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Exit 1 when top-1 accuracy is below this fraction (0–1).
    #[arg(long, value_name = "FRACTION")]
    pub min_top1: Option<f64>,
    /// Score without the classifier (the comparison of off and on is printed either way).
    #[arg(long)]
    pub no_classifier: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}
