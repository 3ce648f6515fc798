//! GitHub Actions workflow commands (`::error file=…,line=…::message`), one per finding.
//!
//! GitHub shows only the first few annotations of a step, so we emit at most `max` and count
//! the rest in one notice instead of flooding the log.

use ci_intel_core::finding::{Finding, Severity};

/// The workflow commands for `findings`, most severe first.
pub fn github(findings: &[Finding], max: usize) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let mut out = String::new();
    for f in sorted.iter().take(max) {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some(loc) = &f.location {
            props.push(format!("file={}", escape_property(&loc.path)));
            props.push(format!("line={}", loc.start_line));
            if let Some(end) = loc.end_line {
                props.push(format!("endLine={end}"));
            }
            if let Some(col) = loc.start_column {
                props.push(format!("col={col}"));
            }
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{}/{}", f.tool, f.rule_id))
        ));
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            escape_data(&f.message)
        ));
    }
    if sorted.len() > max {
        out.push_str(&format!(
            "::notice title=ci-intel::{} more finding(s) not shown as annotations; see the job summary or the SARIF report\n",
            sorted.len() - max
        ));
    }
    out
}

/// Escapes a command's message, as GitHub's toolkit does.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (also `:` and `,`, which delimit properties).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ci_intel_core::finding::Location;

    fn f(sev: Severity, msg: &str, loc: Option<Location>) -> Finding {
        Finding::new("tests", "test-failure", sev, msg, loc, msg)
    }

    #[test]
    fn formats_and_escapes() {
        let mut loc = Location::line("src/a,b.py", 3);
        loc.end_line = Some(5);
        let out = github(&[f(Severity::Error, "50% done\nnext: line", Some(loc))], 10);
        assert_eq!(
            out,
            "::error file=src/a%2Cb.py,line=3,endLine=5,title=tests/test-failure::50%25 done%0Anext: line\n"
        );
    }

    #[test]
    fn caps_and_counts_the_rest_most_severe_first() {
        let fs = vec![
            f(Severity::Warning, "w1", None),
            f(Severity::Error, "e1", None),
            f(Severity::Warning, "w2", None),
        ];
        let out = github(&fs, 1);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("::error "), "{out}");
        assert!(lines[1].contains("2 more finding(s)"), "{out}");
    }

    proptest::proptest! {
        #[test]
        fn escaped_messages_stay_on_one_line(s in "\\PC*[\r\n%:,]\\PC*") {
            let out = github(&[f(Severity::Error, &s, Some(Location::line(&s, 1)))], 5);
            proptest::prop_assert_eq!(out.lines().count(), 1);
        }
    }
}
