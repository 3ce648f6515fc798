//! `yarn.lock` (classic v1 and Berry) and `pnpm-lock.yaml` (v6 and v9). Neither marks dev
//! dependencies, so scopes come from walking the graph from the project's own dependencies
//! (`package.json`, or the lockfile's importers / workspace entries): reached through runtime
//! dependencies = required, through optional ones = optional, only through dev ones = dev.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ci_intel_core::InputError;
use serde_json::Value;

use crate::model::{Component, Ecosystem, Hash, Sbom, Scope};
use crate::purl::purl;

/// One resolved package, keyed by the lockfile's own key.
struct Pkg {
    name: String,
    version: String,
    hashes: Vec<Hash>,
    /// Keys of the packages it depends on.
    deps: Vec<String>,
}

/// Roots: the keys the project depends on, by kind.
#[derive(Default)]
struct Roots {
    normal: Vec<String>,
    optional: Vec<String>,
    dev: Vec<String>,
}

fn finish(pkgs: &BTreeMap<String, Pkg>, roots: &Roots, rel: &str, sbom: &mut Sbom) {
    fn known<'a>(pkgs: &BTreeMap<String, Pkg>, list: &'a [String]) -> Vec<&'a str> {
        list.iter()
            .map(String::as_str)
            .filter(|k| pkgs.contains_key(*k))
            .collect()
    }
    let scope = super::reach_scopes(
        [
            (Scope::Required, known(pkgs, &roots.normal)),
            (Scope::Optional, known(pkgs, &roots.optional)),
            (Scope::Dev, known(pkgs, &roots.dev)),
        ],
        |k| {
            pkgs.get(*k)
                .map(|p| known(pkgs, &p.deps))
                .unwrap_or_default()
        },
    );
    let direct: BTreeSet<&str> = roots
        .normal
        .iter()
        .chain(&roots.optional)
        .chain(&roots.dev)
        .map(String::as_str)
        .collect();
    let purl_of = |k: &str| {
        pkgs.get(k)
            .map(|p| purl(Ecosystem::Npm, &p.name, &p.version))
    };
    for (k, p) in pkgs {
        let c = Component {
            ecosystem: Ecosystem::Npm,
            name: p.name.clone(),
            version: p.version.clone(),
            purl: purl(Ecosystem::Npm, &p.name, &p.version),
            hashes: p.hashes.clone(),
            scope: scope.get(k.as_str()).copied().unwrap_or(Scope::Optional),
            direct: direct.contains(k.as_str()),
            licenses: Vec::new(),
            depends_on: p.deps.iter().filter_map(|d| purl_of(d)).collect(),
            source: rel.to_owned(),
        };
        if c.direct {
            sbom.root_depends_on.push(c.purl.clone());
        }
        sbom.add(c);
    }
}

/// The byte offset of the `@` that ends the name in `name@…` (a scoped name's leading `@`
/// is part of the name).
fn name_end(d: &str) -> Option<usize> {
    d.char_indices()
        .skip(1)
        .find(|(_, c)| *c == '@')
        .map(|(i, _)| i)
}

/// `name@range` → name.
fn descriptor_name(d: &str) -> &str {
    name_end(d).map_or(d, |i| &d[..i])
}

/// `(name, range)` of a dependency as a lockfile or a package.json writes it.
type Requirement = (String, String);

/// One `yarn.lock` entry as read.
struct YarnEntry {
    key: String,
    descriptors: Vec<String>,
    name: String,
    version: String,
    hashes: Vec<Hash>,
    deps: Vec<Requirement>,
}

fn package_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path.with_file_name("package.json")).ok()?).ok()
}

/// Yarn: classic (`# yarn lockfile v1`) or Berry (YAML with `__metadata`).
pub(super) fn read_yarn(
    path: &Path,
    text: &str,
    rel: &str,
    sbom: &mut Sbom,
) -> Result<(), InputError> {
    let berry = text.lines().any(|l| l.starts_with("__metadata:"));
    let (raw, workspace_deps) = if berry {
        yarn_berry_entries(path, text)?
    } else {
        (yarn_classic_entries(path, text)?, Vec::new())
    };
    // descriptor → key; key → package.
    let mut by_descriptor: BTreeMap<String, String> = BTreeMap::new();
    for e in &raw {
        for d in &e.descriptors {
            by_descriptor.insert(d.clone(), e.key.clone());
        }
    }
    // Berry writes `npm:` into ranges; Yarn 1 does not.
    let resolve = |name: &str, range: &str| -> Option<String> {
        let descriptor = if berry && !range.contains(':') {
            format!("{name}@npm:{range}")
        } else {
            format!("{name}@{range}")
        };
        by_descriptor.get(&descriptor).cloned()
    };
    let resolve_all = |deps: &[Requirement]| -> Vec<String> {
        deps.iter().filter_map(|(n, r)| resolve(n, r)).collect()
    };
    let mut pkgs = BTreeMap::new();
    for e in raw {
        let deps = resolve_all(&e.deps);
        pkgs.insert(
            e.key,
            Pkg {
                name: e.name,
                version: e.version,
                hashes: e.hashes,
                deps,
            },
        );
    }
    // The roots are package.json's dependencies; without one, the workspaces' (Berry).
    let mut roots = Roots::default();
    match package_json(path) {
        Some(m) => {
            roots.normal = resolve_all(&manifest_deps(&m, "dependencies"));
            roots.optional = resolve_all(&manifest_deps(&m, "optionalDependencies"));
            roots.dev = resolve_all(&manifest_deps(&m, "devDependencies"));
        }
        None => roots.normal = resolve_all(&workspace_deps),
    }
    finish(&pkgs, &roots, rel, sbom);
    Ok(())
}

/// `(name, range)` of one dependency table of a package.json.
fn manifest_deps(manifest: &Value, table: &str) -> Vec<Requirement> {
    manifest
        .get(table)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(n, r)| (n.clone(), r.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// Berry's YAML lockfile: the registry entries, and the dependencies its workspaces declare.
fn yarn_berry_entries(
    path: &Path,
    text: &str,
) -> Result<(Vec<YarnEntry>, Vec<Requirement>), InputError> {
    let doc = ci_intel_core::yaml::parse(path, text)?.value;
    let map = doc
        .as_object()
        .ok_or_else(|| InputError::new(path, "expected a yarn.lock mapping"))?;
    let mut raw = Vec::new();
    let mut workspace_deps = Vec::new();
    for (key, entry) in map {
        if key == "__metadata" {
            continue;
        }
        let deps: Vec<Requirement> = ["dependencies", "optionalDependencies"]
            .iter()
            .filter_map(|k| entry.get(*k)?.as_object())
            .flatten()
            .map(|(n, r)| {
                (
                    n.clone(),
                    r.as_str().map_or_else(|| r.to_string(), str::to_owned),
                )
            })
            .collect();
        let resolution = entry
            .get("resolution")
            .and_then(Value::as_str)
            .unwrap_or(key);
        if resolution.contains("@workspace:") {
            workspace_deps.extend(deps);
            continue;
        }
        let Some(version) = entry
            .get("version")
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        else {
            return Err(InputError::new(
                path,
                format!("expected a `version` for `{key}`"),
            ));
        };
        if !resolution.contains("@npm:") {
            continue; // git, file, patch: no registry version
        }
        raw.push(YarnEntry {
            key: key.clone(),
            descriptors: key.split(',').map(|d| d.trim().to_owned()).collect(),
            name: descriptor_name(resolution).to_owned(),
            version,
            hashes: Vec::new(),
            deps,
        });
    }
    Ok((raw, workspace_deps))
}

/// Yarn 1's own format: `descriptor, descriptor:` heads with indented fields.
fn yarn_classic_entries(path: &Path, text: &str) -> Result<Vec<YarnEntry>, InputError> {
    let mut raw = Vec::new();
    let mut cur: Option<YarnEntry> = None;
    let mut in_deps = false;
    let unq = |s: &str| s.trim().trim_matches('"').to_owned();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let at = ci_intel_core::error::Position::line(i as u64 + 1);
        if !line.starts_with(' ') {
            raw.extend(cur.take());
            let head = line.strip_suffix(':').ok_or_else(|| {
                InputError::at(
                    path,
                    at,
                    format!("expected `descriptor[, descriptor…]:`, found `{line}`"),
                )
            })?;
            let descriptors: Vec<String> = head.split(", ").map(unq).collect();
            cur = Some(YarnEntry {
                key: head.to_owned(),
                name: descriptor_name(&descriptors[0]).to_owned(),
                descriptors,
                version: String::new(),
                hashes: Vec::new(),
                deps: Vec::new(),
            });
            in_deps = false;
            continue;
        }
        let Some(c) = cur.as_mut() else {
            return Err(InputError::at(
                path,
                at,
                "an indented line before any entry",
            ));
        };
        let depth = line.len() - line.trim_start().len();
        let t = line.trim();
        if depth == 2 {
            in_deps = matches!(t, "dependencies:" | "optionalDependencies:");
            if let Some(v) = t.strip_prefix("version ") {
                c.version = unq(v);
            } else if let Some(v) = t.strip_prefix("integrity ") {
                c.hashes = super::npm::integrity(v.trim());
            }
        } else if depth >= 4
            && in_deps
            && let Some((n, r)) = t.rsplit_once(' ')
        {
            c.deps.push((unq(n), unq(r)));
        }
    }
    raw.extend(cur.take());
    if raw.iter().any(|r| r.version.is_empty()) {
        return Err(InputError::new(
            path,
            "expected a `version` in every yarn.lock entry",
        ));
    }
    Ok(raw)
}

/// `name@version(peer@1)(…)` or v6's `/name@version` → (name, version without peer suffixes).
fn pnpm_key(k: &str) -> Option<(String, String)> {
    let k = k.strip_prefix('/').unwrap_or(k);
    let k = k.split('(').next()?;
    let at = name_end(k)?;
    let (n, v) = (&k[..at], &k[at + 1..]);
    // v5's `_peer@1` suffixes.
    let v = v.split('_').next()?;
    (!n.is_empty() && !v.is_empty()).then(|| (n.to_owned(), v.to_owned()))
}

pub(super) fn read_pnpm(
    path: &Path,
    text: &str,
    rel: &str,
    sbom: &mut Sbom,
) -> Result<(), InputError> {
    let doc = ci_intel_core::yaml::parse(path, text)?.value;
    let version = doc
        .get("lockfileVersion")
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .ok_or_else(|| InputError::new(path, "expected a pnpm-lock.yaml: no `lockfileVersion`"))?;
    let packages = doc.get("packages").and_then(Value::as_object);
    let snapshots = doc.get("snapshots").and_then(Value::as_object);
    // Normalised key: `name@version` (peer suffixes dropped).
    let norm = |name: &str, v: &str| -> Option<String> {
        if v.starts_with("link:") || v.starts_with("file:") {
            return None;
        }
        // A dependency's version may itself be a key (`/name@1.0.0` or `name@1.0.0`, aliases).
        if let Some((n, ver)) = pnpm_key(v).filter(|_| v.contains('@') && !v.starts_with('(')) {
            return Some(format!("{n}@{ver}"));
        }
        Some(format!("{name}@{}", v.split('(').next().unwrap_or(v)))
    };
    let mut pkgs: BTreeMap<String, Pkg> = BTreeMap::new();
    for (k, entry) in packages.into_iter().flatten() {
        let Some((name, ver)) = pnpm_key(k) else {
            return Err(InputError::new(
                path,
                format!("expected a `name@version` package key, found `{k}`"),
            ));
        };
        let key = format!("{name}@{ver}");
        let hashes = entry
            .pointer("/resolution/integrity")
            .and_then(Value::as_str)
            .map(super::npm::integrity)
            .unwrap_or_default();
        let p = pkgs.entry(key).or_insert(Pkg {
            name,
            version: ver,
            hashes: Vec::new(),
            deps: Vec::new(),
        });
        p.hashes.extend(hashes);
        add_deps(entry, &mut p.deps, &norm);
    }
    for (k, entry) in snapshots.into_iter().flatten() {
        let Some((name, ver)) = pnpm_key(k) else {
            continue;
        };
        if let Some(p) = pkgs.get_mut(&format!("{name}@{ver}")) {
            add_deps(entry, &mut p.deps, &norm);
        }
    }
    for p in pkgs.values_mut() {
        p.deps.sort();
        p.deps.dedup();
    }
    let mut roots = Roots::default();
    let importers: Vec<&Value> = match doc.get("importers").and_then(Value::as_object) {
        Some(m) => m.values().collect(),
        None => vec![&doc], // v5 and earlier: the root's dependencies at the top level
    };
    for imp in importers {
        for (kind, into) in [
            ("dependencies", &mut roots.normal),
            ("optionalDependencies", &mut roots.optional),
            ("devDependencies", &mut roots.dev),
        ] {
            for (n, spec) in imp
                .get(kind)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let v = spec
                    .get("version")
                    .and_then(Value::as_str)
                    .or_else(|| spec.as_str())
                    .unwrap_or_default();
                into.extend(norm(n, v));
            }
        }
    }
    if pkgs.is_empty()
        && roots.normal.is_empty()
        && !version.is_empty()
        && packages.is_none()
        && snapshots.is_none()
        && doc.get("importers").is_none()
    {
        return Err(InputError::new(
            path,
            "expected a pnpm-lock.yaml: no `packages` or `importers`",
        ));
    }
    finish(&pkgs, &roots, rel, sbom);
    Ok(())
}

fn add_deps(entry: &Value, into: &mut Vec<String>, norm: &dyn Fn(&str, &str) -> Option<String>) {
    for k in ["dependencies", "optionalDependencies"] {
        for (n, v) in entry
            .get(k)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(v) = v.as_str() {
                into.extend(norm(n, v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_descriptors() {
        assert_eq!(descriptor_name("@babel/core@^7.0.0"), "@babel/core");
        assert_eq!(descriptor_name("lodash@npm:^4"), "lodash");
        assert_eq!(
            pnpm_key("/@babel/core@7.24.0"),
            Some(("@babel/core".into(), "7.24.0".into()))
        );
        assert_eq!(
            pnpm_key("react-dom@18.2.0(react@18.2.0)"),
            Some(("react-dom".into(), "18.2.0".into()))
        );
        assert_eq!(
            pnpm_key("/foo@1.0.0_bar@2.0.0"),
            Some(("foo".into(), "1.0.0".into()))
        );
        assert_eq!(pnpm_key("nonsense"), None);
    }
}
