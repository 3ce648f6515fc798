//! `ci-intel sbom generate` through the real binary: both formats, byte-identical runs, bad
//! input named with its line.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::path::{Path, PathBuf};

use common::{ci_intel, stderr, stdout};

fn lockfiles() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    ci_intel_core::testsupport::corpus(&root).map(|c| c.join("lockfiles"))
}

#[test]
fn both_formats_byte_identical_across_runs() {
    let Some(l) = lockfiles() else { return };
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
