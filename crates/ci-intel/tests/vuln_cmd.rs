//! `ci-intel vuln scan`, `vuln db index` and `vex create` through the real binary, against the
//! real OSV data of the corpus.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use std::collections::BTreeSet;

use common::{ci_intel, stderr, stdout};

fn ids(v: &serde_json::Value, informational: bool) -> BTreeSet<String> {
    v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["informational"].is_null() != informational)
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn a_lockfile_pinning_vulnerable_versions_yields_exactly_their_advisories() {
    let Some(c) = common::corpus("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Versions on both sides of real advisories' fixed versions.
    std::fs::write(
        d.join("requirements.txt"),
        "jinja2==2.7.1\nurllib3==2.2.2\n",
    )
    .unwrap();
    std::fs::write(
        d.join("go.mod"),
        "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/text v0.3.7\n)\n",
    )
    .unwrap();
    // The whole database: crates.io, PyPI and Go records side by side.
    let db = c.join("osv");
    let o = ci_intel(d)
        .args(["vuln", "scan", ".", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    // No CVSS v3 vector in these records: risk is `--unknown-risk` (0.5), below the gate.
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let found = ids(&v, false);
    assert!(
        found.contains("PYSEC-2014-8"),
        "jinja2 2.7.1 < 2.7.2: {found:?}"
    );
    assert!(
        found.contains("GO-2022-1059"),
        "x/text v0.3.7 < 0.3.8: {found:?}"
    );
    let m = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "PYSEC-2014-8")
        .unwrap();
    assert!(
        m["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "CVE-2014-1402"),
        "{m}"
    );

    // One patch later, those advisories are gone (ranges end at `fixed`).
    std::fs::write(d.join("requirements.txt"), "jinja2==2.7.2\n").unwrap();
    std::fs::write(
        d.join("go.mod"),
        "module example.com/app\n\ngo 1.22\n\nrequire golang.org/x/text v0.3.8\n",
    )
    .unwrap();
    let o = ci_intel(d)
        .args(["vuln", "scan", ".", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let found = ids(&v, false);
    assert!(
        !found.contains("PYSEC-2014-8") && !found.contains("GO-2022-1059"),
        "{found:?}"
    );
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn sbom_input_index_and_vex_suppression_with_expiry() {
    let Some(c) = common::corpus("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rg = c.join("lockfiles/ripgrep-0.10.0");
    // An SBOM as input (ours here; any CycloneDX or SPDX JSON works).
    let o = ci_intel(d)
        .args(["sbom", "generate", "--format", "spdx", "-o", "rg.spdx.json"])
        .arg(&rg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The compiled index gives the same answers as the raw database.
    let o = ci_intel(d)
        .args(["vuln", "db", "index", "-o", "osv.idx", "--db"])
        .arg(c.join("osv/crates.io"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let scan = |extra: &[&str]| {
        let o = ci_intel(d)
            .args([
                "vuln",
                "scan",
                "rg.spdx.json",
                "--db",
                "osv.idx",
                "--format",
                "json",
            ])
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code(),
            serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap_or_default(),
            stderr(&o),
        )
    };
    let (code, v, err) = scan(&[]);
    assert_eq!(code, Some(1), "{err}");
    let raw = ci_intel(d)
        .args(["vuln", "scan", "--format", "json", "--db"])
        .arg(c.join("osv/crates.io"))
        .arg(&rg)
        .output()
        .unwrap();
    let raw: serde_json::Value = serde_json::from_str(&stdout(&raw)).unwrap();
    assert_eq!(ids(&v, false), ids(&raw, false));
    assert_eq!(ids(&v, false).len(), 7);

    // VEX: smallvec's three are not affected → the gate still denies on regex (CVSS 7.5) …
    let vex = |vuln: &str, product: &str, out: &str, extra: &[&str]| {
        let o = ci_intel(d)
            .args([
                "vex",
                "create",
                "--vulnerability",
                vuln,
                "--product",
                product,
                "--status",
                "not_affected",
                "--justification",
                "vulnerable_code_not_in_execute_path",
                "-o",
                out,
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    vex(
        "RUSTSEC-2019-0009",
        "pkg:cargo/smallvec@0.6.5",
        "a.vex.json",
        &[],
    );
    vex("RUSTSEC-2019-0012", "pkg:cargo/smallvec", "b.vex.json", &[]);
    vex(
        "RUSTSEC-2021-0003",
        "pkg:cargo/smallvec@0.6.5",
        "c.vex.json",
        &[],
    );
    vex(
        "RUSTSEC-2022-0013",
        "pkg:cargo/regex@1.0.5",
        "d.vex.json",
        &[],
    );
    let (code, v, _) = scan(&[
        "--vex",
        "a.vex.json",
        "--vex",
        "b.vex.json",
        "--vex",
        "c.vex.json",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(v["gates"][0]["inputs"]["suppressed_by_vex"], 3);
    assert!(
        v["gates"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("RUSTSEC-2022-0013")
    );
    // … and with regex covered too it allows (the rest are below 0.7).
    let (code, _, _) = scan(&[
        "--vex",
        "a.vex.json",
        "--vex",
        "b.vex.json",
        "--vex",
        "c.vex.json",
        "--vex",
        "d.vex.json",
    ]);
    assert_eq!(code, Some(0));

    // An expired statement suppresses nothing and is itself reported.
    vex(
        "RUSTSEC-2022-0013",
        "pkg:cargo/regex@1.0.5",
        "old.vex.json",
        &["--expires", "2020-01-01T00:00:00Z"],
    );
    let (code, v, _) = scan(&[
        "--vex",
        "a.vex.json",
        "--vex",
        "b.vex.json",
        "--vex",
        "c.vex.json",
        "--vex",
        "old.vex.json",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "expired-vex"),
        "{v:#}"
    );
    // A negative maximum age: every statement has expired.
    let (code, _, _) = scan(&[
        "--vex",
        "d.vex.json",
        "--vex",
        "a.vex.json",
        "--vex",
        "b.vex.json",
        "--vex",
        "c.vex.json",
        "--vex-max-age-days=-1",
    ]);
    assert_eq!(code, Some(1));
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn epss_kev_and_sarif() {
    let Some(c) = common::corpus("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("requirements.txt"), "jinja2==2.7.1\n").unwrap();
    std::fs::write(d.join("epss.csv"), "#model_version:v2025.03.14,score_date:2026-11-01T00:00:00+0000\ncve,epss,percentile\nCVE-2014-1402,0.00123,0.42\n").unwrap();
    std::fs::write(
        d.join("kev.json"),
        r#"{"vulnerabilities": [{"cveID": "CVE-2014-1402"}]}"#,
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let o = ci_intel(d)
            .args(["vuln", "scan", ".", "--format", "json", "--db"])
            .arg(c.join("osv/PyPI"))
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()
    };
    let risk = |v: &serde_json::Value| {
        v["matches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "PYSEC-2014-8")
            .unwrap()["risk"]
            .as_f64()
            .unwrap()
    };
    let base = run(&[]);
    let with_epss = run(&["--epss", "epss.csv"]);
    assert_eq!(
        with_epss["matches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == "PYSEC-2014-8")
            .unwrap()["epss_percentile"],
        0.42
    );
    // This record has no CVSS vector: without EPSS its risk is `--unknown-risk` (0.5), with it
    // the EPSS percentile decides (the old assertion also held if EPSS were ignored).
    assert_eq!(risk(&base), 0.5);
    assert_eq!(risk(&with_epss), 0.42);
    assert_eq!(
        risk(&run(&["--kev", "kev.json"])),
        1.0,
        "KEV is always critical"
    );

    let o = ci_intel(d)
        .args(["vuln", "scan", ".", "--format", "sarif", "--db"])
        .arg(c.join("osv/PyPI"))
        .output()
        .unwrap();
    let log: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    common::assert_own_sarif(&log);
    assert!(
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["ruleId"] == "vuln/vulnerable-dependency"
                && r["message"]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("PYSEC-2014-8 "))
    );

    // Bad inputs: exit 2, the file and line named.
    std::fs::write(d.join("bad.csv"), "cve,epss,percentile\nCVE-1,x,2\n").unwrap();
    let o = ci_intel(d)
        .args(["vuln", "scan", ".", "--epss", "bad.csv", "--db"])
        .arg(c.join("osv/PyPI"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.csv:2"), "{}", stderr(&o));
    std::fs::write(d.join("bad.json"), "{\"statements\": [").unwrap();
    let o = ci_intel(d)
        .args(["vuln", "scan", ".", "--vex", "bad.json", "--db"])
        .arg(c.join("osv/PyPI"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.json"), "{}", stderr(&o));
    std::fs::create_dir(d.join("db")).unwrap();
    std::fs::write(d.join("db/x.json"), "{\"id\": \"X\",\n \"affected\": [").unwrap();
    let o = ci_intel(d)
        .args(["vuln", "scan", ".", "--db", "db"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("x.json:2"), "{}", stderr(&o));
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn check_runs_sbom_and_vulnerability_gate_and_emit_records_the_sbom() {
    let Some(c) = common::corpus("") else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::git(d, &["init", "-q"]);
    std::fs::copy(
        c.join("lockfiles/ripgrep-0.10.0/Cargo.lock"),
        d.join("Cargo.lock"),
    )
    .unwrap();
    std::fs::create_dir_all(d.join(".ci-intel")).unwrap();
    std::fs::write(
        d.join(".ci-intel/config.yml"),
        format!(
            "tests:\n  enabled: false\ncoverage:\n  enabled: false\naudit:\n  enabled: false\nvuln:\n  enabled: true\n  db: {}\n  sbom_output: sbom.cdx.json\n",
            c.join("osv/crates.io").display()
        ),
    )
    .unwrap();
    let o = ci_intel(d)
        .args(["check", "--format", "json", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["gates"][0]["id"], "vuln.risk");
    assert_eq!(v["gates"][0]["result"], "deny");
    let errors: BTreeSet<&str> = v["analyzers"]["vuln"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .inspect(|f| assert_eq!(f["rule_id"], "vulnerable-dependency"))
        .map(|f| f["message"].as_str().unwrap().split(' ').next().unwrap())
        .collect();
    assert_eq!(
        errors,
        [
            "RUSTSEC-2019-0009",
            "RUSTSEC-2019-0012",
            "RUSTSEC-2021-0003",
            "RUSTSEC-2022-0013"
        ]
        .into_iter()
        .collect()
    );
    assert!(d.join("sbom.cdx.json").is_file());

    // `check` and `vuln scan` name each vulnerability with the same rule and fingerprint.
    let sarif_of = |args: &[&str]| {
        let o = ci_intel(d).args(args).output().unwrap();
        let log: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        common::assert_own_sarif(&log);
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_owned(),
                    r["partialFingerprints"].to_string(),
                )
            })
            .collect::<BTreeSet<_>>()
    };
    let from_check = sarif_of(&["check", "--format", "sarif", "--root", "."]);
    let db = c.join("osv/crates.io");
    let from_scan = sarif_of(&[
        "vuln",
        "scan",
        ".",
        "--format",
        "sarif",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(from_check.len() >= 4, "{from_check:?}");
    assert_eq!(from_check, from_scan);

    let o = ci_intel(d)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_RUN_ID", "7")
        .args(["run", "emit", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let uri = r["sbom_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("file://") && uri.contains("sbom.cdx.json#sha256="),
        "{uri}"
    );
    assert_eq!(ci_intel_core::pipeline_run::validate(&r), vec![]);
}

#[test]
fn npm_records_written_here_use_npm_semver_and_withdrawn_records_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("db")).unwrap();
    // Shaped like GitHub's npm advisories in OSV (the corpus has none: see its README).
    std::fs::write(
        d.join("db/GHSA-test-0001.json"),
        r#"{"id": "GHSA-test-0001", "aliases": ["CVE-2099-0001"], "summary": "Prototype pollution",
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected": [{"package": {"ecosystem": "npm", "name": "@scope/lib"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.4.2"}, {"introduced": "2.0.0-beta.1"}, {"fixed": "2.0.1"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        d.join("db/GHSA-test-0002.json"),
        r#"{"id": "GHSA-test-0002", "withdrawn": "2099-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "@scope/lib"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}"#,
    )
    .unwrap();
    let lock = |v: &str| {
        format!(
            r#"{{"name": "app", "lockfileVersion": 3, "packages": {{"": {{"name": "app", "dependencies": {{"@scope/lib": "*"}}}}, "node_modules/@scope/lib": {{"version": "{v}"}}}}}}"#
        )
    };
    for (version, hit) in [
        ("1.4.1", true),
        ("1.4.2", false),
        ("2.0.0-beta.3", true),
        ("2.0.0", true),
        ("2.0.1", false),
        ("0.9.9", false),
    ] {
        std::fs::write(d.join("package-lock.json"), lock(version)).unwrap();
        let o = ci_intel(d)
            .args(["vuln", "scan", ".", "--db", "db", "--format", "json"])
            .output()
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&stdout(&o)).unwrap_or_else(|_| panic!("{}", stderr(&o)));
        let found = ids(&v, false);
        assert_eq!(
            found.contains("GHSA-test-0001"),
            hit,
            "{version}: {found:?}"
        );
        assert!(!found.contains("GHSA-test-0002"), "withdrawn");
        assert_eq!(o.status.code(), Some(i32::from(hit)), "CVSS 9.8 denies");
    }
}
