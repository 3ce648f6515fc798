//! Flags of the supply-chain commands: `sbom`, `vuln`, `vex`, `attest`, `evidence`, `verify`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{Format, OutputArgs, SignerArgs};

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
