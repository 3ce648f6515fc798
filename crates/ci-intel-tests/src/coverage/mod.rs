//! Coverage reports: Cobertura XML (coverage.py, istanbul/jest, gocover-cobertura), LCOV,
//! JaCoCo XML and Go cover profiles, read into one per-line model.
//!
//! Totals are computed from the lines, never copied from a report's summary attributes, so
//! several reports merge correctly (a line is covered if any report covered it) and every
//! format is held to the same definition:
//! - **lines**: lines the tool measured; covered when executed at least once;
//! - **branches**: branch outcomes the tool measured (Cobertura `condition-coverage`, LCOV
//!   `BRDA`, JaCoCo `mb`/`cb`);
//! - **statements** (Go only): statements of the profile's blocks, as `go tool cover -func`
//!   counts them.

mod cobertura;
mod gocover;
mod jacoco;
mod lcov;

use std::collections::BTreeMap;
use std::path::Path;

use ci_intel_core::InputError;
use ci_intel_core::fsutil::{self, Sniff};
use ci_intel_core::repo_paths::RepoPaths;

/// Coverage of one line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineCoverage {
    pub hits: u64,
    pub branches_covered: u32,
    pub branches_total: u32,
}

/// Coverage of one source file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileCoverage {
    pub lines: BTreeMap<u32, LineCoverage>,
}

impl FileCoverage {
    fn add_line(&mut self, line: u32, hits: u64, branches: Option<(u32, u32)>) {
        let l = self.lines.entry(line).or_default();
        l.hits = l.hits.saturating_add(hits);
        if let Some((covered, total)) = branches {
            // Two reports measuring the same branches: keep the better-covered view.
            if total >= l.branches_total {
                l.branches_total = total;
                l.branches_covered = l.branches_covered.max(covered).min(total);
            } else {
                l.branches_covered = l.branches_covered.max(covered).min(l.branches_total);
            }
        }
    }

    fn merge(&mut self, other: &FileCoverage) {
        for (&n, l) in &other.lines {
            let branches = (l.branches_total > 0).then_some((l.branches_covered, l.branches_total));
            self.add_line(n, l.hits, branches);
        }
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for l in self.lines.values() {
            t.lines_valid += 1;
            if l.hits > 0 {
                t.lines_covered += 1;
            }
            t.branches_valid += u64::from(l.branches_total);
            t.branches_covered += u64::from(l.branches_covered);
        }
        t
    }
}

/// Covered and measured counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub lines_covered: u64,
    pub lines_valid: u64,
    pub branches_covered: u64,
    pub branches_valid: u64,
    pub statements_covered: u64,
    pub statements_valid: u64,
}

impl Totals {
    pub fn lines_pct(&self) -> Option<f64> {
        ratio(self.lines_covered, self.lines_valid)
    }
    pub fn branches_pct(&self) -> Option<f64> {
        ratio(self.branches_covered, self.branches_valid)
    }
    pub fn statements_pct(&self) -> Option<f64> {
        ratio(self.statements_covered, self.statements_valid)
    }
}

/// `covered / valid`, or `None` when nothing was measured (never a fake 0 or 1).
pub fn ratio(covered: u64, valid: u64) -> Option<f64> {
    (valid > 0).then(|| covered as f64 / valid as f64)
}

/// A coverage report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Cobertura,
    Lcov,
    Jacoco,
    GoCover,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Cobertura => "cobertura",
            Format::Lcov => "lcov",
            Format::Jacoco => "jacoco",
            Format::GoCover => "go",
        }
    }
}

/// One report as read: files keyed by the path the report gives (joined with its source root
/// when it has one), plus Go statement counts.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub format: Option<Format>,
    pub files: BTreeMap<String, FileCoverage>,
    /// Alternative names for a file: Cobertura's `filename` relative to each `<source>`.
    pub aliases: BTreeMap<String, Vec<String>>,
    pub statements: Option<(u64, u64)>,
}

/// Coverage merged from every report read, keyed by repository-relative path where the path
/// could be resolved.
#[derive(Debug, Default, Clone)]
pub struct Coverage {
    pub files: BTreeMap<String, FileCoverage>,
    pub formats: Vec<Format>,
    statements: Option<(u64, u64)>,
    pub reports: usize,
}

impl Coverage {
    /// Adds a report, resolving its paths against the repository.
    pub fn add(&mut self, report: Report, repo: &RepoPaths) {
        self.reports += 1;
        if let Some(f) = report.format
            && !self.formats.contains(&f)
        {
            self.formats.push(f);
        }
        if let Some((c, v)) = report.statements {
            let (sc, sv) = self.statements.unwrap_or((0, 0));
            self.statements = Some((sc + c, sv + v));
        }
        for (path, fc) in report.files {
            let mut candidates = std::iter::once(path.as_str()).chain(
                report
                    .aliases
                    .get(&path)
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            );
            let resolved = candidates
                .find_map(|p| repo.resolve(p))
                .unwrap_or_else(|| ci_intel_core::repo_paths::normalize(&path));
            self.files.entry(resolved).or_default().merge(&fc);
        }
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for f in self.files.values() {
            let ft = f.totals();
            t.lines_covered += ft.lines_covered;
            t.lines_valid += ft.lines_valid;
            t.branches_covered += ft.branches_covered;
            t.branches_valid += ft.branches_valid;
        }
        if let Some((c, v)) = self.statements {
            t.statements_covered = c;
            t.statements_valid = v;
        }
        t
    }

    pub fn is_empty(&self) -> bool {
        self.reports == 0
    }
}

/// Reads a coverage report, detecting its format from its content.
pub fn read_file(path: &Path) -> Result<Report, InputError> {
    let head = fsutil::read_head(path, 8192).map_err(|e| InputError::io(path, &e))?;
    match fsutil::sniff(&head) {
        Sniff::Empty => {
            return Err(InputError::new(
                path,
                "empty file: expected a coverage report (Cobertura/JaCoCo XML, LCOV or a Go cover profile)",
            ));
        }
        Sniff::Binary | Sniff::Gzip => {
            return Err(InputError::new(
                path,
                "binary data: expected a coverage report (Cobertura/JaCoCo XML, LCOV or a Go cover profile)",
            ));
        }
        Sniff::Text => {}
    }
    let text = String::from_utf8_lossy(&head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let mut report = if trimmed.starts_with('<') {
        let f = std::fs::File::open(path).map_err(|e| InputError::io(path, &e))?;
        let reader = std::io::BufReader::with_capacity(256 * 1024, f);
        match xml_root(trimmed).as_deref() {
            Some("coverage") => cobertura::read(path, reader)?,
            Some("report") => jacoco::read(path, reader)?,
            Some(other) => {
                return Err(InputError::new(
                    path,
                    format!(
                        "expected a Cobertura (<coverage>) or JaCoCo (<report>) XML report, found <{other}>"
                    ),
                ));
            }
            None => {
                return Err(InputError::new(
                    path,
                    "expected a Cobertura or JaCoCo XML report, found no root element",
                ));
            }
        }
    } else if trimmed.starts_with("mode:") {
        let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, &e))?;
        gocover::parse(path, &text)?
    } else if looks_like_lcov(trimmed) {
        let f = std::fs::File::open(path).map_err(|e| InputError::io(path, &e))?;
        lcov::read(path, std::io::BufReader::new(f))?
    } else {
        return Err(InputError::new(
            path,
            "unknown coverage format: expected Cobertura/JaCoCo XML, LCOV (`SF:` records) or a Go cover profile (`mode:` first line)",
        ));
    };
    if report.format.is_none() {
        report.format = Some(Format::Cobertura);
    }
    Ok(report)
}

fn looks_like_lcov(text: &str) -> bool {
    text.lines().take(20).any(|l| {
        let l = l.trim_start();
        l.starts_with("SF:") || l.starts_with("TN:")
    })
}

/// The name of the first element of an XML document (skipping the declaration, comments and
/// the doctype).
fn xml_root(text: &str) -> Option<String> {
    let mut rest = text;
    loop {
        let i = rest.find('<')?;
        rest = &rest[i + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        let local = name.rsplit(':').next().unwrap_or(&name).to_owned();
        return (!local.is_empty()).then_some(local);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_roots() {
        assert_eq!(
            xml_root("<?xml version=\"1.0\"?>\n<!DOCTYPE coverage SYSTEM \"x\">\n<!-- c --><coverage a=\"1\">").as_deref(),
            Some("coverage")
        );
        assert_eq!(xml_root("<report name=\"x\">").as_deref(), Some("report"));
        assert_eq!(xml_root("no xml"), None);
    }

    #[test]
    fn merging_takes_the_union_of_hits() {
        let mut a = FileCoverage::default();
        a.add_line(1, 0, None);
        a.add_line(2, 1, Some((1, 2)));
        let mut b = FileCoverage::default();
        b.add_line(1, 3, None);
        b.add_line(2, 0, Some((2, 2)));
        b.add_line(3, 0, None);
        a.merge(&b);
        let t = a.totals();
        assert_eq!((t.lines_covered, t.lines_valid), (2, 3));
        assert_eq!((t.branches_covered, t.branches_valid), (2, 2));
    }

    #[test]
    fn ratios_are_none_without_data() {
        assert_eq!(ratio(0, 0), None);
        assert_eq!(ratio(1, 4), Some(0.25));
    }
}
