//! `ci-intel evidence pack|verify|show`: the Release Evidence Bundle.

use anyhow::Result;
use ci_intel_attest::evidence::{self, Manifest};
use ci_intel_attest::keys::{SigningKey, VerifyingKey};
use ci_intel_core::InputError;
use ci_intel_core::error::exit;
use ci_intel_core::fsutil;

use crate::cli::{EvidenceCommand, EvidencePackArgs, EvidenceShowArgs, EvidenceVerifyArgs};

pub fn run(cmd: EvidenceCommand) -> Result<i32> {
    match cmd {
        EvidenceCommand::Pack(a) => pack(&a),
        EvidenceCommand::Verify(a) => verify(&a),
        EvidenceCommand::Show(a) => show(&a),
    }
}

fn pack(a: &EvidencePackArgs) -> Result<i32> {
    let text = std::fs::read_to_string(&a.key).map_err(|e| InputError::io(&a.key, &e))?;
    let key = SigningKey::from_pem(&text).map_err(|e| InputError::caused(&a.key, &e))?;
    let inputs = a
        .inputs
        .iter()
        .map(|arg| evidence::input_from_arg(arg))
        .collect::<Result<Vec<_>, _>>()?;
    let run_id = a.run_id.clone().or_else(|| {
        ["GITHUB_RUN_ID", "CI_PIPELINE_ID"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    });
    if let Some(t) = &a.created
        && time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).is_err()
    {
        anyhow::bail!("--created `{t}`: expected an RFC 3339 time (2026-11-23T10:00:00Z)");
    }
    let (bytes, manifest) = evidence::pack(&inputs, run_id, a.created.clone(), &key)?;
    fsutil::write_atomic(&a.out, &bytes).map_err(|e| InputError::io(&a.out, &e))?;
    eprintln!(
        "evidence pack: {} file(s) in {} (sha256:{}), manifest signed by {}",
        manifest.files.len(),
        a.out.display(),
        evidence::bundle_digest(&bytes),
        key.verifying_key().key_id()
    );
    Ok(exit::PASS)
}

fn verify(a: &EvidenceVerifyArgs) -> Result<i32> {
    let keys = a
        .key
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| InputError::io(p, &e))?;
            VerifyingKey::from_pem(&text).map_err(|e| InputError::caused(p, &e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = std::fs::read(&a.bundle).map_err(|e| InputError::io(&a.bundle, &e))?;
    let report = evidence::verify(&bytes, &keys).map_err(|e| InputError::caused(&a.bundle, &e))?;
    if let Some(m) = &report.manifest {
        print!("{}", describe(m));
    }
    for p in &report.problems {
        println!("FAIL  {p}");
    }
    if report.ok() {
        println!(
            "ok    manifest signed by {}; every file matches its digest",
            report.signed_by.as_deref().unwrap_or_default()
        );
        Ok(exit::PASS)
    } else {
        eprintln!(
            "evidence verify: DENY — {} problem(s) in {}",
            report.problems.len().max(1),
            a.bundle.display()
        );
        Ok(exit::GATE_DENIED)
    }
}

fn show(a: &EvidenceShowArgs) -> Result<i32> {
    let bytes = std::fs::read(&a.bundle).map_err(|e| InputError::io(&a.bundle, &e))?;
    let entries = evidence::read_archive(&bytes).map_err(|e| InputError::caused(&a.bundle, &e))?;
    let manifest: Manifest = entries
        .get(evidence::MANIFEST)
        .and_then(|b| serde_json::from_slice(b).ok())
        .ok_or_else(|| InputError::new(&a.bundle, "expected a manifest.json in the bundle"))?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&manifest)?);
    } else {
        println!("bundle sha256:{}", evidence::bundle_digest(&bytes));
        print!("{}", describe(&manifest));
        println!("(not verified: run `ci-intel evidence verify --key KEY.pub` for that)");
    }
    Ok(exit::PASS)
}

fn describe(m: &Manifest) -> String {
    let mut out = format!(
        "run {}{}\n",
        m.run_id.as_deref().unwrap_or("(none)"),
        m.created
            .as_deref()
            .map(|c| format!(", created {c}"))
            .unwrap_or_default()
    );
    for f in &m.files {
        out.push_str(&format!(
            "  {:<12} {:<48} {:>10} B  sha256:{}\n",
            f.role,
            f.path,
            f.size,
            &f.sha256[..f.sha256.len().min(16)]
        ));
    }
    let h = &m.highlights;
    for r in &h.rekor {
        out.push_str(&format!(
            "  rekor        entry {} at index {} of log {}{}\n",
            &r.entry_uuid[..r.entry_uuid.len().min(16)],
            r.log_index,
            &r.log_id[..r.log_id.len().min(16)],
            if r.inclusion_proof.is_some() {
                ", with inclusion proof"
            } else {
                ""
            }
        ));
    }
    if let Some(d) = &h.dr_drill {
        out.push_str(&format!(
            "  dr-drill     {} ({})\n",
            d["completed_at"].as_str().unwrap_or("?"),
            d["result"]
        ));
    }
    for (id, result) in &h.policies {
        out.push_str(&format!("  policy       {id}: {result}\n"));
    }
    out
}
