//! `ci-intel verify`: the release truth table over a Release Evidence Bundle.

use std::path::Path;

use anyhow::Result;
use ci_intel_attest::keys::VerifyingKey;
use ci_intel_attest::release::{self, Requirements};
use ci_intel_attest::{provenance, sigstore};
use ci_intel_core::InputError;
use ci_intel_core::error::exit;
use ci_intel_core::gate::GateResult;
use serde_json::json;

use crate::cli::{Format, VerifyArgs};
use crate::context;

pub fn run(a: &VerifyArgs) -> Result<i32> {
    let keys = a
        .key
        .iter()
        .map(|p| {
            VerifyingKey::from_pem(&context::read_input_text(p)?)
                .map_err(|e| InputError::caused(p, &e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for o in &a.optional {
        if !release::ROWS.contains(&o.as_str()) {
            return Err(InputError::new(
                Path::new("--optional"),
                format!("unknown row `{o}`; rows: {}", release::ROWS.join(", ")),
            )
            .into());
        }
    }
    let trusted_root = match &a.trusted_root {
        Some(p) => Some(
            sigstore::TrustedRoot::parse(&context::read_input_text(p)?)
                .map_err(|m| InputError::new(p, m))?,
        ),
        None => None,
    };
    let req = Requirements {
        keys,
        provenance: provenance::Policy::from(&a.provenance),
        trusted_root,
        sigstore_policy: sigstore::Policy {
            identity: super::attest::signer_pattern(a.signer.identity.as_deref(), "--identity")?,
            issuer: super::attest::signer_pattern(a.signer.issuer.as_deref(), "--issuer")?,
            key: None,
        },
        sbom_min_components: a.sbom_min_components,
        dr_drill_max_age_days: a.dr_drill_max_age_days,
        optional: a.optional.clone(),
        now: time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    let archive = std::fs::read(&a.bundle).map_err(|e| InputError::io(&a.bundle, &e))?;
    let rows = release::judge(&archive, &req).map_err(|e| InputError::caused(&a.bundle, &e))?;
    let denied = rows.iter().filter(|r| r.result == GateResult::Deny).count();
    match a.format {
        Format::Json => {
            let doc = json!({
                "schema": "ci-intel.release-verification/v1",
                "bundle": a.bundle.display().to_string(),
                "bundle_sha256": ci_intel_attest::evidence::bundle_digest(&archive),
                "result": if denied > 0 { "deny" } else { "allow" },
                "policies": rows,
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        _ => {
            for r in &rows {
                let mark = match r.result {
                    GateResult::Allow => "ok  ",
                    GateResult::Warn => "warn",
                    GateResult::Deny => "DENY",
                };
                println!("{mark}  {:<22} {}", r.id, r.reason);
            }
        }
    }
    if denied > 0 {
        eprintln!("verify: DENY — {denied} of {} row(s) denied", rows.len());
        return Ok(exit::GATE_DENIED);
    }
    Ok(exit::PASS)
}
