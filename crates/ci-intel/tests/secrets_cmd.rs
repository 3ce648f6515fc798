//! `ci-intel secrets scan|redact` through the real binary, with planted credentials.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use common::{ci_intel, git, json, stderr, stdout};

// Planted credentials, assembled at run time so this file itself holds no token.
fn github() -> String {
    format!("ghp_{}", "Zq8s0mK3L1xY7PdN4c9TvB2wR6eHfA5gJuQi")
}
fn stripe() -> String {
    format!("sk_live_{}", "4eC39HqLyjWDarjtT1zdp7dcX9kP2mNv")
}
fn aws() -> String {
    format!("AKIA{}", "Q3EGRJBKVLZX7T2M")
}
fn gitlab() -> String {
    format!("glpat-{}", "x9Rk2LmP7qWz3NvB8cTy")
}

#[test]
fn finds_planted_credentials_once_each_and_never_prints_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("config.py"),
        format!("import os\n\nGITHUB = \"{}\"\nDEBUG = True\n", github()),
    )
    .unwrap();
    std::fs::write(
        d.join("billing.js"),
        format!(
            "// billing\nconst stripe = require('stripe')('{}');\n",
            stripe()
        ),
    )
    .unwrap();
    std::fs::write(
        d.join(".env"),
        format!("AWS_ACCESS_KEY_ID={}\nGITLAB_TOKEN={}\n", aws(), gitlab()),
    )
    .unwrap();
    std::fs::write(
        d.join("clean.md"),
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\nid 123e4567-e89b-12d3-a456-426614174000\nkey AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    std::fs::write(d.join("package-lock.json"), "{\"integrity\": \"sha512-XoSd4jQ0YVqCyN8YCJ2mWMiEJyFUDNyCz8h1t4X3hgEv9zqXwy1rBKSYU5xb0ccHrN5dRIkSb0nVg68LfgaN8w==\"}").unwrap();
    let o = ci_intel(d)
        .args(["secrets", "scan", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let mut found: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["location"]["path"].as_str().unwrap().to_owned(),
                f["location"]["start_line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("aws-access-key-id".into(), ".env".into(), 1),
            ("github-pat".into(), "config.py".into(), 3),
            ("gitlab-personal-access-token".into(), ".env".into(), 2),
            ("stripe-secret-key".into(), "billing.js".into(), 2),
        ]
    );
    for format in ["json", "sarif", "human", "markdown"] {
        let o = ci_intel(d)
            .args(["secrets", "scan", "--root", ".", "--format", format])
            .output()
            .unwrap();
        if format == "sarif" {
            common::assert_own_sarif(&json(&o));
        }
        let all = format!("{}{}", stdout(&o), stderr(&o));
        for secret in [github(), stripe(), aws(), gitlab()] {
            assert!(!all.contains(&secret), "{format} output leaks {secret}");
            assert!(
                !all.contains(&secret[8..]),
                "{format} output leaks part of a secret"
            );
        }
    }
}

#[test]
fn gitignore_binaries_and_large_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join(".gitignore"), "ignored.txt\n").unwrap();
    std::fs::write(d.join("ignored.txt"), github()).unwrap();
    let mut bin = b"\x7fELF\x02\x01\x01\x00".to_vec();
    bin.extend_from_slice(github().as_bytes());
    std::fs::write(d.join("tool.bin"), bin).unwrap();
    std::fs::write(
        d.join("big.txt"),
        format!("{}\n{}", github(), "x".repeat(2 * 1024 * 1024)),
    )
    .unwrap();
    std::fs::create_dir_all(d.join(".ci-intel")).unwrap();
    std::fs::write(
        d.join(".ci-intel/config.yml"),
        "secrets:\n  max_file_size_mb: 1\n",
    )
    .unwrap();
    let o = ci_intel(d)
        .args(["secrets", "scan", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{}", stdout(&o));
    let skipped: Vec<String> = v["summary"]["skipped_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["path"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        skipped.iter().any(|s| s.starts_with("tool.bin binary")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.starts_with("big.txt larger than 1 MB")),
        "{skipped:?}"
    );
    let o = ci_intel(d)
        .args([
            "secrets",
            "scan",
            "--root",
            ".",
            "--format",
            "json",
            "--no-gitignore",
        ])
        .output()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["findings"][0]["location"]["path"], "ignored.txt");
}

#[test]
fn git_history_finds_secrets_removed_since() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    std::fs::write(
        d.join("app.cfg"),
        format!("name = app\ntoken = {}\n", gitlab()),
    )
    .unwrap();
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "add config"]);
    let first = git(d, &["rev-parse", "HEAD"]);
    std::fs::write(d.join("app.cfg"), "name = app\ntoken = from-the-vault\n").unwrap();
    git(d, &["commit", "-qam", "remove the token"]);
    let o = ci_intel(d)
        .args(["secrets", "scan", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "the tree is clean now: {}",
        stdout(&o)
    );
    let o = ci_intel(d)
        .args([
            "secrets",
            "scan",
            "--root",
            ".",
            "--git-history",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let f = &v["findings"][0];
    assert_eq!(f["rule_id"], "gitlab-personal-access-token");
    assert_eq!(f["location"]["path"], "app.cfg");
    assert_eq!(f["location"]["start_line"], 2);
    assert!(f["message"].as_str().unwrap().contains(&first[..12]), "{f}");
}

#[test]
fn environment_sweeps_skip_the_runners_own_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .env("DEPLOY_KEY", stripe())
        .env("GITHUB_TOKEN", github())
        .args(["secrets", "scan", "--env", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&o);
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["env/DEPLOY_KEY"]);
    assert!(!stdout(&o).contains(&stripe()));
}

#[test]
fn proc_sweep_finds_secrets_in_other_processes() {
    let dir = tempfile::tempdir().unwrap();
    let mut victim = std::process::Command::new("sleep")
        .arg("60")
        .env("LEAKED_TOKEN", gitlab())
        .spawn()
        .unwrap();
    let o = ci_intel(dir.path())
        .args(["secrets", "scan", "--proc", "--format", "json"])
        .output()
        .unwrap();
    victim.kill().unwrap();
    victim.wait().unwrap();
    let v = json(&o);
    let pid = victim.id();
    let hit = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["location"]["path"]
                .as_str()
                .unwrap()
                .ends_with("/LEAKED_TOKEN")
        })
        .unwrap_or_else(|| panic!("not found: {}", stdout(&o)));
    assert!(
        hit["location"]["path"]
            .as_str()
            .unwrap()
            .starts_with(&format!("proc/{pid}(sleep)")),
        "{hit}"
    );
}

#[test]
fn redact_masks_every_encoding_and_flushes_each_line() {
    use base64::Engine;
    let value = "Sup3r-Secr3t/Value+42";
    let b64 =
        |prefix: &str| base64::engine::general_purpose::STANDARD.encode(format!("{prefix}{value}"));
    let urlenc = "Sup3r-Secr3t%2FValue%2B42";
    let input = format!(
        "plain {value}\nb64 {}\nb64-shifted {}\nb64-shifted2 {}\nurl {urlenc}\nurl-lower {}\ntoken {}\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\nabcdef\n-----END RSA PRIVATE KEY-----\nbye\n",
        b64(""),
        b64("a"),
        b64("ab"),
        urlenc.replace("%2F", "%2f").replace("%2B", "%2b"),
        github()
    );
    // assert_cmd's Command does not spawn with pipes; use std's.
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ci-intel"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("APP_SECRET", value)
        .args(["secrets", "redact", "--values-from-env", "APP_SECRET"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    // The first line comes back before the input is closed: nothing waits for more input.
    stdin
        .write_all(b"first line with nothing secret\n")
        .unwrap();
    stdin.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        tx.send(line).unwrap();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        rest
    });
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("a line is flushed at once");
    assert_eq!(first, "first line with nothing secret\n");
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let rest = reader.join().unwrap();
    assert!(child.wait().unwrap().success());
    for leak in [
        value.to_owned(),
        b64("")[2..22].to_owned(),
        urlenc.to_owned(),
        github(),
        "MIIEowIBAAKCAQEA7bq".to_owned(),
    ] {
        assert!(!rest.contains(&leak), "leaked {leak}:\n{rest}");
    }
    assert!(rest.contains("plain ***\n"), "{rest}");
    assert!(rest.ends_with("bye\n"), "{rest}");
    assert_eq!(rest.lines().count(), input.lines().count());
}

/// ci-intel passes its own scans: planted test credentials are suppressed with a reason in
/// `.ci-intel/config.yml` (the rules are not weakened), and its workflow passes the audit.
#[test]
fn this_repository_passes_its_own_secret_scan_and_audit() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for args in [&["secrets", "scan", "."][..], &["audit"][..]] {
        let o = ci_intel(&root).args(args).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "ci-intel {args:?} on this repository:\n{}{}",
            stdout(&o),
            stderr(&o)
        );
    }
}
