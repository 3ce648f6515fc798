//! Reading SBOMs that any tool wrote (CycloneDX or SPDX JSON): the packages they list, by purl.

use serde_json::Value;

use super::model::Ecosystem;

/// A package an SBOM document lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    pub purl: String,
}

/// The format of an SBOM document.
pub fn format_of(doc: &Value) -> Option<&'static str> {
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        Some("CycloneDX")
    } else if doc.get("spdxVersion").and_then(Value::as_str).is_some() {
        Some("SPDX")
    } else {
        None
    }
}

/// The components of [`described`] that carry a purl of a served ecosystem, sorted and
/// deduplicated; the count is of the others.
pub fn packages(doc: &Value) -> Result<(Vec<Listed>, usize), String> {
    let mut skipped = 0;
    let mut out = Vec::new();
    for c in described(doc)? {
        let parsed = c.purl.as_deref().and_then(super::purl::parse);
        match (parsed, c.purl) {
            (Some((ecosystem, name, version)), Some(purl)) => out.push(Listed {
                ecosystem,
                name,
                version,
                purl,
            }),
            _ => skipped += 1,
        }
    }
    out.sort_by(|a, b| a.purl.cmp(&b.purl));
    out.dedup_by(|a, b| a.purl == b.purl);
    Ok((out, skipped))
}

/// A component as any SBOM document describes it, for policy checks and diffs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    /// Licence expressions (ids and names as given).
    pub licenses: Vec<String>,
    pub hashes: usize,
}

/// Every component (CycloneDX, nested included) or package (SPDX, the document's own root
/// left out) of `doc`.
pub fn described(doc: &Value) -> Result<Vec<Described>, String> {
    let mut out = Vec::new();
    match format_of(doc) {
        Some("CycloneDX") => {
            fn walk(list: &Value, out: &mut Vec<Described>) {
                for c in list.as_array().into_iter().flatten() {
                    let licenses = c["licenses"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|l| {
                            l["expression"]
                                .as_str()
                                .or_else(|| l["license"]["id"].as_str())
                                .or_else(|| l["license"]["name"].as_str())
                                .map(str::to_owned)
                        })
                        .collect();
                    out.push(Described {
                        name: c["name"].as_str().unwrap_or_default().to_owned(),
                        version: c["version"]
                            .as_str()
                            .filter(|v| !v.is_empty())
                            .map(str::to_owned),
                        purl: c["purl"].as_str().map(str::to_owned),
                        licenses,
                        hashes: c["hashes"].as_array().map_or(0, Vec::len),
                    });
                    walk(&c["components"], out);
                }
            }
            walk(&doc["components"], &mut out);
        }
        Some(_) => {
            let described: std::collections::BTreeSet<&str> = doc["relationships"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["relationshipType"] == "DESCRIBES")
                .filter_map(|r| r["relatedSpdxElement"].as_str())
                .collect();
            for p in doc["packages"].as_array().into_iter().flatten() {
                if p["SPDXID"]
                    .as_str()
                    .is_some_and(|id| described.contains(id))
                {
                    continue;
                }
                let lic = |k: &str| {
                    p[k].as_str()
                        .filter(|l| !matches!(*l, "NOASSERTION" | "NONE" | ""))
                        .map(str::to_owned)
                };
                out.push(Described {
                    name: p["name"].as_str().unwrap_or_default().to_owned(),
                    version: p["versionInfo"]
                        .as_str()
                        .filter(|v| !v.is_empty() && *v != "NOASSERTION")
                        .map(str::to_owned),
                    purl: p["externalRefs"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|r| r["referenceType"] == "purl")
                        .and_then(|r| r["referenceLocator"].as_str())
                        .map(str::to_owned),
                    licenses: lic("licenseConcluded")
                        .or_else(|| lic("licenseDeclared"))
                        .into_iter()
                        .collect(),
                    hashes: p["checksums"].as_array().map_or(0, Vec::len),
                });
            }
        }
        None => {
            return Err(
                "expected a CycloneDX (`bomFormat`) or SPDX (`spdxVersion`) JSON document".into(),
            );
        }
    }
    Ok(out)
}
