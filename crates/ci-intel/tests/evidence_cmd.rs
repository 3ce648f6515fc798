//! `ci-intel evidence pack|verify|show` through the real binary: determinism, and every kind of
//! tampering named.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use ci_intel_attest::evidence::{read_archive, write_archive};
use common::{ci_intel, stderr, stdout};

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("sbom.cdx.json"),
        "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\"}\n",
    )
    .unwrap();
    std::fs::write(d.join("app.tar.gz"), vec![9u8; 5000]).unwrap();
    std::fs::write(d.join("check.json"), "{\"verdict\":\"allow\"}\n").unwrap();
    common::keygen(d, "k");
    dir
}

fn pack(d: &Path, out: &str) {
    let o = ci_intel(d)
        .args([
            "evidence", "pack", "--out", out, "--key", "k.pem", "--run-id", "run-7",
        ])
        .args([
            "sbom=sbom.cdx.json",
            "artifact=app.tar.gz",
            "policy=check.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

fn verify(d: &Path, bundle: &str) -> std::process::Output {
    ci_intel(d)
        .args(["evidence", "verify", bundle, "--key", "k.pub"])
        .output()
        .unwrap()
}

#[test]
fn packing_twice_gives_identical_bytes_that_verify() {
    let dir = setup();
    let d = dir.path();
    pack(d, "a.tar.zst");
    pack(d, "b.tar.zst");
    assert_eq!(
        std::fs::read(d.join("a.tar.zst")).unwrap(),
        std::fs::read(d.join("b.tar.zst")).unwrap()
    );
    let o = verify(d, "a.tar.zst");
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("every file matches its digest"));
    let o = ci_intel(d)
        .args(["evidence", "show", "a.tar.zst", "--json"])
        .output()
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["run_id"], "run-7");
    let roles: Vec<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["artifact", "policy", "sbom"]);
}

#[test]
fn every_tampering_fails_and_names_what_changed() {
    let dir = setup();
    let d = dir.path();
    pack(d, "good.tar.zst");
    let good = read_archive(&std::fs::read(d.join("good.tar.zst")).unwrap()).unwrap();
    let write = |name: &str, entries: &BTreeMap<String, Vec<u8>>| {
        let list: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        std::fs::write(d.join(name), write_archive(&list).unwrap()).unwrap();
    };

    let mut changed = good.clone();
    changed.get_mut("files/sbom/sbom.cdx.json").unwrap()[3] ^= 1;
    write("changed.tar.zst", &changed);
    let mut removed = good.clone();
    removed.remove("files/artifact/app.tar.gz");
    write("removed.tar.zst", &removed);
    let mut added = good.clone();
    added.insert("files/file/extra.txt".into(), b"x".to_vec());
    write("added.tar.zst", &added);
    let mut edited = good.clone();
    let manifest = String::from_utf8(edited["manifest.json"].clone()).unwrap();
    edited.insert(
        "manifest.json".into(),
        manifest.replace("run-7", "run-8").into_bytes(),
    );
    write("edited.tar.zst", &edited);

    for (bundle, expected) in [
        ("changed.tar.zst", "files/sbom/sbom.cdx.json: changed"),
        ("removed.tar.zst", "files/artifact/app.tar.gz: missing"),
        ("added.tar.zst", "files/file/extra.txt: extra file"),
        ("edited.tar.zst", "manifest.json: edited after signing"),
    ] {
        let o = verify(d, bundle);
        assert_eq!(o.status.code(), Some(1), "{bundle}: {}", stdout(&o));
        assert!(stdout(&o).contains(expected), "{bundle}: {}", stdout(&o));
        assert!(stderr(&o).contains("DENY"));
    }

    // Another key did not sign it.
    common::keygen(d, "o");
    let o = ci_intel(d)
        .args(["evidence", "verify", "good.tar.zst", "--key", "o.pub"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("manifest.dsse.json"), "{}", stdout(&o));

    // One flipped byte of the compressed bundle is refused, never accepted.
    let mut bytes = std::fs::read(d.join("good.tar.zst")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(d.join("flipped.tar.zst"), bytes).unwrap();
    let o = verify(d, "flipped.tar.zst");
    assert_ne!(o.status.code(), Some(0));
}

#[test]
fn garbage_bundle_exits_2_naming_it() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("junk.tar.zst"), "not a bundle").unwrap();
    let o = verify(d, "junk.tar.zst");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("junk.tar.zst"), "{}", stderr(&o));
    let o = ci_intel(d)
        .args([
            "evidence",
            "pack",
            "--out",
            "x.tar.zst",
            "--key",
            "k.pem",
            "nonsense=app.tar.gz",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown role"), "{}", stderr(&o));
    assert!(!d.join("x.tar.zst").exists());
}
