//! A streaming reader of JUnit/xUnit XML reports.
//!
//! One reader covers the dialects runners actually write: pytest (including the duplicate
//! `<testcase>` entries pytest-rerunfailures leaves), jest-junit, cargo-nextest and Maven
//! Surefire/Gradle (`flakyFailure`, `flakyError`, `rerunFailure`, `rerunError`), gotestsum, and
//! generic xUnit with nested `<testsuites>`. It never builds a DOM: events are handled as they
//! stream past, bodies we do not need (`system-out`, properties) are skipped without decoding,
//! and only a capped prefix of a failure body is kept, so a 1 GB report costs a few megabytes.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use ci_intel_core::InputError;
use ci_intel_core::fsutil::{self, Sniff};
use quick_xml::Reader;
use quick_xml::events::{BytesEnd, BytesStart, Event};

use crate::trace;
use crate::xmlutil::{self, attr, local_name};

/// How much of a failure body is kept for the message and the location search.
const MAX_BODY: usize = 64 * 1024;
/// How much of a failure message is kept for reports.
pub const MAX_MESSAGE: usize = 1000;
const READ_BUFFER: usize = 256 * 1024;

/// The outcome of one `<testcase>` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Passed,
    Failed,
    Errored,
    Skipped,
}

impl Outcome {
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::Errored)
    }
}

/// A failure's details: what a person needs to start fixing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureDetail {
    /// `failure` (an assertion) or `error` (an unexpected exception), as the report says.
    pub outcome: Outcome,
    pub message: String,
    pub kind: Option<String>,
    /// The file and line of the failure, from the report's attributes or the trace.
    pub file: Option<String>,
    pub line: Option<u32>,
}

/// One `<testcase>` entry as the report wrote it.
#[derive(Debug, Default)]
pub struct CaseRecord {
    pub suite: String,
    pub classname: String,
    pub name: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub duration_ms: f64,
    pub outcome: Option<Outcome>,
    pub failure: Option<FailureDetail>,
    /// `flakyFailure`/`flakyError` children: failed attempts before a final pass.
    pub flaky_failures: u32,
    /// `rerunFailure`/`rerunError` children: further failed attempts of a failed test.
    pub rerun_failures: u32,
    /// The first flaky failure's message (why it was flaky).
    pub flaky_message: Option<String>,
    /// The first [`MAX_BODY`] bytes of the failure's body (its trace), as the report wrote it.
    pub failure_body: String,
    /// Whether the failure's message and location have been derived from the body yet.
    pub(crate) resolved: bool,
}

impl CaseRecord {
    fn clear(&mut self) {
        self.classname.clear();
        self.name.clear();
        self.file = None;
        self.line = None;
        self.duration_ms = 0.0;
        self.outcome = None;
        self.failure = None;
        self.flaky_failures = 0;
        self.rerun_failures = 0;
        self.flaky_message = None;
        self.failure_body.clear();
        self.resolved = false;
    }

    /// Copies `other` into `self`, reusing `self`'s string buffers.
    fn fill_from(&mut self, other: &CaseRecord) {
        self.suite.clone_from(&other.suite);
        self.classname.clone_from(&other.classname);
        self.name.clone_from(&other.name);
        self.file.clone_from(&other.file);
        self.line = other.line;
        self.duration_ms = other.duration_ms;
        self.outcome = other.outcome;
        self.failure.clone_from(&other.failure);
        self.flaky_failures = other.flaky_failures;
        self.rerun_failures = other.rerun_failures;
        self.flaky_message.clone_from(&other.flaky_message);
        self.failure_body.clone_from(&other.failure_body);
        self.resolved = other.resolved;
    }

    /// Derives the failure's message (when the report's says nothing) and its file and line from
    /// the body. Cheap to call twice.
    fn resolve(&mut self) {
        if !self.resolved {
            self.resolved = true;
            let body = std::mem::take(&mut self.failure_body);
            finish_failure(self, &body);
            self.failure_body = body;
        }
    }

    pub fn outcome(&self) -> Outcome {
        self.outcome.unwrap_or(Outcome::Passed)
    }

    /// The id a person recognises: `classname::name`, or just the name when the class adds
    /// nothing (jest-junit repeats the name as the class).
    pub fn id(&self) -> String {
        test_id(&self.classname, &self.name)
    }
}

/// `classname::name`, or `name` when the classname is empty, equal, or already its prefix.
pub fn test_id(classname: &str, name: &str) -> String {
    if classname.is_empty() || classname == name || name.starts_with(classname) {
        name.to_owned()
    } else {
        format!("{classname}::{name}")
    }
}

/// A `'static` name for the elements the reader keeps open (for truncation messages).
fn static_name(name: &str) -> &'static str {
    match name {
        "testsuites" => "testsuites",
        "testsuite" => "testsuite",
        "testcase" => "testcase",
        "failure" => "failure",
        "error" => "error",
        "flakyFailure" => "flakyFailure",
        "flakyError" => "flakyError",
        "rerunFailure" => "rerunFailure",
        "rerunError" => "rerunError",
        _ => "element",
    }
}

/// The two families of test-report XML the reader understands.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Dialect {
    /// JUnit/xUnit XML: `testsuites > testsuite > testcase`.
    #[default]
    JUnit,
    /// xUnit.net's own format: `assemblies > assembly > collection > test` (v1: `class`).
    XunitNet,
}

impl Dialect {
    fn is_suite(self, name: &str) -> bool {
        match self {
            Dialect::JUnit => matches!(name, "testsuites" | "testsuite"),
            Dialect::XunitNet => matches!(name, "assemblies" | "assembly" | "collection" | "class"),
        }
    }

    /// Suites whose `name` is pushed on the suite stack.
    fn names_suite(self, name: &str) -> bool {
        match self {
            Dialect::JUnit => name == "testsuite",
            Dialect::XunitNet => matches!(name, "assembly" | "collection" | "class"),
        }
    }

    fn is_case(self, name: &str) -> bool {
        match self {
            Dialect::JUnit => name == "testcase",
            Dialect::XunitNet => name == "test",
        }
    }
}

/// What a failing child element is while we read its body.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Body {
    #[default]
    None,
    Failure,
    Flaky,
}

/// Reads the report at `path`, calling `on_case` for every `<testcase>` in document order.
/// Gzip-compressed reports are decompressed on the fly.
///
/// Three threads share the work: one reads the file ahead, one parses the XML, and the calling
/// thread's `on_case` (plus the trace analysis of failures) runs on a third, fed in batches, so
/// a large report is read at the speed of the slowest stage rather than the sum of all three.
pub fn read_file(
    path: &Path,
    on_case: &mut (dyn FnMut(&CaseRecord) + Send),
) -> Result<ReportInfo, InputError> {
    let head = fsutil::read_head(path, 8192).map_err(|e| InputError::io(path, &e))?;
    let input: Box<dyn BufRead + Send> = match fsutil::sniff(&head) {
        Sniff::Empty => {
            return Err(InputError::new(
                path,
                "empty JUnit report: expected <testsuites> or <testsuite> (a test runner that crashed before writing its report leaves an empty file)",
            ));
        }
        Sniff::Binary => {
            return Err(InputError::new(
                path,
                "binary data: expected a JUnit XML report (<testsuites> or <testsuite>)",
            ));
        }
        Sniff::Gzip => {
            let f = File::open(path).map_err(|e| InputError::io(path, &e))?;
            let gz = flate2::read::MultiGzDecoder::new(fsutil::Prefetch::new(f));
            Box::new(BufReader::with_capacity(READ_BUFFER, gz))
        }
        Sniff::Text => {
            let f = File::open(path).map_err(|e| InputError::io(path, &e))?;
            Box::new(fsutil::Prefetch::new(f))
        }
    };
    pipelined(path, input, on_case)
}

/// Records handed from the parser to the consumer per batch.
const BATCH: usize = 512;

fn pipelined(
    path: &Path,
    input: Box<dyn BufRead + Send>,
    on_case: &mut (dyn FnMut(&CaseRecord) + Send),
) -> Result<ReportInfo, InputError> {
    use std::sync::mpsc::sync_channel;
    let (full_tx, full_rx) = sync_channel::<(Vec<CaseRecord>, usize)>(4);
    let (empty_tx, empty_rx) = sync_channel::<Vec<CaseRecord>>(6);
    for _ in 0..5 {
        let _ = empty_tx.try_send(Vec::new());
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            while let Ok((mut batch, n)) = full_rx.recv() {
                for case in &mut batch[..n] {
                    case.resolve();
                    on_case(case);
                }
                // The parser may have stopped (an error): then the batch is simply dropped.
                let _ = empty_tx.try_send(batch);
            }
        });
        let mut batch = empty_rx.recv().unwrap_or_default();
        let mut n = 0usize;
        let result = read_raw(path, input, &mut |case| {
            if batch.len() <= n {
                batch.push(CaseRecord::default());
            }
            batch[n].fill_from(case);
            n += 1;
            if n == BATCH {
                let next = empty_rx.recv().unwrap_or_default();
                let full = std::mem::replace(&mut batch, next);
                let _ = full_tx.send((full, n));
                n = 0;
            }
        });
        if n > 0 {
            let _ = full_tx.send((batch, n));
        }
        drop(full_tx);
        result
    })
}

/// Facts about a report as a whole.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReportInfo {
    /// The root element's name (`testsuites` or `testsuite`).
    pub root: String,
    pub cases: u64,
}

/// Reads a report from `input` on the calling thread (`path` names it in errors).
pub fn read<R: BufRead>(
    path: &Path,
    input: R,
    on_case: &mut dyn FnMut(&CaseRecord),
) -> Result<ReportInfo, InputError> {
    read_raw(path, input, &mut |case| {
        case.resolve();
        on_case(case);
    })
}

/// The parser: records come out with their failure bodies but not yet resolved.
fn read_raw<R: BufRead>(
    path: &Path,
    input: R,
    on_case: &mut dyn FnMut(&mut CaseRecord),
) -> Result<ReportInfo, InputError> {
    let mut reader = Reader::from_reader(input);
    let cfg = reader.config_mut();
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;

    let mut buf = Vec::with_capacity(64 * 1024);
    let mut skip_buf = Vec::new();
    let mut state = ParseState::default();
    loop {
        buf.clear();
        let pos_before = reader.buffer_position();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                return Err(xmlutil::error(path, reader.error_position(), &e));
            }
        };
        let mut skip = |e: &BytesStart<'_>| xmlutil::skip(&mut reader, e, &mut skip_buf, path);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) if state.info.root.is_empty() => {
                state.root(path, e, matches!(event, Event::Start(_)), pos_before)?;
            }
            Event::Start(e) => state.start(&e, pos_before, &mut skip)?,
            Event::Empty(e) => state.empty(&e, on_case),
            Event::End(e) => state.end(&e, on_case),
            Event::Text(t) if state.body == Body::Failure => {
                push_capped(&mut state.case.failure_body, &t.xml10_content());
            }
            Event::CData(t) if state.body == Body::Failure => {
                push_capped(&mut state.case.failure_body, &t);
            }
            Event::GeneralRef(r) if state.body == Body::Failure => {
                push_capped(&mut state.case.failure_body, &xmlutil::resolve_ref(&r));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    state.finish(path)
}

/// Where the parser is in the document.
#[derive(Default)]
struct ParseState {
    info: ReportInfo,
    dialect: Dialect,
    /// Names of the enclosing suites, innermost last.
    suites: Vec<String>,
    /// The test case being read (its buffers are reused from one case to the next).
    case: CaseRecord,
    in_case: bool,
    /// The failing child element whose body we are reading, and how deep inside it we are.
    body: Body,
    body_depth: usize,
    /// Open elements and where each started, to report truncation at the right place.
    open: Vec<(&'static str, u64)>,
}

impl ParseState {
    /// The root element: it decides the dialect, or refuses a document that is no test report.
    fn root(
        &mut self,
        path: &Path,
        e: &BytesStart<'_>,
        has_children: bool,
        pos: u64,
    ) -> Result<(), InputError> {
        let name = local_name(e.name());
        self.dialect = match name {
            "testsuites" | "testsuite" => Dialect::JUnit,
            "assemblies" | "assembly" => Dialect::XunitNet,
            _ => {
                return Err(xmlutil::located(
                    path,
                    pos,
                    format!(
                        "expected a JUnit XML report: the root element must be <testsuites> or <testsuite> (or xUnit.net's <assemblies>), found <{name}>"
                    ),
                ));
            }
        };
        name.clone_into(&mut self.info.root);
        if has_children {
            if self.dialect.names_suite(name) {
                self.suites
                    .push(attr(e, "name").unwrap_or_default().into_owned());
            }
            self.open.push((static_name(name), pos));
        }
        Ok(())
    }

    /// An element with children; `skip` passes over one whose content does not matter.
    fn start(
        &mut self,
        e: &BytesStart<'_>,
        pos: u64,
        skip: &mut dyn FnMut(&BytesStart<'_>) -> Result<(), InputError>,
    ) -> Result<(), InputError> {
        let name = local_name(e.name());
        if !self.in_case {
            if self.dialect.is_suite(name) {
                if self.dialect.names_suite(name) {
                    self.suites
                        .push(attr(e, "name").unwrap_or_default().into_owned());
                }
                self.open.push((static_name(name), pos));
            } else if self.dialect.is_case(name) {
                start_case(
                    &mut self.case,
                    e,
                    self.suites.last().map_or("", String::as_str),
                );
                self.in_case = true;
                self.open.push(("testcase", pos));
            } else {
                // properties, system-out, system-err, anything else: skip undecoded.
                skip(e)?;
            }
            return Ok(());
        }
        if self.body != Body::None {
            self.body_depth += 1;
            self.open.push(("element", pos));
            // xUnit.net nests <message> and <stack-trace>: keep them on separate lines.
            if self.body == Body::Failure && !self.case.failure_body.is_empty() {
                push_capped(&mut self.case.failure_body, "\n");
            }
            return Ok(());
        }
        match name {
            "failure" | "error" => {
                // Only the first failure's body is kept; a second one is skipped.
                self.body = if self.case.failure.is_none() {
                    Body::Failure
                } else {
                    Body::Flaky
                };
                start_failure(&mut self.case, e, name);
                self.body_depth = 0;
                self.open.push((static_name(name), pos));
            }
            "flakyFailure" | "flakyError" | "rerunFailure" | "rerunError" => {
                start_retry(&mut self.case, e, name);
                self.body = Body::Flaky;
                self.body_depth = 0;
                self.open.push((static_name(name), pos));
            }
            "skipped" => {
                if self.case.outcome.is_none() {
                    self.case.outcome = Some(Outcome::Skipped);
                }
                skip(e)?;
            }
            _ => skip(e)?,
        }
        Ok(())
    }

    /// A self-closing element: a test case without children, or a child of one.
    fn empty(&mut self, e: &BytesStart<'_>, on_case: &mut dyn FnMut(&mut CaseRecord)) {
        let name = local_name(e.name());
        if !self.in_case {
            if self.dialect.is_case(name) {
                start_case(
                    &mut self.case,
                    e,
                    self.suites.last().map_or("", String::as_str),
                );
                self.info.cases += 1;
                on_case(&mut self.case);
            }
            return;
        }
        if self.body != Body::None {
            return;
        }
        match name {
            "failure" | "error" => start_failure(&mut self.case, e, name),
            "flakyFailure" | "flakyError" | "rerunFailure" | "rerunError" => {
                start_retry(&mut self.case, e, name);
            }
            "skipped" if self.case.outcome.is_none() => {
                self.case.outcome = Some(Outcome::Skipped);
            }
            _ => {}
        }
    }

    /// A closing tag: the end of a failure body, a test case (handed on) or a suite.
    fn end(&mut self, e: &BytesEnd<'_>, on_case: &mut dyn FnMut(&mut CaseRecord)) {
        let name = local_name(e.name());
        self.open.pop();
        if self.in_case && self.body != Body::None {
            if self.body_depth > 0 {
                self.body_depth -= 1;
            } else {
                self.body = Body::None;
            }
        } else if self.in_case && self.dialect.is_case(name) {
            self.in_case = false;
            self.info.cases += 1;
            on_case(&mut self.case);
        } else if !self.in_case && self.dialect.names_suite(name) {
            self.suites.pop();
        }
    }

    /// The end of the input: a document with no element, or one cut short, is refused.
    fn finish(self, path: &Path) -> Result<ReportInfo, InputError> {
        if self.info.root.is_empty() {
            return Err(InputError::new(
                path,
                "expected a JUnit XML report (<testsuites> or <testsuite>), found no element",
            ));
        }
        if let Some((name, offset)) = self.open.last() {
            return Err(xmlutil::located(
                path,
                *offset,
                format!("truncated report: the file ends inside <{name}> opened here"),
            ));
        }
        Ok(self.info)
    }
}

fn start_case(case: &mut CaseRecord, e: &BytesStart<'_>, suite: &str) {
    case.clear();
    if case.suite != suite {
        case.suite.clear();
        case.suite.push_str(suite);
    }
    for a in e.attributes().flatten() {
        let value = || {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .unwrap_or_else(|_| Cow::Owned(a.value.clone().into_owned()))
        };
        match local_name(a.key) {
            "name" => case.name.push_str(&value()),
            // xUnit.net names the class `type`.
            "classname" | "type" if case.classname.is_empty() => {
                case.classname.push_str(&value());
            }
            "time" => case.duration_ms = parse_seconds(&a.value) * 1000.0,
            "file" => case.file = Some(value().into_owned()),
            "line" => case.line = a.value.trim().parse().ok(),
            // xUnit.net's outcome attribute; CTest's `status`.
            "result" | "status" => match a.value.trim().to_ascii_lowercase().as_str() {
                "fail" | "failed" | "failure" => case.outcome = Some(Outcome::Failed),
                "error" => case.outcome = Some(Outcome::Errored),
                "skip" | "skipped" | "notrun" | "disabled" | "ignored" => {
                    case.outcome = Some(Outcome::Skipped);
                }
                _ => {}
            },
            _ => {}
        }
    }
}

/// Parses a `time` attribute in seconds; tolerant of `1,234.5` and garbage (→ 0).
fn parse_seconds(raw: &str) -> f64 {
    let s = raw.trim();
    let v: f64 = s
        .parse()
        .unwrap_or_else(|_| s.replace(',', "").parse().unwrap_or(0.0));
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

fn start_failure(case: &mut CaseRecord, e: &BytesStart<'_>, name: &str) {
    let outcome = if name == "error" {
        Outcome::Errored
    } else {
        Outcome::Failed
    };
    // The first failure child decides the kind; later ones (some runners write several) add
    // nothing but are harmless.
    if case.failure.is_some() {
        return;
    }
    let outcome = match case.outcome {
        // xUnit.net says `result="Fail"` on the test and has one `<failure>` element for both.
        Some(o @ Outcome::Errored) => o,
        _ => outcome,
    };
    case.outcome = Some(outcome);
    let message = attr(e, "message").map(|m| truncate(m.trim(), MAX_MESSAGE));
    case.failure = Some(FailureDetail {
        outcome,
        message: message.unwrap_or_default(),
        kind: attr(e, "type")
            .map(std::borrow::Cow::into_owned)
            .filter(|t| !t.is_empty()),
        file: None,
        line: None,
    });
}

fn finish_failure(case: &mut CaseRecord, body: &str) {
    let test_file = case.file.clone();
    let Some(f) = case.failure.as_mut() else {
        return;
    };
    if let Some(panic) = rust_panic_message(&f.message, body) {
        // nextest's message is only "thread 'x' panicked at src/lib.rs:22:9"; the assertion
        // is on the next line of the body.
        f.message = truncate(&panic, MAX_MESSAGE);
    } else if is_placeholder(&f.message) {
        // jest-junit (no message) and gotestsum (`message="Failed"`) put the substance in the
        // body: its first meaningful line is the message.
        if let Some(line) = body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !GO_MARKERS.iter().any(|m| l.starts_with(m)))
        {
            f.message = truncate(line, MAX_MESSAGE);
        }
    }
    let hay = if body.is_empty() {
        f.message.as_str()
    } else {
        body
    };
    if let Some(frame) = trace::failure_location(hay, test_file.as_deref()) {
        f.file = Some(frame.file);
        f.line = Some(frame.line);
    } else if let Some(tf) = test_file {
        // pytest's xunit1 `file`/`line` attributes point at the test definition.
        f.file = Some(tf);
        f.line = case.line;
    }
}

/// The line after `thread '…' panicked at file:line:col:` in a Rust test's output.
fn rust_panic_message(message: &str, body: &str) -> Option<String> {
    if !(message.starts_with("thread '") && message.contains("panicked at")) {
        return None;
    }
    let mut lines = body.lines();
    lines.find(|l| l.contains("panicked at"))?;
    lines
        .map(str::trim)
        .find(|l| !l.is_empty())
        .filter(|l| !l.starts_with("stack backtrace:") && !l.starts_with("note:"))
        .map(str::to_owned)
}

/// Messages that say nothing beyond the element's name.
fn is_placeholder(message: &str) -> bool {
    matches!(
        message.trim().to_ascii_lowercase().as_str(),
        "" | "failed" | "failure" | "error" | "test failed"
    )
}

/// Lines of Go's test output that frame a test rather than say why it failed.
const GO_MARKERS: [&str; 4] = ["=== RUN", "=== PAUSE", "=== CONT", "--- FAIL"];

fn start_retry(case: &mut CaseRecord, e: &BytesStart<'_>, name: &str) {
    if name.starts_with("flaky") {
        case.flaky_failures += 1;
        if case.flaky_message.is_none() {
            case.flaky_message = attr(e, "message").map(|m| truncate(m.trim(), MAX_MESSAGE));
        }
    } else {
        case.rerun_failures += 1;
    }
}

/// Appends to a failure body, keeping at most [`MAX_BODY`] bytes of it.
fn push_capped(out: &mut String, s: &str) {
    if out.len() >= MAX_BODY {
        return;
    }
    let room = MAX_BODY - out.len();
    if s.len() <= room {
        out.push_str(s);
    } else {
        let mut cut = room;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&s[..cut]);
    }
}

/// Cuts `s` to at most `max` characters, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, outcome, failure, attempts, line) of each case.
    type Case = (String, Outcome, Option<FailureDetail>, u32, u32);

    fn cases(xml: &str) -> Result<Vec<Case>, InputError> {
        let mut out = Vec::new();
        read(Path::new("t.xml"), xml.as_bytes(), &mut |c| {
            out.push((
                c.id(),
                c.outcome(),
                c.failure.clone(),
                c.flaky_failures,
                c.rerun_failures,
            ));
        })?;
        Ok(out)
    }

    #[test]
    fn reads_nested_suites_and_outcomes() {
        let xml = r#"<?xml version="1.0"?>
<testsuites><testsuite name="outer"><testsuite name="inner">
  <testcase classname="a.B" name="ok" time="0.5"/>
  <testcase classname="a.B" name="bad" time="1"><failure message="boom &amp; bust">trace
  at x (y.js:3:4)</failure><system-out><![CDATA[ignored <failure/> text]]></system-out></testcase>
  <testcase classname="a.B" name="err"><error type="E">Traceback</error></testcase>
  <testcase classname="a.B" name="skip"><skipped message="later"/></testcase>
</testsuite></testsuite></testsuites>"#;
        let c = cases(xml).unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!(c[0].0, "a.B::ok");
        assert_eq!(c[0].1, Outcome::Passed);
        assert_eq!(c[1].1, Outcome::Failed);
        let f = c[1].2.as_ref().unwrap();
        assert_eq!(f.message, "boom & bust");
        assert_eq!((f.file.as_deref(), f.line), (Some("y.js"), Some(3)));
        assert_eq!(c[2].1, Outcome::Errored);
        assert_eq!(c[2].2.as_ref().unwrap().message, "Traceback");
        assert_eq!(c[3].1, Outcome::Skipped);
    }

    #[test]
    fn counts_flaky_and_rerun_children() {
        let xml = r#"<testsuite name="s"><testcase name="t" classname="c">
<flakyFailure message="first"><stackTrace>x</stackTrace></flakyFailure><flakyError message="second"/>
</testcase><testcase name="u" classname="c"><failure message="m"/><rerunFailure message="m"/><rerunError message="m"/></testcase></testsuite>"#;
        let c = cases(xml).unwrap();
        assert_eq!((c[0].1, c[0].3, c[0].4), (Outcome::Passed, 2, 0));
        assert_eq!((c[1].1, c[1].3, c[1].4), (Outcome::Failed, 0, 2));
    }

    #[test]
    fn refuses_other_documents_and_truncation() {
        let e = cases("<coverage line-rate=\"1\"/>").unwrap_err();
        assert!(e.message.contains("found <coverage>"), "{e}");
        let e = cases("<testsuites><testsuite name=\"s\"><testcase name=\"t\">").unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
        let e = cases("<testsuites><testsuite></testsuites>").unwrap_err();
        assert!(e.message.contains("malformed"), "{e}");
        let e = cases("just text").unwrap_err();
        assert!(e.message.contains("no element"), "{e}");
    }

    #[test]
    fn failure_message_falls_back_to_the_body() {
        let xml = "<testsuite><testcase name=\"t\"><failure>\n\nError: expect(1).toBe(2)\n    at Object.toBe (/p/a.test.js:3:9)</failure></testcase></testsuite>";
        let c = cases(xml).unwrap();
        let f = c[0].2.as_ref().unwrap();
        assert_eq!(f.message, "Error: expect(1).toBe(2)");
        assert_eq!(f.line, Some(3));
    }

    #[test]
    fn reads_xunit_net_v2() {
        // The layout xUnit.net documents for its v2 XML (format-xml-v2).
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<assemblies timestamp="02/01/2026 14:47:17">
  <assembly name="/src/Calc.Tests/bin/Calc.Tests.dll" total="3" passed="1" failed="1" skipped="1" time="0.02" errors="0">
    <errors />
    <collection total="3" passed="1" failed="1" skipped="1" name="Test collection for Calc.Tests.CalcTests" time="0.02">
      <test name="Calc.Tests.CalcTests.Adds" type="Calc.Tests.CalcTests" method="Adds" time="0.001" result="Pass"><traits /></test>
      <test name="Calc.Tests.CalcTests.Divides" type="Calc.Tests.CalcTests" method="Divides" time="0.012" result="Fail">
        <failure exception-type="Xunit.Sdk.EqualException">
          <message><![CDATA[Assert.Equal() Failure
Expected: 5
Actual:   4]]></message>
          <stack-trace><![CDATA[   at Calc.Tests.CalcTests.Divides() in /src/Calc.Tests/CalcTests.cs:line 21]]></stack-trace>
        </failure>
      </test>
      <test name="Calc.Tests.CalcTests.Later" type="Calc.Tests.CalcTests" method="Later" time="0" result="Skip"><reason><![CDATA[not yet]]></reason></test>
    </collection>
  </assembly>
</assemblies>"#;
        let c = cases(xml).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].0.as_str(), c[0].1),
            ("Calc.Tests.CalcTests.Adds", Outcome::Passed)
        );
        assert_eq!(c[1].1, Outcome::Failed);
        let f = c[1].2.as_ref().unwrap();
        assert_eq!(f.message, "Assert.Equal() Failure");
        assert_eq!(
            (f.file.as_deref(), f.line),
            (Some("/src/Calc.Tests/CalcTests.cs"), Some(21))
        );
        assert_eq!(c[2].1, Outcome::Skipped);
    }

    #[test]
    fn outcome_attributes() {
        let xml = r#"<testsuite name="ctest"><testcase name="a" status="run"/><testcase name="b" status="notrun"/><testcase name="c" status="fail"><failure message="exit 1"/></testcase></testsuite>"#;
        let c = cases(xml).unwrap();
        assert_eq!(
            c.iter().map(|x| x.1).collect::<Vec<_>>(),
            vec![Outcome::Passed, Outcome::Skipped, Outcome::Failed]
        );
    }

    #[test]
    fn ids() {
        assert_eq!(test_id("", "t"), "t");
        assert_eq!(test_id("total sums", "total sums"), "total sums");
        assert_eq!(test_id("shapes", "tests::x"), "shapes::tests::x");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_garbage(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = read(Path::new("g.xml"), bytes.as_slice(), &mut |_| {});
        }

        #[test]
        fn never_panics_on_xmlish_garbage(s in "(<testsuites>|<testsuite name=\"a\">|<testcase name=\"x\" time=\"[0-9.]*\">|<failure message=\"&amp;\">|</failure>|</testcase>|</testsuite>|<skipped/>|<!\\[CDATA\\[x\\]\\]>|&lt;|&#[0-9]{1,8};|text){0,30}") {
            let _ = read(Path::new("g.xml"), s.as_bytes(), &mut |_| {});
        }
    }
}
