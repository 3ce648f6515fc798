//! The test-results analyzer: reads every report, merges, computes diff coverage, turns problems
//! into findings, applies suppressions, and judges the gates. It prints nothing; the binary
//! renders the [`TestsReport`] it returns.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ci_intel_core::finding::{Finding, Location, Severity};
use ci_intel_core::repo_paths::RepoPaths;
use ci_intel_core::suppression::{self, Baseline, CompiledSuppression};
use ci_intel_core::{GateResult, InputError, pipeline_run};
use rayon::prelude::*;

use crate::coverage::{self, Coverage};
use crate::diffcov::{self, DiffCoverage};
use crate::gates::{self, Thresholds};
use crate::junit::{self, Outcome};
use crate::report::{self, TestsReport};
use crate::results::{self, FailedTest, TestRun};

/// What to read and how to judge it.
#[derive(Debug, Default)]
pub struct Settings {
    /// The repository root: coverage and failure paths are made relative to it.
    pub root: PathBuf,
    pub junit: Vec<PathBuf>,
    pub coverage: Vec<PathBuf>,
    /// Compute diff coverage (when coverage reports are given).
    pub diff: Option<DiffSettings>,
    pub thresholds: Thresholds,
    pub slowest: usize,
    pub suppressions: Vec<CompiledSuppression>,
    pub baseline: Option<Baseline>,
    pub today: Option<time::Date>,
}

#[derive(Debug, Default, Clone)]
pub struct DiffSettings {
    /// The ref to compare against; `None` picks the default branch's merge-base.
    pub base: Option<String>,
    /// The PR's target branch, from the CI environment.
    pub ci_base_branch: Option<String>,
}

/// Runs the analyzer.
pub fn analyze(s: &Settings) -> Result<TestsReport, InputError> {
    let repo = RepoPaths::new(&s.root);
    let mut notes = Vec::new();

    // Git works out the change while the reports are read.
    let pending_change = s.diff.as_ref().filter(|_| !s.coverage.is_empty()).map(|d| {
        let (root, d) = (s.root.clone(), d.clone());
        std::thread::spawn(move || {
            diffcov::change(&root, d.base.as_deref(), d.ci_base_branch.as_deref())
        })
    });
    let run = read_junit(&s.junit, s.slowest)?;
    let cov = read_coverage(&s.coverage, &repo)?;

    let (diff, diff_problem) = match pending_change {
        Some(handle) => join_diff(handle, s, &cov, &mut notes)?,
        None => (None, None),
    };

    // Gates on coverage come first: the uncovered-line findings take their severity from the
    // diff gate.
    let totals = cov.totals();
    let th = &s.thresholds;
    let coverage_gates = coverage_gates(th, &totals, diff.as_ref(), diff_problem.as_deref());
    let diff_denied = coverage_gates
        .iter()
        .any(|g| g.id == "coverage.diff" && g.result == GateResult::Deny);

    // Findings.
    let failed = run.failed();
    let flaky = run.flaky();
    let (mut findings, failure_fps) = failure_findings(&failed, &repo);
    findings.extend(flaky_findings(&flaky));
    if let Some(d) = &diff {
        let severity = if diff_denied {
            Severity::Error
        } else {
            Severity::Warning
        };
        findings.extend(uncovered_findings(d, &s.root, severity));
    }

    let today = s
        .today
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let filtered = suppression::apply(findings, &s.suppressions, s.baseline.as_ref(), today);
    // A failure whose finding is suppressed or baselined is quarantined: it does not fail the
    // gate.
    let hidden: HashSet<&str> = filtered
        .suppressed
        .iter()
        .chain(&filtered.baselined)
        .map(|f| f.fingerprint.as_str())
        .collect();
    let quarantined_flags: Vec<bool> = failure_fps
        .iter()
        .map(|fp| hidden.contains(fp.as_str()))
        .collect();
    let quarantined = quarantined_flags.iter().filter(|&&q| q).count() as u64;

    let counts = run.counts();
    let mut verdicts = Vec::new();
    if !s.junit.is_empty() {
        verdicts.push(gates::failures(
            counts.failed() - quarantined,
            quarantined,
            th.max_failures,
        ));
        verdicts.push(gates::flaky(counts.flaky, th.allow_flaky));
    }
    verdicts.extend(coverage_gates);

    let coverage_summary = (!cov.is_empty()).then(|| summarize_coverage(&cov));
    let tests = run_tests(&run, &counts, &cov, &totals);
    Ok(TestsReport {
        schema: report::SCHEMA.into(),
        verdict: ci_intel_core::gate::overall(&verdicts),
        tests,
        counts: report_counts(&counts),
        inputs: report::Inputs {
            junit: s.junit.iter().map(|p| display(p, &s.root)).collect(),
            coverage: s.coverage.iter().map(|p| display(p, &s.root)).collect(),
        },
        failures: report_failures(&failed, &quarantined_flags, &repo),
        flaky: flaky
            .into_iter()
            .map(|f| report::Flaky {
                id: f.id,
                attempts: f.attempts,
                message: f.message,
            })
            .collect(),
        slowest: run
            .slowest()
            .into_iter()
            .map(|t| report::Slow {
                id: t.id,
                duration_ms: t.duration_ms,
            })
            .collect(),
        coverage: coverage_summary,
        diff_coverage: diff.as_ref().map(summarize_diff),
        gates: verdicts,
        findings: filtered.active,
        suppressed: filtered.suppressed.len(),
        baselined: filtered.baselined.len(),
        notes,
    })
}

/// The `tests` block of the `pipeline_run` record.
fn run_tests(
    run: &TestRun,
    counts: &results::Counts,
    cov: &Coverage,
    totals: &coverage::Totals,
) -> pipeline_run::Tests {
    pipeline_run::Tests {
        total: counts.total,
        failed: counts.failed(),
        skipped: Some(counts.skipped),
        duration_ms: run.duration_ms().round() as u64,
        coverage: (!cov.is_empty()).then(|| pipeline_run::Coverage {
            lines_pct: totals.lines_pct(),
            branches_pct: totals.branches_pct(),
            statements_pct: totals.statements_pct(),
        }),
        resilience: None,
    }
}

fn report_counts(counts: &results::Counts) -> report::Counts {
    report::Counts {
        total: counts.total,
        passed: counts.passed,
        failures: counts.failures,
        errors: counts.errors,
        skipped: counts.skipped,
        flaky: counts.flaky,
        attempts: counts.entries,
    }
}

/// The report's failures, paths made relative to the repository, each marked when quarantined.
fn report_failures(
    failed: &[FailedTest],
    quarantined: &[bool],
    repo: &RepoPaths,
) -> Vec<report::Failure> {
    failed
        .iter()
        .zip(quarantined)
        .map(|(f, &q)| report::Failure {
            id: f.id.clone(),
            kind: if f.detail.outcome == Outcome::Errored {
                report::FailureKind::Error
            } else {
                report::FailureKind::Failure
            },
            message: f.detail.message.clone(),
            file: f.detail.file.as_deref().map(|p| repo.resolve_or_keep(p)),
            line: f.detail.line,
            attempts: f.attempts,
            quarantined: q,
        })
        .collect()
}

/// Waits for git's view of the change and turns it into diff coverage: `(coverage, why not)`.
/// An explicit `--base` that git does not know is an input error; anything else only skips diff
/// coverage, with a note.
fn join_diff(
    handle: std::thread::JoinHandle<Result<diffcov::Change, diffcov::DiffError>>,
    s: &Settings,
    cov: &Coverage,
    notes: &mut Vec<String>,
) -> Result<(Option<DiffCoverage>, Option<String>), InputError> {
    let explicit_base = s.diff.as_ref().is_some_and(|d| d.base.is_some());
    let result = handle.join().unwrap_or_else(|_| {
        Err(diffcov::DiffError::Git(ci_intel_core::git::GitError {
            args: "diff".into(),
            message: "the thread running git stopped unexpectedly".into(),
        }))
    });
    match result {
        Ok(c) => Ok((
            Some(diffcov::from_added_lines(
                c.base,
                c.base_commit,
                &c.added,
                cov,
            )),
            None,
        )),
        Err(e @ diffcov::DiffError::UnknownBase(_)) if explicit_base => {
            Err(InputError::new(&s.root, e.to_string()))
        }
        Err(e) => {
            notes.push(format!("diff coverage skipped: {e}"));
            Ok((None, Some(e.to_string())))
        }
    }
}

/// The coverage gates the thresholds ask for: lines, branches, and the diff.
fn coverage_gates(
    th: &Thresholds,
    totals: &coverage::Totals,
    diff: Option<&DiffCoverage>,
    diff_problem: Option<&str>,
) -> Vec<ci_intel_core::GateVerdict> {
    let mut out = Vec::new();
    if let Some(min) = th.min_lines {
        out.push(gates::minimum(
            "coverage.lines",
            "line coverage",
            totals.lines_pct(),
            min,
        ));
    }
    if let Some(min) = th.min_branches {
        out.push(gates::minimum(
            "coverage.branches",
            "branch coverage",
            totals.branches_pct(),
            min,
        ));
    }
    if let Some(min) = th.min_diff {
        out.push(match (diff, diff_problem) {
            (Some(d), _) if d.measured_lines() == 0 => {
                gates::diff_nothing_measured(d.changed_lines, min)
            }
            (Some(d), _) => gates::minimum("coverage.diff", "diff coverage", d.lines_pct(), min)
                .input("measured_lines", d.measured_lines())
                .input("uncovered_lines", d.uncovered_lines()),
            (None, Some(why)) => gates::diff_unavailable(why, min),
            (None, None) => gates::minimum("coverage.diff", "diff coverage", None, min),
        });
    }
    out
}

/// One `tests/test-failure` finding per failed test, and their fingerprints in order (to tell
/// which failures a suppression quarantines).
fn failure_findings(
    failed: &[crate::results::FailedTest],
    repo: &RepoPaths,
) -> (Vec<Finding>, Vec<String>) {
    let mut findings = Vec::with_capacity(failed.len());
    let mut fingerprints = Vec::with_capacity(failed.len());
    for f in failed {
        let location = f
            .detail
            .file
            .as_deref()
            .map(|file| Location::line(repo.resolve_or_keep(file), f.detail.line.unwrap_or(1)));
        let verb = if f.detail.outcome == Outcome::Errored {
            "errored"
        } else {
            "failed"
        };
        let first = f.detail.message.lines().next().unwrap_or_default();
        let message = if first.is_empty() {
            format!("{} {verb}", f.id)
        } else {
            format!("{} {verb}: {first}", f.id)
        };
        let finding = Finding::new(
            "tests",
            "test-failure",
            Severity::Error,
            message,
            location,
            &f.id,
        );
        fingerprints.push(finding.fingerprint.clone());
        findings.push(finding);
    }
    (findings, fingerprints)
}

/// One `tests/flaky-test` warning per test that passed only on a retry.
fn flaky_findings(flaky: &[crate::results::FlakyTest]) -> Vec<Finding> {
    flaky
        .iter()
        .map(|f| {
            let message = match &f.message {
                Some(m) => format!(
                    "{} is flaky: passed after {} attempts ({})",
                    f.id,
                    f.attempts,
                    m.lines().next().unwrap_or_default()
                ),
                None => format!("{} is flaky: passed after {} attempts", f.id, f.attempts),
            };
            Finding::new(
                "tests",
                "flaky-test",
                Severity::Warning,
                message,
                None,
                &f.id,
            )
        })
        .collect()
}

/// One `coverage/uncovered-line` finding per range of changed lines no test ran; the snippet
/// (the lines themselves) keeps the fingerprint stable when the lines move.
fn uncovered_findings(d: &DiffCoverage, root: &Path, severity: Severity) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in &d.files {
        let source = std::fs::read_to_string(root.join(&file.path)).ok();
        for (start, end) in diffcov::ranges(&file.uncovered) {
            let snippet = source
                .as_deref()
                .map(|text| lines_of(text, start, end))
                .unwrap_or_else(|| format!("{}:{start}-{end}", file.path));
            let message = if start == end {
                format!("line {start} is changed and not covered by tests")
            } else {
                format!("lines {start}-{end} are changed and not covered by tests")
            };
            let mut loc = Location::line(file.path.clone(), start);
            if end != start {
                loc.end_line = Some(end);
            }
            out.push(Finding::new(
                "coverage",
                "uncovered-line",
                severity,
                message,
                Some(loc),
                &snippet,
            ));
        }
    }
    out
}

/// Reads JUnit reports in parallel, one [`TestRun`] each, merged in input order.
fn read_junit(files: &[PathBuf], slowest: usize) -> Result<TestRun, InputError> {
    let runs: Vec<Result<TestRun, InputError>> = files
        .par_iter()
        .map(|path| {
            let mut run = TestRun::new(slowest);
            run.begin_report();
            junit::read_file(path, &mut |c| run.add(c))?;
            Ok(run)
        })
        .collect();
    let mut merged = TestRun::new(slowest);
    for r in runs {
        merged.merge(r?);
    }
    Ok(merged)
}

fn read_coverage(files: &[PathBuf], repo: &RepoPaths) -> Result<Coverage, InputError> {
    let reports: Vec<Result<coverage::Report, InputError>> =
        files.par_iter().map(|p| coverage::read_file(p)).collect();
    let mut cov = Coverage::default();
    for r in reports {
        cov.add(r?, repo);
    }
    Ok(cov)
}

fn summarize_coverage(cov: &Coverage) -> report::CoverageSummary {
    let t = cov.totals();
    let mut files: Vec<report::FileCoverageSummary> = cov
        .files
        .iter()
        .map(|(path, fc)| {
            let ft = fc.totals();
            report::FileCoverageSummary {
                path: path.clone(),
                lines_pct: ft.lines_pct(),
                lines_covered: ft.lines_covered,
                lines_valid: ft.lines_valid,
                branches_pct: ft.branches_pct(),
            }
        })
        .collect();
    files.sort_by(|a, b| {
        a.lines_pct
            .unwrap_or(1.0)
            .total_cmp(&b.lines_pct.unwrap_or(1.0))
            .then_with(|| a.path.cmp(&b.path))
    });
    report::CoverageSummary {
        formats: cov.formats.iter().map(|f| f.as_str().to_owned()).collect(),
        lines_pct: t.lines_pct(),
        branches_pct: t.branches_pct(),
        statements_pct: t.statements_pct(),
        lines_covered: t.lines_covered,
        lines_valid: t.lines_valid,
        branches_covered: t.branches_covered,
        branches_valid: t.branches_valid,
        files,
    }
}

fn summarize_diff(d: &DiffCoverage) -> report::DiffCoverageSummary {
    report::DiffCoverageSummary {
        base: d.base.clone(),
        base_commit: d.base_commit.clone(),
        lines_pct: d.lines_pct(),
        changed_lines: d.changed_lines,
        measured_lines: d.measured_lines(),
        uncovered: d
            .files
            .iter()
            .flat_map(|f| {
                f.uncovered.iter().map(|&line| report::UncoveredLine {
                    path: f.path.clone(),
                    line,
                })
            })
            .collect(),
        files: d
            .files
            .iter()
            .map(|f| report::DiffFile {
                path: f.path.clone(),
                lines_pct: f.lines_pct(),
                measured: f.measured.len() as u64,
                uncovered: f.uncovered.clone(),
            })
            .collect(),
    }
}

/// Lines `start..=end` of `text` (1-based), joined.
fn lines_of(text: &str, start: u32, end: u32) -> String {
    text.lines()
        .skip(start.saturating_sub(1) as usize)
        .take((end - start + 1) as usize)
        .collect::<Vec<_>>()
        .join("\n")
}

fn display(p: &Path, root: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// Whether a file looks like a JUnit report (rather than a coverage report), from its first
/// element, so users can pass a mix of reports as plain arguments.
pub fn is_junit(path: &Path) -> Result<bool, InputError> {
    let head =
        ci_intel_core::fsutil::read_head(path, 8192).map_err(|e| InputError::io(path, &e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(true); // gzip: only JUnit reports are read compressed
    }
    let text = String::from_utf8_lossy(&head);
    if text.trim().is_empty() {
        // What a runner that crashed before writing leaves. Only a file named for coverage is
        // taken for a coverage report; the JUnit reader then says what is wrong with it.
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let coverage = ["cover", "cobertura", "jacoco", "lcov"]
            .iter()
            .any(|c| name.contains(c));
        return Ok(!coverage);
    }
    let mut rest = text.as_ref();
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        return Ok(["testsuite", "assemblies", "assembly"]
            .iter()
            .any(|root| rest.starts_with(root)));
    }
    Ok(false)
}
