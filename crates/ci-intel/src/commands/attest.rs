//! `ci-intel attest digest|keygen|sign|verify|provenance|verify-bundle`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use ci_intel_attest::digest::{self, Algorithm, Check};
use ci_intel_attest::dsse;
use ci_intel_attest::keys::{SigningKey, VerifyingKey};
use ci_intel_attest::provenance::{self, Policy, Subject};
use ci_intel_core::InputError;
use ci_intel_core::error::{Position, exit};
use ci_intel_core::fsutil;
use serde_json::json;

use crate::cli::{
    AttestCommand, AttestDigestArgs, AttestKeygenArgs, AttestProvenanceArgs, AttestSignArgs,
    AttestVerifyArgs, AttestVerifyBundleArgs, DigestAlgorithm,
};
use crate::context;

pub fn run(cmd: AttestCommand) -> Result<i32> {
    match cmd {
        AttestCommand::Digest(a) => digest_cmd(&a),
        AttestCommand::Keygen(a) => keygen(&a),
        AttestCommand::Sign(a) => sign(&a),
        AttestCommand::Verify(a) => verify(&a),
        AttestCommand::Provenance(a) => provenance_cmd(&a),
        AttestCommand::VerifyBundle(a) => verify_bundle(&a),
    }
}

fn algorithm(a: DigestAlgorithm) -> Algorithm {
    match a {
        DigestAlgorithm::Sha256 => Algorithm::Sha256,
        DigestAlgorithm::Sha512 => Algorithm::Sha512,
        DigestAlgorithm::Blake3 => Algorithm::Blake3,
    }
}

fn digest_cmd(a: &AttestDigestArgs) -> Result<i32> {
    let mut algs: Vec<Algorithm> = a.algorithms.iter().copied().map(algorithm).collect();
    algs.sort();
    algs.dedup();
    if let Some(list) = &a.check {
        return check_cmd(list, &algs, a.algorithms.len() == 1);
    }
    let files = digest::paths(&a.paths, &algs).map_err(|(p, e)| InputError::io(&p, &e))?;
    let text = match algs.as_slice() {
        [one] => digest::checksum_file(&files, *one),
        _ => digest::tagged_file(&files),
    };
    context::write_output(a.output.as_deref(), &text)?;
    if let Some(m) = &a.manifest {
        let manifest = json!({
            "schema": "ci-intel.digests/v1",
            "tree_sha256": digest::tree_digest(&files),
            "files": files.iter().map(|f| json!({
                "path": f.path,
                "size": f.size,
                "digest": f.digests.iter().map(|(a, d)| (a.name().to_owned(), d.clone())).collect::<BTreeMap<_, _>>(),
            })).collect::<Vec<_>>(),
        });
        fsutil::write_atomic(
            m,
            (serde_json::to_string_pretty(&manifest)? + "\n").as_bytes(),
        )
        .map_err(|e| InputError::io(m, &e))?;
    }
    Ok(exit::PASS)
}

/// `--check FILE`: the algorithm is the one given with `-a` when exactly one was, else what
/// each line says (BSD tags) or its length.
fn check_cmd(list: &Path, algs: &[Algorithm], explicit: bool) -> Result<i32> {
    let text = std::fs::read_to_string(list).map_err(|e| InputError::io(list, &e))?;
    let default = explicit.then(|| algs[0]);
    let expected = digest::parse_checksums(&text, default)
        .map_err(|(line, msg)| InputError::at(list, Position::at(line, 1), msg))?;
    if expected.is_empty() {
        return Err(InputError::new(list, "expected at least one checksum line").into());
    }
    let results = digest::check(&expected, Path::new("."));
    let mut failed = 0;
    for (e, outcome) in &results {
        match outcome {
            Check::Ok => println!("{}: OK", e.path),
            Check::Mismatch { .. } => {
                failed += 1;
                println!(
                    "{}: FAILED ({} differs, line {})",
                    e.path,
                    e.algorithm.name(),
                    e.line
                );
            }
            Check::Unreadable(why) => {
                failed += 1;
                println!("{}: FAILED open or read ({why})", e.path);
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "attest digest: {failed} of {} computed checksum(s) did NOT match",
            results.len()
        );
        return Ok(exit::GATE_DENIED);
    }
    Ok(exit::PASS)
}

fn keygen(a: &AttestKeygenArgs) -> Result<i32> {
    for p in [&a.private, &a.public] {
        if p.exists() && !a.force {
            bail!("{} exists; pass --force to replace it", p.display());
        }
    }
    let key = SigningKey::generate()?;
    let private = key.to_pem()?;
    let public = key.verifying_key().to_pem()?;
    write_private(&a.private, private.as_bytes())?;
    fsutil::write_atomic(&a.public, public.as_bytes())
        .map_err(|e| InputError::io(&a.public, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Public keys are meant to be shared.
        std::fs::set_permissions(&a.public, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| InputError::io(&a.public, &e))?;
    }
    eprintln!(
        "attest keygen: Ed25519 key {} written to {} (private) and {} (public)",
        key.verifying_key().key_id(),
        a.private.display(),
        a.public.display()
    );
    Ok(exit::PASS)
}

/// Writes a private key readable by its owner only, atomically.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| InputError::io(path, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| InputError::io(path, &e))?;
    }
    std::io::Write::write_all(&mut tmp, bytes).map_err(|e| InputError::io(path, &e))?;
    tmp.persist(path)
        .map_err(|e| InputError::io(path, &e.error))?;
    Ok(())
}

fn signing_key(path: &Path) -> Result<SigningKey, InputError> {
    SigningKey::from_pem(&context::read_input_text(path)?).map_err(|e| InputError::caused(path, &e))
}

fn sign(a: &AttestSignArgs) -> Result<i32> {
    let key = signing_key(&a.key)?;
    let payload = context::read_input_bytes(&a.payload)?;
    let env = dsse::sign(&key, &a.payload_type, &payload);
    context::write_output(
        a.output.as_deref(),
        &(serde_json::to_string_pretty(&env)? + "\n"),
    )?;
    Ok(exit::PASS)
}

fn verify(a: &AttestVerifyArgs) -> Result<i32> {
    let keys = a
        .key
        .iter()
        .map(|p| {
            VerifyingKey::from_pem(&context::read_input_text(p)?)
                .map_err(|e| InputError::caused(p, &e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let env = dsse::parse(&context::read_input_text(&a.envelope)?)
        .map_err(|e| InputError::new(&a.envelope, e.to_string()))?;
    let (payload, key_id) = match dsse::verify(&env, &keys) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("attest verify: DENY — {e}");
            return Ok(exit::GATE_DENIED);
        }
    };
    let algorithm = keys
        .iter()
        .find(|k| k.key_id() == key_id)
        .map_or("", VerifyingKey::algorithm);
    println!("ok    signature      {algorithm} key {key_id}");
    let policy = Policy::from(&a.provenance);
    let wants_statement = !a.subject.is_empty()
        || policy.builder_id.is_some()
        || policy.source_uri.is_some()
        || policy.workflow.is_some()
        || policy.source_tag.is_some();
    let mut denied = 0;
    if wants_statement {
        let statement: serde_json::Value = serde_json::from_slice(&payload).map_err(|e| {
            InputError::new(
                &a.envelope,
                format!("the signed payload is not an in-toto statement (JSON): {e}"),
            )
        })?;
        let mut checks = provenance::check(&statement, &policy);
        let subjects = provenance::subjects(&statement);
        for path in &a.subject {
            checks.push(subject_check(path, &subjects)?);
        }
        for c in &checks {
            let mark = if c.passed { "ok  " } else { "FAIL" };
            println!("{mark}  {:<14} {}", c.name, c.detail);
            denied += usize::from(!c.passed);
        }
    }
    if a.print_payload {
        println!("{}", String::from_utf8_lossy(&payload));
    }
    if denied > 0 {
        eprintln!("attest verify: DENY — {denied} check(s) failed");
        return Ok(exit::GATE_DENIED);
    }
    Ok(exit::PASS)
}

/// The artifact at `path` is a subject: a subject's digest for an algorithm we compute
/// matches the file (names are not trusted to identify artifacts; digests are).
fn subject_check(path: &Path, subjects: &[Subject]) -> Result<provenance::CheckResult, InputError> {
    let algs = [Algorithm::Sha256, Algorithm::Sha512, Algorithm::Blake3];
    let (_, digests) = digest::file(path, &algs).map_err(|e| InputError::io(path, &e))?;
    let found = subjects.iter().find(|s| {
        digests
            .iter()
            .any(|(a, hex)| s.digest.get(a.name()).is_some_and(|d| d == hex))
    });
    Ok(provenance::CheckResult {
        name: "subject",
        passed: found.is_some(),
        detail: match found {
            Some(s) => format!("{} matches subject `{}`", path.display(), s.name),
            None => format!("{}: no subject has its digest", path.display()),
        },
    })
}

fn provenance_cmd(a: &AttestProvenanceArgs) -> Result<i32> {
    let mut subjects = Vec::new();
    for s in &a.subject {
        subjects.push(parse_subject(s)?);
    }
    let mut ctx = provenance::context_from_env(|k| std::env::var(k).ok());
    if let Some(id) = &a.builder_id {
        ctx.builder_id.clone_from(id);
    }
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let started = a.started_on.clone().unwrap_or_else(|| now.clone());
    if time::OffsetDateTime::parse(&started, &time::format_description::well_known::Rfc3339)
        .is_err()
    {
        bail!("--started-on `{started}`: expected an RFC 3339 time (2026-11-23T10:00:00Z)");
    }
    let statement = provenance::statement(&subjects, &ctx, Some(&started), Some(&now));
    let text = serde_json::to_string(&statement)?;
    let out = match &a.key {
        Some(k) => {
            let key = signing_key(k)?;
            serde_json::to_string_pretty(&dsse::sign(
                &key,
                dsse::IN_TOTO_PAYLOAD_TYPE,
                text.as_bytes(),
            ))? + "\n"
        }
        None => serde_json::to_string_pretty(&statement)? + "\n",
    };
    context::write_output(a.output.as_deref(), &out)?;
    Ok(exit::PASS)
}

/// `NAME@sha256:HEX`, or a file whose SHA-256 (and SHA-512) is computed.
fn parse_subject(s: &str) -> Result<Subject> {
    if let Some((name, digest)) = s.rsplit_once('@')
        && let Some((alg, hex)) = digest.split_once(':')
    {
        let Some(a) = Algorithm::parse(alg) else {
            bail!(
                "subject `{s}`: unknown digest algorithm `{alg}` (expected sha256, sha512 or blake3)"
            );
        };
        if hex.len() != a.hex_len() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!(
                "subject `{s}`: expected {} hex digits after `{alg}:`",
                a.hex_len()
            );
        }
        return Ok(Subject {
            name: name.to_owned(),
            digest: [(a.name().to_owned(), hex.to_ascii_lowercase())].into(),
        });
    }
    let path = PathBuf::from(s);
    let (_, digests) = digest::file(&path, &[Algorithm::Sha256, Algorithm::Sha512])
        .map_err(|e| InputError::io(&path, &e))?;
    Ok(Subject {
        name: path
            .file_name()
            .map_or_else(|| s.to_owned(), |n| n.to_string_lossy().into_owned()),
        digest: digests
            .into_iter()
            .map(|(a, d)| (a.name().to_owned(), d))
            .collect(),
    })
}

fn verify_bundle(a: &AttestVerifyBundleArgs) -> Result<i32> {
    use ci_intel_attest::sigstore::{self, pki::PublicKey};
    if a.key.is_none() && (a.signer.identity.is_none() || a.signer.issuer.is_none()) {
        anyhow::bail!(
            "--identity and --issuer are required unless --key names the bundle's managed key"
        );
    }
    let bundle_path = a.bundle.clone().unwrap_or_else(|| {
        let mut p = a.artifact.clone().into_os_string();
        p.push(".sigstore.json");
        PathBuf::from(p)
    });
    let root = sigstore::TrustedRoot::parse(&context::read_input_text(&a.trusted_root)?)
        .map_err(|m| InputError::new(&a.trusted_root, m))?;
    let key = match &a.key {
        Some(p) => Some(
            PublicKey::from_pem(&context::read_input_text(p)?)
                .map_err(|m| InputError::new(p, m))?,
        ),
        None => None,
    };
    let policy = sigstore::Policy {
        identity: signer_pattern(a.signer.identity.as_deref(), "--identity")?,
        issuer: signer_pattern(a.signer.issuer.as_deref(), "--issuer")?,
        key,
    };
    let bundle = context::read_input_text(&bundle_path)?;
    let artifact = std::fs::read(&a.artifact).map_err(|e| InputError::io(&a.artifact, &e))?;
    match sigstore::verify(&bundle, &artifact, &root, &policy) {
        Ok(v) => {
            if a.json {
                let doc = json!({
                    "schema": "ci-intel.sigstore-verification/v1",
                    "verified": true,
                    "bundle_version": v.bundle_version,
                    "content": v.content,
                    "identities": v.identities,
                    "issuer": v.issuer,
                    "log": {"url": v.log_url, "index": v.log_index, "entry_kind": v.entry_kind},
                    "timestamps": v.timestamps.iter().map(|(s, t)| json!({"source": s, "time": rfc3339(*t)})).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                println!("ok    bundle         v{} ({})", v.bundle_version, v.content);
                println!(
                    "ok    log entry      {} #{} in {} (inclusion and signature verified)",
                    v.entry_kind, v.log_index, v.log_url
                );
                for (source, t) in &v.timestamps {
                    println!("ok    signed at      {} ({source})", rfc3339(*t));
                }
                if v.identities.is_empty() {
                    println!("ok    signer         the given public key");
                } else {
                    println!(
                        "ok    signer         {} (issuer {})",
                        v.identities.join(", "),
                        v.issuer.as_deref().unwrap_or("-")
                    );
                }
            }
            Ok(exit::PASS)
        }
        Err(sigstore::Error::Malformed(m)) => Err(InputError::new(&bundle_path, m).into()),
        Err(sigstore::Error::Refused(m)) => {
            eprintln!(
                "attest verify-bundle: DENY — {}: {m}",
                bundle_path.display()
            );
            Ok(exit::GATE_DENIED)
        }
    }
}

fn rfc3339(unix: i64) -> String {
    ci_intel_core::format::rfc3339_unix(unix).unwrap_or_else(|| unix.to_string())
}

impl From<&crate::cli::ProvenancePolicyArgs> for Policy {
    fn from(a: &crate::cli::ProvenancePolicyArgs) -> Self {
        Self {
            builder_id: a.builder_id.clone(),
            source_uri: a.source_uri.clone(),
            workflow: a.workflow.clone(),
            source_tag: a.source_tag.clone(),
        }
    }
}

/// A `--identity` / `--issuer` pattern, anchored to match whole values.
pub(super) fn signer_pattern(
    pattern: Option<&str>,
    flag: &str,
) -> Result<Option<regex::Regex>, InputError> {
    pattern
        .map(|p| {
            ci_intel_attest::sigstore::whole_value_pattern(p)
                .map_err(|m| InputError::new(Path::new(flag), m))
        })
        .transpose()
}
