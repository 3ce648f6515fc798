//! Scanning every line ever added in a repository's history.
//!
//! `git log -p` gives each commit's diff; the added lines of each file of each commit are
//! scanned as one text, with a map back to their line numbers in that commit. A secret added
//! once and kept for years is reported once (its newest addition), naming the commit.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use ci_intel_core::git::GitError;

use crate::{Lines, RuleSet, ScanResult, finding};

/// Scans the added lines of every commit reachable from any ref.
pub fn scan(rules: &RuleSet, repo: &Path) -> Result<ScanResult, GitError> {
    let err = |message: String| GitError {
        args: "log -p --all".into(),
        message,
    };
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "core.quotepath=false",
            "log",
            "-p",
            "--all",
            "--no-color",
            "--no-ext-diff",
            "--unified=0",
            "--no-renames",
            "--format=%x00commit %H",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("cannot run git: {e}")))?;
    let Some(stdout) = child.stdout.take() else {
        return Err(err("no output".into()));
    };
    let mut state = State {
        rules,
        result: ScanResult::default(),
        seen: HashSet::new(),
        commit: String::new(),
        path: None,
        text: Vec::new(),
        line_numbers: Vec::new(),
        next_line: 0,
    };
    let mut reader = BufReader::with_capacity(1 << 20, stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| err(e.to_string()))?;
        if n == 0 {
            break;
        }
        state.line(&line);
    }
    state.flush();
    let status = child.wait().map_err(|e| err(e.to_string()))?;
    if !status.success() {
        let mut msg = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut msg);
        }
        return Err(err(msg.trim().to_owned()));
    }
    Ok(state.result)
}

struct State<'r> {
    rules: &'r RuleSet,
    result: ScanResult,
    /// Fingerprints already reported.
    seen: HashSet<String>,
    commit: String,
    path: Option<String>,
    /// Added lines of the current file of the current commit.
    text: Vec<u8>,
    /// The commit's line number of each line of `text`.
    line_numbers: Vec<u32>,
    next_line: u32,
}

impl State<'_> {
    fn line(&mut self, raw: &[u8]) {
        if let Some(rest) = raw.strip_prefix(b"\0commit ") {
            self.flush();
            String::from_utf8_lossy(rest)
                .trim()
                .clone_into(&mut self.commit);
            self.path = None;
        } else if raw.starts_with(b"diff --git ") {
            self.flush();
            self.path = None;
        } else if let Some(rest) = raw.strip_prefix(b"+++ ") {
            if self.text.is_empty() && self.path.is_none() {
                let p = String::from_utf8_lossy(rest).trim_end().to_owned();
                self.path = p.strip_prefix("b/").map(str::to_owned);
            } else {
                self.added(raw);
            }
        } else if let Some(rest) = raw.strip_prefix(b"@@ ") {
            let text = String::from_utf8_lossy(rest);
            self.next_line = text
                .split_whitespace()
                .find_map(|t| t.strip_prefix('+'))
                .and_then(|t| t.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
        } else if raw.starts_with(b"+") {
            self.added(raw);
        }
    }

    fn added(&mut self, raw: &[u8]) {
        if self.path.is_none() {
            return;
        }
        let content = &raw[1..];
        self.text.extend_from_slice(content);
        if !content.ends_with(b"\n") {
            self.text.push(b'\n');
        }
        self.line_numbers.push(self.next_line);
        self.next_line = self.next_line.saturating_add(1);
    }

    fn flush(&mut self) {
        let (Some(path), false) = (self.path.clone(), self.text.is_empty()) else {
            self.text.clear();
            self.line_numbers.clear();
            return;
        };
        self.result.files += 1;
        self.result.bytes += self.text.len() as u64;
        if !self.rules.path_allowed(&path) {
            let hits = self.rules.scan(&self.text);
            if !hits.is_empty() {
                let lines = Lines::new(&self.text);
                let short = &self.commit[..self.commit.len().min(12)];
                for h in &hits {
                    let mut f = finding(
                        self.rules,
                        h,
                        &self.text,
                        &path,
                        &lines,
                        Some(&format!("added in commit {short}")),
                    );
                    // Map the line within the added text back to the commit's line number.
                    if let Some(loc) = f.location.as_mut() {
                        let idx = loc.start_line as usize - 1;
                        let end_idx = loc.end_line.map(|e| e as usize - 1);
                        loc.start_line = self
                            .line_numbers
                            .get(idx)
                            .copied()
                            .unwrap_or(loc.start_line);
                        loc.end_line = end_idx.and_then(|e| self.line_numbers.get(e).copied());
                    }
                    if self.seen.insert(f.fingerprint.clone()) {
                        self.result.findings.push(f);
                    }
                }
            }
        }
        self.text.clear();
        self.line_numbers.clear();
    }
}
