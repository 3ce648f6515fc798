//! OSV records: read from a directory of JSON files or from OSV's per-ecosystem zip archives,
//! reduced to what matching needs, and indexed by (ecosystem, package name). `vuln db index`
//! writes the reduced set as zstd-compressed JSON, which loads in milliseconds.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

use ci_intel_core::InputError;
use ci_intel_core::packages::Ecosystem;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::version::Event;

/// The index file's schema id.
/// v2: PyPI names are stored in PEP 503 form.
pub const INDEX_SCHEMA: &str = "ci-intel.osv-index/v2";

/// One advisory, reduced to what matching and reporting need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: String,
    /// `(type, vector)`: `CVSS_V3`, `CVSS_V4`.
    #[serde(default)]
    pub severity: Vec<(String, String)>,
    pub affected: Vec<Affected>,
    /// RustSec's informational kinds (`unmaintained`, `unsound`, `notice`): not vulnerabilities.
    #[serde(default)]
    pub informational: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    pub ecosystem: Ecosystem,
    /// As the index looks packages up ([`package_key`]): PyPI names in PEP 503 form.
    pub name: String,
    /// SEMVER and ECOSYSTEM ranges only (GIT ranges name commits, not versions).
    pub ranges: Vec<Vec<Event>>,
    pub versions: Vec<String>,
}

/// Advisories and their lookup table.
#[derive(Debug, Default)]
pub struct Index {
    pub advisories: Vec<Advisory>,
    by_package: HashMap<(Ecosystem, String), Vec<u32>>,
    /// Records read and left out: withdrawn, or for no ecosystem this index serves.
    pub skipped: usize,
}

fn ecosystem(s: &str) -> Option<Ecosystem> {
    // `Debian:11`-style suffixes name a release; only the prefix matters here.
    match s.split(':').next()? {
        "crates.io" => Some(Ecosystem::Cargo),
        "npm" => Some(Ecosystem::Npm),
        "PyPI" => Some(Ecosystem::PyPI),
        "Go" => Some(Ecosystem::Go),
        _ => None,
    }
}

/// The key a package is looked up by: PyPI names in PEP 503 form.
pub fn package_key(eco: Ecosystem, name: &str) -> (Ecosystem, String) {
    match eco {
        Ecosystem::PyPI => (eco, ci_intel_core::packages::purl::pypi_normalize(name)),
        _ => (eco, name.to_owned()),
    }
}

/// Reduces one OSV JSON record; `None` when withdrawn or about no served ecosystem.
pub fn reduce(doc: &Value) -> Result<Option<Advisory>, String> {
    let id = doc
        .get("id")
        .and_then(Value::as_str)
        .ok_or("an OSV record needs an `id`")?;
    if doc
        .get("withdrawn")
        .and_then(Value::as_str)
        .is_some_and(|w| !w.is_empty())
    {
        return Ok(None);
    }
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let mut informational = None;
    let mut affected = Vec::new();
    for a in doc
        .get("affected")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pkg = a.get("package");
        let Some(eco) = pkg
            .and_then(|p| p.get("ecosystem"))
            .and_then(Value::as_str)
            .and_then(ecosystem)
        else {
            continue;
        };
        let Some(name) = pkg.and_then(|p| p.get("name")).and_then(Value::as_str) else {
            continue;
        };
        if let Some(i) = a
            .pointer("/database_specific/informational")
            .and_then(Value::as_str)
        {
            informational = Some(i.to_owned());
        }
        let mut ranges = Vec::new();
        for r in a
            .get("ranges")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !matches!(
                r.get("type").and_then(Value::as_str),
                Some("SEMVER" | "ECOSYSTEM")
            ) {
                continue;
            }
            let mut events = Vec::new();
            for e in r
                .get("events")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(obj) = e.as_object() else { continue };
                for (k, v) in obj {
                    let Some(v) = v.as_str().map(str::to_owned) else {
                        continue;
                    };
                    events.push(match k.as_str() {
                        "introduced" => Event::Introduced(v),
                        "fixed" => Event::Fixed(v),
                        "last_affected" => Event::LastAffected(v),
                        "limit" => Event::Limit(v),
                        _ => continue,
                    });
                }
            }
            ranges.push(events);
        }
        affected.push(Affected {
            ecosystem: eco,
            name: package_key(eco, name).1,
            ranges,
            versions: strings(a.get("versions")),
        });
    }
    if affected.is_empty() {
        return Ok(None);
    }
    let severity = doc
        .get("severity")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                s.get("type")?.as_str()?.to_owned(),
                s.get("score")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    let url = doc
        .get("references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|r| r.get("type").and_then(Value::as_str) == Some("ADVISORY"))
        .and_then(|r| r.get("url")?.as_str().map(str::to_owned));
    Ok(Some(Advisory {
        id: id.to_owned(),
        aliases: strings(doc.get("aliases")),
        summary: doc
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        severity,
        affected,
        informational,
        url,
    }))
}

impl Index {
    fn push(&mut self, a: Advisory) {
        let i = self.advisories.len() as u32;
        for af in &a.affected {
            let list = self
                .by_package
                .entry(package_key(af.ecosystem, &af.name))
                .or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
        self.advisories.push(a);
    }

    /// Advisories naming `name` in `eco`.
    pub fn for_package(&self, eco: Ecosystem, name: &str) -> impl Iterator<Item = &Advisory> {
        self.by_package
            .get(&package_key(eco, name))
            .into_iter()
            .flatten()
            .map(|&i| &self.advisories[i as usize])
    }

    fn add_json(&mut self, path: &Path, bytes: &[u8]) -> Result<(), InputError> {
        let doc: Value = serde_json::from_slice(bytes)
            .map_err(|e| InputError::json(path, &e, "an OSV record (JSON)"))?;
        match reduce(&doc).map_err(|m| InputError::new(path, m))? {
            Some(a) => self.push(a),
            None => self.skipped += 1,
        }
        Ok(())
    }

    /// Loads a database: a directory (JSON files found recursively, and zip archives in it),
    /// one OSV zip archive, or an index written by [`Index::write`].
    pub fn load(path: &Path) -> Result<Self, InputError> {
        let mut idx = Self::default();
        if path.is_dir() {
            let mut files: Vec<_> = ignore::WalkBuilder::new(path)
                .standard_filters(false)
                .build()
                .flatten()
                .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
                .map(ignore::DirEntry::into_path)
                .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "zip"))
                .collect();
            files.sort();
            // Parse in parallel, add in file order (deterministic).
            use rayon::prelude::*;
            let parsed: Vec<Result<(Vec<Advisory>, usize), InputError>> = files
                .par_iter()
                .map(|f| {
                    let mut one = Self::default();
                    if f.extension().is_some_and(|e| e == "zip") {
                        one.add_zip(f)?;
                    } else {
                        let bytes = std::fs::read(f).map_err(|e| InputError::io(f, &e))?;
                        one.add_json(f, &bytes)?;
                    }
                    Ok((one.advisories, one.skipped))
                })
                .collect();
            for p in parsed {
                let (advisories, skipped) = p?;
                idx.skipped += skipped;
                for a in advisories {
                    idx.push(a);
                }
            }
            return Ok(idx);
        }
        let bytes = std::fs::read(path).map_err(|e| InputError::io(path, &e))?;
        if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            return Self::read_index(path, &bytes);
        }
        if bytes.starts_with(b"PK") {
            idx.add_zip(path)?;
            return Ok(idx);
        }
        idx.add_json(path, &bytes)?;
        Ok(idx)
    }

    fn add_zip(&mut self, path: &Path) -> Result<(), InputError> {
        let file = std::fs::File::open(path).map_err(|e| InputError::io(path, &e))?;
        let mut zip = zip::ZipArchive::new(file)
            .map_err(|e| InputError::new(path, format!("expected an OSV zip archive: {e}")))?;
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| InputError::new(path, format!("zip entry {i}: {e}")))?;
            if !Path::new(entry.name())
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                continue;
            }
            let name = path.join(entry.name());
            let mut bytes = Vec::with_capacity(entry.size().min(1 << 24) as usize);
            // One record is a few KiB; refuse zip bombs.
            (&mut entry)
                .take(64 << 20)
                .read_to_end(&mut bytes)
                .map_err(|e| InputError::io(&name, &e))?;
            self.add_json(&name, &bytes)?;
        }
        Ok(())
    }

    /// The compiled index: zstd-compressed JSON of the reduced advisories.
    pub fn write(&self) -> Result<Vec<u8>, String> {
        let doc = serde_json::json!({"schema": INDEX_SCHEMA, "advisories": self.advisories});
        let json = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
        zstd::encode_all(json.as_slice(), 9).map_err(|e| e.to_string())
    }

    fn read_index(path: &Path, bytes: &[u8]) -> Result<Self, InputError> {
        let mut json = Vec::new();
        zstd::Decoder::new(bytes)
            .and_then(|d| d.take(1 << 30).read_to_end(&mut json))
            .map_err(|e| {
                InputError::new(path, format!("expected a ci-intel OSV index (zstd): {e}"))
            })?;
        #[derive(Deserialize)]
        struct Doc {
            schema: String,
            advisories: Vec<Advisory>,
        }
        let doc: Doc = serde_json::from_slice(&json)
            .map_err(|e| InputError::new(path, format!("expected a ci-intel OSV index: {e}")))?;
        if doc.schema != INDEX_SCHEMA {
            return Err(InputError::new(
                path,
                format!(
                    "index schema `{}`, expected `{INDEX_SCHEMA}` (rebuild it with `ci-intel vuln db index`)",
                    doc.schema
                ),
            ));
        }
        let mut idx = Self::default();
        for a in doc.advisories {
            idx.push(a);
        }
        Ok(idx)
    }
}
