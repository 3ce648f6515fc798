//! The Markdown "health dashboard" of a run: what a reviewer reads in the PR's job summary.
//!
//! GitHub limits a step summary to 1 MiB, so long lists are cut (with a count of the rest), and
//! everything a report writes is escaped so a test name cannot break the table or inject HTML.

use ci_intel_core::{GateResult, GateVerdict};
use ci_intel_tests::report::{FailureKind, TestsReport};

use crate::text::{duration, first_line, line_ranges, pct};

/// Most rows of any one table.
const MAX_ROWS: usize = 50;

fn icon(r: GateResult) -> &'static str {
    match r {
        GateResult::Allow => "✅",
        GateResult::Warn => "⚠️",
        GateResult::Deny => "❌",
    }
}

/// Escapes text for a Markdown table cell: no line breaks, pipes, or HTML.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push('\''),
            '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Code text (in backticks): backticks and line breaks removed.
pub(crate) fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'").replace(['\n', '\r'], " "))
}

/// The gates table.
pub fn gates(out: &mut String, verdicts: &[GateVerdict]) {
    if verdicts.is_empty() {
        return;
    }
    out.push_str("\n### Gates\n\n| | Gate | Result | Reason |\n|---|---|---|---|\n");
    for v in verdicts {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            icon(v.result),
            code(&v.id),
            v.result.as_str(),
            cell(&v.reason)
        ));
    }
}

/// The tests health dashboard.
pub fn tests_dashboard(r: &TestsReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "## {} ci-intel · test health: {}\n\n",
        icon(r.verdict),
        r.verdict.as_str()
    ));
    summary_table(&mut out, r);
    gates(&mut out, &r.gates);
    failures_section(&mut out, r);
    flaky_section(&mut out, r);
    uncovered_section(&mut out, r);
    slowest_section(&mut out, r);
    least_covered_section(&mut out, r);
    if r.suppressed + r.baselined > 0 {
        out.push_str(&format!(
            "\n{} finding(s) suppressed, {} in the baseline.\n",
            r.suppressed, r.baselined
        ));
    }
    for n in &r.notes {
        out.push_str(&format!("\n> {}\n", cell(n)));
    }
    out
}

/// The summary table: tests, coverage and diff coverage, one row each.
fn summary_table(out: &mut String, r: &TestsReport) {
    let c = &r.counts;
    out.push_str("| | |\n|---|---|\n");
    if !r.inputs.junit.is_empty() {
        out.push_str(&format!(
            "| **Tests** | {} total · {} passed · {} failed{} · {} skipped · {} flaky · {} |\n",
            c.total,
            c.passed,
            c.failures + c.errors,
            if c.errors > 0 {
                format!(" ({} errors)", c.errors)
            } else {
                String::new()
            },
            c.skipped,
            c.flaky,
            duration(r.tests.duration_ms as f64)
        ));
    }
    if let Some(cov) = &r.coverage {
        out.push_str(&format!(
            "| **Line coverage** | {} ({} of {} lines) |\n",
            pct(cov.lines_pct),
            cov.lines_covered,
            cov.lines_valid
        ));
        if cov.branches_valid > 0 {
            out.push_str(&format!(
                "| **Branch coverage** | {} ({} of {} branches) |\n",
                pct(cov.branches_pct),
                cov.branches_covered,
                cov.branches_valid
            ));
        }
        if let Some(s) = cov.statements_pct {
            out.push_str(&format!("| **Statement coverage** | {} |\n", pct(Some(s))));
        }
    }
    if let Some(d) = &r.diff_coverage {
        let short = &d.base_commit[..d.base_commit.len().min(10)];
        out.push_str(&format!(
            "| **Diff coverage** | {} of {} changed, measured lines vs {} ({}); {} uncovered |\n",
            pct(d.lines_pct),
            d.measured_lines,
            code(&d.base),
            code(short),
            d.uncovered.len()
        ));
    }
}

/// Failed tests with their location and first message line.
fn failures_section(out: &mut String, r: &TestsReport) {
    if !r.failures.is_empty() {
        out.push_str(&format!(
            "\n### Failures ({})\n\n| Test | Kind | Location | Message |\n|---|---|---|---|\n",
            r.failures.len()
        ));
        for f in r.failures.iter().take(MAX_ROWS) {
            let loc = match (&f.file, f.line) {
                (Some(file), Some(line)) => code(&format!("{file}:{line}")),
                (Some(file), None) => code(file),
                _ => String::new(),
            };
            let mut kind = match f.kind {
                FailureKind::Failure => "failure".to_owned(),
                FailureKind::Error => "error".to_owned(),
            };
            if f.attempts > 1 {
                kind.push_str(&format!(" ×{}", f.attempts));
            }
            if f.quarantined {
                kind.push_str(" (quarantined)");
            }
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                code(&f.id),
                kind,
                loc,
                cell(&first_line(&f.message, 200))
            ));
        }
        more(out, r.failures.len());
    }
}

/// Tests that failed and then passed on a retry.
fn flaky_section(out: &mut String, r: &TestsReport) {
    if !r.flaky.is_empty() {
        out.push_str(&format!(
            "\n### Flaky tests ({})\n\nFailed, then passed on a retry of the same commit.\n\n| Test | Attempts | First failure |\n|---|---|---|\n",
            r.flaky.len()
        ));
        for f in r.flaky.iter().take(MAX_ROWS) {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                code(&f.id),
                f.attempts,
                cell(&first_line(f.message.as_deref().unwrap_or(""), 200))
            ));
        }
        more(out, r.flaky.len());
    }
}

/// Changed lines no test ran, per file.
fn uncovered_section(out: &mut String, r: &TestsReport) {
    if let Some(d) = &r.diff_coverage
        && !d.files.is_empty()
    {
        out.push_str("\n### Changed lines without coverage\n\n| File | Diff coverage | Uncovered lines |\n|---|---|---|\n");
        for f in d
            .files
            .iter()
            .filter(|f| !f.uncovered.is_empty())
            .take(MAX_ROWS)
        {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                code(&f.path),
                pct(f.lines_pct),
                line_ranges(&f.uncovered)
            ));
        }
    }
}

/// The slowest tests, folded.
fn slowest_section(out: &mut String, r: &TestsReport) {
    if !r.slowest.is_empty() {
        out.push_str(
            "\n<details><summary>Slowest tests</summary>\n\n| Test | Duration |\n|---|---|\n",
        );
        for s in &r.slowest {
            out.push_str(&format!(
                "| {} | {} |\n",
                code(&s.id),
                duration(s.duration_ms)
            ));
        }
        out.push_str("\n</details>\n");
    }
}

/// The least covered files, folded.
fn least_covered_section(out: &mut String, r: &TestsReport) {
    if let Some(cov) = &r.coverage {
        let low: Vec<_> = cov
            .files
            .iter()
            .filter(|f| f.lines_pct.is_some_and(|p| p < 1.0))
            .take(10)
            .collect();
        if !low.is_empty() {
            out.push_str("\n<details><summary>Least covered files</summary>\n\n| File | Lines | Branches |\n|---|---|---|\n");
            for f in low {
                out.push_str(&format!(
                    "| {} | {} ({}/{}) | {} |\n",
                    code(&f.path),
                    pct(f.lines_pct),
                    f.lines_covered,
                    f.lines_valid,
                    pct(f.branches_pct)
                ));
            }
            out.push_str("\n</details>\n");
        }
    }
}

fn more(out: &mut String, total: usize) {
    if total > MAX_ROWS {
        out.push_str(&format!(
            "\n…and {} more (see the JSON or SARIF report).\n",
            total - MAX_ROWS
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        assert_eq!(cell("a|b\n<script>"), "a\\|b &lt;script&gt;");
        assert_eq!(code("x`y\nz"), "`x'y z`");
    }
}
