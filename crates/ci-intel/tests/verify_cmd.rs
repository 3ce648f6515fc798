//! `ci-intel verify`, the release truth table, through the real binary: a release whose
//! evidence proves everything passes; each broken promise denies its own row.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use std::path::Path;

use common::{ci_intel, stderr, stdout};

fn days_ago(days: i64) -> String {
    (time::OffsetDateTime::now_utc() - time::Duration::days(days))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn sbom(components: usize) -> String {
    let list: Vec<_> = (0..components)
        .map(
            |i| serde_json::json!({"type": "library", "name": format!("c{i}"), "version": "1.0.0"}),
        )
        .collect();
    serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": list})
        .to_string()
}

/// A release of the staging-signed `bundle_v3.txt`: its Sigstore bundle, provenance signed by
/// our key, an SBOM, an empty determinism report and a DR drill `drill_age` days old.
fn release(d: &Path, s: &Path, components: usize, drill_age: i64) {
    let bundles = s.join("bundles");
    std::fs::copy(bundles.join("bundle_v3.txt"), d.join("app.txt")).unwrap();
    std::fs::copy(
        bundles.join("bundle_v3.txt.sigstore"),
        d.join("app.txt.sigstore.json"),
    )
    .unwrap();
    std::fs::write(d.join("sbom.cdx.json"), sbom(components)).unwrap();
    std::fs::write(d.join("determinism.json"), r#"{"differences": []}"#).unwrap();
    std::fs::write(
        d.join("drill.json"),
        serde_json::json!({"completed_at": days_ago(drill_age), "result": "passed"}).to_string(),
    )
    .unwrap();
    if !d.join("k.pem").exists() {
        common::keygen(d, "k");
    }
    let o = common::release_build_env(&mut ci_intel(d))
        .args([
            "attest",
            "provenance",
            "--subject",
            "app.txt",
            "--key",
            "k.pem",
            "-o",
            "prov.dsse.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = pack(d)
        .args([
            "artifact=app.txt",
            "signature=app.txt.sigstore.json",
            "provenance=prov.dsse.json",
            "sbom=sbom.cdx.json",
            "determinism=determinism.json",
            "dr-drill=drill.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `evidence pack` of the release in `d` with our key into `release.tar.zst`; the roles to
/// pack are the caller's.
fn pack(d: &Path) -> assert_cmd::Command {
    let mut c = ci_intel(d);
    c.args([
        "evidence",
        "pack",
        "--key",
        "k.pem",
        "--out",
        "release.tar.zst",
    ]);
    c
}

fn verify(d: &Path, s: &Path, extra: &[&str]) -> std::process::Output {
    verify_as(d, s, ".+", extra)
}

fn verify_as(d: &Path, s: &Path, identity: &str, extra: &[&str]) -> std::process::Output {
    ci_intel(d)
        .args([
            "verify",
            "release.tar.zst",
            "--key",
            "k.pub",
            "--trusted-root",
        ])
        .arg(s.join("trusted_root/staging.trusted_root.json"))
        .args(["--identity", identity, "--issuer", "https://.+"])
        .args([
            "--source-uri",
            "github.com/acme/app",
            "--workflow",
            ".github/workflows/release.yml",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn a_release_proving_everything_passes_every_row() {
    let Some(s) = common::corpus("sigstore") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    release(d, &s, 12, 2);
    let o = verify(d, &s, &["--source-tag", "v1.2.3", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["schema"], "ci-intel.release-verification/v1");
    assert_eq!(v["result"], "allow");
    let ids: Vec<&str> = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "release.signature",
            "release.provenance",
            "release.transparency",
            "release.sbom",
            "release.determinism",
            "release.dr-drill"
        ]
    );
    assert!(
        v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["result"] == "allow"),
        "{v:#}"
    );
    assert!(
        v["policies"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("log index 25915956")
    );
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn each_broken_promise_denies_its_row() {
    let Some(s) = common::corpus("sigstore") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let denied = |o: &std::process::Output| -> Vec<String> {
        stdout(o)
            .lines()
            .filter(|l| l.starts_with("DENY"))
            .map(|l| l.split_whitespace().nth(1).unwrap().to_owned())
            .collect()
    };

    // A stale drill and a thin SBOM.
    release(d, &s, 3, 8);
    let o = verify(d, &s, &["--source-tag", "v1.2.3"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        denied(&o),
        ["release.sbom", "release.dr-drill"],
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("8 days old; at most 7 allowed"),
        "{}",
        stdout(&o)
    );
    // The limit is the user's.
    let o = verify(
        d,
        &s,
        &[
            "--source-tag",
            "v1.2.3",
            "--dr-drill-max-age-days",
            "10",
            "--sbom-min-components",
            "3",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // Another tag than the one built; another signer than the bundle's.
    release(d, &s, 12, 1);
    let o = verify_as(d, &s, "someone@example\\.com", &["--source-tag", "v9.9.9"]);
    assert_eq!(
        denied(&o),
        ["release.provenance", "release.transparency"],
        "{}",
        stdout(&o)
    );

    // Without a trusted root the inclusion proof cannot be checked: deny, not skip.
    let o = ci_intel(d)
        .args(["verify", "release.tar.zst", "--key", "k.pub"])
        .output()
        .unwrap();
    assert!(
        denied(&o).contains(&"release.transparency".to_owned()),
        "{}",
        stdout(&o)
    );

    // A tampered bundle denies its signature row and vouches for nothing else.
    let mut bytes = std::fs::read(d.join("release.tar.zst")).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(d.join("release.tar.zst"), &bytes).unwrap();
    let o = verify(d, &s, &["--source-tag", "v1.2.3"]);
    assert_ne!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn missing_evidence_can_be_declared_optional() {
    let Some(s) = common::corpus("sigstore") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    release(d, &s, 12, 1);
    let o = pack(d)
        .args([
            "artifact=app.txt",
            "signature=app.txt.sigstore.json",
            "provenance=prov.dsse.json",
            "sbom=sbom.cdx.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = verify(d, &s, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("DENY  release.dr-drill"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("ok    release.determinism"),
        "{}",
        stdout(&o)
    );
    let o = verify(d, &s, &["--optional", "release.dr-drill"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("warn  release.dr-drill"),
        "{}",
        stdout(&o)
    );
    let o = verify(d, &s, &["--optional", "release.nope"]);
    assert_eq!(o.status.code(), Some(2));
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn the_manifest_highlights_rekor_and_the_drill_and_the_run_record_pins_the_bundle() {
    let Some(s) = common::corpus("sigstore") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    release(d, &s, 12, 1);
    let files =
        ci_intel_attest::evidence::read_archive(&std::fs::read(d.join("release.tar.zst")).unwrap())
            .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let rekor = &m["highlights"]["rekor"][0];
    assert_eq!(rekor["log_index"], 25915956);
    assert_eq!(rekor["integrated_time"], 1712085549);
    assert_eq!(rekor["inclusion_proof"]["tree_size"], 25901138);
    assert_eq!(rekor["entry_uuid"].as_str().unwrap().len(), 64);
    assert_eq!(m["highlights"]["dr_drill"]["result"], "passed");
    assert_eq!(m["highlights"]["artifacts"].as_array().unwrap().len(), 1);

    let o = ci_intel(d)
        .args(["evidence", "show", "release.tar.zst"])
        .output()
        .unwrap();
    assert!(stdout(&o).contains("at index 25915956"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("with inclusion proof"),
        "{}",
        stdout(&o)
    );

    let o = ci_intel(d)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_RUN_ID", "7")
        .args([
            "run",
            "emit",
            "--no-analyzers",
            "--release-evidence",
            "release.tar.zst",
        ])
        .args([
            "--release-evidence-uri",
            "https://evidence.example.com/acme/app/7.tar.zst",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let digest = ci_intel_attest::evidence::bundle_digest(
        &std::fs::read(d.join("release.tar.zst")).unwrap(),
    );
    assert_eq!(
        v["release_evidence_uri"],
        format!("https://evidence.example.com/acme/app/7.tar.zst#sha256={digest}")
    );
    assert_eq!(ci_intel_core::pipeline_run::validate(&v), vec![]);
}
