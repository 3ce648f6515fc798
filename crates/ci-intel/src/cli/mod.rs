//! The command-line surface: every command and flag, with its help text. The commands and the
//! flag groups they share are here; each family's flags are in its own module.

mod analysis;
mod records;
mod supply_chain;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use analysis::*;
pub use records::*;
pub use supply_chain::*;

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
    /// Pipeline Autopsy: explain a failed job from its logs (root causes, fixes, repro
    /// commands); `autopsy rules test` and `autopsy eval` check the rules.
    Autopsy(AutopsyArgs),
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
