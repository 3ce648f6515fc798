//! Go modules: `go.mod` (since Go 1.17 it lists every module the build needs, `// indirect`
//! marking the transitive ones) with `go.sum`'s `h1:` hashes (SHA-256 of the module's file
//! tree). `replace` directives are applied; modules replaced by a local directory are the
//! project's own code. `go.mod` has no edges between modules: only the root's are known.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use ci_intel_core::InputError;
use ci_intel_core::error::Position;

use crate::model::{Component, Ecosystem, Hash, Sbom, Scope};
use crate::purl::purl;

pub(super) fn read(path: &Path, text: &str, rel: &str, sbom: &mut Sbom) -> Result<(), InputError> {
    let mut requires: Vec<(String, String, bool)> = Vec::new();
    let mut replaces: BTreeMap<String, Option<(String, String)>> = BTreeMap::new();
    let mut block: Option<&str> = None;
    let mut module = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let (code, comment) = match raw.find("//") {
            Some(c) => (&raw[..c], &raw[c + 2..]),
            None => (raw, ""),
        };
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        if code == ")" {
            block = None;
            continue;
        }
        let (verb, rest) = if let Some(b) = block {
            (b, code)
        } else {
            let (v, r) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
            let r = r.trim();
            if r == "(" {
                block = Some(match v {
                    "require" => "require",
                    "replace" => "replace",
                    "exclude" => "exclude",
                    "retract" => "retract",
                    "tool" => "tool",
                    "godebug" => "godebug",
                    _ => {
                        return Err(InputError::at(
                            path,
                            Position::line(line_no),
                            format!("expected a go.mod directive, found `{v} (`"),
                        ));
                    }
                });
                continue;
            }
            (v, r)
        };
        let words: Vec<&str> = rest
            .split_whitespace()
            .map(|w| w.trim_matches('"'))
            .collect();
        match verb {
            "module" => module = words.first().map(|s| (*s).to_owned()),
            "require" => {
                let [m, v] = words.as_slice() else {
                    return Err(InputError::at(
                        path,
                        Position::line(line_no),
                        format!("expected `MODULE VERSION` in a require, found `{rest}`"),
                    ));
                };
                requires.push((
                    (*m).to_owned(),
                    (*v).to_owned(),
                    comment.trim() == "indirect",
                ));
            }
            "replace" => {
                let Some(arrow) = words.iter().position(|w| *w == "=>") else {
                    return Err(InputError::at(
                        path,
                        Position::line(line_no),
                        format!("expected `OLD => NEW` in a replace, found `{rest}`"),
                    ));
                };
                let old = words[0].to_owned();
                let new = &words[arrow + 1..];
                replaces.insert(
                    old,
                    match new {
                        [m, v] => Some(((*m).to_owned(), (*v).to_owned())),
                        _ => None, // a local directory
                    },
                );
            }
            "go" | "toolchain" | "exclude" | "retract" | "tool" | "godebug" => {}
            other => {
                return Err(InputError::at(
                    path,
                    Position::line(line_no),
                    format!("unknown go.mod directive `{other}`"),
                ));
            }
        }
    }
    if module.is_none() {
        return Err(InputError::new(path, "expected a go.mod: no `module` line"));
    }
    if let Some(m) = &module {
        sbom.name.clone_from(m);
    }
    // go.sum: `MODULE VERSION h1:BASE64` (the `/go.mod` lines hash only the go.mod file).
    let mut sums: BTreeMap<(String, String), String> = BTreeMap::new();
    if let Ok(sum) = std::fs::read_to_string(path.with_file_name("go.sum")) {
        for line in sum.lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            if let [m, v, h] = w.as_slice()
                && let Some(b64) = h.strip_prefix("h1:")
                && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64)
            {
                sums.insert(((*m).to_owned(), (*v).to_owned()), hex::encode(bytes));
            }
        }
    }
    for (m, v, indirect) in requires {
        let (m, v) = match replaces.get(&m) {
            Some(Some((nm, nv))) => (nm.clone(), nv.clone()),
            Some(None) => continue,
            None => (m, v),
        };
        let p = purl(Ecosystem::Go, &m, &v);
        if !indirect {
            sbom.root_depends_on.push(p.clone());
        }
        sbom.add(Component {
            ecosystem: Ecosystem::Go,
            hashes: sums
                .get(&(m.clone(), v.clone()))
                .map(|h| Hash {
                    alg: "SHA-256",
                    hex: h.clone(),
                })
                .into_iter()
                .collect(),
            name: m,
            version: v,
            purl: p,
            scope: Scope::Required,
            direct: !indirect,
            licenses: Vec::new(),
            depends_on: Vec::new(),
            source: rel.to_owned(),
        });
    }
    Ok(())
}
