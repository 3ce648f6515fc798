//! The release truth table: one gate verdict per promise a release makes, judged from its
//! Release Evidence Bundle alone. A release ships only when every required row allows.
//!
//! Rows: the bundle's own signature and digests; signed provenance from the expected builder,
//! source, workflow and tag covering every artifact; a Sigstore bundle per artifact with a valid
//! Rekor inclusion proof; an SBOM meeting its minimum; an empty determinism report (when one is
//! present); a disaster-recovery drill recent enough.

use std::collections::BTreeMap;

use ci_intel_core::gate::{GateResult, GateVerdict};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::keys::VerifyingKey;
use crate::sigstore;
use crate::{dsse, evidence, provenance};

/// What the release must prove.
#[derive(Debug)]
pub struct Requirements {
    /// Keys that may have signed the evidence manifest and the provenance.
    pub keys: Vec<VerifyingKey>,
    pub provenance: provenance::Policy,
    /// For the transparency row: the trusted root and signer policy for Sigstore bundles.
    pub trusted_root: Option<sigstore::TrustedRoot>,
    pub sigstore_policy: sigstore::Policy,
    pub sbom_min_components: usize,
    pub dr_drill_max_age_days: i64,
    /// Row ids whose missing evidence warns instead of denying.
    pub optional: Vec<String>,
    /// "Now", Unix seconds (a parameter so the table is reproducible).
    pub now: i64,
}

pub const SIGNATURE: &str = "release.signature";
pub const PROVENANCE: &str = "release.provenance";
pub const TRANSPARENCY: &str = "release.transparency";
pub const SBOM: &str = "release.sbom";
pub const DETERMINISM: &str = "release.determinism";
pub const DR_DRILL: &str = "release.dr-drill";

/// Every row, in the order people read them.
pub const ROWS: [&str; 6] = [
    SIGNATURE,
    PROVENANCE,
    TRANSPARENCY,
    SBOM,
    DETERMINISM,
    DR_DRILL,
];

fn allow(id: &str, reason: impl Into<String>) -> GateVerdict {
    GateVerdict::new(id, GateResult::Allow, reason)
}

fn deny(id: &str, reason: impl Into<String>) -> GateVerdict {
    GateVerdict::new(id, GateResult::Deny, reason)
}

/// Judges `archive` (a Release Evidence Bundle). Only an unreadable archive is an error; every
/// other problem is a denied row.
pub fn judge(
    archive: &[u8],
    req: &Requirements,
) -> Result<Vec<GateVerdict>, evidence::EvidenceError> {
    let report = evidence::verify(archive, &req.keys)?;
    let mut rows = Vec::new();
    rows.push(if report.ok() {
        allow(
            SIGNATURE,
            format!(
                "manifest signed by {}; every file matches its digest",
                report.signed_by.as_deref().unwrap_or_default()
            ),
        )
        .input(
            "files",
            report.manifest.as_ref().map_or(0, |m| m.files.len()),
        )
    } else {
        deny(SIGNATURE, report.problems.join("; "))
    });
    // Only files the signed manifest vouches for are judged.
    let files = evidence::read_archive(archive)?;
    let mut by_role: BTreeMap<&str, Vec<(&str, &[u8])>> = BTreeMap::new();
    if report.signed_by.is_some() {
        for e in report.manifest.iter().flat_map(|m| &m.files) {
            if let Some(bytes) = files.get(&e.path)
                && hex::encode(Sha256::digest(bytes)) == e.sha256
            {
                by_role
                    .entry(e.role.as_str())
                    .or_default()
                    .push((e.path.as_str(), bytes));
            }
        }
    }
    let role = |r: &str| by_role.get(r).map(Vec::as_slice).unwrap_or(&[]);
    let artifacts = role("artifact");

    rows.push(provenance_row(role("provenance"), artifacts, req));
    rows.push(transparency_row(role("signature"), artifacts, req));
    rows.push(sbom_row(role("sbom"), req));
    rows.push(determinism_row(role("determinism")));
    rows.push(dr_drill_row(role("dr-drill"), req));

    for row in &mut rows {
        if row.result == GateResult::Deny
            && row.inputs.get("missing") == Some(&Value::Bool(true))
            && req.optional.iter().any(|o| o == &row.id)
        {
            row.result = GateResult::Warn;
            row.reason = format!("{} (optional)", row.reason);
        }
    }
    Ok(rows)
}

fn missing(id: &str, what: &str) -> GateVerdict {
    deny(id, format!("the bundle holds no {what}")).input("missing", true)
}

fn provenance_row(
    files: &[(&str, &[u8])],
    artifacts: &[(&str, &[u8])],
    req: &Requirements,
) -> GateVerdict {
    let Some((path, bytes)) = files.first() else {
        return missing(PROVENANCE, "provenance (role `provenance`)");
    };
    let env = match std::str::from_utf8(bytes)
        .map_err(|e| e.to_string())
        .and_then(|t| dsse::parse(t).map_err(|e| e.to_string()))
    {
        Ok(e) => e,
        Err(e) => return deny(PROVENANCE, format!("{path}: not a DSSE envelope: {e}")),
    };
    let payload = match dsse::verify(&env, &req.keys) {
        Ok((payload, _)) => payload,
        Err(e) => return deny(PROVENANCE, format!("{path}: {e}")),
    };
    let Ok(statement) = serde_json::from_slice::<Value>(&payload) else {
        return deny(
            PROVENANCE,
            format!("{path}: the signed payload is not an in-toto statement"),
        );
    };
    let failed: Vec<String> = provenance::check(&statement, &req.provenance)
        .into_iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    if !failed.is_empty() {
        return deny(PROVENANCE, format!("{path}: {}", failed.join("; ")));
    }
    let subjects = provenance::subjects(&statement);
    let uncovered: Vec<&str> = artifacts
        .iter()
        .filter(|(_, b)| {
            let d = hex::encode(Sha256::digest(b));
            !subjects.iter().any(|s| s.digest.get("sha256") == Some(&d))
        })
        .map(|(p, _)| *p)
        .collect();
    if !uncovered.is_empty() {
        return deny(
            PROVENANCE,
            format!("not a subject of the provenance: {}", uncovered.join(", ")),
        );
    }
    allow(
        PROVENANCE,
        format!(
            "{path}: signed; builder, source, workflow and tag as required; covers {} artifact(s)",
            artifacts.len()
        ),
    )
}

fn transparency_row(
    bundles: &[(&str, &[u8])],
    artifacts: &[(&str, &[u8])],
    req: &Requirements,
) -> GateVerdict {
    if bundles.is_empty() {
        return missing(TRANSPARENCY, "Sigstore bundle (role `signature`)");
    }
    if artifacts.is_empty() {
        return deny(
            TRANSPARENCY,
            "the bundle holds no artifact (role `artifact`) for its Sigstore bundles to cover",
        );
    }
    let Some(root) = &req.trusted_root else {
        return deny(
            TRANSPARENCY,
            "no trusted root given (--trusted-root): the Rekor inclusion proofs cannot be checked",
        );
    };
    let mut verified = Vec::new();
    for (apath, abytes) in artifacts {
        // Each bundle is tried once; the reasons of those that fail are kept to say why.
        let mut refusals = Vec::new();
        let found = bundles.iter().find_map(|(bpath, b)| {
            let result = std::str::from_utf8(b)
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    sigstore::verify(t, abytes, root, &req.sigstore_policy)
                        .map_err(|e| e.to_string())
                });
            match result {
                Ok(v) => Some((bpath, v)),
                Err(e) => {
                    refusals.push(format!("{bpath}: {e}"));
                    None
                }
            }
        });
        match found {
            Some((bpath, v)) => {
                verified.push(format!("{apath} by {bpath} (log index {})", v.log_index));
            }
            None => {
                return deny(
                    TRANSPARENCY,
                    format!(
                        "no Sigstore bundle verifies {apath}: {}",
                        refusals.join("; ")
                    ),
                );
            }
        }
    }
    allow(
        TRANSPARENCY,
        format!("inclusion proven: {}", verified.join(", ")),
    )
}

/// Components of a CycloneDX or SPDX JSON document (as `ci-intel sbom check` reads them), and
/// how many lack a version; `None` when it is neither.
fn sbom_components(doc: &Value) -> Option<(usize, usize)> {
    let components = ci_intel_core::packages::document::described(doc).ok()?;
    let unversioned = components.iter().filter(|c| c.version.is_none()).count();
    Some((components.len(), unversioned))
}

fn sbom_row(files: &[(&str, &[u8])], req: &Requirements) -> GateVerdict {
    if files.is_empty() {
        return missing(SBOM, "SBOM (role `sbom`)");
    }
    let mut notes = Vec::new();
    for (path, bytes) in files {
        let Some((n, unversioned)) = serde_json::from_slice::<Value>(bytes)
            .ok()
            .as_ref()
            .and_then(sbom_components)
        else {
            return deny(
                SBOM,
                format!("{path}: not a CycloneDX or SPDX JSON document"),
            );
        };
        if n < req.sbom_min_components {
            return deny(
                SBOM,
                format!(
                    "{path}: {n} component(s), fewer than the required {}",
                    req.sbom_min_components
                ),
            )
            .input("components", n)
            .input("minimum", req.sbom_min_components);
        }
        if unversioned > 0 {
            return deny(
                SBOM,
                format!("{path}: {unversioned} of {n} component(s) have no version"),
            );
        }
        notes.push(format!("{path}: {n} components"));
    }
    allow(SBOM, notes.join(", "))
}

fn determinism_row(files: &[(&str, &[u8])]) -> GateVerdict {
    let Some((path, bytes)) = files.first() else {
        return allow(
            DETERMINISM,
            "no determinism report in the bundle (nothing to check)",
        );
    };
    let Ok(doc) = serde_json::from_slice::<Value>(bytes) else {
        return deny(DETERMINISM, format!("{path}: not JSON"));
    };
    let differences = match &doc {
        Value::Array(a) => a.len(),
        Value::Object(o) => match o.get("differences") {
            Some(Value::Array(a)) => a.len(),
            Some(_) => 1,
            None => o.len(),
        },
        Value::Null => 0,
        _ => 1,
    };
    if differences == 0 {
        allow(
            DETERMINISM,
            format!("{path}: no differences between rebuilds"),
        )
    } else {
        deny(
            DETERMINISM,
            format!("{path}: {differences} difference(s) between rebuilds"),
        )
        .input("differences", differences)
    }
}

fn dr_drill_row(files: &[(&str, &[u8])], req: &Requirements) -> GateVerdict {
    let Some((path, bytes)) = files.first() else {
        return missing(DR_DRILL, "disaster-recovery drill result (role `dr-drill`)");
    };
    let Ok(doc) = serde_json::from_slice::<Value>(bytes) else {
        return deny(DR_DRILL, format!("{path}: not JSON"));
    };
    let when = ["completed_at", "finished_at", "date", "timestamp"]
        .iter()
        .find_map(|k| doc[*k].as_str());
    let Some(when) = when else {
        return deny(DR_DRILL, format!("{path}: no `completed_at` time"));
    };
    let t = match time::OffsetDateTime::parse(when, &time::format_description::well_known::Rfc3339)
    {
        Ok(t) => t.unix_timestamp(),
        Err(_) => {
            return deny(
                DR_DRILL,
                format!("{path}: `{when}` is not an RFC 3339 time"),
            );
        }
    };
    let passed = match (
        &doc["passed"],
        doc["result"].as_str().or(doc["status"].as_str()),
    ) {
        (Value::Bool(b), _) => *b,
        (_, Some(s)) => matches!(
            s.to_ascii_lowercase().as_str(),
            "pass" | "passed" | "success" | "ok"
        ),
        _ => false,
    };
    let age_days = (req.now - t) / 86_400;
    let v = if !passed {
        deny(
            DR_DRILL,
            format!("{path}: the drill of {when} did not pass"),
        )
    } else if t > req.now + 300 {
        deny(
            DR_DRILL,
            format!("{path}: the drill's time {when} is in the future"),
        )
    } else if age_days > req.dr_drill_max_age_days {
        deny(
            DR_DRILL,
            format!(
                "{path}: the last passing drill ({when}) is {age_days} days old; at most {} allowed",
                req.dr_drill_max_age_days
            ),
        )
    } else {
        allow(
            DR_DRILL,
            format!("{path}: passed {when} ({age_days} days ago)"),
        )
    };
    v.input("age_days", age_days)
        .input("max_age_days", req.dr_drill_max_age_days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbom_components_count_cyclonedx_nested_and_spdx() {
        let cdx: Value = serde_json::json!({"bomFormat": "CycloneDX", "components": [
            {"name": "a", "version": "1"}, {"name": "b", "components": [{"name": "c", "version": "2"}]}]});
        assert_eq!(sbom_components(&cdx), Some((3, 1)));
        let spdx: Value =
            serde_json::json!({"spdxVersion": "SPDX-2.3", "packages": [{"versionInfo": "1"}]});
        assert_eq!(sbom_components(&spdx), Some((1, 0)));
        assert_eq!(sbom_components(&serde_json::json!({"x": 1})), None);
    }

    #[test]
    fn determinism_reports() {
        assert_eq!(determinism_row(&[("d", b"[]")]).result, GateResult::Allow);
        assert_eq!(
            determinism_row(&[("d", br#"{"differences": []}"#)]).result,
            GateResult::Allow
        );
        assert_eq!(
            determinism_row(&[("d", br#"{"differences": ["bin/app"]}"#)]).result,
            GateResult::Deny
        );
        assert_eq!(
            determinism_row(&[("d", b"garbage")]).result,
            GateResult::Deny
        );
        assert_eq!(determinism_row(&[]).result, GateResult::Allow);
    }
}
