//! Diff coverage: how much of what a change added is covered by tests.
//!
//! The definition is diff-cover's, so numbers agree with the tool teams already use: the
//! changed lines are those the work tree adds relative to the base (committed, staged and
//! unstaged changes); of those, the *measured* ones are the lines the coverage reports know
//! (code, not blank lines or docs); diff coverage is covered measured lines ÷ measured lines.
//! Files the coverage reports do not mention (docs, configs, tests not measured) do not count.

use std::collections::BTreeMap;
use std::path::Path;

use ci_intel_core::git::{self, GitError};

use crate::coverage::{Coverage, ratio};

/// Diff coverage of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDiffCoverage {
    pub path: String,
    /// Changed lines the coverage reports measured.
    pub measured: Vec<u32>,
    /// Changed, measured, never executed.
    pub uncovered: Vec<u32>,
}

impl FileDiffCoverage {
    pub fn lines_pct(&self) -> Option<f64> {
        ratio(
            (self.measured.len() - self.uncovered.len()) as u64,
            self.measured.len() as u64,
        )
    }
}

/// Diff coverage of a change.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffCoverage {
    /// The base as the user named it (or as it was chosen).
    pub base: String,
    /// The merge-base commit the diff was taken against.
    pub base_commit: String,
    /// Every line the change adds, measured or not (diff-cover's `num_changed_lines`).
    pub changed_lines: u64,
    /// Files with at least one measured changed line, by path.
    pub files: Vec<FileDiffCoverage>,
}

impl DiffCoverage {
    pub fn measured_lines(&self) -> u64 {
        self.files.iter().map(|f| f.measured.len() as u64).sum()
    }

    pub fn uncovered_lines(&self) -> u64 {
        self.files.iter().map(|f| f.uncovered.len() as u64).sum()
    }

    /// Covered ÷ measured changed lines; `None` when the change touches no measured line.
    pub fn lines_pct(&self) -> Option<f64> {
        let measured = self.measured_lines();
        ratio(measured - self.uncovered_lines(), measured)
    }
}

/// Why diff coverage could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error("{0} is not inside a git work tree")]
    NotARepository(String),
    #[error(
        "no base to compare against: name one with --base (no origin/HEAD, main or master found)"
    )]
    NoBase,
    #[error("base `{0}` is not a commit in this repository (is the clone shallow? fetch it first)")]
    UnknownBase(String),
    #[error(transparent)]
    Git(#[from] GitError),
}

/// The lines a change adds, before coverage is known: what git says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub base: String,
    pub base_commit: String,
    /// Path relative to the root → sorted added line numbers.
    pub added: BTreeMap<String, Vec<u32>>,
}

/// Asks git what the work tree at `root` adds relative to the merge-base of `base` (or the
/// default base) and `HEAD`. Independent of coverage, so callers can run it while they read
/// the reports.
pub fn change(
    root: &Path,
    base: Option<&str>,
    ci_base_branch: Option<&str>,
) -> Result<Change, DiffError> {
    let top =
        git::toplevel(root).ok_or_else(|| DiffError::NotARepository(root.display().to_string()))?;
    let base = match base {
        Some(b) => b.to_owned(),
        None => git::default_base(&top, ci_base_branch).ok_or(DiffError::NoBase)?,
    };
    // The merge-base (to report) and the diff (git finds the merge-base itself) run at once.
    let (base_commit, added) = std::thread::scope(|scope| {
        let mb = scope.spawn(|| git::merge_base(&top, &base, "HEAD"));
        let added = git::added_lines_since_merge_base(&top, &base);
        (mb.join(), added)
    });
    let Ok(Ok(base_commit)) = base_commit else {
        return Err(DiffError::UnknownBase(base.clone()));
    };
    let added = match added {
        Ok(a) => a,
        // git older than 2.30 has no `diff --merge-base`.
        Err(_) => git::added_lines(&top, &base_commit)?,
    };
    // Git names paths from the top of the work tree; coverage paths are relative to `root`,
    // which may be a project inside it (a monorepo).
    let added = relative_to(&top, root, added);
    Ok(Change {
        base,
        base_commit,
        added,
    })
}

/// Computes diff coverage of the work tree at `root` against `base` (or the default base).
pub fn compute(
    root: &Path,
    base: Option<&str>,
    ci_base_branch: Option<&str>,
    coverage: &Coverage,
) -> Result<DiffCoverage, DiffError> {
    let c = change(root, base, ci_base_branch)?;
    Ok(from_added_lines(c.base, c.base_commit, &c.added, coverage))
}

/// Re-keys git's top-level-relative paths to `root`-relative ones, dropping paths outside it.
fn relative_to(
    top: &Path,
    root: &Path,
    added: BTreeMap<String, Vec<u32>>,
) -> BTreeMap<String, Vec<u32>> {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
    let Ok(prefix) = canon(root).strip_prefix(canon(top)).map(Path::to_owned) else {
        return added;
    };
    if prefix.as_os_str().is_empty() {
        return added;
    }
    let prefix = format!("{}/", prefix.to_string_lossy().replace('\\', "/"));
    added
        .into_iter()
        .filter_map(|(p, lines)| p.strip_prefix(&prefix).map(|rest| (rest.to_owned(), lines)))
        .collect()
}

/// Diff coverage from already-known added lines (path → sorted lines).
pub fn from_added_lines(
    base: String,
    base_commit: String,
    added: &BTreeMap<String, Vec<u32>>,
    coverage: &Coverage,
) -> DiffCoverage {
    let mut files = Vec::new();
    let mut changed = 0u64;
    for (path, lines) in added {
        changed += lines.len() as u64;
        let Some(fc) = coverage.files.get(path) else {
            continue;
        };
        let mut measured = Vec::new();
        let mut uncovered = Vec::new();
        for &l in lines {
            if let Some(lc) = fc.lines.get(&l) {
                measured.push(l);
                if lc.hits == 0 {
                    uncovered.push(l);
                }
            }
        }
        if !measured.is_empty() {
            files.push(FileDiffCoverage {
                path: path.clone(),
                measured,
                uncovered,
            });
        }
    }
    DiffCoverage {
        base,
        base_commit,
        changed_lines: changed,
        files,
    }
}

/// Groups sorted line numbers into inclusive ranges: `[16, 42, 50, 51, 52]` →
/// `[(16, 16), (42, 42), (50, 52)]`.
pub fn ranges(lines: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &l in lines {
        match out.last_mut() {
            Some((_, end)) if l == end.saturating_add(1) => *end = l,
            _ => out.push((l, l)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::{FileCoverage, LineCoverage};

    #[test]
    fn only_measured_lines_count() {
        let mut cov = Coverage::default();
        let mut fc = FileCoverage::default();
        for (l, hits) in [(1, 1), (2, 0), (3, 1), (5, 0)] {
            fc.lines.insert(
                l,
                LineCoverage {
                    hits,
                    ..LineCoverage::default()
                },
            );
        }
        cov.files.insert("a.py".into(), fc);
        let mut added = BTreeMap::new();
        added.insert("a.py".to_owned(), vec![2, 3, 4]);
        added.insert("README.md".to_owned(), vec![1, 2]);
        let d = from_added_lines("main".into(), "abc".into(), &added, &cov);
        assert_eq!(d.changed_lines, 5);
        assert_eq!(d.measured_lines(), 2);
        assert_eq!(d.files[0].uncovered, vec![2]);
        assert_eq!(d.lines_pct(), Some(0.5));
    }

    #[test]
    fn no_measured_change_has_no_percentage() {
        let d = from_added_lines(
            "m".into(),
            "c".into(),
            &BTreeMap::new(),
            &Coverage::default(),
        );
        assert_eq!(d.lines_pct(), None);
    }

    #[test]
    fn paths_are_rekeyed_to_a_project_inside_the_work_tree() {
        let top = tempfile::tempdir().unwrap();
        let root = top.path().join("services/calc");
        std::fs::create_dir_all(&root).unwrap();
        let mut added = BTreeMap::new();
        added.insert("services/calc/src/a.py".to_owned(), vec![1]);
        added.insert("services/other/b.py".to_owned(), vec![2]);
        let r = relative_to(top.path(), &root, added.clone());
        assert_eq!(r.keys().collect::<Vec<_>>(), vec!["src/a.py"]);
        assert_eq!(relative_to(top.path(), top.path(), added.clone()), added);
    }

    #[test]
    fn line_ranges() {
        assert_eq!(
            ranges(&[16, 42, 45, 50, 51, 52]),
            vec![(16, 16), (42, 42), (45, 45), (50, 52)]
        );
        assert_eq!(ranges(&[]), vec![]);
    }
}
