//! CycloneDX 1.6 JSON. Deterministic: components sorted by purl, no timestamp, and a serial
//! number derived from the content, so the same lockfiles give the same bytes.

use serde_json::{Value, json};

use crate::model::{Sbom, Scope};

/// The serial number: a UUID v5 of every component's purl and hashes.
pub fn serial_number(sbom: &Sbom) -> String {
    let mut content = String::new();
    for c in sbom.components.values() {
        content.push_str(&c.purl);
        for h in &c.hashes {
            content.push(' ');
            content.push_str(&h.hex);
        }
        content.push('\n');
    }
    format!(
        "urn:uuid:{}",
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, content.as_bytes())
    )
}

fn scope(s: Scope) -> &'static str {
    match s {
        Scope::Required => "required",
        Scope::Optional => "optional",
        // CycloneDX: "excluded" = not part of the shipped software (development only).
        Scope::Dev => "excluded",
    }
}

/// `licenses`: one expression when the value is a compound expression, else an id.
fn licenses(list: &[String]) -> Value {
    Value::Array(
        list.iter()
            .map(|l| {
                if l.contains(' ') {
                    json!({"expression": l})
                } else {
                    json!({"license": {"id": l}})
                }
            })
            .collect(),
    )
}

/// The BOM as JSON. `tool_version` is ci-intel's version.
pub fn to_json(sbom: &Sbom, tool_version: &str) -> Value {
    let components: Vec<Value> = sbom
        .components
        .values()
        .map(|c| {
            let mut o = json!({
                "type": "library",
                "bom-ref": c.purl,
                "name": c.name,
                "version": c.version,
                "scope": scope(c.scope),
                "purl": c.purl,
            });
            if !c.hashes.is_empty() {
                o["hashes"] = c.hashes.iter().map(|h| json!({"alg": h.alg, "content": h.hex})).collect();
            }
            if !c.licenses.is_empty() {
                o["licenses"] = licenses(&c.licenses);
            }
            o["properties"] = json!([
                {"name": "ci-intel:lockfile", "value": c.source},
                {"name": "ci-intel:dependency", "value": if c.direct { "direct" } else { "transitive" }},
            ]);
            o
        })
        .collect();
    let mut dependencies = vec![json!({"ref": "root", "dependsOn": sbom.root_depends_on})];
    dependencies.extend(
        sbom.components
            .values()
            .map(|c| json!({"ref": c.purl, "dependsOn": c.depends_on})),
    );
    let mut root = json!({"type": "application", "bom-ref": "root", "name": sbom.name});
    if let Some(v) = &sbom.version {
        root["version"] = json!(v);
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial_number(sbom),
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "ci-intel", "version": tool_version}]},
            "component": root,
        },
        "components": components,
        "dependencies": dependencies,
    })
}
