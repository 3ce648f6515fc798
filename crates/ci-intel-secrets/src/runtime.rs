//! Sweeping live environments: this process's variables (`--env`) and every readable
//! `/proc/<pid>/environ` (`--proc`), the secretless-runtime check.
//!
//! Each variable is scanned as a `NAME=value` line. Variables named in the allow-list (the
//! runner's own short-lived tokens, by default) are skipped.

use std::collections::HashSet;

use crate::{Lines, RuleSet, ScanResult, finding};

/// Scans `NAME=value` pairs; findings are located at `<source>` with the variable's name.
pub fn scan_vars(
    rules: &RuleSet,
    source: &str,
    vars: impl IntoIterator<Item = (String, String)>,
    allow: &[String],
    out: &mut ScanResult,
    seen: &mut HashSet<String>,
) {
    for (name, value) in vars {
        if allow.iter().any(|a| a == &name) {
            continue;
        }
        let line = format!("{name}={value}\n");
        out.bytes += line.len() as u64;
        let text = line.as_bytes();
        let hits = rules.scan(text);
        if hits.is_empty() {
            continue;
        }
        let lines = Lines::new(text);
        for h in &hits {
            // The fingerprint names the variable, not the process: one finding per variable
            // and secret, however many processes inherited it.
            let mut f = finding(rules, h, text, &name, &lines, Some(&format!("in `{name}`")));
            if let Some(l) = f.location.as_mut() {
                l.path = format!("{source}/{name}");
            }
            if seen.insert(f.fingerprint.clone()) {
                out.findings.push(f);
            }
        }
    }
    out.files += 1;
}

/// This process's environment.
pub fn scan_env(rules: &RuleSet, allow: &[String]) -> ScanResult {
    let mut out = ScanResult::default();
    let vars = std::env::vars_os().map(|(k, v)| {
        (
            k.to_string_lossy().into_owned(),
            v.to_string_lossy().into_owned(),
        )
    });
    scan_vars(rules, "env", vars, allow, &mut out, &mut HashSet::new());
    out
}

/// Every readable `/proc/<pid>/environ`.
pub fn scan_proc(rules: &RuleSet, allow: &[String]) -> ScanResult {
    let mut out = ScanResult::default();
    let mut seen = HashSet::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        out.skipped
            .push(("/proc".into(), "not available on this system".into()));
        return out;
    };
    let mut pids: Vec<u32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let Ok(raw) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue; // another user's process, or gone
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let vars = raw
            .split(|&b| b == 0)
            .filter(|v| !v.is_empty())
            .filter_map(|kv| {
                let s = String::from_utf8_lossy(kv);
                let (k, v) = s.split_once('=')?;
                Some((k.to_owned(), v.to_owned()))
            });
        scan_vars(
            rules,
            &format!("proc/{pid}({})", comm.trim()),
            vars.collect::<Vec<_>>(),
            allow,
            &mut out,
            &mut seen,
        );
    }
    out
}
