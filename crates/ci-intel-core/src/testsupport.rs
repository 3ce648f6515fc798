//! Helpers for tests that need shared data or services (used by every crate's tests).
//!
//! The shared corpus (`../shared/corpus` beside the repository, or `$CI_INTEL_CORPUS`) holds
//! real-world data. A test that cannot find it skips with a loud message on a developer's
//! machine; with `CI_INTEL_REQUIRE_CORPUS=1` (as `.ci/run` sets) it fails instead.

use std::path::PathBuf;

/// The corpus directory, or `None` (after saying so on stderr) when it is absent and not
/// required. Panics when it is required and absent.
pub fn corpus(workspace_root: &std::path::Path) -> Option<PathBuf> {
    let dir = std::env::var_os("CI_INTEL_CORPUS")
        .map_or_else(|| workspace_root.join("../shared/corpus"), PathBuf::from);
    if dir.is_dir() {
        return Some(dir);
    }
    let required = std::env::var("CI_INTEL_REQUIRE_CORPUS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "CI_INTEL_REQUIRE_CORPUS=1 but the corpus is missing at {}",
        dir.display()
    );
    eprintln!(
        "SKIPPED: the shared corpus is not at {} (set CI_INTEL_CORPUS); this test did not run",
        dir.display()
    );
    None
}
