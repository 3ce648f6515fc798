//! `ci-intel vuln scan|db index` and `ci-intel vex create`.

use std::path::Path;

use anyhow::Result;
use ci_intel_core::error::Position;
use ci_intel_core::finding::Finding;
use ci_intel_core::gate::{GateResult, GateVerdict};
use ci_intel_core::{InputError, exit};
use ci_intel_render::sarif;
use ci_intel_sbom::{Scope, document, lockfiles};
use ci_intel_vuln::osv::Index;
use ci_intel_vuln::policy::{self, Judged};
use ci_intel_vuln::scan::{self, Intel, Match, Package};
use ci_intel_vuln::vex::{self, Verdict};
use serde_json::json;

use crate::cli::{Format, VexCommand, VexCreateArgs, VulnCommand, VulnDbCommand, VulnScanArgs};
use crate::context;

pub fn run(cmd: VulnCommand) -> Result<i32> {
    match cmd {
        VulnCommand::Scan(a) => scan_cmd(&a),
        VulnCommand::Db(VulnDbCommand::Index(a)) => {
            let started = std::time::Instant::now();
            let index = Index::load(&a.db)?;
            let bytes = index.write().map_err(|m| InputError::new(&a.output, m))?;
            ci_intel_core::fsutil::write_atomic(&a.output, &bytes)?;
            eprintln!(
                "vuln db index: {} advisories ({} withdrawn or for other ecosystems left out) → {} ({} KiB) in {:.2} s",
                index.advisories.len(),
                index.skipped,
                a.output.display(),
                bytes.len() / 1024,
                started.elapsed().as_secs_f64()
            );
            Ok(exit::PASS)
        }
    }
}

pub fn vex(cmd: VexCommand) -> Result<i32> {
    match cmd {
        VexCommand::Create(a) => vex_create(&a),
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    ci_intel_core::format::rfc3339_unix(t.unix_timestamp()).unwrap_or_default()
}

fn vex_create(a: &VexCreateArgs) -> Result<i32> {
    for p in &a.product {
        if ci_intel_sbom::purl::parse(p).is_none() && !p.starts_with("pkg:") {
            return Err(InputError::new(
                Path::new("--product"),
                format!("`{p}` is not a purl (`pkg:TYPE/NAME@VERSION`)"),
            )
            .into());
        }
    }
    if let Some(e) = &a.expires {
        time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339).map_err(
            |_| {
                InputError::new(
                    Path::new("--expires"),
                    format!("`{e}` is not an RFC 3339 time"),
                )
            },
        )?;
    }
    let doc = vex::create(
        &a.vulnerability,
        &a.product,
        &a.status,
        a.justification.as_deref(),
        &a.author,
        &rfc3339(now()),
        a.expires.as_deref(),
    );
    context::write_output(
        a.output.as_deref(),
        &(serde_json::to_string_pretty(&doc)? + "\n"),
    )?;
    Ok(exit::PASS)
}

/// The packages to check, and a description of where they came from.
fn packages(input: &Path, no_dev: bool) -> Result<(Vec<Package>, String), InputError> {
    let is_sbom = input.is_file()
        && input.extension().is_some_and(|e| e == "json")
        && !input.file_name().is_some_and(|n| {
            n == "package-lock.json" || n == "npm-shrinkwrap.json" || n == "Pipfile.lock"
        });
    if is_sbom {
        let text = std::fs::read_to_string(input).map_err(|e| InputError::io(input, &e))?;
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| InputError::json(input, &e, "an SBOM (JSON)"))?;
        let (listed, skipped) = document::packages(&doc).map_err(|m| InputError::new(input, m))?;
        let what = format!(
            "{} ({} packages, {skipped} without a supported purl)",
            document::format_of(&doc).unwrap_or("SBOM"),
            listed.len()
        );
        return Ok((listed.into_iter().map(Package::from).collect(), what));
    }
    let sbom = lockfiles::read_dir(input)?;
    let what = sbom.lockfiles.join(", ");
    Ok((
        sbom.components
            .into_values()
            .filter(|c| !(no_dev && c.scope == Scope::Dev))
            .map(|c| Package::from(&c))
            .collect(),
        what,
    ))
}

/// Every match with what the statements say about it now.
fn judge_now(
    matches: Vec<Match>,
    statements: &[vex::Statement],
    max_age_days: i64,
) -> Vec<Judged<'_>> {
    policy::judge_all(matches, statements, now().unix_timestamp(), max_age_days)
}

fn scan_cmd(a: &VulnScanArgs) -> Result<i32> {
    if !(0.0..=1.0).contains(&a.threshold) || !(0.0..=1.0).contains(&a.unknown_risk) {
        return Err(InputError::new(Path::new("--threshold"), "risks are between 0 and 1").into());
    }
    let started = std::time::Instant::now();
    let index = Index::load(&a.db)?;
    let loaded = started.elapsed();
    let mut intel = Intel {
        unknown_risk: a.unknown_risk,
        ..Intel::default()
    };
    if let Some(p) = &a.epss {
        let text = std::fs::read_to_string(p).map_err(|e| InputError::io(p, &e))?;
        intel.epss = scan::parse_epss(&text)
            .map_err(|(line, m)| InputError::at(p, Position::line(line as u64), m))?;
    }
    if let Some(p) = &a.kev {
        let text = std::fs::read_to_string(p).map_err(|e| InputError::io(p, &e))?;
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| InputError::json(p, &e, "the KEV catalogue (JSON)"))?;
        intel.kev = scan::parse_kev(&doc).map_err(|m| InputError::new(p, m))?;
    }
    let statements =
        policy::load_statements(a.vex.iter().map(|p| (p.clone(), p.display().to_string())))?;
    let (packages, source) = packages(&a.input, a.no_dev)?;
    let scan_started = std::time::Instant::now();
    let mut matches = scan::scan(&index, &packages, &intel);
    let scanned = scan_started.elapsed();
    if a.no_informational {
        matches.retain(|m| m.informational.is_none());
    }
    let judged = judge_now(matches, &statements, a.vex_max_age_days);

    let active: Vec<&Judged<'_>> = judged
        .iter()
        .filter(|j| !matches!(j.vex, Verdict::Suppressed(_)))
        .collect();
    // Findings are what JSON and SARIF carry; the table prints the matches themselves.
    let findings = if matches!(a.out.format, Format::Json | Format::Sarif) {
        policy::findings(&judged, a.threshold)
    } else {
        Vec::new()
    };
    let vulns = active
        .iter()
        .filter(|j| j.m.informational.is_none())
        .count();
    let suppressed = judged.len() - active.len();
    let gate = policy::risk_gate(&judged, a.threshold);

    let text = match a.out.format {
        Format::Json => {
            let doc = json_doc(
                &gate,
                &source,
                packages.len(),
                index.advisories.len(),
                &judged,
                &findings,
            );
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        Format::Sarif => sarif::to_json(&sarif::log(
            env!("CARGO_PKG_VERSION"),
            policy::RULES,
            &findings,
        )),
        Format::Human | Format::Markdown => {
            let md = a.out.format == Format::Markdown;
            let mut out = String::new();
            if md {
                out.push_str(
                    "| advisory | package | risk | fixed in | summary |\n|---|---|---|---|---|\n",
                );
            }
            out.push_str(&match_rows(&judged, md));
            out.push_str(&format!(
                "\nvuln: {} packages from {source}; {vulns} vulnerability(ies), {suppressed} suppressed by VEX, {} informational; {} advisories loaded in {} ms, matched in {} ms\n{}gate vuln.risk: {} — {}\n",
                packages.len(),
                active.iter().filter(|j| j.m.informational.is_some()).count(),
                index.advisories.len(),
                loaded.as_millis(),
                scanned.as_millis(),
                if md { "\n" } else { "" },
                gate.result.as_str().to_uppercase(),
                gate.reason
            ));
            out
        }
    };
    context::write_output(a.out.output.as_deref(), &text)?;
    Ok(if gate.result == GateResult::Deny {
        exit::GATE_DENIED
    } else {
        exit::PASS
    })
}

/// One line (or Markdown table row) per match, with what VEX said of it.
fn match_rows(judged: &[Judged<'_>], md: bool) -> String {
    let mut out = String::new();
    for j in judged {
        let m = &j.m;
        let state = match &j.vex {
            Verdict::Suppressed(_) => " (VEX: not affected)",
            Verdict::Expired(..) => " (VEX statement expired)",
            Verdict::None if m.informational.is_some() => " (informational)",
            Verdict::None => "",
        };
        let fixed = if m.fixed.is_empty() {
            "-".to_owned()
        } else {
            m.fixed.join(", ")
        };
        if md {
            out.push_str(&format!(
                "| {}{state} | `{}@{}` | {:.2} | {fixed} | {} |\n",
                m.id,
                m.name,
                m.version,
                m.risk,
                m.summary.replace('|', "\\|")
            ));
        } else {
            out.push_str(&format!(
                "{:<20} {:<32} risk {:.2}  fixed in {:<14} {}{state}\n",
                m.id,
                format!("{}@{}", m.name, m.version),
                m.risk,
                fixed,
                m.summary
            ));
        }
    }
    out
}

/// `ci-intel.vuln/v1`: every match with its VEX verdict, the findings and the gate.
fn json_doc(
    gate: &GateVerdict,
    source: &str,
    packages: usize,
    advisories: usize,
    judged: &[Judged<'_>],
    findings: &[Finding],
) -> serde_json::Value {
    json!({
        "schema": "ci-intel.vuln/v1",
        "verdict": gate.result,
        "input": source,
        "packages": packages,
        "advisories": advisories,
        "matches": judged.iter().map(|j| {
            let mut v = serde_json::to_value(&j.m).unwrap_or_default();
            v["vex"] = match &j.vex {
                Verdict::Suppressed(s) => json!({"status": s.status, "justification": s.justification, "source": s.source}),
                Verdict::Expired(s, _) => json!({"status": "expired", "source": s.source}),
                Verdict::None => serde_json::Value::Null,
            };
            v
        }).collect::<Vec<_>>(),
        "findings": findings,
        "gates": [gate],
    })
}

/// For `ci-intel check`: the SBOM of the root's lockfiles (written to `sbom_output` when set)
/// scanned against the configured database. Findings at or above the threshold are errors,
/// so the `vuln.risk` gate denies on them (`fail_on: error`); VEX-suppressed matches are left
/// out and expired statements reported.
pub fn for_check(
    root: &Path,
    cfg: &ci_intel_core::config::VulnConfig,
) -> Result<(Vec<Finding>, serde_json::Map<String, serde_json::Value>)> {
    let db = cfg.db.as_deref().ok_or_else(|| {
        InputError::new(
            Path::new(".ci-intel/config.yml"),
            "vuln.enabled needs vuln.db (an OSV directory, zip or index)",
        )
    })?;
    let index = Index::load(&root.join(db))?;
    let sbom = lockfiles::read_dir(root)?;
    if let Some(out) = &cfg.sbom_output {
        let text = serde_json::to_string_pretty(&ci_intel_sbom::cyclonedx::to_json(
            &sbom,
            env!("CARGO_PKG_VERSION"),
        ))? + "\n";
        ci_intel_core::fsutil::write_atomic(&root.join(out), text.as_bytes())?;
    }
    let statements = policy::load_statements(cfg.vex.iter().map(|v| (root.join(v), v.clone())))?;
    let packages: Vec<Package> = sbom.components.values().map(Package::from).collect();
    let intel = Intel {
        unknown_risk: cfg.unknown_risk,
        ..Intel::default()
    };
    let judged = judge_now(
        scan::scan(&index, &packages, &intel),
        &statements,
        cfg.vex_max_age_days,
    );
    let suppressed = judged
        .iter()
        .filter(|j| matches!(j.vex, Verdict::Suppressed(_)))
        .count();
    let findings = policy::findings(&judged, cfg.threshold);
    let mut summary = serde_json::Map::new();
    summary.insert("components".into(), sbom.components.len().into());
    summary.insert("lockfiles".into(), sbom.lockfiles.clone().into());
    summary.insert("advisories".into(), index.advisories.len().into());
    summary.insert("suppressed_by_vex".into(), suppressed.into());
    if let Some(out) = &cfg.sbom_output {
        summary.insert("sbom".into(), out.clone().into());
    }
    Ok((findings, summary))
}
