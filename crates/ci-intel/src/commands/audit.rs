//! `ci-intel audit`: GitHub Actions workflows and composite actions.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use ci_intel_audit::{self as audit, AuditConfig, AuditRun, Input};
use ci_intel_core::InputErrors;
use ci_intel_core::config::Effective;

use super::findings::{self, FindingsReport};
use crate::cli::AuditArgs;
use crate::context::{self, Workspace};

pub fn run(args: &AuditArgs) -> Result<i32> {
    let common = &args.common;
    let (ws, eff) = context::open(common)?;
    let cwd = std::env::current_dir()?;
    let inputs = if args.paths.is_empty() {
        discover(&ws.root, &eff)?
    } else {
        inputs_from(&cwd, &args.paths)?
    };
    let (run, report) = audit_inputs(&ws, &eff, common, &inputs)?;
    let line = format!(
        "{} file(s) ({} workflow(s), {} action(s)), {} finding(s){}",
        run.files,
        run.workflows,
        run.actions,
        report.findings.len(),
        if run.ignored > 0 {
            format!(", {} ignored inline", run.ignored)
        } else {
            String::new()
        }
    );
    findings::output("audit", &line, &ws, &eff, common, &report, audit::RULES)
}

/// The workflows and actions under `root`, minus `audit.exclude`.
pub fn discover(root: &Path, eff: &Effective) -> Result<Vec<Input>> {
    audit::exclude(audit::discover(root), &eff.config.audit.exclude).map_err(anyhow::Error::msg)
}

/// Files named on the command line; directories are searched like a repository.
fn inputs_from(cwd: &Path, paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for p in paths {
        let full = cwd.join(p);
        if full.is_dir() {
            let found = audit::discover(&full);
            if found.is_empty() {
                bail!(
                    "{}: no workflow (.github/workflows/*.yml) or action.yml found",
                    p.display()
                );
            }
            // Name findings from where the user pointed.
            out.extend(found.into_iter().map(|mut i| {
                i.display = p.join(&i.display).to_string_lossy().replace('\\', "/");
                i.display = i.display.trim_start_matches("./").to_owned();
                i
            }));
        } else if full.is_file() {
            out.push(Input {
                display: p.to_string_lossy().replace('\\', "/"),
                path: full,
                kind: None,
            });
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(out)
}

/// The audit configuration from the effective config.
pub fn audit_config(eff: &Effective) -> AuditConfig {
    let c = &eff.config.audit;
    AuditConfig {
        trusted_owners: c.trusted_owners.clone(),
        allowed_dangerous_triggers: c.allowed_dangerous_triggers.clone(),
        disabled: c.disable.clone(),
    }
}

/// Audits `inputs` and judges the `audit.findings` gate. Unparseable files are bad input.
pub fn audit_inputs(
    ws: &Workspace,
    eff: &Effective,
    common: &crate::cli::CommonArgs,
    inputs: &[Input],
) -> Result<(AuditRun, FindingsReport)> {
    let (mut run, errors) = audit::audit_files(inputs, &audit_config(eff));
    if !errors.is_empty() {
        return Err(InputErrors(errors).into());
    }
    let found = std::mem::take(&mut run.findings);
    let mut summary = serde_json::Map::new();
    summary.insert("files".into(), run.files.into());
    summary.insert("workflows".into(), run.workflows.into());
    summary.insert("actions".into(), run.actions.into());
    summary.insert("ignored_inline".into(), run.ignored.into());
    let report = findings::judge(
        "ci-intel.audit/v1",
        "audit.findings",
        "workflow audit finding",
        ws,
        eff,
        common,
        found,
        eff.config.audit.fail_on,
        summary,
    )?;
    Ok((run, report))
}
