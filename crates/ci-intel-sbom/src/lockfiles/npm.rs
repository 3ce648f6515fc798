//! `package-lock.json` / `npm-shrinkwrap.json`, lockfile versions 1, 2 and 3.
//!
//! v2 and v3 list every installed location in `packages` (`node_modules/a/node_modules/b`);
//! v1 nests `dependencies`. Both become one map of install locations, and each declared
//! dependency is resolved the way Node resolves it: the nearest `node_modules` up the tree.
//! One name@version installed in several places is one component.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use ci_intel_core::InputError;
use serde_json::Value;

use crate::model::{Component, Ecosystem, Hash, Sbom, Scope};
use crate::purl::purl;

/// One install location.
struct Installed<'a> {
    name: String,
    entry: &'a Value,
    /// Names this package depends on (dependencies, optional and peer).
    wants: Vec<String>,
}

/// `sha512-BASE64 sha1-BASE64…` → hashes.
pub(super) fn integrity(s: &str) -> Vec<Hash> {
    s.split_whitespace()
        .filter_map(|part| {
            let (alg, b64) = part.split_once('-')?;
            let alg = match alg {
                "sha512" => "SHA-512",
                "sha384" => "SHA-384",
                "sha256" => "SHA-256",
                "sha1" => "SHA-1",
                _ => return None,
            };
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            Some(Hash {
                alg,
                hex: hex::encode(bytes),
            })
        })
        .collect()
}

fn names(entry: &Value, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .filter_map(|k| entry.get(*k).and_then(Value::as_object))
        .flat_map(|m| m.keys().cloned())
        .collect()
}

/// The parent install location: `node_modules/a/node_modules/b` → `node_modules/a`.
fn parent(loc: &str) -> Option<&str> {
    if loc.is_empty() {
        return None;
    }
    Some(match loc.rfind("/node_modules/") {
        Some(i) => &loc[..i],
        None => "",
    })
}

/// Where `name` required from `loc` is installed.
fn resolve<'m>(map: &'m BTreeMap<String, Installed<'_>>, loc: &str, name: &str) -> Option<&'m str> {
    let mut at = Some(loc);
    while let Some(l) = at {
        let candidate = if l.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{l}/node_modules/{name}")
        };
        if let Some((k, _)) = map.get_key_value(&candidate) {
            return Some(k.as_str());
        }
        at = parent(l);
    }
    None
}

/// Flattens a v1 `dependencies` tree into install locations.
fn flatten_v1<'a>(
    deps: &'a serde_json::Map<String, Value>,
    prefix: &str,
    out: &mut BTreeMap<String, Installed<'a>>,
) {
    for (name, entry) in deps {
        let loc = if prefix.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{prefix}/node_modules/{name}")
        };
        out.insert(
            loc.clone(),
            Installed {
                name: name.clone(),
                entry,
                wants: names(entry, &["requires"]),
            },
        );
        if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
            flatten_v1(nested, &loc, out);
        }
    }
}

pub(super) fn read_package_lock(
    path: &Path,
    text: &str,
    rel: &str,
    sbom: &mut Sbom,
) -> Result<(), InputError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| InputError::json(path, &e, "a package-lock.json"))?;
    let version = doc
        .get("lockfileVersion")
        .and_then(Value::as_u64)
        .ok_or_else(|| {
            InputError::new(
                path,
                "expected a package-lock.json: no numeric `lockfileVersion`",
            )
        })?;
    let mut map: BTreeMap<String, Installed<'_>> = BTreeMap::new();
    let root_wants: Vec<String>;
    match (version, doc.get("packages").and_then(Value::as_object)) {
        (2 | 3, Some(packages)) => {
            for (loc, entry) in packages {
                // Workspace packages and links are the project's own code, not components.
                if !loc.contains("node_modules/")
                    || entry.get("link").and_then(Value::as_bool) == Some(true)
                {
                    continue;
                }
                let name = entry.get("name").and_then(Value::as_str).map_or_else(
                    || loc.rsplit("node_modules/").next().unwrap_or(loc).to_owned(),
                    str::to_owned,
                );
                let wants = names(
                    entry,
                    &["dependencies", "optionalDependencies", "peerDependencies"],
                );
                map.insert(loc.clone(), Installed { name, entry, wants });
            }
            let root = packages.get("").unwrap_or(&Value::Null);
            root_wants = names(
                root,
                &[
                    "dependencies",
                    "devDependencies",
                    "optionalDependencies",
                    "peerDependencies",
                ],
            );
            if let Some(n) = root.get("name").and_then(Value::as_str) {
                n.clone_into(&mut sbom.name);
            }
            if let Some(v) = root.get("version").and_then(Value::as_str) {
                sbom.version.get_or_insert_with(|| v.to_owned());
            }
        }
        (1, _) => {
            let deps = doc
                .get("dependencies")
                .and_then(Value::as_object)
                .ok_or_else(|| {
                    InputError::new(
                        path,
                        "expected a v1 package-lock.json: no `dependencies` object",
                    )
                })?;
            flatten_v1(deps, "", &mut map);
            // The direct dependencies are package.json's; without it, every top-level entry.
            let manifest = std::fs::read_to_string(path.with_file_name("package.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok());
            root_wants = match &manifest {
                Some(m) => names(
                    m,
                    &["dependencies", "devDependencies", "optionalDependencies"],
                ),
                None => deps.keys().cloned().collect(),
            };
        }
        (v, _) => {
            return Err(InputError::new(
                path,
                format!(
                    "unsupported package-lock.json lockfileVersion {v} (expected 1, 2 or 3, with `packages` from 2 on)"
                ),
            ));
        }
    }

    let purl_at = |loc: &str| -> Option<String> {
        let i = map.get(loc)?;
        Some(purl(
            Ecosystem::Npm,
            &i.name,
            i.entry.get("version")?.as_str()?,
        ))
    };
    let direct: Vec<String> = root_wants
        .iter()
        .filter_map(|n| resolve(&map, "", n))
        .filter_map(purl_at)
        .collect();
    for (loc, inst) in &map {
        let Some(version) = inst.entry.get("version").and_then(Value::as_str) else {
            continue;
        };
        // Aliases (`npm:real@1.0.0`) and git or file versions are not registry versions.
        if version.contains(':') || version.contains('/') {
            continue;
        }
        let flag = |k: &str| inst.entry.get(k).and_then(Value::as_bool) == Some(true);
        let scope = if flag("dev") || flag("devOptional") {
            Scope::Dev
        } else if flag("optional") {
            Scope::Optional
        } else {
            Scope::Required
        };
        let license = match inst.entry.get("license") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Object(o)) => o
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        let p = purl(Ecosystem::Npm, &inst.name, version);
        sbom.add(Component {
            ecosystem: Ecosystem::Npm,
            name: inst.name.clone(),
            version: version.to_owned(),
            direct: direct.contains(&p),
            purl: p,
            hashes: inst
                .entry
                .get("integrity")
                .and_then(Value::as_str)
                .map(integrity)
                .unwrap_or_default(),
            scope,
            licenses: license,
            depends_on: inst
                .wants
                .iter()
                .filter_map(|n| resolve(&map, loc, n))
                .filter_map(purl_at)
                .collect(),
            source: rel.to_owned(),
        });
    }
    sbom.root_depends_on.extend(direct);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_strings_become_hex_hashes() {
        let h = integrity("sha1-AAAA sha512-AQID md5-xx");
        assert_eq!(h.len(), 2);
        assert_eq!(
            h[0],
            Hash {
                alg: "SHA-1",
                hex: "000000".into()
            }
        );
        assert_eq!(h[1].hex, "010203");
    }

    #[test]
    fn parents_walk_up_node_modules() {
        assert_eq!(
            parent("node_modules/a/node_modules/b"),
            Some("node_modules/a")
        );
        assert_eq!(parent("node_modules/a"), Some(""));
        assert_eq!(parent(""), None);
    }
}
