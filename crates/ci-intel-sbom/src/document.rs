//! Reading SBOMs that any tool wrote (CycloneDX or SPDX JSON): the packages they list, by purl.

use serde_json::Value;

use crate::model::Ecosystem;

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

/// Packages of a CycloneDX (nested components included) or SPDX JSON document that carry a
/// purl of a served ecosystem; `skipped` counts the others.
pub fn packages(doc: &Value) -> Result<(Vec<Listed>, usize), String> {
    let mut purls: Vec<String> = Vec::new();
    match format_of(doc) {
        Some("CycloneDX") => {
            fn walk(list: &Value, out: &mut Vec<String>, n: &mut usize) {
                for c in list.as_array().into_iter().flatten() {
                    *n += 1;
                    if let Some(p) = c.get("purl").and_then(Value::as_str) {
                        out.push(p.to_owned());
                    }
                    walk(&c["components"], out, n);
                }
            }
            let mut n = 0;
            walk(&doc["components"], &mut purls, &mut n);
            let skipped = n - purls.len();
            Ok(finish(purls, skipped))
        }
        Some(_) => {
            let mut n = 0;
            for p in doc
                .get("packages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                n += 1;
                if let Some(purl) = p
                    .get("externalRefs")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
                    .and_then(|r| r.get("referenceLocator")?.as_str())
                {
                    purls.push(purl.to_owned());
                }
            }
            let skipped = n - purls.len();
            Ok(finish(purls, skipped))
        }
        None => {
            Err("expected a CycloneDX (`bomFormat`) or SPDX (`spdxVersion`) JSON document".into())
        }
    }
}

fn finish(purls: Vec<String>, mut skipped: usize) -> (Vec<Listed>, usize) {
    let mut out = Vec::new();
    for p in purls {
        match crate::purl::parse(&p) {
            Some((ecosystem, name, version)) => out.push(Listed {
                ecosystem,
                name,
                version,
                purl: p,
            }),
            None => skipped += 1,
        }
    }
    out.sort_by(|a, b| a.purl.cmp(&b.purl));
    out.dedup_by(|a, b| a.purl == b.purl);
    (out, skipped)
}
