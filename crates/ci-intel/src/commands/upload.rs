//! `ci-intel run upload|flush`: the agent's side of the hub.
//!
//! Records are checked locally first (a bad record is the sender's bug: exit 2, nothing sent).
//! Then one gzip'd NDJSON request, retried with exponential backoff and jitter on connection
//! errors, 429 and 5xx. When the hub stays unreachable the request is written to the spool
//! (atomically) and the command succeeds with a warning: telemetry must never fail a build,
//! nor be silently dropped. `run flush` sends the spool in order and deletes each entry only
//! after the hub acknowledged it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use ci_intel_core::pipeline_run::{PipelineRun, parse_batch};
use ci_intel_core::{exit, fsutil};
use serde::{Deserialize, Serialize};

use crate::cli::{FlushArgs, HubConnectionArgs, UploadArgs};
use crate::context;

/// One request waiting in the spool.
#[derive(Debug, Serialize, Deserialize)]
struct Spooled {
    /// Path and query, e.g. `/api/v1/runs`.
    path: String,
    /// The request body (NDJSON records, or a tests report).
    body: String,
    /// How many records it carries (for messages).
    records: usize,
}

enum Sent {
    Acknowledged(String),
    /// The hub refused it for good (4xx other than 429): its message.
    Refused(u16, String),
    /// The hub could not be reached or kept failing.
    Unreachable(String),
}

fn token() -> Result<String> {
    std::env::var("CI_INTEL_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| anyhow!("set CI_INTEL_TOKEN to a hub token (`ci-intel hub token create`)"))
}

fn spool_dir(c: &HubConnectionArgs) -> PathBuf {
    c.spool
        .clone()
        .unwrap_or_else(|| fsutil::xdg_dir("XDG_STATE_HOME", ".local/state").join("spool"))
}

fn gzip(body: &str) -> Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(body.as_bytes())?;
    Ok(gz.finish()?)
}

/// Sends one request with retries; never panics on what the hub answers.
fn send(
    c: &HubConnectionArgs,
    token: &str,
    path: &str,
    body: &str,
    content_type: &str,
) -> Result<Sent> {
    let url = format!("{}{path}", c.hub.trim_end_matches('/'));
    let bytes = gzip(body)?;
    let agent = context::http_agent(Duration::from_mins(1));
    let mut delay = c.backoff_ms.max(1);
    let mut last = String::new();
    for attempt in 1..=c.attempts.max(1) {
        let result = agent
            .post(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", content_type)
            .header("Content-Encoding", "gzip")
            .send(&bytes[..]);
        match result {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let text = resp.body_mut().read_to_string().unwrap_or_default();
                if (200..300).contains(&status) {
                    return Ok(Sent::Acknowledged(text));
                }
                let message = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .map_or(text.clone(), |v| hub_message(&v));
                if status != 429 && status < 500 {
                    return Ok(Sent::Refused(status, message));
                }
                last = format!("HTTP {status}: {message}");
            }
            Err(e) => last = e.to_string(),
        }
        if attempt < c.attempts {
            eprintln!(
                "warning: hub attempt {attempt}/{} failed ({last}); retrying in {delay} ms",
                c.attempts
            );
            std::thread::sleep(Duration::from_millis(delay + fastrand::u64(0..=delay / 2)));
            delay = (delay * 2).min(30_000);
        }
    }
    Ok(Sent::Unreachable(last))
}

/// The hub's error message and per-line errors, as one text.
fn hub_message(v: &serde_json::Value) -> String {
    let mut s = v["error"].as_str().unwrap_or("no message").to_owned();
    for e in v["errors"].as_array().into_iter().flatten().take(20) {
        s.push_str(&format!(
            "\n  record line {}: {} {}",
            e["line"],
            e["pointer"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("")
        ));
    }
    s
}

fn spool(dir: &Path, entry: &Spooled) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the spool {}", dir.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let path = dir.join(format!("{nanos:024}-{:08x}.json", fastrand::u32(..)));
    fsutil::write_atomic(&path, &serde_json::to_vec(entry)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn read_records(files: &[PathBuf]) -> Result<Vec<PipelineRun>, i32> {
    let mut all = Vec::new();
    let mut bad = false;
    for f in files {
        let text = match context::read_input_text(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return Err(exit::BAD_INPUT);
            }
        };
        match parse_batch(&text) {
            Ok(runs) => all.extend(runs),
            Err(errors) => {
                bad = true;
                for e in errors {
                    eprintln!(
                        "error: {}:{}: {}{}",
                        f.display(),
                        e.line,
                        e.pointer.map(|p| format!("{p}: ")).unwrap_or_default(),
                        e.message
                    );
                }
            }
        }
    }
    if bad { Err(exit::BAD_INPUT) } else { Ok(all) }
}

pub fn upload(a: &UploadArgs) -> Result<i32> {
    let runs = match read_records(&a.files) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let tests = match &a.tests_report {
        None => None,
        Some(p) => {
            let [run] = runs.as_slice() else {
                bail!(
                    "--tests-report goes with exactly one record ({} given)",
                    runs.len()
                );
            };
            let text = context::read_input_text(p)?;
            serde_json::from_str::<ci_intel_tests::report::TestsReport>(&text).map_err(|e| {
                anyhow!(
                    "{}:{}:{}: not a ci-intel.tests/v1 report: {e}",
                    p.display(),
                    e.line(),
                    e.column()
                )
            })?;
            Some(Spooled {
                path: format!(
                    "/api/v1/runs/{}/tests",
                    percent_encoding::utf8_percent_encode(
                        &run.run_id,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                ),
                body: text,
                records: 0,
            })
        }
    };
    let token = token()?;
    let mut body = String::new();
    for r in &runs {
        body.push_str(&serde_json::to_string(r)?);
        body.push('\n');
    }
    let mut entries = vec![Spooled {
        path: "/api/v1/runs".into(),
        body,
        records: runs.len(),
    }];
    entries.extend(tests);
    let dir = spool_dir(&a.connection);
    let mut pending = entries.into_iter();
    while let Some(e) = pending.next() {
        let ct = if e.records > 0 {
            "application/x-ndjson"
        } else {
            "application/json"
        };
        match send(&a.connection, &token, &e.path, &e.body, ct)? {
            Sent::Acknowledged(text) => eprintln!("{}: {}", e.path, text.trim()),
            Sent::Refused(status, msg) => {
                eprintln!("error: the hub refused {} (HTTP {status}): {msg}", e.path);
                return Ok(exit::BAD_INPUT);
            }
            Sent::Unreachable(why) => {
                let mut n = 0;
                for rest in std::iter::once(e).chain(pending.by_ref()) {
                    n += rest.records;
                    spool(&dir, &rest)?;
                }
                eprintln!(
                    "warning: the hub is unreachable ({why}); {n} record(s) spooled in {}: send them later with `ci-intel run flush`",
                    dir.display()
                );
                return Ok(exit::PASS);
            }
        }
    }
    // The hub answers: send what earlier runs spooled, too.
    flush_dir(&a.connection, &token, &dir, true)?;
    Ok(exit::PASS)
}

pub fn flush(a: &FlushArgs) -> Result<i32> {
    let token = token()?;
    let dir = spool_dir(&a.connection);
    let left = flush_dir(&a.connection, &token, &dir, false)?;
    Ok(if left == 0 {
        exit::PASS
    } else {
        exit::GATE_DENIED
    })
}

/// Sends spooled requests oldest first; returns how many are left.
fn flush_dir(
    c: &HubConnectionArgs,
    token: &str,
    dir: &Path,
    quiet_when_empty: bool,
) -> Result<usize> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(anyhow!("{}: {e}", dir.display())),
    };
    files.sort();
    if files.is_empty() {
        if !quiet_when_empty {
            eprintln!("the spool {} is empty", dir.display());
        }
        return Ok(0);
    }
    let total = files.len();
    let (mut sent, mut records) = (0, 0);
    for (i, f) in files.iter().enumerate() {
        let entry: Spooled = if let Some(e) = std::fs::read(f)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            e
        } else {
            eprintln!(
                "warning: {} is not a spool entry; left in place",
                f.display()
            );
            continue;
        };
        let ct = if entry.records > 0 {
            "application/x-ndjson"
        } else {
            "application/json"
        };
        match send(c, token, &entry.path, &entry.body, ct)? {
            Sent::Acknowledged(_) => {
                std::fs::remove_file(f)
                    .with_context(|| format!("cannot delete {}", f.display()))?;
                sent += 1;
                records += entry.records;
            }
            Sent::Refused(status, msg) => {
                // Kept for a person to look at; it would be refused again.
                eprintln!(
                    "error: the hub refused {} (HTTP {status}): {msg}",
                    f.display()
                );
            }
            Sent::Unreachable(why) => {
                eprintln!(
                    "warning: the hub is unreachable ({why}); {} spooled request(s) left in {}",
                    total - i,
                    dir.display()
                );
                return Ok(total - sent);
            }
        }
    }
    eprintln!(
        "flushed {sent} spooled request(s) ({records} record(s)) from {}",
        dir.display()
    );
    Ok(total - sent)
}
