//! Against the real advisory data, where the binary wires the SBOM's lockfile reader to the
//! scanner: ripgrep 0.10.0's lockfile yields exactly the seven vulnerabilities cargo-audit
//! reports (and RustSec's informational advisories apart); today's ripgrep none.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ci_intel_core::testsupport;
use ci_intel_vuln::osv::Index;
use ci_intel_vuln::scan::{self, Intel, Package};

fn corpus() -> Option<PathBuf> {
    testsupport::corpus(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

fn packages(dir: &Path) -> Vec<Package> {
    let sbom = ci_intel_sbom::lockfiles::read_dir(dir).unwrap();
    sbom.components.values().map(Package::from).collect()
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn ripgrep_0_10_0_has_exactly_cargo_audits_seven() {
    let Some(c) = corpus() else { return };
    let index = Index::load(&c.join("osv/crates.io")).unwrap();
    let intel = Intel {
        unknown_risk: 0.5,
        ..Intel::default()
    };
    let matches = scan::scan(
        &index,
        &packages(&c.join("lockfiles/ripgrep-0.10.0")),
        &intel,
    );
    let vulns: BTreeSet<&str> = matches
        .iter()
        .filter(|m| m.informational.is_none())
        .map(|m| m.id.as_str())
        .collect();
    let want: BTreeSet<&str> = [
        "RUSTSEC-2022-0040",
        "RUSTSEC-2022-0013",
        "RUSTSEC-2023-0018",
        "RUSTSEC-2019-0009",
        "RUSTSEC-2021-0003",
        "RUSTSEC-2019-0012",
        "RUSTSEC-2022-0006",
    ]
    .into_iter()
    .collect();
    assert_eq!(vulns, want);
    let info: Vec<_> = matches
        .iter()
        .filter_map(|m| m.informational.as_deref())
        .collect();
    assert!(
        info.contains(&"unmaintained") && info.contains(&"unsound"),
        "{info:?}"
    );

    let today = scan::scan(&index, &packages(&c.join("lockfiles/ripgrep-head")), &intel);
    assert!(today.iter().all(|m| m.informational.is_some()), "{today:?}");
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn ripgrep_0_10_0_informational_advisories_match_cargo_audit() {
    let Some(c) = corpus() else { return };
    let index = Index::load(&c.join("osv/crates.io")).unwrap();
    let matches = scan::scan(
        &index,
        &packages(&c.join("lockfiles/ripgrep-0.10.0")),
        &Intel::default(),
    );
    let count = |k: &str| {
        matches
            .iter()
            .filter(|m| m.informational.as_deref() == Some(k))
            .count()
    };
    // cargo-audit 0.22.2 on the same lockfile and database: 4 unmaintained, 8 unsound.
    assert_eq!(
        (count("unmaintained"), count("unsound")),
        (4, 8),
        "{:#?}",
        matches
            .iter()
            .map(|m| (&m.id, &m.informational))
            .collect::<Vec<_>>()
    );
}
