//! Test support: validate a log against the official SARIF 2.1.0 JSON schema.
//!
//! The schema is not copied into this repository; it is the `src/schema.json` that the
//! `serde-sarif` crate ships (a dev-dependency of the packages whose tests call
//! [`violations`]), found in cargo's registry sources at the version `Cargo.lock` pins, and
//! only if that fails through `cargo metadata`. Only built with the `official-schema` feature.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

/// Where `serde-sarif`'s copy of the official schema is, per `cargo metadata` run from
/// `manifest_dir`.
/// Test support: any failure is a test failure, so errors are boxed rather than typed.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn schema_path(manifest_dir: &Path) -> Result<PathBuf, BoxError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Only the host's packages are downloaded by a build; without the filter `cargo metadata`
    // would want every target's (and fail offline).
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("-vV")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("rustc -vV: {e}"))?;
    let host = String::from_utf8_lossy(&version.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or("rustc -vV printed no host triple")?;
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--offline",
            "--format-version",
            "1",
            "--filter-platform",
        ])
        .arg(host)
        .current_dir(manifest_dir)
        .env_remove("CARGO_MAKEFLAGS")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        // The test's own stdin may be anything (CI pipes text into it); cargo hands stdin on
        // to `rustc -`, which would try to compile it.
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let meta: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let manifest = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or("serde-sarif is not in the dependency graph: add it as a dev-dependency")?;
    let dir = Path::new(manifest)
        .parent()
        .ok_or("manifest without a directory")?;
    Ok(dir.join("src/schema.json"))
}

/// `$CARGO_HOME/registry/src/*/serde-sarif-VERSION/src/schema.json`, VERSION from the
/// workspace's `Cargo.lock`. No subprocess: a `cargo` spawned from inside a test inherits the
/// outer cargo's jobserver file descriptors and stdin, which has made it fail on CI.
fn schema_in_registry(manifest_dir: &Path) -> Option<PathBuf> {
    let lock = manifest_dir
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())?;
    let text = std::fs::read_to_string(lock).ok()?;
    // `name = "serde-sarif"` followed by its `version = "…"` line.
    let mut lines = text.lines();
    let version = loop {
        let l = lines.next()?;
        if l.trim() == r#"name = "serde-sarif""# {
            break lines
                .next()?
                .trim()
                .strip_prefix("version = \"")?
                .strip_suffix('"')?
                .to_owned();
        }
    };
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .flatten()
        .map(|e| {
            e.path()
                .join(format!("serde-sarif-{version}/src/schema.json"))
        })
        .find(|p| p.is_file())
}

fn validator(manifest_dir: &Path) -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let load = || -> Result<jsonschema::Validator, BoxError> {
            let path = match schema_in_registry(manifest_dir) {
                Some(p) => p,
                None => schema_path(manifest_dir)?,
            };
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            // The official schema's `language` pattern has a stray `]` that an ECMA-262 regex
            // checker rejects while checking the schema itself; escape it so the schema builds
            // (the pattern matches what it matched before).
            let text = text.replace(
                r"^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
                r"^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$",
            );
            let schema: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| e.to_string().into())
        };
        #[expect(clippy::panic, reason = "test support: no schema, no test")]
        match load() {
            Ok(v) => v,
            Err(e) => panic!("official SARIF schema unavailable: {e}"),
        }
    })
}

/// Every violation of the official schema in `log`, as `pointer: message`. `manifest_dir` is
/// the calling package's `CARGO_MANIFEST_DIR`.
pub fn violations(log: &Value, manifest_dir: &str) -> Vec<String> {
    validator(Path::new(manifest_dir))
        .iter_errors(log)
        .map(|e| format!("{}: {e}", e.instance_path().as_str()))
        .collect()
}
