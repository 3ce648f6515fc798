//! One log line made readable: terminal colours removed, GitHub's timestamp prefix removed, and
//! the markers CI systems write to frame their logs recognised (GitHub Actions groups, errors
//! and workflow commands; GitLab sections; exit statuses).
//!
//! Only lines the scanner looks at closely pass through here, so the cost is paid on a small
//! fraction of a log. The ANSI stripper is a small state machine rather than a crate: it runs
//! on borrowed bytes, allocates nothing when a line has no escape, and never fails.

use std::borrow::Cow;

/// A frame marker a CI system wrote, as [`marker`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker<'a> {
    /// GitHub `##[group]Title`: a step when the title is `Run …`, else a fold inside one.
    GroupStart(&'a str),
    /// GitHub `##[endgroup]`, GitLab `section_end:…:name`.
    GroupEnd,
    /// GitLab `section_start:…:name` (its title when it has one): a step of the job.
    Section(&'a str),
    /// GitHub `##[error]message` or the workflow command `::error file=…,line=…::message`.
    Error {
        message: &'a str,
        file: Option<&'a str>,
        line: Option<u64>,
    },
    /// `Process completed with exit code N.` (GitHub) or `ERROR: Job failed: exit code N`
    /// (GitLab): the step, or the job, ended with this status.
    ExitCode(i64),
    /// GitHub's `Post job cleanup.`: what follows is teardown, not the failure.
    Cleanup,
    /// Maven's `BUILD SUCCESS`/`BUILD FAILURE`, Gradle's `BUILD SUCCESSFUL`/`BUILD FAILED`:
    /// the end of one build in a log that may hold several (true when it succeeded).
    BuildResult(bool),
}

/// A line as `gh run view --log` prints it, `job<TAB>step<TAB>time text`: the job, the step
/// and the rest of the line.
pub fn gh_cli_prefix(line: &str) -> Option<(&str, &str, &str)> {
    let (job, rest) = line.split_once('\t')?;
    let (step, rest) = rest.split_once('\t')?;
    let b = rest.as_bytes();
    (b.len() >= 20 && b[4] == b'-' && b[10] == b'T' && b[..4].iter().all(u8::is_ascii_digit))
        .then_some((job, step, rest))
}

/// `line` without ANSI escape sequences (CSI such as colours and `\e[0K`, OSC, two-byte
/// escapes) and without carriage returns. Borrowed when there was nothing to remove.
pub fn strip_ansi(line: &str) -> Cow<'_, str> {
    let bytes = line.as_bytes();
    let Some(first) = memchr::memchr2(0x1b, b'\r', bytes) else {
        return Cow::Borrowed(line);
    };
    // Escape sequences are ASCII and their ends are ASCII bytes, which never occur inside a
    // multi-byte character: every cut below is on a character boundary.
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    let mut at = first;
    loop {
        out.push_str(&line[copied..at]);
        let mut next = at + 1;
        if bytes[at] == 0x1b {
            match bytes.get(next) {
                // CSI: parameters and intermediates, then one final byte in @..~.
                Some(b'[') => {
                    next = bytes[next + 1..]
                        .iter()
                        .position(|b| (b'@'..=b'~').contains(b))
                        .map_or(bytes.len(), |i| next + 1 + i + 1);
                }
                // OSC: up to BEL or ESC \.
                Some(b']') => {
                    next = match memchr::memchr2(0x07, 0x1b, &bytes[next + 1..]) {
                        None => bytes.len(),
                        Some(i) => {
                            let end = next + 1 + i;
                            if bytes[end] == 0x1b && bytes.get(end + 1) == Some(&b'\\') {
                                end + 2
                            } else {
                                end + 1
                            }
                        }
                    };
                }
                // Any other escape: the next character goes too.
                Some(_) => {
                    next += line[next..].chars().next().map_or(0, char::len_utf8);
                }
                None => {}
            }
        }
        copied = next;
        match memchr::memchr2(0x1b, b'\r', &bytes[copied..]) {
            Some(i) => at = copied + i,
            None => break,
        }
    }
    out.push_str(&line[copied..]);
    Cow::Owned(out)
}

/// `2024-05-01T12:34:56.1234567Z rest` → `rest`: GitHub prefixes every line of a downloaded log
/// with its time.
pub fn strip_timestamp(line: &str) -> &str {
    let b = line.as_bytes();
    if b.len() >= 21
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[..4].iter().all(u8::is_ascii_digit)
        && let Some(z) = line[..line.len().min(40)].find("Z ")
        && z >= 19
    {
        return &line[z + 2..];
    }
    line
}

/// The text of a line as a person reads it: the `gh run view --log` columns, timestamp, colours
/// and surrounding blanks removed.
pub fn clean(raw: &str) -> Cow<'_, str> {
    let raw = gh_cli_prefix(raw).map_or(raw, |(_, _, rest)| rest);
    match strip_ansi(raw) {
        Cow::Borrowed(s) => Cow::Borrowed(strip_timestamp(s).trim_end()),
        Cow::Owned(s) => Cow::Owned(strip_timestamp(&s).trim_end().to_owned()),
    }
}

/// The frame marker on a cleaned line, if it is one.
pub fn marker(line: &str) -> Option<Marker<'_>> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("##[") {
        let (kind, text) = rest.split_once(']')?;
        return match kind {
            "group" => Some(Marker::GroupStart(text.trim())),
            "endgroup" => Some(Marker::GroupEnd),
            "error" => Some(exit_code(text).map_or(
                Marker::Error {
                    message: text.trim(),
                    file: None,
                    line: None,
                },
                Marker::ExitCode,
            )),
            _ => None,
        };
    }
    if let Some(rest) = t.strip_prefix("::error") {
        // `::error file=a.rs,line=3,col=1::message` or `::error::message`.
        let (props, message) = rest.split_once("::")?;
        let mut file = None;
        let mut line = None;
        for prop in props.trim().split(',') {
            match prop.trim().split_once('=') {
                Some(("file", v)) => file = Some(v),
                Some(("line", v)) => line = v.parse().ok(),
                _ => {}
            }
        }
        return Some(Marker::Error {
            message: message.trim(),
            file,
            line,
        });
    }
    if let Some(rest) = t.strip_prefix("section_start:") {
        // `section_start:1700000000:name[collapsed=true]\r\e[0KTitle` (the \r and escape are
        // gone by now, so the title follows the name directly).
        let rest = rest.split_once(':').map_or(rest, |(_, r)| r);
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '[')
            .unwrap_or(rest.len());
        let (name, mut tail) = rest.split_at(name_end);
        if tail.starts_with('[') {
            tail = tail.split_once(']').map_or("", |(_, t)| t);
        }
        let title = tail.trim();
        return Some(Marker::Section(if title.is_empty() { name } else { title }));
    }
    if t.starts_with("section_end:") {
        return Some(Marker::GroupEnd);
    }
    if t == "Post job cleanup." {
        return Some(Marker::Cleanup);
    }
    let build = t.strip_prefix("[INFO] ").unwrap_or(t).trim_end();
    match build {
        "BUILD SUCCESS" => return Some(Marker::BuildResult(true)),
        "BUILD FAILURE" | "FAILURE: Build failed with an exception." => {
            return Some(Marker::BuildResult(false));
        }
        _ if build.starts_with("BUILD SUCCESSFUL in ") => return Some(Marker::BuildResult(true)),
        _ if build.starts_with("BUILD FAILED in ") => return Some(Marker::BuildResult(false)),
        _ => {}
    }
    exit_code(t).map(Marker::ExitCode)
}

/// The status in `Process completed with exit code 2.` or `ERROR: Job failed: exit code 1`.
fn exit_code(text: &str) -> Option<i64> {
    let t = text.trim();
    let rest = t
        .strip_prefix("Process completed with exit code ")
        .or_else(|| t.strip_prefix("ERROR: Job failed: exit code "))?;
    rest.trim_end_matches('.').trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colours_timestamps_and_carriage_returns() {
        assert_eq!(
            clean("2024-05-01T12:34:56.1234567Z \u{1b}[31merror\u{1b}[0m: boom\r"),
            "error: boom"
        );
        assert_eq!(
            strip_ansi("\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{1b}\\ ok"),
            "link ok"
        );
        assert!(matches!(strip_ansi("plain"), Cow::Borrowed("plain")));
        assert_eq!(
            strip_timestamp("2024-05-01 not a stamp"),
            "2024-05-01 not a stamp"
        );
        // A lone escape at the end, or an unterminated CSI, is dropped without a panic.
        assert_eq!(strip_ansi("a\u{1b}"), "a");
        assert_eq!(strip_ansi("a\u{1b}[12"), "a");
    }

    #[test]
    fn reads_github_and_gitlab_markers() {
        assert_eq!(
            marker("##[group]Run cargo test"),
            Some(Marker::GroupStart("Run cargo test"))
        );
        assert_eq!(marker("##[endgroup]"), Some(Marker::GroupEnd));
        assert_eq!(
            marker("##[error]Process completed with exit code 101."),
            Some(Marker::ExitCode(101))
        );
        assert_eq!(
            marker("::error file=src/a.rs,line=12,col=3::mismatched types"),
            Some(Marker::Error {
                message: "mismatched types",
                file: Some("src/a.rs"),
                line: Some(12)
            })
        );
        assert_eq!(
            marker(
                "section_start:1700000000:step_script[collapsed=true]Executing \"step_script\" stage"
            ),
            Some(Marker::Section("Executing \"step_script\" stage"))
        );
        assert_eq!(
            marker("section_start:1700000000:prepare_script"),
            Some(Marker::Section("prepare_script"))
        );
        assert_eq!(
            marker("section_end:1700000001:step_script"),
            Some(Marker::GroupEnd)
        );
        assert_eq!(
            marker("ERROR: Job failed: exit code 1"),
            Some(Marker::ExitCode(1))
        );
        assert_eq!(marker("Post job cleanup."), Some(Marker::Cleanup));
        assert_eq!(
            marker("[INFO] BUILD FAILURE"),
            Some(Marker::BuildResult(false))
        );
        assert_eq!(
            marker("BUILD SUCCESSFUL in 12s"),
            Some(Marker::BuildResult(true))
        );
        assert_eq!(
            marker("FAILURE: Build failed with an exception."),
            Some(Marker::BuildResult(false))
        );
        assert_eq!(
            gh_cli_prefix("build\tRun tests\t2021-12-01T13:01:04.3817212Z * What went wrong:"),
            Some((
                "build",
                "Run tests",
                "2021-12-01T13:01:04.3817212Z * What went wrong:"
            ))
        );
        assert_eq!(
            clean("build\tRun tests\t2021-12-01T13:01:04.3817212Z * What went wrong:"),
            "* What went wrong:"
        );
        assert_eq!(gh_cli_prefix("a\tb\tc"), None);
        assert_eq!(marker("error: plain"), None);
    }

    /// The stripper as a plain character state machine: slow, obviously right, the reference
    /// the byte-level one must agree with.
    fn strip_ansi_reference(line: &str) -> String {
        let mut out = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {}
                '\u{1b}' => match chars.next() {
                    Some('[') => {
                        for c in chars.by_ref() {
                            if ('@'..='~').contains(&c) {
                                break;
                            }
                        }
                    }
                    Some(']') => {
                        while let Some(c) = chars.next() {
                            if c == '\u{7}' {
                                break;
                            }
                            if c == '\u{1b}' {
                                chars.next_if_eq(&'\\');
                                break;
                            }
                        }
                    }
                    _ => {}
                },
                c => out.push(c),
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let c = clean(&s);
            let _ = marker(&c);
        }

        #[test]
        fn strip_ansi_agrees_with_the_reference(
            s in "([a-zé€😀 ;0-9\\[\\]\\\\m@~\\x07\\r]|\\x1b){0,60}"
        ) {
            proptest::prop_assert_eq!(strip_ansi(&s), strip_ansi_reference(&s));
        }
    }
}
