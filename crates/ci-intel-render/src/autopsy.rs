//! The autopsy for people: the terminal summary, the Markdown issue body (and the PR summary's
//! lead paragraph). Texts were redacted by the analyzer; here they are only escaped.

use std::fmt::Write as _;

use ci_intel_autopsy::{AutopsyReport, RootCause};

use crate::human::{Style, clean};
use crate::markdown::{cell, code};

/// Root causes listed in full before the rest are summarised.
const DETAILED: usize = 3;
/// Lines of an excerpt shown.
const EXCERPT_LINES: usize = 12;

fn place(c: &RootCause) -> Option<String> {
    let file = c.file.as_deref()?;
    Some(match c.line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_owned(),
    })
}

fn log_place(c: &RootCause) -> String {
    let mut s = format!("{}:{}", c.location.log, c.location.line);
    if let Some(job) = &c.location.job {
        let _ = write!(s, ", job {job}");
    }
    if let Some(step) = &c.location.step {
        let _ = write!(s, ", step {step}");
    }
    s
}

/// The terminal summary.
pub fn human(r: &AutopsyReport, style: Style) -> String {
    let mut out = String::new();
    let read = format!("{} log(s), {} line(s)", r.stats.logs, r.stats.lines);
    if r.root_causes.is_empty() {
        let _ = writeln!(
            out,
            "{} no failure found in {read}{}",
            style.bold("ci-intel autopsy:"),
            if r.failed {
                " (a step failed, but no line explains it)"
            } else {
                ""
            }
        );
    } else {
        let _ = writeln!(
            out,
            "{} {} root cause(s) in {read}\n",
            style.bold("ci-intel autopsy:"),
            r.stats.root_causes_total
        );
    }
    for (i, c) in r.root_causes.iter().enumerate() {
        let head = format!("{}. {} · {} · {}", i + 1, c.category, c.tool, c.rule_id);
        let _ = writeln!(
            out,
            "{} {}",
            style.paint(if i == 0 { "31;1" } else { "1" }, &head),
            style.dim(&format!(
                "(confidence {:.2}{})",
                c.confidence,
                if c.occurrences > 1 {
                    format!(", seen {}×", c.occurrences)
                } else {
                    String::new()
                }
            ))
        );
        let _ = writeln!(out, "   {}", clean(&c.message));
        if let Some(p) = place(c) {
            let _ = writeln!(out, "   at {}", clean(&p));
        }
        let _ = writeln!(
            out,
            "   {}",
            style.dim(&format!("log {}", clean(&log_place(c))))
        );
        let _ = writeln!(out, "   fix: {}", clean(&c.suggestion));
        if let Some(r) = &c.repro {
            let _ = writeln!(out, "   repro: {}", clean(r));
        }
        if i < DETAILED {
            for l in c.excerpt.iter().take(EXCERPT_LINES) {
                let _ = writeln!(out, "   {} {}", style.dim("│"), clean(l));
            }
        }
        out.push('\n');
    }
    if !r.signatures.is_empty()
        && r.root_causes
            .iter()
            .all(|c| c.rule_id != ci_intel_autopsy::rank::UNKNOWN_RULE)
    {
        let _ = writeln!(
            out,
            "{}",
            style.bold("unknown error lines (candidates for new rules):")
        );
        for s in r.signatures.iter().take(5) {
            let _ = writeln!(out, "   {:>4}× {}", s.count, clean(&s.template));
        }
    }
    out
}

/// One root cause as a Markdown block.
fn cause_block(out: &mut String, c: &RootCause) {
    let mut head = format!("**{}** ({}", c.category, cell(&c.tool));
    if let Some(p) = place(c) {
        let _ = write!(head, ", {}", code(&p));
    }
    let _ = write!(
        head,
        ", rule {}, confidence {:.2})",
        code(&c.rule_id),
        c.confidence
    );
    let _ = writeln!(out, "{head}\n");
    let _ = writeln!(out, "> {}\n", cell(&c.message));
    let _ = writeln!(out, "**Suggested fix:** {}\n", cell(&c.suggestion));
    if let Some(r) = &c.repro {
        let _ = writeln!(out, "**Reproduce:** {}\n", code(r));
    }
    if let Some(d) = &c.docs_uri {
        let _ = writeln!(out, "**Docs:** <{}>\n", d.replace(['<', '>', ' '], ""));
    }
    if !c.excerpt.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Log excerpt ({})</summary>\n\n~~~text",
            cell(&log_place(c))
        );
        for l in c.excerpt.iter().take(EXCERPT_LINES) {
            // A line of tildes would close the fence early.
            let _ = writeln!(out, "{}", l.replace("~~~", "～～～"));
        }
        out.push_str("~~~\n\n</details>\n\n");
    }
}

/// The PR summary's lead: the top root cause, before anything else.
pub fn markdown_lead(r: &AutopsyReport) -> String {
    let Some(top) = r.root_causes.first() else {
        return String::new();
    };
    let mut out = String::from("### ❌ Why this job failed\n\n");
    cause_block(&mut out, top);
    if r.root_causes.len() > 1 {
        let _ = writeln!(
            out,
            "{} more root cause(s) below, in the autopsy.\n",
            r.root_causes.len() - 1
        );
    }
    out
}

/// The issue body: the run, root causes with fixes and repro commands, the logs read.
pub fn markdown(r: &AutopsyReport, title: &str) -> String {
    let mut out = format!("## {}\n\n", cell(title));
    if r.root_causes.is_empty() {
        out.push_str("No failure found in the logs.\n\n");
    }
    for (i, c) in r.root_causes.iter().enumerate().take(DETAILED) {
        let _ = writeln!(
            out,
            "### {}. {}\n",
            i + 1,
            cell(&crate::text::first_line(&c.message, 120))
        );
        cause_block(&mut out, c);
    }
    if r.root_causes.len() > DETAILED {
        out.push_str("### Other root causes\n\n| # | Category | Tool | Message | Where |\n|---|---|---|---|---|\n");
        for (i, c) in r.root_causes.iter().enumerate().skip(DETAILED) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                i + 1,
                c.category,
                cell(&c.tool),
                cell(&crate::text::first_line(&c.message, 120)),
                cell(&place(c).unwrap_or_else(|| log_place(c)))
            );
        }
        out.push('\n');
    }
    out.push_str("### Logs\n\n| Log | Job | Lines | Failed step |\n|---|---|---|---|\n");
    for l in &r.logs {
        let failed = l
            .steps
            .iter()
            .find(|s| s.failed())
            .map(|s| format!("{} (exit {})", s.name, s.exit_code.unwrap_or_default()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&l.log),
            cell(l.job.as_deref().unwrap_or("")),
            l.lines,
            cell(&failed)
        );
    }
    out
}
