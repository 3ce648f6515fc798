//! `ci-intel tests`: test results and coverage.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use ci_intel_core::config::Effective;
use ci_intel_core::discover;
use ci_intel_core::finding::{self, Rule};
use ci_intel_render::{human, markdown, sarif};
use ci_intel_tests::analyze::{self, DiffSettings, Settings};
use ci_intel_tests::gates::Thresholds;
use ci_intel_tests::report::TestsReport;
use serde_json::{Map, Value, json};

use crate::cli::{CommonArgs, Format, TestsArgs};
use crate::context::{self, Workspace};

pub fn run(args: &TestsArgs) -> Result<i32> {
    let ws = Workspace::discover(args.common.root.as_deref())?;
    let eff = context::load_config(
        &ws.root,
        args.common.config.as_deref(),
        args.common.org_config.as_deref(),
        flag_layer(args),
    )?;
    let cwd = std::env::current_dir()?;
    let explicit = !(args.reports.is_empty() && args.junit.is_empty() && args.coverage.is_empty());
    let (junit, coverage) = if explicit {
        explicit_inputs(&cwd, args)?
    } else {
        configured_inputs(&ws.root, &eff, true)?
    };
    if junit.is_empty() && coverage.is_empty() {
        bail!(
            "no reports to read: pass JUnit or coverage reports as arguments, or configure `tests.reports`/`coverage.reports`"
        );
    }
    let report = analyze_tests(&ws, &eff, junit, coverage, args.base.clone(), &args.common)?;
    output("ci-intel tests", &ws, &eff, &args.common, &report)
}

/// The command-line flags as a configuration layer (only the flags given).
fn flag_layer(args: &TestsArgs) -> Value {
    let mut tests = Map::new();
    let mut coverage = Map::new();
    if let Some(n) = args.max_failures {
        tests.insert("max_failures".into(), json!(n));
    }
    if args.fail_on_flaky {
        tests.insert("allow_flaky".into(), json!(false));
    }
    if args.allow_flaky {
        tests.insert("allow_flaky".into(), json!(true));
    }
    if let Some(n) = args.slowest {
        tests.insert("slowest".into(), json!(n));
    }
    for (key, v) in [
        ("min_lines", args.min_coverage),
        ("min_branches", args.min_branch_coverage),
        ("min_diff", args.min_diff_coverage),
    ] {
        if let Some(v) = v {
            coverage.insert(key.into(), json!(v));
        }
    }
    if args.no_diff {
        coverage.insert("diff".into(), json!(false));
    }
    let mut layer = Map::new();
    if !tests.is_empty() {
        layer.insert("tests".into(), Value::Object(tests));
    }
    if !coverage.is_empty() {
        layer.insert("coverage".into(), Value::Object(coverage));
    }
    Value::Object(layer)
}

/// Reports named on the command line (relative to the current directory). Every pattern must
/// match; positional reports are sorted into JUnit and coverage by their content.
fn explicit_inputs(cwd: &Path, args: &TestsArgs) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let expand = |patterns: &[String]| -> Result<Vec<PathBuf>> {
        let (files, matched) = discover::expand(cwd, patterns)?;
        for (p, m) in patterns.iter().zip(matched) {
            if !m {
                bail!("{p}: no such file (or no file matches the glob)");
            }
        }
        Ok(files)
    };
    let mut junit = expand(&args.junit)?;
    let mut coverage = expand(&args.coverage)?;
    for f in expand(&args.reports)? {
        if analyze::is_junit(&f)? {
            junit.push(f);
        } else {
            coverage.push(f);
        }
    }
    junit.sort();
    junit.dedup();
    coverage.sort();
    coverage.dedup();
    Ok((junit, coverage))
}

/// Reports found by the configured globs (relative to the root). With `require_tests`, an
/// enabled test analyzer that finds no report is an error rather than a silent pass.
pub fn configured_inputs(
    root: &Path,
    eff: &Effective,
    require_tests: bool,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let cfg = &eff.config;
    let junit = if cfg.tests.enabled {
        discover::expand(root, &cfg.tests.reports)?.0
    } else {
        Vec::new()
    };
    let coverage = if cfg.coverage.enabled {
        discover::expand(root, &cfg.coverage.reports)?.0
    } else {
        Vec::new()
    };
    if require_tests && cfg.tests.enabled && junit.is_empty() {
        bail!(
            "no JUnit reports found under {} (searched {}); run the tests first, set `tests.reports`, or disable the analyzer with `tests.enabled: false`",
            root.display(),
            cfg.tests.reports.join(", ")
        );
    }
    let wants_coverage = cfg.coverage.min_lines.is_some()
        || cfg.coverage.min_branches.is_some()
        || cfg.coverage.min_diff.is_some();
    if wants_coverage && coverage.is_empty() {
        bail!(
            "coverage thresholds are set but no coverage report was found under {} (searched {})",
            root.display(),
            cfg.coverage.reports.join(", ")
        );
    }
    Ok((junit, coverage))
}

/// Runs the tests analyzer with the effective configuration.
pub fn analyze_tests(
    ws: &Workspace,
    eff: &Effective,
    junit: Vec<PathBuf>,
    coverage: Vec<PathBuf>,
    base: Option<String>,
    common: &CommonArgs,
) -> Result<TestsReport> {
    let cfg = &eff.config;
    let baseline = context::load_baseline(
        &ws.root,
        common.baseline.as_deref(),
        cfg.baseline.as_deref(),
    )?;
    let settings = Settings {
        root: ws.root.clone(),
        junit,
        coverage,
        diff: cfg.coverage.diff.then(|| DiffSettings {
            base: base.or_else(|| cfg.coverage.base.clone()),
            ci_base_branch: ws.ci.base_branch.clone(),
        }),
        thresholds: Thresholds {
            max_failures: cfg.tests.max_failures,
            allow_flaky: cfg.tests.allow_flaky,
            min_lines: cfg.coverage.min_lines,
            min_branches: cfg.coverage.min_branches,
            min_diff: cfg.coverage.min_diff,
        },
        slowest: cfg.tests.slowest,
        suppressions: eff.suppressions.clone(),
        baseline,
        today: None,
    };
    Ok(analyze::analyze(&settings)?)
}

/// Every rule the tests command can report.
pub fn rules() -> Vec<Rule> {
    ci_intel_tests::rules::RULES
        .iter()
        .chain(finding::RULES)
        .copied()
        .collect()
}

/// Prints the report in the requested format, feeds GitHub, writes a baseline if asked, and
/// returns the exit code.
pub fn output(
    title: &str,
    ws: &Workspace,
    eff: &Effective,
    common: &CommonArgs,
    report: &TestsReport,
) -> Result<i32> {
    if let Some(path) = &common.write_baseline {
        context::write_baseline(path, &report.findings)?;
        return Ok(ci_intel_core::exit::PASS);
    }
    let md = markdown::tests_dashboard(report);
    let text = match common.out.format {
        Format::Human => human::tests(
            title,
            report,
            human::Style {
                color: common.out.output.is_none() && context::color(),
            },
        ),
        Format::Json => json(report)?,
        Format::Sarif => sarif::to_json(&sarif::log(
            env!("CARGO_PKG_VERSION"),
            &rules(),
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
        human::tests(title, report, human::Style { color: false })
    })?;
    Ok(ci_intel_core::gate::exit_code(&report.gates))
}

/// The JSON output. `ci-intel check` wraps the same report in `ci-intel.check/v1`.
fn json(report: &TestsReport) -> Result<String> {
    Ok(serde_json::to_string_pretty(report)? + "\n")
}
