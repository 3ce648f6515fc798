//! `ci-intel sbom generate` through the real binary: both formats, byte-identical runs, bad
//! input named with its line.

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

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn both_formats_byte_identical_across_runs() {
    let Some(l) = common::corpus("lockfiles") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for run in ["a", "b"] {
        let o = ci_intel(d)
            .args(["sbom", "generate", "--format", "both", "-o", run])
            .arg(l.join("poetry"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("78 components from poetry.lock"),
            "{}",
            stderr(&o)
        );
    }
    for ext in [".cdx.json", ".spdx.json"] {
        let a = std::fs::read(d.join(format!("a{ext}"))).unwrap();
        let b = std::fs::read(d.join(format!("b{ext}"))).unwrap();
        assert_eq!(a, b, "{ext} differs between runs");
    }
    let cdx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("a.cdx.json")).unwrap()).unwrap();
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    assert_eq!(cdx["specVersion"], "1.6");
    assert!(
        cdx["serialNumber"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
    assert_eq!(cdx["components"].as_array().unwrap().len(), 78);
    // Every dependsOn names a component (or the root).
    let refs: std::collections::BTreeSet<&str> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    for dep in cdx["dependencies"].as_array().unwrap() {
        for t in dep["dependsOn"].as_array().unwrap() {
            assert!(refs.contains(t.as_str().unwrap()), "{t}");
        }
    }
    let spdx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("a.spdx.json")).unwrap()).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(
        spdx["packages"].as_array().unwrap().len(),
        79,
        "the root and 78 components"
    );

    // --no-dev leaves out the dev groups.
    let o = ci_intel(d)
        .args(["sbom", "generate", "--no-dev"])
        .arg(l.join("poetry"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["components"].as_array().unwrap().len(), 53);
}

#[test]
fn bad_lockfiles_exit_2_naming_file_and_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"a\"\nversion = \n",
    )
    .unwrap();
    let o = ci_intel(d)
        .args(["sbom", "generate", ".", "-o", "out.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("Cargo.lock:5"), "{e}");
    assert!(!d.join("out.json").exists());

    let empty = tempfile::tempdir().unwrap();
    let o = ci_intel(empty.path())
        .args(["sbom", "generate"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no lockfile found"), "{}", stderr(&o));
}

fn write_cdx(d: &Path, name: &str, components: &serde_json::Value) {
    let doc = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components});
    std::fs::write(d.join(name), doc.to_string()).unwrap();
}

#[test]
fn check_applies_minimum_fields_licences_and_the_recorded_digest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_cdx(
        d,
        "a.json",
        &serde_json::json!([
            {"name": "a", "version": "1.0.0", "purl": "pkg:npm/a@1.0.0", "licenses": [{"license": {"id": "MIT"}}]},
            {"name": "b", "version": "2.0.0", "purl": "pkg:npm/b@2.0.0", "licenses": [{"expression": "MIT OR GPL-3.0-only"}]},
            {"name": "c", "version": "3.0.0", "purl": "pkg:npm/c@3.0.0", "licenses": [{"expression": "Apache-2.0 AND GPL-3.0-only"}]},
            {"name": "d", "purl": "pkg:npm/d@0.1.0"}
        ]),
    );
    let run = |extra: &[&str]| {
        ci_intel(d)
            .args(["sbom", "check", "a.json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&["--min-components", "4", "--require", "purl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("4 component(s), fewer than the required 10"),
        "{out}"
    );
    assert!(
        out.contains("1 component(s) without a version: d@?"),
        "{out}"
    );
    // OR needs one acceptable choice, AND all parts.
    let o = run(&[
        "--min-components",
        "1",
        "--require",
        "purl",
        "--deny-license",
        "GPL-3.0-only",
    ]);
    let out = stdout(&o);
    assert!(!out.contains("b@2.0.0"), "{out}");
    assert!(
        out.contains("c@3.0.0: licence `Apache-2.0 AND GPL-3.0-only` is not allowed"),
        "{out}"
    );
    // The recorded digest.
    let digest = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(
            std::fs::read(d.join("a.json")).unwrap(),
        ))
    };
    assert_eq!(
        run(&[
            "--min-components",
            "1",
            "--require",
            "purl",
            "--verify-hash",
            &digest
        ])
        .status
        .code(),
        Some(0)
    );
    let o = run(&[
        "--min-components",
        "1",
        "--require",
        "purl",
        "--verify-hash",
        &"0".repeat(64),
    ]);
    assert!(
        stdout(&o).contains("the file's SHA-256 is"),
        "{}",
        stdout(&o)
    );
    // Not an SBOM: exit 2.
    std::fs::write(d.join("x.json"), "{\"a\": 1}").unwrap();
    assert_eq!(
        ci_intel(d)
            .args(["sbom", "check", "x.json"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn diff_names_every_change_and_gates_new_dependencies() {
    let Some(l) = common::corpus("lockfiles") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, src) in [("old", "ripgrep-0.10.0"), ("new", "ripgrep-head")] {
        let o = ci_intel(d)
            .args([
                "sbom",
                "generate",
                "--format",
                "spdx",
                "-o",
                &format!("{name}.json"),
            ])
            .arg(l.join(src))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = ci_intel(d)
        .args(["sbom", "diff", "old.json", "new.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let change = |name: &str| {
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["change"].as_str().unwrap().to_owned())
    };
    assert_eq!(change("regex").as_deref(), Some("upgraded"));
    assert_eq!(change("anyhow").as_deref(), Some("added"));
    assert_eq!(change("wincolor").as_deref(), Some("removed"));
    // Every component of both is accounted for.
    let count = |k: &str| {
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["change"] == k)
            .count()
    };
    assert_eq!(
        76 - count("removed") - count("upgraded") - count("downgraded") - count("changed"),
        52 - count("added") - count("upgraded") - count("downgraded") - count("changed")
    );
    let o = ci_intel(d)
        .args(["sbom", "diff", "old.json", "new.json", "--fail-on-new"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("DENY  anyhow@"), "{}", stdout(&o));
    // Reversed, a downgrade.
    let o = ci_intel(d)
        .args(["sbom", "diff", "new.json", "old.json", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "regex" && c["change"] == "downgraded")
    );
}

/// The root component is the project its manifest names (not the checkout's folder), and a
/// directory that is not there is named as missing.
#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn the_root_component_is_the_package_and_a_missing_directory_is_named() {
    let Some(l) = common::corpus("lockfiles") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = ci_intel(d)
        .args(["sbom", "generate", "-o", "rg"])
        .arg(l.join("ripgrep-head"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cdx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("rg")).unwrap()).unwrap();
    let root = &cdx["metadata"]["component"];
    assert_eq!(root["name"], "ripgrep", "folder is ripgrep-head: {root}");
    let manifest = std::fs::read_to_string(l.join("ripgrep-head/Cargo.toml")).unwrap();
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \"")?.split('"').next())
        .unwrap();
    assert_eq!(root["version"], version);

    let o = ci_intel(d)
        .args(["sbom", "generate", "no-such-dir"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no-such-dir: no such file or directory"),
        "{}",
        stderr(&o)
    );
}
