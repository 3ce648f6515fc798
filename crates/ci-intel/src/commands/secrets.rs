//! `ci-intel secrets scan|redact`.

use std::path::Path;

use anyhow::{Context as _, Result, bail};
use ci_intel_core::config::Effective;
use ci_intel_core::exit;
use ci_intel_secrets::{self as secrets, RuleSet, ScanResult};
use serde_json::json;

use super::findings::{self, FindingsReport};
use crate::cli::{CommonArgs, SecretsCommand, SecretsRedactArgs, SecretsScanArgs};
use crate::context::{self, Workspace};

pub fn run(cmd: SecretsCommand) -> Result<i32> {
    match cmd {
        SecretsCommand::Scan(a) => scan(&a),
        SecretsCommand::Redact(a) => redact(&a),
    }
}

/// The rules: `--rules`, else `secrets.rules` from the config, else the built-in ones.
pub fn load_rules(
    flag: Option<&Path>,
    config: Option<&str>,
    root: &Path,
) -> Result<&'static RuleSet> {
    let path = match (flag, config) {
        (Some(p), _) => p.to_owned(),
        (None, Some(c)) => root.join(c),
        (None, None) => return Ok(RuleSet::builtin()),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let rules =
        RuleSet::from_toml(&text).map_err(|e| ci_intel_core::InputError::caused(path, &e))?;
    // Rules live for the whole run.
    Ok(Box::leak(Box::new(rules)))
}

fn scan(args: &SecretsScanArgs) -> Result<i32> {
    let common = &args.common;
    let (ws, eff) = context::open(common)?;
    let rules = load_rules(
        args.rules.as_deref(),
        eff.config.secrets.rules.as_deref(),
        &ws.root,
    )?;
    let cfg = &eff.config.secrets;
    let (result, what) = if args.git_history {
        let r = secrets::history::scan(rules, &ws.root).map_err(|e| anyhow::anyhow!("{e}"))?;
        (r, "added line(s) of history")
    } else if args.env {
        (
            secrets::runtime::scan_env(rules, &cfg.allow_env),
            "environment variable(s)",
        )
    } else if args.proc {
        (
            secrets::runtime::scan_proc(rules, &cfg.allow_env),
            "process environment(s)",
        )
    } else {
        let cwd = std::env::current_dir()?;
        let (roots, base) = if args.paths.is_empty() {
            (vec![ws.root.clone()], ws.root.clone())
        } else {
            for p in &args.paths {
                if !cwd.join(p).exists() {
                    bail!("{}: no such file or directory", p.display());
                }
            }
            let roots: Vec<_> = args.paths.iter().map(|p| cwd.join(p)).collect();
            // Paths inside the repository are named from its root (as SARIF upload expects),
            // others from where the command runs.
            let root = ws.root.canonicalize().unwrap_or_else(|_| ws.root.clone());
            let inside = roots
                .iter()
                .all(|r| r.canonicalize().is_ok_and(|c| c.starts_with(&root)));
            if inside {
                let roots = roots
                    .iter()
                    .map(|r| r.canonicalize().unwrap_or_else(|_| r.clone()))
                    .collect();
                (roots, root)
            } else {
                (roots, cwd)
            }
        };
        (
            scan_tree(rules, &eff, &roots, &base, !args.no_gitignore)?,
            "file(s)",
        )
    };
    let report = judge(&ws, &eff, common, result)?;
    let line = format!(
        "{} {what}, {:.1} MB scanned, {} finding(s){}",
        report.summary["scanned"],
        report.summary["bytes"].as_f64().unwrap_or(0.0) / 1e6,
        report.findings.len(),
        match report.summary["skipped"].as_u64() {
            Some(0) | None => String::new(),
            Some(n) => format!(", {n} skipped (binary or too large)"),
        }
    );
    findings::output(
        "secrets",
        &line,
        &ws,
        &eff,
        common,
        &report,
        &secrets::rule_docs(rules),
    )
}

/// Scans a tree with the configuration's exclusions and size limit.
pub fn scan_tree(
    rules: &RuleSet,
    eff: &Effective,
    roots: &[std::path::PathBuf],
    base: &Path,
    gitignore: bool,
) -> Result<ScanResult> {
    let cfg = &eff.config.secrets;
    let mut exclude = globset::GlobSetBuilder::new();
    for g in &cfg.exclude {
        exclude.add(
            globset::Glob::new(g).map_err(|e| anyhow::anyhow!("`secrets.exclude`: `{g}`: {e}"))?,
        );
    }
    let opts = secrets::tree::TreeOptions {
        max_file_size: cfg.max_file_size_mb * 1024 * 1024,
        gitignore,
        exclude: exclude.build()?,
    };
    Ok(secrets::tree::scan(rules, roots, base, &opts))
}

/// Applies suppressions and the baseline and judges the `secrets.findings` gate.
pub fn judge(
    ws: &Workspace,
    eff: &Effective,
    common: &CommonArgs,
    result: ScanResult,
) -> Result<FindingsReport> {
    let mut summary = serde_json::Map::new();
    summary.insert("scanned".into(), result.files.into());
    summary.insert("bytes".into(), result.bytes.into());
    summary.insert("skipped".into(), result.skipped.len().into());
    summary.insert(
        "skipped_files".into(),
        result
            .skipped
            .iter()
            .map(|(p, why)| json!({"path": p, "reason": why}))
            .collect::<Vec<_>>()
            .into(),
    );
    findings::judge(
        "ci-intel.secrets/v1",
        "secrets.findings",
        "secret",
        ws,
        eff,
        common,
        result.findings,
        eff.config.secrets.fail_on,
        summary,
    )
}

fn redact(args: &SecretsRedactArgs) -> Result<i32> {
    let cwd = std::env::current_dir()?;
    let rules = load_rules(args.rules.as_deref(), None, &cwd)?;
    let values: Vec<String> = args
        .values_from_env
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .filter(|v| !v.is_empty())
        .collect();
    let redactor = secrets::redact::Redactor::new(rules, &values);
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    match redactor.stream(stdin, stdout) {
        Ok(()) => Ok(exit::PASS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::PASS),
        Err(e) => Err(e).context("redacting standard input"),
    }
}
