//! `ci-intel autopsy` end to end: every output format on real failing logs, secrets never in
//! any output, the exit codes, `--github-run` against a local GitHub API, `rules test` and
//! `eval`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly on unexpected errors"
)]

mod common;

use std::io::{BufRead, BufReader, Read as _, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{assert_own_sarif, ci_intel, json, stderr, stdout};

fn log(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ci-intel-autopsy/tests/fixtures/logs")
        .join(name)
}

#[test]
fn explains_a_compile_error_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .arg("autopsy")
        .arg(log("rust-compile-error.log"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("1. compile-error · rustc · rustc/error-code"),
        "{text}"
    );
    assert!(text.contains("at src/main.rs:3"), "{text}");
    assert!(text.contains("repro: cargo build --all-targets"), "{text}");
    assert!(
        text.contains("│ error[E0425]: cannot find value `y` in this scope"),
        "{text}"
    );

    let o = ci_intel(dir.path())
        .args(["autopsy", "--format", "json"])
        .arg(log("rust-compile-error.log"))
        .output()
        .unwrap();
    let r = json(&o);
    assert_eq!(r["schema"], "ci-intel.autopsy/v1");
    assert_eq!(r["failed"], true);
    let top = &r["root_causes"][0];
    for (k, v) in [
        ("category", "compile-error"),
        ("rule_id", "rustc/error-code"),
        ("tool", "rustc"),
        ("message", "cannot find value `y` in this scope"),
        ("file", "src/main.rs"),
        ("repro", "cargo build --all-targets"),
        (
            "docs_uri",
            "https://doc.rust-lang.org/error_codes/E0425.html",
        ),
    ] {
        assert_eq!(top[k], v, "{k}: {top}");
    }
    assert_eq!(top["line"], 3);
    assert_eq!(top["location"]["line"], 3);
    assert!(top["confidence"].as_f64().unwrap() > 0.9);
    assert!(top["suggestion"].as_str().unwrap().contains("E0425"));
    assert_eq!(top["signature"].as_str().unwrap().len(), 32);

    let o = ci_intel(dir.path())
        .args(["autopsy", "--format", "markdown"])
        .arg(log("pytest-failure.log"))
        .output()
        .unwrap();
    let md = stdout(&o);
    assert!(
        md.starts_with("## Pipeline Autopsy: test-failure — "),
        "{md}"
    );
    assert!(
        md.contains("**Reproduce:** `pytest tests/test_calc.py::test_add`"),
        "{md}"
    );
    assert!(md.contains("**Suggested fix:**"), "{md}");
    assert!(md.contains("| Log | Job | Lines | Failed step |"), "{md}");

    let out = dir.path().join("autopsy.sarif");
    let o = ci_intel(dir.path())
        .args(["autopsy", "--format", "sarif", "--output"])
        .arg(&out)
        .arg(log("jest-failure.log"))
        .arg(log("tsc-error.log"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("ci-intel autopsy:"),
        "the summary goes to stderr"
    );
    let sarif: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_own_sarif(&sarif);
    let ids: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"autopsy/tsc/error"), "{ids:?}");
    assert!(ids.contains(&"autopsy/jest/test"), "{ids:?}");
}

/// A credential in a failing line, and the value of an environment variable named like one,
/// must not appear in any output.
#[test]
fn secrets_in_logs_never_reach_an_output() {
    let dir = tempfile::tempdir().unwrap();
    // Assembled at run time: the repository holds no credential-shaped literal.
    let pat = format!("ghp_{}", "Zq8s0mK3L1xY7PdN4c9TvB2wR6eHfA5gJuQi");
    let env_secret = format!("s3cr3t-{}", "v4lu3-0f-th3-j0b");
    let text = format!(
        "$ ./deploy.sh\nfatal: Authentication failed for 'https://x-access-token:{pat}@github.com/acme/app.git/'\ncurl: (6) Could not resolve host: {env_secret}.example\n[exit 1]\n"
    );
    let path = dir.path().join("deploy.log");
    std::fs::write(&path, &text).unwrap();
    for format in ["human", "json", "markdown", "sarif"] {
        let o = ci_intel(dir.path())
            .env("DEPLOY_TOKEN", &env_secret)
            .args(["autopsy", "--format", format])
            .arg(&path)
            .output()
            .unwrap();
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(0), "{all}");
        assert!(
            all.contains("registry-auth") || all.contains("git/auth"),
            "{format}: {all}"
        );
        assert!(!all.contains(&pat), "{format} leaked the token:\n{all}");
        assert!(
            !all.contains(&env_secret),
            "{format} leaked the env value:\n{all}"
        );
        assert!(all.contains("***"), "{format}: masked text is marked");
    }
}

#[test]
fn exit_codes_for_clean_logs_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let ok = dir.path().join("ok.log");
    std::fs::write(&ok, "$ cargo test\ntest result: ok. 3 passed; 0 failed\n").unwrap();
    let o = ci_intel(dir.path())
        .arg("autopsy")
        .arg(&ok)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("no failure found in 1 log(s), 2 line(s)"),
        "{}",
        stdout(&o)
    );

    let bin = dir.path().join("core");
    std::fs::write(&bin, [0u8, 1, 2, 3, 0, 255]).unwrap();
    let o = ci_intel(dir.path())
        .arg("autopsy")
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("binary data: expected a text log"),
        "{}",
        stderr(&o)
    );

    let o = ci_intel(dir.path()).arg("autopsy").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no logs to read"), "{}", stderr(&o));

    // Standard input.
    let o = ci_intel(dir.path())
        .args(["autopsy", "-", "--format", "json"])
        .write_stdin("npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/nope - Not found\n")
        .output()
        .unwrap();
    assert_eq!(json(&o)["root_causes"][0]["rule_id"], "npm/e404");
}

#[test]
fn configured_log_globs_and_extra_rule_packs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".ci-intel/rules")).unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    std::fs::write(
        dir.path().join("logs/job.log"),
        "$ ./acme-deploy\nACME-7731: the widget quota is exhausted\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".ci-intel/rules/acme.toml"),
        "[[rule]]\nid = \"acme/widget-quota\"\ntool = \"acme-deploy\"\ncategory = \"rate-limit\"\nkeywords = [\"ACME-7731\"]\npattern = 'ACME-7731: (?P<message>.+)$'\nhint = \"Ask for a larger widget quota.\"\nexamples = [\"ACME-7731: the widget quota is exhausted\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".ci-intel/config.yml"),
        "autopsy:\n  logs: [\"logs/*.log\"]\n  rules: [\".ci-intel/rules\"]\n",
    )
    .unwrap();
    let o = ci_intel(dir.path())
        .args(["autopsy", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    let r = json(&o);
    assert_eq!(r["root_causes"][0]["rule_id"], "acme/widget-quota", "{r}");
    assert_eq!(r["root_causes"][0]["category"], "rate-limit");
    let rules_test = || {
        ci_intel(dir.path())
            .args(["autopsy", "rules", "test", "--rules", ".ci-intel/rules"])
            .output()
            .unwrap()
    };
    let o = rules_test();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("all pass"));
    // An example the pattern does not match fails the test run.
    std::fs::write(
        dir.path().join(".ci-intel/rules/broken.toml"),
        "[[rule]]\nid = \"acme/broken\"\ntool = \"acme\"\ncategory = \"network\"\nkeywords = [\"ACME\"]\npattern = 'ACME-9'\nhint = \"h\"\nexamples = [\"ACME-1 never matches\"]\n",
    )
    .unwrap();
    let o = rules_test();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("FAIL acme/broken"), "{}", stdout(&o));
    // A pack that does not parse is bad input.
    std::fs::write(
        dir.path().join(".ci-intel/rules/bad.toml"),
        "[[rule]]\nid = 3\n",
    )
    .unwrap();
    let o = rules_test();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.toml"), "{}", stderr(&o));
}

#[test]
fn eval_prints_per_category_scores_and_gates_on_top1() {
    let dir = tempfile::tempdir().unwrap();
    let labels = log("labels.toml");
    let o = ci_intel(dir.path())
        .args([
            "autopsy",
            "eval",
            "--format",
            "json",
            "--min-top1",
            "0.95",
            "--labels",
        ])
        .arg(&labels)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["logs"], 43);
    assert!(r["top1_accuracy"].as_f64().unwrap() >= 0.95);
    assert!(r["categories"].as_array().unwrap().len() >= 14);
    // What the classifier adds, measured both ways and cross-validated on the rule examples.
    let c = &r["classifier"];
    assert!(
        c["cross_validation"]["lines"].as_u64().unwrap() > 200,
        "{c}"
    );
    assert_eq!(c["effect"]["without"]["top1_accuracy"], r["top1_accuracy"]);
    assert!(c["effect"]["with"]["top1_accuracy"].as_f64().unwrap() >= 0.95);
    let bad = dir.path().join("labels.toml");
    std::fs::write(&bad, "[[log]]\npath = \"x.log\"\ncategory = \"weather\"\n").unwrap();
    let o = ci_intel(dir.path())
        .args(["autopsy", "eval", "--labels"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("labels.toml:3"), "{}", stderr(&o));
}

/// ML second (on by default): an error line no rule knows gets a category from the model
/// trained on the rule packs, under its own rule id (listed by `ci-intel rules`); with
/// `--no-classifier` or `autopsy.classifier: false`, the line stays unknown.
#[test]
fn the_classifier_names_the_category_of_a_line_no_rule_knows_unless_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("job.log");
    std::fs::write(
        &path,
        "##[group]Run suite\nerror: test suite failed: 3 tests failed, assertion mismatch\n##[error]Process completed with exit code 1.\n",
    )
    .unwrap();
    let top = |extra: &[&str]| {
        let o = ci_intel(dir.path())
            .arg("autopsy")
            .arg(&path)
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        json(&o)["root_causes"][0].clone()
    };
    let plain = top(&["--no-classifier"]);
    assert_eq!(plain["rule_id"], "autopsy/unknown");
    assert_eq!(plain["category"], "unknown");
    std::fs::create_dir_all(dir.path().join(".ci-intel")).unwrap();
    std::fs::write(
        dir.path().join(".ci-intel/config.yml"),
        "autopsy:\n  classifier: false\n",
    )
    .unwrap();
    assert_eq!(top(&[])["rule_id"], "autopsy/unknown");
    assert_eq!(top(&["--classifier"])["rule_id"], "autopsy/classified");
    std::fs::remove_file(dir.path().join(".ci-intel/config.yml")).unwrap();
    let named = top(&[]);
    assert_eq!(named["rule_id"], "autopsy/classified");
    assert_eq!(named["category"], "test-failure");
    assert!(named["confidence"].as_f64().unwrap() < 0.5, "{named}");
    let o = ci_intel(dir.path())
        .arg("autopsy")
        .arg(&path)
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    assert_own_sarif(&json(&o));
}

/// What the fake GitHub saw.
#[derive(Default, Debug)]
struct Seen {
    requests: Vec<(String, Option<String>)>,
}

/// A GitHub API on loopback: the logs endpoint answers with a redirect to another host name
/// (`localhost` instead of `127.0.0.1`), which serves the zip, as GitHub's blob storage does.
fn fake_github(zip: Vec<u8>) -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen2 = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut auth = None;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("authorization")
                {
                    auth = Some(v.trim().to_owned());
                }
            }
            let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
            seen2.lock().unwrap().requests.push((path.clone(), auth));
            if path == "/repos/acme/app/actions/runs/77/logs" {
                let _ = write!(
                    stream,
                    "HTTP/1.1 302 Found\r\nLocation: http://localhost:{port}/blob/logs.zip?sig=1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            } else {
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    zip.len()
                );
                let _ = stream.write_all(&zip);
            }
            let _ = stream.flush();
        }
    });
    (format!("http://127.0.0.1:{port}"), seen)
}

#[test]
fn github_run_logs_are_downloaded_and_the_token_stays_with_the_api() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("1_build.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&std::fs::read(log("go-build-error.log")).unwrap())
        .unwrap();
    let zip = zip.finish().unwrap().into_inner();
    let (api, seen) = fake_github(zip);
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .env("GITHUB_TOKEN", "tok-for-the-api-only")
        .env("GITHUB_API_URL", &api)
        .args([
            "autopsy",
            "--github-run",
            "77",
            "--repo",
            "acme/app",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(r["root_causes"][0]["rule_id"], "go/build-error");
    assert_eq!(r["logs"][0]["log"], "run-77.zip!1_build.txt");
    assert_eq!(r["logs"][0]["job"], "build");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.requests.len(), 2, "{seen:?}");
    assert_eq!(
        seen.requests[0],
        (
            "/repos/acme/app/actions/runs/77/logs".to_owned(),
            Some("Bearer tok-for-the-api-only".to_owned())
        )
    );
    assert_eq!(seen.requests[1].0, "/blob/logs.zip?sig=1");
    assert_eq!(
        seen.requests[1].1, None,
        "the token must not follow the redirect"
    );
}

#[test]
fn github_run_errors_name_the_endpoint_and_the_reason() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let body = r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}"#;
        write!(
            s,
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .env("GITHUB_TOKEN", "t")
        .env("GITHUB_API_URL", format!("http://127.0.0.1:{port}"))
        .args(["autopsy", "--github-run", "5", "--repo", "acme/app"])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    let e = stderr(&o);
    assert!(
        e.contains("/repos/acme/app/actions/runs/5/logs: HTTP 404"),
        "{e}"
    );
    assert!(e.contains("Not Found"), "{e}");
    let o = ci_intel(dir.path())
        .args(["autopsy", "--github-run", "5", "--repo", "acme/app"])
        .output()
        .unwrap();
    assert!(stderr(&o).contains("GITHUB_TOKEN"), "{}", stderr(&o));
}

#[test]
fn rules_lists_the_autopsy_rules() {
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let ids: Vec<String> = json(&o)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    let autopsy = ids.iter().filter(|i| i.starts_with("autopsy/")).count();
    assert!(autopsy >= 190, "{autopsy}");
    assert!(ids.contains(&"autopsy/rustc/error-code".to_owned()));
}

/// A GitHub job log whose `cargo build` step failed, as the runner writes it.
fn failed_job_log(dir: &Path) {
    let stamp = |l: &str| format!("2026-12-04T10:00:00.0000000Z {l}\n");
    let body: String = std::fs::read_to_string(log("rust-compile-error.log"))
        .unwrap()
        .lines()
        .map(stamp)
        .collect();
    let text = format!(
        "{}{body}{}",
        stamp("##[group]Run cargo build"),
        stamp("##[error]Process completed with exit code 101.")
    );
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("logs/build.log"), text).unwrap();
    std::fs::create_dir_all(dir.join(".ci-intel")).unwrap();
    std::fs::write(
        dir.join(".ci-intel/config.yml"),
        "tests:\n  enabled: false\ncoverage:\n  enabled: false\naudit:\n  enabled: false\nautopsy:\n  logs: [\"logs/*.log\"]\n",
    )
    .unwrap();
}

#[test]
fn check_leads_its_summary_with_the_root_cause_of_a_failed_job() {
    let dir = tempfile::tempdir().unwrap();
    failed_job_log(dir.path());
    let o = ci_intel(dir.path())
        .args(["check", "--root", ".", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = stdout(&o);
    assert!(
        md.starts_with("### ❌ Why this job failed\n\n**compile-error** (rustc, `src/main.rs:3`"),
        "{md}"
    );
    assert!(md.contains("## Pipeline Autopsy"), "{md}");
    let o = ci_intel(dir.path())
        .args(["check", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    let r = json(&o);
    let a = &r["analyzers"]["autopsy"];
    assert_eq!(a["root_causes"][0]["location"]["step"], "Run cargo build");
    assert_eq!(a["logs"][0]["steps"][0]["exit_code"], 101);
    // Annotations point at the source line.
    let mut c = ci_intel(dir.path());
    let summary = dir.path().join("summary.md");
    let o = c
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["check", "--root", "."])
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("::error file=src/main.rs,line=3"),
        "{}",
        stdout(&o)
    );
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .starts_with("### ❌ Why this job failed")
    );

    // A job whose logs show no failure, and that no gate or CI status calls failed, has no
    // autopsy.
    std::fs::write(
        dir.path().join("logs/build.log"),
        "$ cargo build\n    Finished dev\n",
    )
    .unwrap();
    let o = ci_intel(dir.path())
        .args(["check", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    assert!(json(&o)["analyzers"].get("autopsy").is_none());
}

#[test]
fn run_emit_records_the_root_causes() {
    let dir = tempfile::tempdir().unwrap();
    failed_job_log(dir.path());
    let mut c = ci_intel(dir.path());
    let o = common::github_env(&mut c)
        .args(["run", "emit", "--root", ".", "--status", "failed"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(ci_intel_core::pipeline_run::validate(&v), vec![]);
    let rc = &v["autopsy"]["root_causes"][0];
    assert_eq!(rc["pattern"], "rustc/error-code");
    assert_eq!(rc["tool"], "rustc");
    assert_eq!(rc["file"], "src/main.rs");
    assert_eq!(rc["line"], 3);
    assert_eq!(rc["severity"], "error");
    assert!(rc["suggestion"].as_str().unwrap().contains("E0425"));
}
