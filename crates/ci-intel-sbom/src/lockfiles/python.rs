//! Python: `requirements*.txt` (pinned `==` lines, `--hash`, `-r` includes, pip-compile's
//! `# via` comments), `poetry.lock` (Poetry 1 categories and Poetry 2 groups, with
//! `pyproject.toml` for the direct dependencies), `uv.lock` and `Pipfile.lock`.
//! Names are compared in PEP 503 normal form.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ci_intel_core::InputError;
use ci_intel_core::error::Position;
use serde_json::Value;

use super::toml_error;
use crate::model::{Component, Ecosystem, Hash, Sbom, Scope};
use crate::purl::{purl, pypi_normalize};

/// `sha256:HEX` → a hash.
fn hash(s: &str) -> Option<Hash> {
    let (alg, hex) = s.split_once([':', '='])?;
    let alg = match alg {
        "sha256" => "SHA-256",
        "sha384" => "SHA-384",
        "sha512" => "SHA-512",
        _ => return None,
    };
    (hex.len() >= 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Hash {
        alg,
        hex: hex.to_ascii_lowercase(),
    })
}

/// The distribution name at the start of a PEP 508 requirement (`Foo[bar]>=1; marker`).
fn requirement_name(req: &str) -> Option<String> {
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    let name = &req[..end];
    (!name.is_empty()).then(|| pypi_normalize(name))
}

fn dev_file(rel: &str) -> bool {
    let f = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    ["dev", "test", "lint", "doc", "ci"]
        .iter()
        .any(|k| f.contains(k))
}

pub(super) fn read_requirements(
    path: &Path,
    text: &str,
    rel: &str,
    sbom: &mut Sbom,
) -> Result<(), InputError> {
    read_requirements_at(path, text, rel, sbom, 0)
}

fn read_requirements_at(
    path: &Path,
    text: &str,
    rel: &str,
    sbom: &mut Sbom,
    depth: usize,
) -> Result<(), InputError> {
    if depth > 8 {
        return Err(InputError::new(
            path,
            "`-r` includes nested more than 8 deep (a cycle?)",
        ));
    }
    let scope = if dev_file(rel) {
        Scope::Dev
    } else {
        Scope::Required
    };
    let logical = logical_lines(text);
    // pip-compile: `    # via` blocks after a requirement say who pulled it in.
    let mut last: Option<String> = None;
    let mut via: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut in_via = false;
    for (line_no, line) in &logical {
        let trimmed = line.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let c = comment.trim();
            if let Some(rest) = c.strip_prefix("via") {
                in_via = true;
                if let (Some(l), false) = (&last, rest.trim().is_empty()) {
                    via.entry(l.clone())
                        .or_default()
                        .push(rest.trim().to_owned());
                }
            } else if in_via && let Some(l) = &last {
                via.entry(l.clone()).or_default().push(c.to_owned());
            }
            continue;
        }
        in_via = false;
        // Strip an inline comment (`#` after whitespace).
        let body = match trimmed.find(" #") {
            Some(i) => trimmed[..i].trim(),
            None => trimmed,
        };
        if body.is_empty() {
            continue;
        }
        let mut words = body.split_whitespace();
        let first = words.next().unwrap_or_default();
        if let Some(inc) = first
            .strip_prefix("-r")
            .or_else(|| first.strip_prefix("--requirement"))
        {
            let target = if inc.trim_start_matches('=').is_empty() {
                words.next().unwrap_or("")
            } else {
                inc.trim_start_matches('=')
            };
            let inc_path = path.parent().unwrap_or(Path::new(".")).join(target);
            let inc_text =
                std::fs::read_to_string(&inc_path).map_err(|e| InputError::io(&inc_path, &e))?;
            let inc_rel = Path::new(rel)
                .parent()
                .unwrap_or(Path::new(""))
                .join(target)
                .to_string_lossy()
                .replace('\\', "/");
            read_requirements_at(&inc_path, &inc_text, &inc_rel, sbom, depth + 1)?;
            continue;
        }
        if first.starts_with('-') {
            continue; // --index-url, -c constraints, -e editable, --hash on its own…
        }
        let (req, _marker) = body.split_once(';').unwrap_or((body, ""));
        let req_part = req.split(" --").next().unwrap_or(req).trim();
        let Some(name) = requirement_name(req_part) else {
            return Err(InputError::at(
                path,
                Position::line(*line_no as u64),
                format!("expected a requirement (`name==version`), found `{body}`"),
            ));
        };
        let Some((_, version)) = req_part
            .split_once("===")
            .or_else(|| req_part.split_once("=="))
        else {
            sbom.notes.push(format!(
                "{rel}:{line_no}: `{req_part}` is not pinned with `==`; not listed"
            ));
            last = None;
            continue;
        };
        let version = version.trim().trim_end_matches(',').to_owned();
        if version.is_empty() || version.contains(['*', ',', '<', '>']) {
            sbom.notes.push(format!(
                "{rel}:{line_no}: `{req_part}` is not an exact pin; not listed"
            ));
            last = None;
            continue;
        }
        let hashes = body
            .split_whitespace()
            .filter_map(|w| {
                w.strip_prefix("--hash=")
                    .or_else(|| w.strip_prefix("--hash:"))
            })
            .filter_map(hash)
            .collect();
        last = Some(purl(Ecosystem::PyPI, &name, &version));
        sbom.add(Component {
            ecosystem: Ecosystem::PyPI,
            purl: purl(Ecosystem::PyPI, &name, &version),
            name,
            version,
            hashes,
            scope,
            direct: true,
            licenses: Vec::new(),
            depends_on: Vec::new(),
            source: rel.to_owned(),
        });
    }
    apply_via(sbom, rel, via);
    let direct: Vec<String> = sbom
        .components
        .values()
        .filter(|c| c.source == rel && c.direct)
        .map(|c| c.purl.clone())
        .collect();
    sbom.root_depends_on.extend(direct);
    Ok(())
}

/// Logical lines with the line each starts on: a trailing backslash continues the line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut logical: Vec<(usize, String)> = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let (start, mut acc) = pending.take().unwrap_or((i + 1, String::new()));
        if let Some(head) = raw.strip_suffix('\\') {
            acc.push_str(head);
            acc.push(' ');
            pending = Some((start, acc));
        } else {
            acc.push_str(raw);
            logical.push((start, acc));
        }
    }
    if let Some(p) = pending {
        logical.push(p);
    }
    logical
}

/// pip-compile's `# via` annotations: a requirement only another pulled in is transitive, and
/// its `via` names are the edges.
fn apply_via(sbom: &mut Sbom, rel: &str, via: BTreeMap<String, Vec<String>>) {
    let by_name: BTreeMap<String, String> = sbom
        .components
        .values()
        .filter(|c| c.source == rel)
        .map(|c| (pypi_normalize(&c.name), c.purl.clone()))
        .collect();
    for (p, vias) in via {
        let from_input = vias.iter().any(|v| {
            v.starts_with("-r")
                || v.starts_with("-c")
                || Path::new(v).extension().is_some_and(|e| e == "in")
                || v.contains("pyproject.toml")
        });
        for v in &vias {
            if let Some(parent) = requirement_name(v).and_then(|n| by_name.get(&n))
                && let Some(c) = sbom.components.get_mut(parent)
            {
                c.depends_on.push(p.clone());
            }
        }
        if let Some(c) = sbom.components.get_mut(&p) {
            c.direct = from_input;
        }
    }
}

/// The direct dependencies a `pyproject.toml` declares: PEP 621 `[project]` and Poetry's
/// `[tool.poetry]` tables, with dev groups.
fn pyproject_direct(dir: &Path) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let t: toml::Table = std::fs::read_to_string(dir.join("pyproject.toml"))
        .ok()?
        .parse()
        .ok()?;
    let mut main = BTreeSet::new();
    let mut dev = BTreeSet::new();
    let list = |v: Option<&toml::Value>, into: &mut BTreeSet<String>| {
        for s in v
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_str)
        {
            into.extend(requirement_name(s));
        }
    };
    let project = t.get("project");
    list(project.and_then(|p| p.get("dependencies")), &mut main);
    for extra in project
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
    {
        list(Some(extra), &mut main);
    }
    for group in t
        .get("dependency-groups")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
    {
        list(Some(group), &mut dev);
    }
    let poetry = t.get("tool").and_then(|t| t.get("poetry"));
    let keys = |v: Option<&toml::Value>, into: &mut BTreeSet<String>| {
        for k in v
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.keys())
        {
            if k != "python" {
                into.insert(pypi_normalize(k));
            }
        }
    };
    keys(poetry.and_then(|p| p.get("dependencies")), &mut main);
    keys(poetry.and_then(|p| p.get("dev-dependencies")), &mut dev);
    for g in poetry
        .and_then(|p| p.get("group"))
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
    {
        keys(g.get("dependencies"), &mut dev);
    }
    Some((main, dev))
}

pub(super) fn read_poetry(
    path: &Path,
    text: &str,
    rel: &str,
    sbom: &mut Sbom,
) -> Result<(), InputError> {
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| toml_error(path, text, &e, "a poetry.lock"))?;
    let packages = doc
        .get("package")
        .and_then(toml::Value::as_array)
        .ok_or_else(|| InputError::new(path, "expected a poetry.lock: no [[package]] tables"))?;
    let direct = pyproject_direct(path.parent().unwrap_or(Path::new(".")));
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    let mut pending = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        let get = |k: &str| p.get(k).and_then(toml::Value::as_str);
        let (Some(name), Some(version)) = (get("name"), get("version")) else {
            return Err(InputError::new(
                path,
                format!(
                    "expected `name` and `version` in [[package]] number {}",
                    i + 1
                ),
            ));
        };
        let norm = pypi_normalize(name);
        let groups: Vec<&str> = p
            .get("groups")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_str)
            .collect();
        let main = if groups.is_empty() {
            get("category").is_none_or(|c| c == "main")
        } else {
            groups.contains(&"main")
        };
        let optional = p.get("optional").and_then(toml::Value::as_bool) == Some(true);
        let scope = if !main {
            Scope::Dev
        } else if optional {
            Scope::Optional
        } else {
            Scope::Required
        };
        let hashes = p
            .get("files")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| f.get("hash")?.as_str())
            .filter_map(hash)
            .collect();
        let deps: Vec<String> = p
            .get("dependencies")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.keys())
            .map(|k| pypi_normalize(k))
            .collect();
        let is_direct = direct
            .as_ref()
            .is_some_and(|(m, d)| m.contains(&norm) || d.contains(&norm));
        by_name.insert(norm.clone(), purl(Ecosystem::PyPI, name, version));
        pending.push((
            Component {
                ecosystem: Ecosystem::PyPI,
                name: name.to_owned(),
                version: version.to_owned(),
                purl: purl(Ecosystem::PyPI, name, version),
                hashes,
                scope,
                direct: is_direct,
                licenses: Vec::new(),
                depends_on: Vec::new(),
                source: rel.to_owned(),
            },
            deps,
        ));
    }
    for (mut c, deps) in pending {
        c.depends_on = deps
            .iter()
            .filter_map(|d| by_name.get(d).cloned())
            .collect();
        if c.direct {
            sbom.root_depends_on.push(c.purl.clone());
        }
        sbom.add(c);
    }
    Ok(())
}

pub(super) fn read_uv(
    path: &Path,
    text: &str,
    rel: &str,
    sbom: &mut Sbom,
) -> Result<(), InputError> {
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| toml_error(path, text, &e, "a uv.lock"))?;
    let packages = doc
        .get("package")
        .and_then(toml::Value::as_array)
        .ok_or_else(|| InputError::new(path, "expected a uv.lock: no [[package]] tables"))?;
    struct Pkg<'a> {
        name: String,
        version: String,
        local: bool,
        entry: &'a toml::Value,
    }
    let mut pkgs = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        let name = p.get("name").and_then(toml::Value::as_str).ok_or_else(|| {
            InputError::new(
                path,
                format!("expected `name` in [[package]] number {}", i + 1),
            )
        })?;
        let source = p.get("source").and_then(toml::Value::as_table);
        let local = source.is_some_and(|s| {
            s.contains_key("editable") || s.contains_key("virtual") || s.contains_key("directory")
        });
        let version = p
            .get("version")
            .and_then(toml::Value::as_str)
            .unwrap_or("0")
            .to_owned();
        pkgs.push(Pkg {
            name: pypi_normalize(name),
            version,
            local,
            entry: p,
        });
    }
    let find = |dep: &toml::Value| -> Option<usize> {
        let n = pypi_normalize(dep.get("name")?.as_str()?);
        let v = dep.get("version").and_then(toml::Value::as_str);
        let mut it = pkgs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.name == n && v.is_none_or(|v| p.version == v));
        let first = it.next()?.0;
        Some(first)
    };
    let dep_list = |v: Option<&toml::Value>| -> Vec<usize> {
        v.and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(&find)
            .collect()
    };
    let nested = |v: Option<&toml::Value>| -> Vec<usize> {
        v.and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.values())
            .flat_map(|l| dep_list(Some(l)))
            .collect()
    };
    let edges: Vec<Vec<usize>> = pkgs
        .iter()
        .map(|p| {
            let mut e = dep_list(p.entry.get("dependencies"));
            e.extend(nested(p.entry.get("optional-dependencies")));
            e
        })
        .collect();
    let roots: Vec<usize> = (0..pkgs.len()).filter(|&i| pkgs[i].local).collect();
    let from_roots = |key: &str, list: &dyn Fn(Option<&toml::Value>) -> Vec<usize>| -> Vec<usize> {
        roots
            .iter()
            .flat_map(|&r| list(pkgs[r].entry.get(key)))
            .filter(|&i| !pkgs[i].local)
            .collect()
    };
    let starts = [
        (Scope::Required, from_roots("dependencies", &dep_list)),
        (
            Scope::Optional,
            from_roots("optional-dependencies", &nested),
        ),
        (Scope::Dev, from_roots("dev-dependencies", &nested)),
    ];
    let direct: BTreeSet<usize> = starts.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    let scope = super::reach_scopes(starts, |&i| {
        edges[i]
            .iter()
            .copied()
            .filter(|&t| !pkgs[t].local)
            .collect()
    });
    let p_of = |i: usize| purl(Ecosystem::PyPI, &pkgs[i].name, &pkgs[i].version);
    for (i, p) in pkgs.iter().enumerate() {
        if p.local {
            continue;
        }
        let mut hashes: Vec<Hash> = Vec::new();
        hashes.extend(
            p.entry
                .get("sdist")
                .and_then(|s| s.get("hash"))
                .and_then(toml::Value::as_str)
                .and_then(hash),
        );
        hashes.extend(
            p.entry
                .get("wheels")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|w| w.get("hash")?.as_str())
                .filter_map(hash),
        );
        sbom.add(Component {
            ecosystem: Ecosystem::PyPI,
            name: p.name.clone(),
            version: p.version.clone(),
            purl: p_of(i),
            hashes,
            scope: scope.get(&i).copied().unwrap_or(Scope::Optional),
            direct: direct.contains(&i),
            licenses: Vec::new(),
            depends_on: edges[i]
                .iter()
                .filter(|&&t| !pkgs[t].local)
                .map(|&t| p_of(t))
                .collect(),
            source: rel.to_owned(),
        });
    }
    sbom.root_depends_on.extend(direct.iter().map(|&i| p_of(i)));
    Ok(())
}

pub(super) fn read_pipfile(
    path: &Path,
    text: &str,
    rel: &str,
    sbom: &mut Sbom,
) -> Result<(), InputError> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| InputError::json(path, &e, "a Pipfile.lock"))?;
    if !doc.get("_meta").is_some_and(Value::is_object) {
        return Err(InputError::new(
            path,
            "expected a Pipfile.lock: no `_meta` object",
        ));
    }
    // Pipfile names the direct dependencies; the lock flattens everything.
    let pipfile: Option<toml::Table> = std::fs::read_to_string(path.with_file_name("Pipfile"))
        .ok()
        .and_then(|t| t.parse().ok());
    let declared = |section: &str| -> Option<BTreeSet<String>> {
        Some(
            pipfile
                .as_ref()?
                .get(section)?
                .as_table()?
                .keys()
                .map(|k| pypi_normalize(k))
                .collect(),
        )
    };
    for (section, scope, decl) in [
        ("default", Scope::Required, declared("packages")),
        ("develop", Scope::Dev, declared("dev-packages")),
    ] {
        for (name, entry) in doc
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(version) = entry
                .get("version")
                .and_then(Value::as_str)
                .and_then(|v| v.strip_prefix("=="))
            else {
                continue; // git or path dependencies have no registry version
            };
            let norm = pypi_normalize(name);
            let direct = decl.as_ref().is_none_or(|d| d.contains(&norm));
            let c = Component {
                ecosystem: Ecosystem::PyPI,
                name: name.clone(),
                version: version.to_owned(),
                purl: purl(Ecosystem::PyPI, name, version),
                hashes: entry
                    .get("hashes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter_map(hash)
                    .collect(),
                scope,
                direct,
                licenses: Vec::new(),
                depends_on: Vec::new(),
                source: rel.to_owned(),
            };
            if direct {
                sbom.root_depends_on.push(c.purl.clone());
            }
            sbom.add(c);
        }
    }
    Ok(())
}
