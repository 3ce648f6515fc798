//! SPDX 2.3 JSON. Deterministic: packages sorted, the namespace derived from the content, and
//! the creation time given by the caller (ci-intel uses `SOURCE_DATE_EPOCH`, else the commit
//! time of `HEAD`).

use serde_json::{Value, json};

use crate::model::Sbom;

/// An SPDX id for a purl: only letters, digits, `.` and `-` are allowed.
fn spdx_id(purl: &str) -> String {
    let body: String = purl
        .trim_start_matches("pkg:")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("SPDXRef-Package-{body}")
}

fn checksum_alg(alg: &str) -> &'static str {
    match alg {
        "SHA-1" => "SHA1",
        "SHA-384" => "SHA384",
        "SHA-512" => "SHA512",
        _ => "SHA256",
    }
}

/// The document as JSON; `created` is an RFC 3339 UTC time (`YYYY-MM-DDThh:mm:ssZ`).
pub fn to_json(sbom: &Sbom, tool_version: &str, created: &str) -> Value {
    let serial = crate::cyclonedx::serial_number(sbom);
    let uuid = serial.trim_start_matches("urn:uuid:");
    let root_id = "SPDXRef-Package-root";
    let mut packages = vec![json!({
        "SPDXID": root_id,
        "name": sbom.name,
        "versionInfo": sbom.version.clone().unwrap_or_else(|| "NOASSERTION".into()),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "APPLICATION",
    })];
    // SPDX ids must be unique; two purls that sanitise alike get a numeric suffix.
    let mut ids = std::collections::BTreeMap::new();
    let mut used = std::collections::BTreeSet::new();
    for c in sbom.components.values() {
        let mut id = spdx_id(&c.purl);
        let mut n = 2;
        while !used.insert(id.clone()) {
            id = format!("{}-{n}", spdx_id(&c.purl));
            n += 1;
        }
        ids.insert(c.purl.clone(), id);
    }
    for c in sbom.components.values() {
        let declared = match c.licenses.as_slice() {
            [] => "NOASSERTION".to_owned(),
            [one] => one.clone(),
            many => many
                .iter()
                .map(|l| format!("({l})"))
                .collect::<Vec<_>>()
                .join(" AND "),
        };
        let mut p = json!({
            "SPDXID": ids[&c.purl],
            "name": c.name,
            "versionInfo": c.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": declared,
            "copyrightText": "NOASSERTION",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": c.purl}],
            "primaryPackagePurpose": "LIBRARY",
        });
        if !c.hashes.is_empty() {
            p["checksums"] = c
                .hashes
                .iter()
                .map(|h| json!({"algorithm": checksum_alg(h.alg), "checksumValue": h.hex}))
                .collect();
        }
        packages.push(p);
    }
    let mut relationships = vec![
        json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": root_id}),
    ];
    for d in &sbom.root_depends_on {
        let rel = match sbom.components.get(d).map(|c| c.scope) {
            Some(crate::Scope::Dev) => "DEV_DEPENDENCY_OF",
            Some(crate::Scope::Optional) => "OPTIONAL_DEPENDENCY_OF",
            _ => "DEPENDENCY_OF",
        };
        relationships.push(json!({"spdxElementId": ids[d], "relationshipType": rel, "relatedSpdxElement": root_id}));
    }
    for c in sbom.components.values() {
        for d in &c.depends_on {
            relationships.push(json!({"spdxElementId": ids[&c.purl], "relationshipType": "DEPENDS_ON", "relatedSpdxElement": ids[d]}));
        }
    }
    let name: String = sbom
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": sbom.name,
        "documentNamespace": format!("https://spdx.org/spdxdocs/ci-intel/{name}-{uuid}"),
        "creationInfo": {"created": created, "creators": [format!("Tool: ci-intel-{tool_version}")]},
        "packages": packages,
        "relationships": relationships,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_only_allowed_characters() {
        assert_eq!(
            spdx_id("pkg:npm/%40babel/core@7.23.9"),
            "SPDXRef-Package-npm--40babel-core-7.23.9"
        );
    }
}
