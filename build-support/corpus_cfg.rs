// Included by the build scripts of the crates whose tests read the shared corpus.
//
// Without the corpus (and without `CI_INTEL_REQUIRE_CORPUS=1`) the build sets
// `cfg(ci_intel_no_corpus)`, under which those tests are `#[ignore]`d with the reason, so
// `cargo test` counts them as ignored instead of as passes. With the variable set, they run and
// fail, as CI requires.

fn corpus_cfg() {
    println!("cargo::rustc-check-cfg=cfg(ci_intel_no_corpus)");
    println!("cargo::rerun-if-env-changed=CI_INTEL_CORPUS");
    println!("cargo::rerun-if-env-changed=CI_INTEL_REQUIRE_CORPUS");
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default();
    let dir = std::env::var_os("CI_INTEL_CORPUS").map_or_else(
        || std::path::Path::new(&manifest).join("../../../shared/corpus"),
        std::path::PathBuf::from,
    );
    // Seen again when it appears or disappears (a missing path is checked on every build).
    println!("cargo::rerun-if-changed={}", dir.display());
    let required = std::env::var("CI_INTEL_REQUIRE_CORPUS").is_ok_and(|v| v == "1");
    if !dir.is_dir() && !required {
        println!("cargo::rustc-cfg=ci_intel_no_corpus");
        println!(
            "cargo::warning=the shared corpus is not at {}: its tests are ignored (scripts/fetch-corpus.sh fetches it)",
            dir.display()
        );
    }
}
