//! `ci-intel sbom generate`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Result;
use ci_intel_core::exit;
use ci_intel_sbom::{Scope, cyclonedx, lockfiles, spdx};

use crate::cli::{SbomCommand, SbomFormat, SbomGenerateArgs};
use crate::context;

pub fn run(cmd: SbomCommand) -> Result<i32> {
    match cmd {
        SbomCommand::Generate(a) => generate(&a),
    }
}

/// The SPDX creation time, stable for the same input: `SOURCE_DATE_EPOCH`, else the commit
/// time of `HEAD` of the repository holding `dir`, else the newest lockfile's modification time.
fn creation_time(dir: &Path, lockfiles: &[PathBuf]) -> String {
    let from_env = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok());
    let from_git = || {
        let d = if dir.is_file() { dir.parent()? } else { dir };
        let out = Command::new("git")
            .args(["log", "-1", "--format=%ct"])
            .current_dir(d)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        String::from_utf8(out.stdout)
            .ok()?
            .trim()
            .parse::<i64>()
            .ok()
    };
    let from_files = || {
        lockfiles
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok()?.modified().ok())
            .max()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64)
    };
    let secs = from_env.or_else(from_git).or_else(from_files).unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

fn generate(a: &SbomGenerateArgs) -> Result<i32> {
    let mut sbom = lockfiles::read_dir(&a.dir)?;
    if let Some(n) = &a.name {
        sbom.name = n.clone();
    }
    if a.no_dev {
        sbom.components.retain(|_, c| c.scope != Scope::Dev);
        sbom.normalize();
    }
    for n in &sbom.notes {
        eprintln!("note: {n}");
    }
    let version = env!("CARGO_PKG_VERSION");
    let pretty = |v: serde_json::Value| serde_json::to_string_pretty(&v).map(|s| s + "\n");
    let base = if a.dir.is_file() {
        a.dir.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        a.dir.clone()
    };
    let files: Vec<PathBuf> = sbom.lockfiles.iter().map(|l| base.join(l)).collect();
    match a.format {
        SbomFormat::Cyclonedx => context::write_output(
            a.output.as_deref(),
            &pretty(cyclonedx::to_json(&sbom, version))?,
        )?,
        SbomFormat::Spdx => context::write_output(
            a.output.as_deref(),
            &pretty(spdx::to_json(
                &sbom,
                version,
                &creation_time(&a.dir, &files),
            ))?,
        )?,
        SbomFormat::Both => {
            let cdx = pretty(cyclonedx::to_json(&sbom, version))?;
            let spdx_text = pretty(spdx::to_json(
                &sbom,
                version,
                &creation_time(&a.dir, &files),
            ))?;
            let out = a.output.as_deref().unwrap_or(Path::new("sbom"));
            let with = |ext: &str| {
                let mut p = out.as_os_str().to_owned();
                p.push(ext);
                PathBuf::from(p)
            };
            context::write_output(Some(&with(".cdx.json")), &cdx)?;
            context::write_output(Some(&with(".spdx.json")), &spdx_text)?;
        }
    }
    eprintln!(
        "sbom: {} components from {} ({} direct, {} dev-only)",
        sbom.components.len(),
        sbom.lockfiles.join(", "),
        sbom.components.values().filter(|c| c.direct).count(),
        sbom.components
            .values()
            .filter(|c| c.scope == Scope::Dev)
            .count()
    );
    Ok(exit::PASS)
}
