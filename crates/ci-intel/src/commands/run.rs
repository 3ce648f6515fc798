//! `ci-intel run validate|emit|migrate`: the `pipeline_run.v1.2` record.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use ci_intel_core::pipeline_run::{self, Job, PipelineRun, Policy, RunStatus, Tests};
use ci_intel_core::{GateResult, InputError, exit, fsutil, git};
use serde_json::Value;

use super::tests;
use crate::cli::{EmitArgs, Format, MigrateArgs, RunCommand, ValidateArgs};
use crate::context::{self, Workspace};

pub fn run(cmd: RunCommand) -> Result<i32> {
    match cmd {
        RunCommand::Validate(a) => validate(&a),
        RunCommand::Emit(a) => emit(&a),
        RunCommand::Migrate(a) => migrate(&a),
        RunCommand::Upload(a) => super::upload::upload(&a),
        RunCommand::Flush(a) => super::upload::flush(&a),
    }
}

/// One problem in one record.
#[derive(serde::Serialize)]
struct LineError {
    line: u64,
    pointer: Option<String>,
    message: String,
}

#[derive(serde::Serialize)]
struct FileResult {
    path: String,
    records: u64,
    invalid: u64,
    errors: Vec<LineError>,
}

fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let f =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(256 * 1024, f)))
}

/// [`pipeline_run::for_each_record`] over a file (or `-`), with the file named in errors.
fn for_each_record(
    path: &Path,
    mut each: impl FnMut(u64, Result<Value, pipeline_run::JsonLineError>),
) -> Result<u64> {
    let n = pipeline_run::for_each_record(open(path)?, |line, parsed| each(line as u64, parsed))
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(n as u64)
}

fn validate(args: &ValidateArgs) -> Result<i32> {
    let mut results = Vec::new();
    for path in &args.files {
        let mut errors = Vec::new();
        let mut invalid = 0u64;
        let records = for_each_record(path, |line, parsed| {
            let before = errors.len();
            match parsed {
                Err(message) => errors.push(LineError {
                    line,
                    pointer: None,
                    message: message.to_string(),
                }),
                Ok(v) => {
                    for viol in pipeline_run::validate(&v) {
                        errors.push(LineError {
                            line,
                            pointer: Some(viol.pointer),
                            message: viol.message,
                        });
                    }
                }
            }
            if errors.len() > before {
                invalid += 1;
            }
        })?;
        if records == 0 {
            bail!(
                "{}: no records (expected one pipeline_run JSON record per line)",
                path.display()
            );
        }
        results.push(FileResult {
            path: path.display().to_string(),
            records,
            invalid,
            errors,
        });
    }
    let any_invalid = results.iter().any(|r| r.invalid > 0);
    let text = if args.format == Format::Json {
        serde_json::to_string_pretty(&serde_json::json!({
            "schema": "ci-intel.validate/v1",
            "contract": pipeline_run::SCHEMA_ID,
            "valid": !any_invalid,
            "files": results,
        }))? + "\n"
    } else {
        let mut out = String::new();
        for r in &results {
            for e in &r.errors {
                match &e.pointer {
                    Some(p) => out.push_str(&format!(
                        "{}:{}: {}: {}\n",
                        r.path,
                        e.line,
                        if p.is_empty() { "(record)" } else { p },
                        e.message
                    )),
                    None => out.push_str(&format!("{}:{}: {}\n", r.path, e.line, e.message)),
                }
            }
            out.push_str(&format!(
                "{}: {} record(s), {} invalid\n",
                r.path, r.records, r.invalid
            ));
        }
        out
    };
    context::write_output(None, &text)?;
    // An invalid record is invalid input (exit 2), as `config check` says of a configuration.
    Ok(if any_invalid {
        exit::BAD_INPUT
    } else {
        exit::PASS
    })
}

fn migrate(args: &MigrateArgs) -> Result<i32> {
    let mut all_out = String::new();
    let mut problems = 0u64;
    for path in &args.files {
        let mut out = String::new();
        let mut hard_error: Option<anyhow::Error> = None;
        for_each_record(path, |line, parsed| {
            if hard_error.is_some() {
                return;
            }
            let mut v = match parsed {
                Ok(v) => v,
                Err(m) => {
                    hard_error = Some(anyhow!("{}:{line}: {m}", path.display()));
                    return;
                }
            };
            if let Err(e) = pipeline_run::migrate_v1_1(&mut v) {
                hard_error = Some(anyhow!("{}:{line}: {e}", path.display()));
                return;
            }
            for viol in pipeline_run::validate(&v) {
                problems += 1;
                eprintln!(
                    "{}:{line}: migrated record is not valid v1.2 at `{}`: {}",
                    path.display(),
                    viol.pointer,
                    viol.message
                );
            }
            out.push_str(&serde_json::to_string(&v).unwrap_or_default());
            out.push('\n');
        })?;
        if let Some(e) = hard_error {
            return Err(e);
        }
        if args.in_place {
            fsutil::write_atomic(path, out.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
        } else {
            all_out.push_str(&out);
        }
    }
    if !args.in_place {
        match &args.output {
            Some(p) => fsutil::write_atomic(p, all_out.as_bytes())
                .with_context(|| format!("cannot write {}", p.display()))?,
            None => context::write_output(None, &all_out)?,
        }
    }
    Ok(if problems > 0 {
        exit::BAD_INPUT
    } else {
        exit::PASS
    })
}

fn emit(args: &EmitArgs) -> Result<i32> {
    let common = &args.common;
    let ws = Workspace::discover(common.root.as_deref())?;
    let now = time::OffsetDateTime::now_utc();
    let started = match &args.started_at {
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|e| anyhow!("--started-at `{s}` is not an RFC 3339 time: {e}"))?,
        None => now,
    };

    // Analyzers enabled by the configuration, run in this invocation.
    let Analyzed {
        tests: tests_obj,
        policies,
        denied,
        sbom_uri,
        autopsy,
    } = if args.no_analyzers {
        Analyzed::default()
    } else {
        run_analyzers(&ws, args)?
    };

    let ci = &ws.ci;
    let repo = args
        .repo
        .clone()
        .or_else(|| ci.repo.clone())
        .or_else(|| git::origin_repo(&ws.root))
        .ok_or_else(|| {
            anyhow!("cannot tell the repository: set --repo owner/name (or GITHUB_REPOSITORY)")
        })?;
    let commit_sha = ci
        .sha
        .clone()
        .or_else(|| git::head_sha(&ws.root).ok())
        .ok_or_else(|| {
            anyhow!("cannot tell the commit: run inside a git checkout or set GITHUB_SHA")
        })?;
    let branch = ci
        .branch
        .clone()
        .or_else(|| git::current_branch(&ws.root))
        .unwrap_or_else(|| "HEAD".to_owned());
    let status_str = args
        .status
        .clone()
        .unwrap_or_else(|| if denied { "failed" } else { "success" }.to_owned());
    let status: RunStatus = serde_json::from_value(Value::String(status_str))?;
    let run_id = run_id_for(args, ci, &repo);
    let fmt = &time::format_description::well_known::Rfc3339;
    let duration_ms = u64::try_from((now - started).whole_milliseconds().max(0)).unwrap_or(0);
    let job_name = args
        .job_name
        .clone()
        .or_else(|| ci.job.clone())
        .unwrap_or_else(|| "ci-intel".to_owned());
    let record = PipelineRun {
        schema: pipeline_run::SCHEMA_ID.into(),
        run_id,
        repo,
        commit_sha,
        branch,
        pr: ci.pr,
        started_at: started.format(fmt)?,
        ended_at: now.format(fmt)?,
        status,
        queue_ms: None,
        artifact_bytes: None,
        environment: args
            .environment
            .as_ref()
            .map(|e| serde_json::from_value(Value::String(e.clone())))
            .transpose()?,
        deployment_id: None,
        rollout_step: None,
        strategy: None,
        image_digest: None,
        sbom_uri,
        provenance_uri: None,
        signature_uri: None,
        release_evidence_uri: release_evidence_uri(args)?,
        runner_os: runner_os(ci),
        runner_type: runner_type(ci),
        region: None,
        spot: None,
        carbon_g_co2e: None,
        energy: None,
        cache_keys: None,
        flakiness_index: None,
        canary_metrics: None,
        rollback_reason: None,
        canary: None,
        jobs: vec![Job {
            id: ci.job.clone().unwrap_or_else(|| job_name.clone()),
            name: job_name,
            status,
            attempt: ci.run_attempt,
            duration_ms,
            queue_ms: None,
            cache: None,
            machine: None,
            matrix: None,
            logs_uri: None,
        }],
        tests: tests_obj,
        chaos: None,
        autopsy,
        policies: (!policies.is_empty()).then_some(policies),
        cost: pipeline_run::Cost::default(),
    };
    let value = serde_json::to_value(&record)?;
    let violations = pipeline_run::validate(&value);
    if let Some(v) = violations.first() {
        // Never write a record the hub would refuse.
        bail!(
            "the record would not be valid at `{}`: {}",
            v.pointer,
            v.message
        );
    }
    let line = serde_json::to_string(&value)? + "\n";
    match (&common.out.output, args.append) {
        (Some(p), true) => {
            append_line(p, &line)?;
        }
        (Some(p), false) => fsutil::write_atomic(p, line.as_bytes())
            .with_context(|| format!("cannot write {}", p.display()))?,
        (None, _) => context::write_output(None, &line)?,
    }
    Ok(exit::PASS)
}

/// What the configured analyzers said, for the record.
#[derive(Debug, Default)]
struct Analyzed {
    tests: Tests,
    policies: Vec<Policy>,
    denied: bool,
    sbom_uri: Option<String>,
    autopsy: Option<pipeline_run::Autopsy>,
}

/// Runs what the configuration enables (tests and coverage, audit, secrets, vulnerabilities),
/// as `check` judges them, and pins the SBOM `check` wrote.
fn run_analyzers(ws: &Workspace, args: &EmitArgs) -> Result<Analyzed> {
    let mut out = Analyzed::default();
    let eff = context::load_config(
        &ws.root,
        args.common.config.as_deref(),
        args.common.org_config.as_deref(),
        serde_json::json!({}),
    )?;
    // The SBOM `check` wrote (vuln.sbom_output), pinned by its digest.
    if let Some(sbom) = &eff.config.vuln.sbom_output {
        let p = ws.root.join(sbom);
        if p.is_file() {
            out.sbom_uri = Some(pinned_uri(&p, None)?);
        }
    }
    let (junit, coverage) = tests::configured_inputs(&ws.root, &eff, false)?;
    if junit.is_empty() && coverage.is_empty() {
        eprintln!("note: no test or coverage reports found; the record's `tests` counts are zero");
    } else {
        let report =
            tests::analyze_tests(ws, &eff, junit, coverage, args.base.clone(), &args.common)?;
        out.tests = report.tests.clone();
        out.denied = report.verdict == GateResult::Deny;
        out.policies.extend(report.gates.iter().map(Policy::from));
    }
    // Audit, secrets and vulnerability gates, as `check` judges them.
    let mut analyzers = super::check::Analyzers::default();
    let mut notes = Vec::new();
    super::check::findings_analyzers(ws, &eff, &args.common, &mut analyzers, &mut notes)?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    for r in [&analyzers.audit, &analyzers.secrets, &analyzers.vuln]
        .into_iter()
        .flatten()
    {
        out.denied |= r.verdict == GateResult::Deny;
        out.policies.extend(r.gates.iter().map(Policy::from));
    }
    // The failed job's root causes, as `check` finds them.
    let failed = out.denied || args.status.as_deref().is_some_and(|s| s != "success");
    out.autopsy = super::autopsy::for_check(ws, &eff, failed)?
        .filter(|a| !a.root_causes.is_empty())
        .map(|a| a.to_record());

    Ok(out)
}

/// The record's id: `--run-id`, else stable for the same CI run, attempt and job (so re-sending
/// never duplicates), else random.
fn run_id_for(args: &EmitArgs, ci: &ci_intel_core::ci_env::CiContext, repo: &str) -> String {
    match (&args.run_id, &ci.run_id) {
        (Some(id), _) => id.clone(),
        (None, Some(ci_run)) => {
            // Same CI run and attempt → same id, so re-sending a record never duplicates it.
            let name = format!(
                "{}:{}:{}:{}:{}",
                ci.server_url.as_deref().unwrap_or("ci"),
                repo,
                ci_run,
                ci.run_attempt.unwrap_or(1),
                ci.job.as_deref().unwrap_or("")
            );
            pipeline_run::stable_run_id(&name)
        }
        (None, None) => uuid::Uuid::new_v4().to_string(),
    }
}

fn runner_os(ci: &ci_intel_core::ci_env::CiContext) -> Option<pipeline_run::RunnerOs> {
    match ci.runner_os.as_deref()? {
        "Linux" => Some(pipeline_run::RunnerOs::Linux),
        "Windows" => Some(pipeline_run::RunnerOs::Windows),
        "macOS" => Some(pipeline_run::RunnerOs::Macos),
        _ => None,
    }
}

fn runner_type(ci: &ci_intel_core::ci_env::CiContext) -> Option<pipeline_run::RunnerType> {
    match ci.runner_environment.as_deref()? {
        "github-hosted" => Some(pipeline_run::RunnerType::Hosted),
        "self-hosted" => Some(pipeline_run::RunnerType::SelfHosted),
        _ => None,
    }
}

/// Appends one NDJSON line: the whole file is rewritten atomically so a crash never leaves a
/// torn last line.
fn append_line(path: &PathBuf, line: &str) -> Result<()> {
    let mut existing = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if !existing.is_empty() && !existing.ends_with(b"\n") {
        existing.push(b'\n');
    }
    existing.extend_from_slice(line.as_bytes());
    fsutil::write_atomic(path, &existing)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// What a path segment of a `file://` URI may not hold literally (RFC 3986).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `URI#sha256=HEX` of the run's evidence bundle, when one is given.
fn release_evidence_uri(args: &EmitArgs) -> Result<Option<String>> {
    match &args.release_evidence {
        Some(path) => pinned_uri(path, args.release_evidence_uri.as_deref()).map(Some),
        None => Ok(None),
    }
}

/// `URI#sha256=HEX` of a file: its given URI (default: its `file://` path) and its digest.
fn pinned_uri(path: &Path, given: Option<&str>) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| InputError::io(path, &e))?;
    let digest = ci_intel_attest::evidence::bundle_digest(&bytes);
    let uri = if let Some(u) = given {
        u.split('#').next().unwrap_or(u).to_owned()
    } else {
        let abs = std::path::absolute(path).map_err(|e| InputError::io(path, &e))?;
        let encoded: String = abs
            .to_string_lossy()
            .split('/')
            .map(|seg| percent_encoding::utf8_percent_encode(seg, PATH_SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/");
        format!("file://{encoded}")
    };
    Ok(format!("{uri}#sha256={digest}"))
}
