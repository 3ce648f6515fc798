//! The real OSV database loads the same from a zip archive as from a directory (the lockfile
//! matches against it are tested where the binary wires the SBOM reader to the scanner:
//! `crates/ci-intel/tests/vuln_corpus.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::path::{Path, PathBuf};

use ci_intel_core::testsupport;
use ci_intel_vuln::osv::Index;

fn corpus() -> Option<PathBuf> {
    testsupport::corpus(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn osv_zip_archives_load_like_directories_and_garbage_is_refused() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    // An archive shaped like OSV's `crates.io/all.zip`: one JSON record per entry.
    let zip_path = dir.path().join("all.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let mut files: Vec<_> = std::fs::read_dir(c.join("osv/crates.io"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in &files {
            zip.start_file(
                f.file_name().unwrap().to_string_lossy(),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            std::io::Write::write_all(&mut zip, &std::fs::read(f).unwrap()).unwrap();
        }
        zip.finish().unwrap();
    }
    let from_zip = Index::load(&zip_path).unwrap();
    let from_dir = Index::load(&c.join("osv/crates.io")).unwrap();
    assert_eq!(from_zip.advisories, from_dir.advisories);
    assert_eq!(from_zip.skipped, from_dir.skipped);
    // The compiled index round-trips.
    let idx = dir.path().join("osv.idx");
    std::fs::write(&idx, from_dir.write().unwrap()).unwrap();
    assert_eq!(Index::load(&idx).unwrap().advisories, from_dir.advisories);

    std::fs::write(dir.path().join("bad.zip"), b"PK\x03\x04 truncated").unwrap();
    assert!(Index::load(&dir.path().join("bad.zip")).is_err());
    std::fs::write(
        dir.path().join("bad.idx"),
        [0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3],
    )
    .unwrap();
    assert!(Index::load(&dir.path().join("bad.idx")).is_err());
}
