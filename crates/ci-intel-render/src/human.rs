//! Terminal output: a short summary a person reads top to bottom, failures before details.

use ci_intel_core::{GateResult, GateVerdict};
use ci_intel_tests::report::{FailureKind, TestsReport};

use crate::text::{duration, first_line, line_ranges, pct};

/// How many failures, flaky tests and files are listed before "…and N more".
const MAX_LISTED: usize = 20;

/// ANSI styling, on only when writing to a terminal.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub(crate) fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    pub(crate) fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    pub(crate) fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    fn result(self, r: GateResult) -> String {
        let text = format!("{:<5}", r.as_str());
        match r {
            GateResult::Allow => self.paint("32", &text),
            GateResult::Warn => self.paint("33", &text),
            GateResult::Deny => self.paint("31;1", &text),
        }
    }
}

/// Strips control characters so a test name cannot rewrite the terminal.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '�'
            } else {
                c
            }
        })
        .collect()
}

/// The gates, one line each.
pub fn gates(out: &mut String, verdicts: &[GateVerdict], style: Style) {
    if verdicts.is_empty() {
        return;
    }
    out.push_str(&format!("\n{}\n", style.bold("gates")));
    let width = verdicts.iter().map(|v| v.id.len()).max().unwrap_or(0);
    for v in verdicts {
        out.push_str(&format!(
            "  {}  {:<width$}  {}\n",
            style.result(v.result),
            v.id,
            clean(&v.reason)
        ));
    }
}

/// The tests report for a terminal, headed by `title` (the command that ran).
pub fn tests(title: &str, r: &TestsReport, style: Style) -> String {
    let mut out = tests_body(title, r, style);
    gates(&mut out, &r.gates, style);
    out
}

/// [`tests`] without its gate table: for `check`, which prints every analyzer's gates in one
/// table at the end.
pub fn tests_body(title: &str, r: &TestsReport, style: Style) -> String {
    let mut out = String::new();
    let c = &r.counts;
    out.push_str(&format!(
        "{} {}\n",
        style.bold(&format!("{title}:")),
        style.result(r.verdict).trim_end()
    ));
    if !r.inputs.junit.is_empty() {
        out.push_str(&format!(
            "  tests     {} total, {} passed, {} failed ({} failures, {} errors), {} skipped, {} flaky  {}\n",
            c.total,
            c.passed,
            c.failures + c.errors,
            c.failures,
            c.errors,
            c.skipped,
            c.flaky,
            style.dim(&format!(
                "[{} in {} report(s), {} attempts]",
                duration(r.tests.duration_ms as f64),
                r.inputs.junit.len(),
                c.attempts
            ))
        ));
    }
    if let Some(cov) = &r.coverage {
        let mut line = format!(
            "  coverage  lines {} ({}/{})",
            pct(cov.lines_pct),
            cov.lines_covered,
            cov.lines_valid
        );
        if cov.branches_valid > 0 {
            line.push_str(&format!(
                ", branches {} ({}/{})",
                pct(cov.branches_pct),
                cov.branches_covered,
                cov.branches_valid
            ));
        }
        if let Some(s) = cov.statements_pct {
            line.push_str(&format!(", statements {}", pct(Some(s))));
        }
        out.push_str(&line);
        out.push_str(&format!(
            "  {}\n",
            style.dim(&format!("[{}]", cov.formats.join(", ")))
        ));
    }
    if let Some(d) = &r.diff_coverage {
        let base = format!(
            "{} ({})",
            d.base,
            &d.base_commit[..d.base_commit.len().min(10)]
        );
        if d.measured_lines == 0 {
            out.push_str(&format!(
                "  diff      no measured line changed vs {base} ({} changed line(s) in all)\n",
                d.changed_lines
            ));
        } else {
            out.push_str(&format!(
                "  diff      {} of {} measured changed lines vs {base}, {} uncovered\n",
                pct(d.lines_pct),
                d.measured_lines,
                d.uncovered.len()
            ));
        }
    }

    if !r.failures.is_empty() {
        out.push_str(&format!("\n{}\n", style.bold("failures")));
        for f in r.failures.iter().take(MAX_LISTED) {
            let mark = match f.kind {
                FailureKind::Failure => style.paint("31", "✗"),
                FailureKind::Error => style.paint("31", "!"),
            };
            let loc = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!("  {}", style.dim(&format!("{file}:{line}"))),
                (Some(file), None) => format!("  {}", style.dim(file)),
                _ => String::new(),
            };
            let mut extra = String::new();
            if f.attempts > 1 {
                extra.push_str(&format!(" ({} attempts)", f.attempts));
            }
            if f.quarantined {
                extra.push_str(" (quarantined)");
            }
            out.push_str(&format!("  {mark} {}{extra}{loc}\n", clean(&f.id)));
            let msg = first_line(&f.message, 160);
            if !msg.is_empty() {
                out.push_str(&format!("      {}\n", clean(&msg)));
            }
        }
        more(&mut out, r.failures.len());
    }
    if !r.flaky.is_empty() {
        out.push_str(&format!("\n{}\n", style.bold("flaky")));
        for f in r.flaky.iter().take(MAX_LISTED) {
            out.push_str(&format!(
                "  {} {} ({} attempts)\n",
                style.paint("33", "~"),
                clean(&f.id),
                f.attempts
            ));
        }
        more(&mut out, r.flaky.len());
    }
    if let Some(d) = &r.diff_coverage {
        let files: Vec<_> = d.files.iter().filter(|f| !f.uncovered.is_empty()).collect();
        if !files.is_empty() {
            out.push_str(&format!("\n{}\n", style.bold("uncovered changed lines")));
            for f in files.iter().take(MAX_LISTED) {
                out.push_str(&format!(
                    "  {}  {}  {}\n",
                    clean(&f.path),
                    line_ranges(&f.uncovered),
                    style.dim(&format!("({} of {} covered)", pct(f.lines_pct), f.measured))
                ));
            }
            more(&mut out, files.len());
        }
    }
    if !r.slowest.is_empty() {
        out.push_str(&format!("\n{}\n", style.bold("slowest")));
        for s in r.slowest.iter().take(5) {
            out.push_str(&format!(
                "  {:>8}  {}\n",
                duration(s.duration_ms),
                clean(&s.id)
            ));
        }
    }
    if r.suppressed + r.baselined > 0 {
        out.push_str(&format!(
            "\n{}\n",
            style.dim(&format!(
                "{} finding(s) suppressed, {} in the baseline",
                r.suppressed, r.baselined
            ))
        ));
    }
    for n in &r.notes {
        out.push_str(&format!("\nnote: {}\n", clean(n)));
    }
    out
}

fn more(out: &mut String, total: usize) {
    if total > MAX_LISTED {
        out.push_str(&format!("  …and {} more\n", total - MAX_LISTED));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_neutralised() {
        assert_eq!(clean("a\x1b[31mb"), "a�[31mb");
        assert_eq!(Style { color: false }.result(GateResult::Deny), "deny ");
    }
}
