//! `Cargo.lock` (every version, including v1's `[metadata]` checksums), with the workspace's
//! `Cargo.toml` files to tell direct from transitive and dev/build from runtime dependencies.
//!
//! Packages without a `source` are the workspace's own (or local path crates): they are the
//! roots, not components. A component is `required` when a root reaches it through normal
//! dependencies, `dev` when only dev- or build-dependencies of the roots reach it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ci_intel_core::InputError;
use serde::Deserialize;

use super::toml_error;
use crate::model::{Component, Ecosystem, Hash, Sbom, Scope};
use crate::purl::purl;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Package>,
    #[serde(default)]
    metadata: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// The dependencies one workspace manifest declares, by package name (renames resolved).
#[derive(Debug, Default)]
struct Declared {
    normal: BTreeSet<String>,
    dev: BTreeSet<String>,
}

fn collect_deps(table: &toml::Table, into: &mut BTreeSet<String>) {
    for (key, spec) in table {
        let real = spec
            .get("package")
            .and_then(toml::Value::as_str)
            .unwrap_or(key);
        into.insert(real.to_owned());
    }
}

fn declared(manifest: &toml::Table) -> Declared {
    let mut d = Declared::default();
    let sections = |t: &toml::Table, d: &mut Declared| {
        for (section, dev) in [
            ("dependencies", false),
            ("build-dependencies", true),
            ("dev-dependencies", true),
        ] {
            if let Some(tab) = t.get(section).and_then(toml::Value::as_table) {
                collect_deps(tab, if dev { &mut d.dev } else { &mut d.normal });
            }
        }
    };
    sections(manifest, &mut d);
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        for t in targets.values().filter_map(toml::Value::as_table) {
            sections(t, &mut d);
        }
    }
    // A crate both declared normally and for dev is needed at run time.
    let normal = d.normal.clone();
    d.dev.retain(|n| !normal.contains(n));
    d
}

/// Every workspace manifest under `dir`: the root's and its members' (globs like `crates/*`).
fn manifests(dir: &Path) -> BTreeMap<String, Declared> {
    let mut out = BTreeMap::new();
    let read = |p: &Path| -> Option<toml::Table> { std::fs::read_to_string(p).ok()?.parse().ok() };
    let Some(root) = read(&dir.join("Cargo.toml")) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    if let Some(members) = root
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(toml::Value::as_array)
    {
        for m in members.iter().filter_map(toml::Value::as_str) {
            if let Some(prefix) = m.strip_suffix("/*") {
                if let Ok(rd) = std::fs::read_dir(dir.join(prefix)) {
                    paths.extend(rd.flatten().map(|e| e.path().join("Cargo.toml")));
                }
            } else {
                paths.push(dir.join(m).join("Cargo.toml"));
            }
        }
    }
    let mut add = |t: &toml::Table| {
        if let Some(name) = t
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
        {
            out.insert(name.to_owned(), declared(t));
        }
    };
    add(&root);
    for p in paths {
        if let Some(t) = read(&p) {
            add(&t);
        }
    }
    out
}

/// The registry source directories (`~/.cargo/registry/src/*`), listed once per process.
fn registry_sources() -> &'static [PathBuf] {
    static DIRS: std::sync::OnceLock<Vec<PathBuf>> = std::sync::OnceLock::new();
    DIRS.get_or_init(|| {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
        let mut dirs: Vec<PathBuf> = home
            .and_then(|h| std::fs::read_dir(h.join("registry/src")).ok())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        dirs.sort();
        dirs
    })
}

/// The licence a locally downloaded copy of the crate declares (`~/.cargo/registry/src`).
/// Only the `[package]` table's `license` line is read: a full TOML parse of every manifest
/// would cost more than the rest of the SBOM.
fn local_license(name: &str, version: &str) -> Option<String> {
    for src in registry_sources() {
        let Ok(text) = std::fs::read_to_string(src.join(format!("{name}-{version}/Cargo.toml")))
        else {
            continue;
        };
        let mut in_package = false;
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with('[') {
                in_package = t == "[package]";
                continue;
            }
            if !in_package {
                continue;
            }
            if let Some(rest) = t
                .strip_prefix("license")
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix('='))
            {
                let value: toml::Value = format!("v = {}", rest.trim())
                    .parse::<toml::Table>()
                    .ok()?
                    .remove("v")?;
                // Old crates write `MIT/Apache-2.0`; SPDX says `MIT OR Apache-2.0`.
                return value.as_str().map(|l| l.replace('/', " OR "));
            }
        }
        return None;
    }
    None
}

pub(super) fn read(path: &Path, text: &str, rel: &str, sbom: &mut Sbom) -> Result<(), InputError> {
    let lock: Lock =
        toml::from_str(text).map_err(|e| toml_error(path, text, &e, "a Cargo.lock"))?;
    // v1 lockfiles keep checksums in [metadata] as "checksum NAME VERSION (SOURCE)" = "HEX".
    let mut v1_checksums: BTreeMap<(String, String), String> = BTreeMap::new();
    for (k, v) in &lock.metadata {
        let mut parts = k.split(' ');
        if let (Some("checksum"), Some(n), Some(ver), Some(sum)) =
            (parts.next(), parts.next(), parts.next(), v.as_str())
        {
            v1_checksums.insert((n.to_owned(), ver.to_owned()), sum.to_owned());
        }
    }
    let index_of: BTreeMap<(&str, &str), usize> = lock
        .package
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.name.as_str(), p.version.as_str()), i))
        .collect();
    let by_name: BTreeMap<&str, Vec<usize>> =
        lock.package
            .iter()
            .enumerate()
            .fold(BTreeMap::new(), |mut m, (i, p)| {
                m.entry(p.name.as_str()).or_default().push(i);
                m
            });
    // "name", "name version" or "name version (source)".
    let resolve = |dep: &str| -> Option<usize> {
        let mut parts = dep.split(' ');
        let name = parts.next()?;
        match parts.next() {
            Some(v) => index_of.get(&(name, v)).copied(),
            None => match by_name.get(name)?.as_slice() {
                [one] => Some(*one),
                _ => None,
            },
        }
    };
    let edges: Vec<Vec<usize>> = lock
        .package
        .iter()
        .map(|p| p.dependencies.iter().filter_map(|d| resolve(d)).collect())
        .collect();

    let dir = path.parent().unwrap_or(Path::new("."));
    let declared = manifests(dir);
    let roots: Vec<usize> = (0..lock.package.len())
        .filter(|&i| lock.package[i].source.is_none())
        .collect();
    let is_root = |i: usize| lock.package[i].source.is_none();

    // The roots' dependencies, by how the workspace manifests declare them.
    let mut normal = Vec::new();
    let mut dev = Vec::new();
    for &r in &roots {
        let d = declared.get(&lock.package[r].name);
        for &t in edges[r].iter().filter(|&&t| !is_root(t)) {
            let name = &lock.package[t].name;
            match d {
                Some(d) if d.dev.contains(name) && !d.normal.contains(name) => dev.push(t),
                _ => normal.push(t),
            }
        }
    }
    let direct: BTreeSet<usize> = normal.iter().chain(&dev).copied().collect();
    let scope = super::reach_scopes(
        [
            (Scope::Required, normal),
            (Scope::Optional, Vec::new()),
            (Scope::Dev, dev),
        ],
        |&i| edges[i].iter().copied().filter(|&t| !is_root(t)).collect(),
    );

    let p_of = |i: usize| {
        purl(
            Ecosystem::Cargo,
            &lock.package[i].name,
            &lock.package[i].version,
        )
    };
    // Licence lookups read files: in parallel.
    let licenses: Vec<Option<String>> = {
        use rayon::prelude::*;
        lock.package
            .par_iter()
            .map(|p| {
                p.source
                    .as_ref()
                    .and_then(|_| local_license(&p.name, &p.version))
            })
            .collect()
    };
    for (i, p) in lock.package.iter().enumerate() {
        if is_root(i) {
            if sbom.version.is_none() && declared.keys().next().is_some_and(|n| n == &p.name) {
                sbom.version = Some(p.version.clone());
            }
            continue;
        }
        let checksum = p.checksum.clone().or_else(|| {
            v1_checksums
                .get(&(p.name.clone(), p.version.clone()))
                .cloned()
        });
        let mut hashes = Vec::new();
        if let Some(c) =
            checksum.filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            hashes.push(Hash {
                alg: "SHA-256",
                hex: c.to_ascii_lowercase(),
            });
        }
        sbom.add(Component {
            ecosystem: Ecosystem::Cargo,
            name: p.name.clone(),
            version: p.version.clone(),
            purl: p_of(i),
            hashes,
            // Not reached from any root (a lockfile entry only another platform or an unused
            // feature needs): still resolved, so listed, as optional.
            scope: scope.get(&i).copied().unwrap_or(Scope::Optional),
            direct: direct.contains(&i),
            licenses: licenses[i].clone().into_iter().collect(),
            depends_on: edges[i]
                .iter()
                .filter(|&&t| !is_root(t))
                .map(|&t| p_of(t))
                .collect(),
            source: rel.to_owned(),
        });
    }
    for &r in &roots {
        sbom.root_depends_on
            .extend(edges[r].iter().filter(|&&t| !is_root(t)).map(|&t| p_of(t)));
    }
    Ok(())
}
