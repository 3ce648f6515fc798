//! `ci-intel check`: every analyzer the configuration enables, one verdict.
//!
//! Today that is the test-results and coverage analyzer; each new analyzer adds its report to
//! [`CheckReport`] and its verdicts to the gates.

use anyhow::{Result, bail};
use ci_intel_core::{GateResult, GateVerdict};
use ci_intel_render::{human, markdown};
use ci_intel_tests::report::TestsReport;
use serde::Serialize;

use super::tests;
use crate::cli::{CheckArgs, Format};
use crate::context::{self, Workspace};

/// `ci-intel.check/v1`: the verdict, every gate, and each analyzer's own report.
#[derive(Serialize)]
struct CheckReport<'a> {
    schema: &'static str,
    verdict: GateResult,
    gates: &'a [GateVerdict],
    analyzers: Analyzers<'a>,
}

#[derive(Serialize)]
struct Analyzers<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    tests: Option<&'a TestsReport>,
}

pub fn run(args: &CheckArgs) -> Result<i32> {
    let common = &args.common;
    let ws = Workspace::discover(common.root.as_deref())?;
    let eff = context::load_config(
        &ws.root,
        common.config.as_deref(),
        common.org_config.as_deref(),
        serde_json::json!({}),
    )?;
    let cfg = &eff.config;
    if !cfg.tests.enabled && !cfg.coverage.enabled {
        bail!("nothing to check: every analyzer is disabled in the configuration");
    }
    let (junit, coverage) = tests::configured_inputs(&ws.root, &eff, true)?;
    let report = tests::analyze_tests(&ws, &eff, junit, coverage, args.base.clone(), common)?;
    if common.format != Format::Json {
        return tests::output("ci-intel check", &ws, &eff, common, &report);
    }
    if let Some(path) = &common.write_baseline {
        context::write_baseline(path, &report.findings)?;
        return Ok(ci_intel_core::exit::PASS);
    }
    let check = CheckReport {
        schema: "ci-intel.check/v1",
        verdict: report.verdict,
        gates: &report.gates,
        analyzers: Analyzers {
            tests: Some(&report),
        },
    };
    context::write_output(
        common.output.as_deref(),
        &(serde_json::to_string_pretty(&check)? + "\n"),
    )?;
    if common.output.is_some() {
        eprint!(
            "{}",
            human::tests("ci-intel check", &report, human::Style { color: false })
        );
    }
    let md = markdown::tests_dashboard(&report);
    context::github_outputs(
        &ws,
        common,
        &md,
        &report.findings,
        cfg.output.max_annotations,
    )?;
    Ok(ci_intel_core::gate::exit_code(&report.gates))
}
