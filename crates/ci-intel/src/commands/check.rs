//! `ci-intel check`: every analyzer the configuration enables, one verdict.
//!
//! Each analyzer contributes its report, its gates and its findings; the verdict is the most
//! severe gate. An analyzer with nothing to read is skipped (and says so), except the test
//! analyzer, whose missing reports are an error: a test gate that passes because the tests did
//! not run would be worse than no gate.

use anyhow::{Result, bail};
use ci_intel_core::finding::{Finding, Rule};
use ci_intel_core::{GateResult, GateVerdict, gate};
use ci_intel_render::{findings as render_findings, human, markdown, sarif};
use ci_intel_tests::report::TestsReport;
use serde::Serialize;

use super::findings::FindingsReport;
use super::{audit, autopsy, secrets, tests, vuln};
use crate::cli::{CheckArgs, Format};
use crate::context::{self, Workspace};

/// `ci-intel.check/v1`: the verdict, every gate, and each analyzer's own report.
#[derive(Serialize)]
pub struct CheckReport {
    pub schema: &'static str,
    pub verdict: GateResult,
    pub gates: Vec<GateVerdict>,
    pub analyzers: Analyzers,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Serialize, Default)]
pub struct Analyzers {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tests: Option<TestsReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<FindingsReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<FindingsReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vuln: Option<FindingsReport>,
    /// The job's logs explained, when it failed (see `autopsy.logs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autopsy: Option<ci_intel_autopsy::AutopsyReport>,
}

impl CheckReport {
    /// Every active finding of every analyzer.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(t) = &self.analyzers.tests {
            out.extend(t.findings.iter().cloned());
        }
        for r in [
            &self.analyzers.audit,
            &self.analyzers.secrets,
            &self.analyzers.vuln,
        ]
        .into_iter()
        .flatten()
        {
            out.extend(r.findings.iter().cloned());
        }
        if let Some(a) = &self.analyzers.autopsy {
            out.extend(ci_intel_autopsy::findings::findings(&a.root_causes));
        }
        out
    }
}

/// Runs the enabled analyzers whose result is a list of findings (audit, secrets, vuln);
/// `run emit` records their gates too.
pub fn findings_analyzers(
    ws: &Workspace,
    eff: &ci_intel_core::config::Effective,
    common: &crate::cli::CommonArgs,
    analyzers: &mut Analyzers,
    notes: &mut Vec<String>,
) -> Result<()> {
    let cfg = &eff.config;
    if cfg.audit.enabled {
        let inputs = audit::discover(&ws.root, eff)?;
        if inputs.is_empty() {
            notes.push("audit: no workflow or action.yml found".to_owned());
        } else {
            analyzers.audit = Some(audit::audit_inputs(ws, eff, common, &inputs)?.1);
        }
    }
    if cfg.secrets.enabled {
        let rules = secrets::load_rules(None, cfg.secrets.rules.as_deref(), &ws.root)?;
        let result =
            secrets::scan_tree(rules, eff, std::slice::from_ref(&ws.root), &ws.root, true)?;
        analyzers.secrets = Some(secrets::judge(ws, eff, common, result)?);
    }
    if cfg.vuln.enabled {
        let (found, summary) = vuln::for_check(&ws.root, &cfg.vuln)?;
        analyzers.vuln = Some(super::findings::judge(
            "ci-intel.vuln/v1",
            "vuln.risk",
            "vulnerability",
            ws,
            eff,
            common,
            found,
            ci_intel_core::config::FailOn::Error,
            summary,
        )?);
    }
    Ok(())
}

/// Runs the enabled analyzers.
pub fn analyze(
    ws: &Workspace,
    eff: &ci_intel_core::config::Effective,
    args: &CheckArgs,
) -> Result<CheckReport> {
    let cfg = &eff.config;
    let common = &args.common;
    if !cfg.tests.enabled
        && !cfg.coverage.enabled
        && !cfg.audit.enabled
        && !cfg.secrets.enabled
        && !cfg.vuln.enabled
        && (!cfg.autopsy.enabled || cfg.autopsy.logs.is_empty())
    {
        bail!("nothing to check: every analyzer is disabled in the configuration");
    }
    let mut analyzers = Analyzers::default();
    let mut notes = Vec::new();
    if cfg.tests.enabled || cfg.coverage.enabled {
        let (junit, coverage) = tests::configured_inputs(&ws.root, eff, true)?;
        if junit.is_empty() && coverage.is_empty() {
            notes.push("tests: no test or coverage reports found".to_owned());
        } else {
            analyzers.tests = Some(tests::analyze_tests(
                ws,
                eff,
                junit,
                coverage,
                args.base.clone(),
                common,
            )?);
        }
    }
    findings_analyzers(ws, eff, common, &mut analyzers, &mut notes)?;
    let mut gates = Vec::new();
    if let Some(t) = &analyzers.tests {
        gates.extend(t.gates.iter().cloned());
    }
    for r in [&analyzers.audit, &analyzers.secrets, &analyzers.vuln]
        .into_iter()
        .flatten()
    {
        gates.extend(r.gates.iter().cloned());
    }
    // The autopsy judges nothing: it explains a failure when there is one.
    let denied = gate::overall(&gates) == GateResult::Deny;
    analyzers.autopsy = autopsy::for_check(ws, eff, denied)?;
    Ok(CheckReport {
        schema: "ci-intel.check/v1",
        verdict: gate::overall(&gates),
        gates,
        analyzers,
        notes,
    })
}

/// Every rule `check` can report.
fn rules() -> Vec<Rule> {
    super::rules::all()
}

pub fn run(args: &CheckArgs) -> Result<i32> {
    let common = &args.common;
    let (ws, eff) = context::open(common)?;
    let report = analyze(&ws, &eff, args)?;
    let findings = report.findings();
    if let Some(path) = &common.write_baseline {
        context::write_baseline(path, &findings)?;
        return Ok(ci_intel_core::exit::PASS);
    }
    let md = markdown_report(&report);
    let text = match common.out.format {
        Format::Human => human_report(&report, common.out.output.is_none() && context::color()),
        Format::Json => serde_json::to_string_pretty(&report)? + "\n",
        Format::Sarif => {
            sarif::to_json(&sarif::log(env!("CARGO_PKG_VERSION"), &rules(), &findings))
        }
        Format::Markdown => md.clone(),
    };
    context::Delivery {
        text: &text,
        markdown: &md,
        findings: &findings,
    }
    .send(&ws, &eff, common, || human_report(&report, false))?;
    Ok(gate::exit_code(&report.gates))
}

fn human_report(r: &CheckReport, color: bool) -> String {
    let style = human::Style { color };
    let mut out = String::new();
    if let Some(t) = &r.analyzers.tests {
        out.push_str(&human::tests_body("tests", t, style));
        out.push('\n');
    }
    for (name, report) in [
        ("audit", &r.analyzers.audit),
        ("secrets", &r.analyzers.secrets),
        ("vuln", &r.analyzers.vuln),
    ] {
        if let Some(a) = report {
            out.push_str(&render_findings::human(
                name,
                a.verdict,
                &a.findings,
                &format!("{} finding(s)", a.findings.len()),
                &[],
                style,
            ));
            out.push('\n');
        }
    }
    if let Some(a) = &r.analyzers.autopsy {
        out.push_str(&ci_intel_render::autopsy::human(a, style));
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(&format!("ci-intel check: {}\n", r.verdict.as_str()));
    human::gates(&mut out, &r.gates, style);
    out
}

fn markdown_report(r: &CheckReport) -> String {
    let mut out = String::new();
    // A failed job's summary leads with why it failed.
    if let Some(a) = &r.analyzers.autopsy {
        out.push_str(&ci_intel_render::autopsy::markdown_lead(a));
    }
    if let Some(t) = &r.analyzers.tests {
        out.push_str(&markdown::tests_dashboard(t));
        out.push('\n');
    }
    if let Some(a) = &r.analyzers.audit {
        out.push_str(&render_findings::markdown(
            "workflow audit",
            a.verdict,
            &a.findings,
            &a.gates,
        ));
    }
    if let Some(a) = &r.analyzers.vuln {
        out.push_str(&render_findings::markdown(
            "vulnerabilities",
            a.verdict,
            &a.findings,
            &a.gates,
        ));
    }
    if let Some(a) = r
        .analyzers
        .autopsy
        .as_ref()
        .filter(|a| !a.root_causes.is_empty())
    {
        out.push('\n');
        out.push_str(&ci_intel_render::autopsy::markdown(a, "Pipeline Autopsy"));
    }
    out
}
