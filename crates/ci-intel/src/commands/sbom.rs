//! `ci-intel sbom generate`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Result;
use ci_intel_core::gate::{GateResult, GateVerdict};
use ci_intel_core::{InputError, exit};
use ci_intel_sbom::license::{self, LicensePolicy};
use ci_intel_sbom::{Scope, cyclonedx, document, lockfiles, spdx};
use sha2::{Digest as _, Sha256};

use crate::cli::{
    Format, SbomCheckArgs, SbomCommand, SbomDiffArgs, SbomField, SbomFormat, SbomGenerateArgs,
};
use crate::context;

pub fn run(cmd: SbomCommand) -> Result<i32> {
    match cmd {
        SbomCommand::Generate(a) => generate(&a),
        SbomCommand::Check(a) => check(&a),
        SbomCommand::Diff(a) => diff(&a),
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
    ci_intel_core::format::rfc3339_unix(secs).unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

fn generate(a: &SbomGenerateArgs) -> Result<i32> {
    let mut sbom = lockfiles::read_dir(&a.dir)?;
    if let Some(n) = &a.name {
        sbom.name.clone_from(n);
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

fn read_document(path: &Path) -> Result<(Vec<u8>, Vec<document::Described>), InputError> {
    let bytes = std::fs::read(path).map_err(|e| InputError::io(path, &e))?;
    let doc: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| InputError::json(path, &e, "an SBOM (JSON)"))?;
    let described = document::described(&doc).map_err(|m| InputError::new(path, m))?;
    Ok((bytes, described))
}

/// Licence problems of a component: unparseable expressions and ones the policy rejects.
fn license_problems(c: &document::Described, policy: &LicensePolicy) -> Vec<String> {
    let mut out = Vec::new();
    for l in &c.licenses {
        match license::parse(l) {
            Err(e) => out.push(format!("licence {e}")),
            Ok(e) if !policy.accepts(&e) => out.push(format!("licence `{l}` is not allowed")),
            Ok(_) => {}
        }
    }
    out
}

fn label(c: &document::Described) -> String {
    format!("{}@{}", c.name, c.version.as_deref().unwrap_or("?"))
}

fn check(a: &SbomCheckArgs) -> Result<i32> {
    let (bytes, components) = read_document(&a.file)?;
    let policy = LicensePolicy::from(&a.licenses);
    let mut problems: Vec<String> = Vec::new();
    if let Some(want) = &a.verify_hash {
        let have = hex::encode(Sha256::digest(&bytes));
        if !have.eq_ignore_ascii_case(want.trim()) {
            problems.push(format!(
                "the file's SHA-256 is {have}, not the recorded {}",
                want.trim()
            ));
        }
    }
    if components.len() < a.min_components {
        problems.push(format!(
            "{} component(s), fewer than the required {}",
            components.len(),
            a.min_components
        ));
    }
    for field in &a.require {
        let (what, missing): (&str, Vec<String>) = match field {
            SbomField::Version => (
                "a version",
                components
                    .iter()
                    .filter(|c| c.version.is_none())
                    .map(label)
                    .collect(),
            ),
            SbomField::Purl => (
                "a purl",
                components
                    .iter()
                    .filter(|c| c.purl.is_none())
                    .map(label)
                    .collect(),
            ),
            SbomField::License => (
                "a licence",
                components
                    .iter()
                    .filter(|c| c.licenses.is_empty())
                    .map(label)
                    .collect(),
            ),
            SbomField::Hash => (
                "a hash",
                components
                    .iter()
                    .filter(|c| c.hashes == 0)
                    .map(label)
                    .collect(),
            ),
        };
        if !missing.is_empty() {
            problems.push(format!(
                "{} component(s) without {what}: {}",
                missing.len(),
                ci_intel_core::format::first_few(&missing)
            ));
        }
    }
    for c in &components {
        for p in license_problems(c, &policy) {
            problems.push(format!("{}: {p}", label(c)));
        }
    }
    let verdict = if problems.is_empty() {
        GateResult::Allow
    } else {
        GateResult::Deny
    };
    let gate = GateVerdict::new(
        "sbom.policy",
        verdict,
        if problems.is_empty() {
            format!("{} components meet the policy", components.len())
        } else {
            format!("{} problem(s)", problems.len())
        },
    )
    .input("components", components.len())
    .input("min_components", a.min_components);
    if a.format == Format::Json {
        let doc = serde_json::json!({"schema": "ci-intel.sbom-check/v1", "file": a.file.display().to_string(), "sha256": hex::encode(Sha256::digest(&bytes)), "components": components.len(), "problems": problems, "gates": [gate]});
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        for p in &problems {
            println!("FAIL  {p}");
        }
        println!(
            "{}  sbom.policy  {} ({})",
            if problems.is_empty() { "ok  " } else { "DENY" },
            gate.reason,
            a.file.display()
        );
    }
    Ok(if problems.is_empty() {
        exit::PASS
    } else {
        exit::GATE_DENIED
    })
}

/// The identity of a component across versions: its purl without the version, else its name.
fn identity(c: &document::Described) -> String {
    match &c.purl {
        Some(p) => p
            .split(['?', '#'])
            .next()
            .unwrap_or(p)
            .rsplit_once('@')
            .map_or(p.as_str(), |(n, _)| n)
            .to_owned(),
        None => c.name.clone(),
    }
}

/// How `new` compares to `old` in the component's ecosystem.
fn compare(c: &document::Described, old: &str, new: &str) -> Option<std::cmp::Ordering> {
    let eco = c
        .purl
        .as_deref()
        .and_then(ci_intel_sbom::purl::parse)
        .map(|(e, _, _)| e)?;
    let (a, b) = (
        ci_intel_vuln::version::parse(eco, old)?,
        ci_intel_vuln::version::parse(eco, new)?,
    );
    b.partial_cmp(&a)
}

fn diff(a: &SbomDiffArgs) -> Result<i32> {
    use std::collections::BTreeMap;
    let (_, old) = read_document(&a.old)?;
    let (_, new) = read_document(&a.new)?;
    // One entry per identity and version (a package may be present in two versions).
    let key = |c: &document::Described| (identity(c), c.version.clone().unwrap_or_default());
    let index = |list: &[document::Described]| -> BTreeMap<String, Vec<document::Described>> {
        let mut m: BTreeMap<String, Vec<document::Described>> = BTreeMap::new();
        for c in list {
            m.entry(identity(c)).or_default().push(c.clone());
        }
        m
    };
    let (o, n) = (index(&old), index(&new));
    let policy = LicensePolicy::from(&a.licenses);
    let mut rows: Vec<serde_json::Value> = Vec::new();
    let mut denials: Vec<String> = Vec::new();
    let ids: std::collections::BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    for id in ids {
        let before = o.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let after = n.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let bv: std::collections::BTreeSet<_> = before.iter().map(key).collect();
        let av: std::collections::BTreeSet<_> = after.iter().map(key).collect();
        let (gone, came): (Vec<_>, Vec<_>) = (
            before.iter().filter(|c| !av.contains(&key(c))).collect(),
            after.iter().filter(|c| !bv.contains(&key(c))).collect(),
        );
        let mut paired = 0;
        for (b, c) in gone.iter().zip(came.iter()) {
            paired += 1;
            let (ov, nv) = (
                b.version.clone().unwrap_or_default(),
                c.version.clone().unwrap_or_default(),
            );
            let change = match compare(c, &ov, &nv) {
                Some(std::cmp::Ordering::Greater) => "upgraded",
                Some(std::cmp::Ordering::Less) => "downgraded",
                _ => "changed",
            };
            rows.push(serde_json::json!({"change": change, "component": id, "name": c.name, "from": ov, "to": nv, "licenses": c.licenses, "licenses_before": b.licenses}));
            for p in license_problems(c, &policy) {
                denials.push(format!("{}: {p}", label(c)));
            }
        }
        for c in came.iter().skip(paired) {
            rows.push(serde_json::json!({"change": "added", "component": id, "name": c.name, "to": c.version, "licenses": c.licenses}));
            if a.fail_on_new {
                denials.push(format!("{}: new dependency needs review", label(c)));
            }
            for p in license_problems(c, &policy) {
                denials.push(format!("{}: {p}", label(c)));
            }
        }
        for c in gone.iter().skip(paired) {
            rows.push(serde_json::json!({"change": "removed", "component": id, "name": c.name, "from": c.version, "licenses_before": c.licenses}));
        }
        // Same version, other licence.
        for c in after {
            if let Some(b) = before.iter().find(|b| key(b) == key(c))
                && b.licenses != c.licenses
            {
                rows.push(serde_json::json!({"change": "license", "component": id, "name": c.name, "to": c.version, "licenses": c.licenses, "licenses_before": b.licenses}));
                for p in license_problems(c, &policy) {
                    denials.push(format!("{}: {p}", label(c)));
                }
            }
        }
    }
    let count = |k: &str| rows.iter().filter(|r| r["change"] == k).count();
    let summary = format!(
        "{} added, {} removed, {} upgraded, {} downgraded, {} changed, {} licence change(s)",
        count("added"),
        count("removed"),
        count("upgraded"),
        count("downgraded"),
        count("changed"),
        count("license")
    );
    let gate = GateVerdict::new(
        "sbom.diff",
        if denials.is_empty() {
            GateResult::Allow
        } else {
            GateResult::Deny
        },
        if denials.is_empty() {
            summary.clone()
        } else {
            format!(
                "{}: {}",
                summary,
                ci_intel_core::format::first_few(&denials)
            )
        },
    );
    let text = match a.out.format {
        Format::Json => {
            serde_json::to_string_pretty(
                &serde_json::json!({"schema": "ci-intel.sbom-diff/v1", "old": a.old.display().to_string(), "new": a.new.display().to_string(), "changes": rows, "denials": denials, "gates": [gate]}),
            )? + "\n"
        }
        Format::Markdown => {
            let mut out = format!(
                "### SBOM changes\n\n{summary}\n\n| change | component | from | to | licences |\n|---|---|---|---|---|\n"
            );
            for r in &rows {
                out.push_str(&format!(
                    "| {} | `{}` | {} | {} | {} |\n",
                    r["change"].as_str().unwrap_or_default(),
                    r["name"].as_str().unwrap_or_default(),
                    r["from"].as_str().unwrap_or("-"),
                    r["to"].as_str().unwrap_or("-"),
                    r["licenses"]
                        .as_array()
                        .map(|l| l
                            .iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default()
                ));
            }
            out
        }
        _ => {
            let mut out = String::new();
            for r in &rows {
                out.push_str(&format!(
                    "{:<11} {:<40} {} → {}\n",
                    r["change"].as_str().unwrap_or_default(),
                    r["name"].as_str().unwrap_or_default(),
                    r["from"].as_str().unwrap_or("-"),
                    r["to"].as_str().unwrap_or("-")
                ));
            }
            for d in &denials {
                out.push_str(&format!("DENY  {d}\n"));
            }
            out.push_str(&format!(
                "sbom diff: {summary}; gate sbom.diff: {}\n",
                gate.result.as_str()
            ));
            out
        }
    };
    context::write_output(a.out.output.as_deref(), &text)?;
    Ok(if denials.is_empty() {
        exit::PASS
    } else {
        exit::GATE_DENIED
    })
}

impl From<&crate::cli::LicensePolicyArgs> for LicensePolicy {
    fn from(a: &crate::cli::LicensePolicyArgs) -> Self {
        Self {
            allow: a.allow_license.clone(),
            deny: a.deny_license.clone(),
        }
    }
}
