//! Output shared by commands whose result is a list of findings and one gate (audit, secrets,
//! sarif): suppressions and the baseline applied, every format, GitHub outputs, exit code.

use anyhow::Result;
use ci_intel_core::config::{Effective, FailOn};
use ci_intel_core::finding::{Finding, Rule, Severity};
use ci_intel_core::suppression;
use ci_intel_core::{GateResult, GateVerdict, gate};
use ci_intel_render::{findings, human, sarif};
use serde::Serialize;

use crate::cli::{CommonArgs, Format};
use crate::context::{self, Workspace};

/// A findings report, as `--format json` prints it (`schema` names the command's format).
#[derive(Serialize, Debug)]
pub struct FindingsReport {
    pub schema: &'static str,
    pub verdict: GateResult,
    /// Command-specific counts (files read, bytes scanned, …).
    pub summary: serde_json::Map<String, serde_json::Value>,
    pub by_rule: std::collections::BTreeMap<String, usize>,
    pub findings: Vec<Finding>,
    pub suppressed: usize,
    pub baselined: usize,
    pub gates: Vec<GateVerdict>,
}

/// The failing severity of a `fail_on` setting.
pub fn threshold(f: FailOn) -> Option<Severity> {
    match f {
        FailOn::Note => Some(Severity::Note),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Error => Some(Severity::Error),
        FailOn::Never => None,
    }
}

/// Applies suppressions and the baseline, judges the gate `gate_id`, and builds the report.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per command, all named"
)]
pub fn judge(
    schema: &'static str,
    gate_id: &str,
    what: &str,
    ws: &Workspace,
    eff: &Effective,
    common: &CommonArgs,
    found: Vec<Finding>,
    fail_on: FailOn,
    summary: serde_json::Map<String, serde_json::Value>,
) -> Result<FindingsReport> {
    let baseline = context::load_baseline(
        &ws.root,
        common.baseline.as_deref(),
        eff.config.baseline.as_deref(),
    )?;
    let today = time::OffsetDateTime::now_utc().date();
    let filtered = suppression::apply(found, &eff.suppressions, baseline.as_ref(), today);
    let gates = vec![gate::findings_gate(
        gate_id,
        what,
        &filtered.active,
        threshold(fail_on),
    )];
    Ok(FindingsReport {
        schema,
        verdict: gate::overall(&gates),
        summary,
        by_rule: findings::by_rule(&filtered.active),
        findings: filtered.active,
        suppressed: filtered.suppressed.len(),
        baselined: filtered.baselined.len(),
        gates,
    })
}

/// Prints `report` in the requested format and returns the exit code.
pub fn output(
    title: &str,
    summary_line: &str,
    ws: &Workspace,
    eff: &Effective,
    common: &CommonArgs,
    report: &FindingsReport,
    rules: &[Rule],
) -> Result<i32> {
    if let Some(path) = &common.write_baseline {
        context::write_baseline(path, &report.findings)?;
        return Ok(ci_intel_core::exit::PASS);
    }
    let mut line = summary_line.to_owned();
    if report.suppressed + report.baselined > 0 {
        line.push_str(&format!(
            "; {} suppressed, {} in the baseline",
            report.suppressed, report.baselined
        ));
    }
    let md = findings::markdown(title, report.verdict, &report.findings, &report.gates);
    let human_text = |color| {
        findings::human(
            &format!("ci-intel {title}"),
            report.verdict,
            &report.findings,
            &line,
            &report.gates,
            human::Style { color },
        )
    };
    let text = match common.out.format {
        Format::Human => human_text(common.out.output.is_none() && context::color()),
        Format::Json => serde_json::to_string_pretty(report)? + "\n",
        Format::Sarif => sarif::to_json(&sarif::log(
            env!("CARGO_PKG_VERSION"),
            rules,
            &report.findings,
        )),
        Format::Markdown => md.clone(),
    };
    context::Delivery {
        text: &text,
        markdown: &md,
        findings: &report.findings,
    }
    .send(ws, eff, common, || {
        let full = human_text(false);
        // Only the summary: the findings are in the file.
        full.split_once(&format!("ci-intel {title}:"))
            .map_or(full.clone(), |(_, rest)| format!("ci-intel {title}:{rest}"))
    })?;
    Ok(gate::exit_code(&report.gates))
}
