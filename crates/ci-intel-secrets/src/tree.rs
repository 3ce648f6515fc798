//! Scanning a directory tree: `.gitignore` respected, files in parallel, binaries and huge files
//! skipped with a note.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ci_intel_core::fsutil::{Sniff, sniff};
use ignore::{WalkBuilder, WalkState};

use crate::{Lines, RuleSet, ScanResult, finding};

/// How a tree is scanned.
#[derive(Debug, Clone)]
pub struct TreeOptions {
    /// Files larger than this are skipped (with a note): usually generated or vendored.
    pub max_file_size: u64,
    /// Honour `.gitignore`, `.ignore` and git's exclude files.
    pub gitignore: bool,
    /// Paths (relative to the base) not to scan.
    pub exclude: globset::GlobSet,
}

impl Default for TreeOptions {
    fn default() -> Self {
        Self {
            max_file_size: 10 * 1024 * 1024,
            gitignore: true,
            exclude: globset::GlobSet::empty(),
        }
    }
}

/// Scans every file under `roots`; findings name paths relative to `base`.
pub fn scan(rules: &RuleSet, roots: &[PathBuf], base: &Path, opts: &TreeOptions) -> ScanResult {
    let Some((first, rest)) = roots.split_first() else {
        return ScanResult::default();
    };
    let mut builder = WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    builder
        .hidden(false)
        .git_ignore(opts.gitignore)
        .git_global(opts.gitignore)
        .git_exclude(opts.gitignore)
        .ignore(opts.gitignore)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git");
    let result = Mutex::new(ScanResult::default());
    builder.build_parallel().run(|| {
        let mut buf = Vec::with_capacity(64 * 1024);
        let result = &result;
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            let display = path
                .strip_prefix(base)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            let mut local = ScanResult::default();
            scan_file(rules, path, &display, opts, &mut buf, &mut local);
            if let Ok(mut r) = result.lock() {
                r.files += local.files;
                r.bytes += local.bytes;
                r.skipped.extend(local.skipped);
                r.findings.extend(local.findings);
            }
            WalkState::Continue
        })
    });
    let mut r = result.into_inner().unwrap_or_default();
    r.findings.sort_by(|a, b| {
        let k = |f: &ci_intel_core::Finding| {
            f.location
                .as_ref()
                .map(|l| (l.path.clone(), l.start_line, l.start_column))
        };
        k(a).cmp(&k(b))
    });
    r.skipped.sort();
    r
}

/// Scans one file into `out`.
pub fn scan_file(
    rules: &RuleSet,
    path: &Path,
    display: &str,
    opts: &TreeOptions,
    buf: &mut Vec<u8>,
    out: &mut ScanResult,
) {
    if rules.path_allowed(display) || opts.exclude.is_match(display) {
        return;
    }
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            out.skipped
                .push((display.to_owned(), format!("unreadable: {e}")));
            return;
        }
    };
    if meta.len() > opts.max_file_size {
        out.skipped.push((
            display.to_owned(),
            format!(
                "larger than {} MB (likely generated)",
                opts.max_file_size / (1024 * 1024)
            ),
        ));
        return;
    }
    buf.clear();
    let read = std::fs::File::open(path).and_then(|mut f| f.read_to_end(buf));
    if let Err(e) = read {
        out.skipped
            .push((display.to_owned(), format!("unreadable: {e}")));
        return;
    }
    match sniff(&buf[..buf.len().min(8192)]) {
        Sniff::Binary | Sniff::Gzip => {
            out.skipped.push((display.to_owned(), "binary".to_owned()));
            return;
        }
        Sniff::Empty | Sniff::Text => {}
    }
    out.files += 1;
    out.bytes += buf.len() as u64;
    let hits = rules.scan(buf);
    if hits.is_empty() {
        return;
    }
    let lines = Lines::new(buf);
    for h in &hits {
        out.findings
            .push(finding(rules, h, buf, display, &lines, None));
    }
}
