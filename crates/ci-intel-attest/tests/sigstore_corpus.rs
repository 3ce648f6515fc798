//! Offline Sigstore verification against real data: sigstore-python's staging bundles and the
//! 72 bundle-verification cases of sigstore-conformance (`../shared/corpus/sigstore`). Every
//! case must come out as its name says: verified, or refused (`*_fail`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ci_intel_attest::sigstore::{self, Error, Policy, TrustedRoot, pki::PublicKey};
use ci_intel_core::testsupport;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn sigstore_dir() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    testsupport::corpus(&root).map(|c| c.join("sigstore"))
}

fn root(path: &Path) -> Result<TrustedRoot, sigstore::Reason> {
    TrustedRoot::parse(&std::fs::read_to_string(path).unwrap())
}

fn exact(s: &str) -> regex::Regex {
    sigstore::whole_value_pattern(&regex::escape(s)).unwrap()
}

/// Runs one conformance case the way the conformance suite's client would.
fn run_case(dir: &Path) -> Result<sigstore::Verified, Error> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let root_path = if dir.join("trusted_root.json").exists() {
        dir.join("trusted_root.json")
    } else {
        dir.join("../../trusted_root/production.trusted_root.json")
    };
    let root = root(&root_path).map_err(|r| Error::Malformed(r.0))?;
    let artifact = std::fs::read(dir.join("artifact"))
        .or_else(|_| std::fs::read(dir.join("../a.txt")))
        .unwrap();
    let bundle = read("bundle.sigstore.json").unwrap();
    let policy = match read("key.pub") {
        Some(pem) => Policy {
            key: Some(PublicKey::from_pem(&pem).map_err(|r| Error::Malformed(r.0))?),
            ..Policy::default()
        },
        None => Policy {
            identity: Some(exact(
                read("identity")
                    .as_deref()
                    .unwrap_or(DEFAULT_IDENTITY)
                    .trim(),
            )),
            issuer: Some(exact(
                read("issuer").as_deref().unwrap_or(DEFAULT_ISSUER).trim(),
            )),
            key: None,
        },
    };
    sigstore::verify(&bundle, &artifact, &root, &policy)
}

/// Why each `*_fail` case must be refused (its README's reason), as the refusal must say it:
/// `(case, refused rather than malformed, words the reason contains)`.
const REFUSALS: &[(&str, bool, &str)] = &[
    (
        "bundle-empty-certificate-chain_fail",
        true,
        "certificate chain is empty",
    ),
    (
        "bundle-from-wrong-instance_fail",
        true,
        "log the trusted root does not know",
    ),
    (
        "bundle-invalid-base64-signature_fail",
        false,
        "messageSignature.signature: invalid base64",
    ),
    ("bundle-malformed-json_fail", false, "not a Sigstore bundle"),
    ("bundle-negative-log-index_fail", true, "negative log index"),
    (
        "bundle-unknown-version_fail",
        true,
        "unsupported bundle media type",
    ),
    (
        "bundle-with-root-cert_fail",
        true,
        "contains a root certificate",
    ),
    (
        "checkpoint-bad-keyhint_fail",
        true,
        "no signature by the log",
    ),
    (
        "checkpoint-wrong-roothash_fail",
        true,
        "root hash are not the inclusion proof's",
    ),
    (
        "dsse-invalid-sig_fail",
        true,
        "DSSE envelope's signature does not verify",
    ),
    (
        "dsse-mismatch-envelope_fail",
        true,
        "does not match the bundle: different payload",
    ),
    (
        "dsse-mismatch-sig_fail",
        true,
        "does not match the bundle: different signature",
    ),
    (
        "inclusion-proof-corrupted-hash_fail",
        true,
        "inclusion proof does not lead",
    ),
    (
        "incorrect-public-key_fail",
        true,
        "different certificate or key",
    ),
    (
        "integrated-time-in-future_fail",
        true,
        "not valid at the rekor integrated time",
    ),
    (
        "intoto-expired-certificate_fail",
        true,
        "not valid at the rekor integrated time",
    ),
    (
        "intoto-log-entry-mismatch_fail",
        true,
        "does not match the bundle: different signature",
    ),
    (
        "intoto-missing-inclusion-proof_fail",
        true,
        "needs an inclusion proof",
    ),
    (
        "intoto-set-outside-signing-cert-validity_fail",
        true,
        "not valid at the rekor integrated time",
    ),
    (
        "intoto-tsa-timestamp-outside-cert-validity_fail",
        true,
        "not valid at the rfc3161",
    ),
    (
        "invalid-checkpoint-signature_fail",
        true,
        "checkpoint signature does not verify",
    ),
    (
        "invalid-ct-key_fail",
        true,
        "signed certificate timestamp(s) verifies",
    ),
    (
        "invalid-inclusion-proof_fail",
        true,
        "inclusion proof does not lead",
    ),
    ("managed-key-no-key_fail", true, "managed key"),
    ("managed-key-wrong-key_fail", false, "not PEM"),
    (
        "message-digest-mismatch_fail",
        true,
        "message digest is not the artifact's",
    ),
    (
        "rekor2-checkpoint-missing-log-signature_fail",
        true,
        "checkpoint: no signatures",
    ),
    (
        "rekor2-checkpoint-missing-origin_fail",
        true,
        "checkpoint: second line",
    ),
    (
        "rekor2-checkpoint-missing-root-hash_fail",
        true,
        "root hash",
    ),
    ("rekor2-checkpoint-missing-size_fail", true, "tree size"),
    (
        "rekor2-checkpoint-no-matching-signature_fail",
        true,
        "checkpoint signature does not verify",
    ),
    (
        "rekor2-dsse-invalid-sig_fail",
        true,
        "DSSE envelope's signature does not verify",
    ),
    (
        "rekor2-dsse-mismatch-envelope_fail",
        true,
        "does not match the bundle",
    ),
    (
        "rekor2-dsse-mismatch-sig_fail",
        true,
        "does not match the bundle: different signature",
    ),
    (
        "rekor2-no-inclusion-proof_fail",
        true,
        "needs an inclusion proof",
    ),
    ("rekor2-no-timestamp_fail", true, "no verified signing time"),
    (
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
        true,
        "outside the trusted root's validity",
    ),
    (
        "rekor2-timestamp-outside-tsa-cert-validity_fail",
        true,
        "outside the timestamp authority certificate's validity",
    ),
    (
        "rekor2-timestamp-payload-mismatch_fail",
        true,
        "not over this bundle's signature",
    ),
    (
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
        true,
        "does not chain to",
    ),
    (
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
        true,
        "no trusted timestamp authority",
    ),
    (
        "rekor2-timestamp-with-incorrect-time_fail",
        true,
        "not valid at the rfc3161",
    ),
    (
        "set-invalid-signature_fail",
        true,
        "signed entry timestamp does not verify",
    ),
    (
        "signature-mismatch_fail",
        true,
        "signature does not verify for this artifact",
    ),
    (
        "trust-root-tlog-missing-validity-start_fail",
        false,
        "validFor has no start",
    ),
    (
        "wrong-hashedrekord-artifact_fail",
        true,
        "does not match the bundle",
    ),
    (
        "wrong-hashedrekord-cert-and-sig_fail",
        true,
        "does not match the bundle",
    ),
    (
        "wrong-hashedrekord-entry_fail",
        true,
        "does not match the bundle",
    ),
    (
        "wrong-material_fail",
        true,
        "message digest is not the artifact's",
    ),
];

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn conformance_cases_verify_or_are_refused_as_named() {
    let Some(dir) = sigstore_dir() else { return };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir.join("conformance"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    // The corpus README counts 72; 70 case directories are there, 49 of them `*_fail`.
    assert_eq!(cases.len(), 70);
    let mut wrong = Vec::new();
    let mut refused = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let should_fail = name.ends_with("_fail");
        match run_case(case) {
            Ok(_) if should_fail => wrong.push(format!("{name}: verified but must be refused")),
            Err(e) if !should_fail => wrong.push(format!("{name}: refused: {e}")),
            Err(e) => {
                refused += 1;
                eprintln!("{name}: {e}");
                match REFUSALS.iter().find(|(case, ..)| *case == name) {
                    None => wrong.push(format!("{name}: no expected reason in REFUSALS")),
                    Some((_, refusal, words)) => {
                        let (is_refusal, why) = match &e {
                            Error::Refused(m) => (true, m),
                            Error::Malformed(m) => (false, m),
                        };
                        if is_refusal != *refusal || !why.contains(words) {
                            wrong.push(format!(
                                "{name}: refused for the wrong reason: {e} (expected {} saying `{words}`)",
                                if *refusal { "a refusal" } else { "malformed" }
                            ));
                        }
                    }
                }
            }
            Ok(_) => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of 72 cases wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(refused, 49);
    assert_eq!(REFUSALS.len(), 49, "one expected reason per refused case");
}

fn staging_bundle(name: &str) -> (String, Vec<u8>) {
    let dir = sigstore_dir().unwrap().join("bundles");
    let bundle = std::fs::read_to_string(dir.join(format!("{name}.sigstore")))
        .or_else(|_| std::fs::read_to_string(dir.join(format!("{name}.sigstore.json"))))
        .unwrap();
    // The DSSE bundle attests `a.txt` (its statement's only subject), not the file beside it,
    // which sigstore-python's tests never bind to the envelope.
    let artifact = if name.contains("dsse") {
        dir.join("../conformance/a.txt")
    } else {
        dir.join(name)
    };
    (bundle, std::fs::read(artifact).unwrap())
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn sigstore_python_staging_bundles() {
    let Some(dir) = sigstore_dir() else { return };
    let staging = root(&dir.join("trusted_root/staging.trusted_root.json")).unwrap();
    for name in [
        "bundle.txt",
        "bundle_v3.txt",
        "bundle_v3_alt.txt",
        "staging-rekor-v2.txt",
        "a.dsse.staging-rekor-v2.txt",
    ] {
        let (bundle, artifact) = staging_bundle(name);
        let v = sigstore::verify(&bundle, &artifact, &staging, &Policy::default())
            .unwrap_or_else(|e| panic!("{name} must verify: {e}"));
        assert!(
            !v.identities.is_empty() && v.issuer.is_some(),
            "{name}: {v:?}"
        );
        // The production root does not trust staging's CA or logs.
        let production = root(&dir.join("trusted_root/production.trusted_root.json")).unwrap();
        assert!(
            matches!(
                sigstore::verify(&bundle, &artifact, &production, &Policy::default()),
                Err(Error::Refused(_))
            ),
            "{name} must not verify against production"
        );
    }
    for (name, why) in [
        ("bundle_cve_2022_36056.txt", "log entry"),
        ("bundle_invalid_version.txt", "media type"),
        ("bundle_no_log_entry.txt", "no transparency log entry"),
        ("bundle_no_checkpoint.txt", "checkpoint"),
    ] {
        let (bundle, artifact) = staging_bundle(name);
        match sigstore::verify(&bundle, &artifact, &staging, &Policy::default()) {
            Err(Error::Refused(m)) => assert!(m.contains(why), "{name}: {m}"),
            other => panic!("{name} must be refused ({why}), got {other:?}"),
        }
    }
}

/// Re-encodes the base64 field at `pointer` with one bit of its decoded bytes flipped.
fn flip(bundle: &str, pointer: &str, byte: usize) -> String {
    let mut v: serde_json::Value = serde_json::from_str(bundle).unwrap();
    let field = v
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}"));
    let mut bytes = STANDARD.decode(field.as_str().unwrap()).unwrap();
    let i = byte.min(bytes.len() - 1);
    bytes[i] ^= 0x01;
    *field = STANDARD.encode(bytes).into();
    v.to_string()
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn any_single_changed_byte_is_refused() {
    let Some(dir) = sigstore_dir() else { return };
    let staging = root(&dir.join("trusted_root/staging.trusted_root.json")).unwrap();
    let (bundle, artifact) = staging_bundle("bundle_v3.txt");
    let policy = Policy::default();
    assert!(sigstore::verify(&bundle, &artifact, &staging, &policy).is_ok());

    let mut changed = artifact.clone();
    changed[0] ^= 1;
    assert!(sigstore::verify(&bundle, &changed, &staging, &policy).is_err());

    let entry = "/verificationMaterial/tlogEntries/0";
    for pointer in [
        "/messageSignature/signature".to_owned(),
        "/messageSignature/messageDigest/digest".to_owned(),
        "/verificationMaterial/certificate/rawBytes".to_owned(),
        format!("{entry}/canonicalizedBody"),
        format!("{entry}/inclusionPromise/signedEntryTimestamp"),
        format!("{entry}/inclusionProof/rootHash"),
        format!("{entry}/inclusionProof/hashes/0"),
        format!("{entry}/inclusionProof/hashes/2"),
        format!("{entry}/logId/keyId"),
    ] {
        for byte in [0, 7, 40, usize::MAX] {
            let tampered = flip(&bundle, &pointer, byte);
            assert!(
                sigstore::verify(&tampered, &artifact, &staging, &policy).is_err(),
                "{pointer} byte {byte} changed but the bundle still verified"
            );
        }
    }
    // The checkpoint: change one character of its signed text or its signature.
    let mut v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
    let cp = v
        .pointer(&format!("{entry}/inclusionProof/checkpoint/envelope"))
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    for i in [0, cp.find('\n').unwrap() + 1, cp.len() - 3] {
        let mut b = cp.clone().into_bytes();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        *v.pointer_mut(&format!("{entry}/inclusionProof/checkpoint/envelope"))
            .unwrap() = String::from_utf8(b).unwrap().into();
        assert!(
            sigstore::verify(&v.to_string(), &artifact, &staging, &policy).is_err(),
            "checkpoint byte {i} changed but the bundle still verified"
        );
    }
    // Log index and integrated time are covered by the SET.
    for (field, delta) in [("logIndex", 1), ("integratedTime", 1)] {
        let mut v: serde_json::Value = serde_json::from_str(&bundle).unwrap();
        let f = v.pointer_mut(&format!("{entry}/{field}")).unwrap();
        let n: i64 = f.as_str().unwrap().parse().unwrap();
        *f = (n + delta).to_string().into();
        assert!(
            sigstore::verify(&v.to_string(), &artifact, &staging, &policy).is_err(),
            "{field}"
        );
    }
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn identity_and_issuer_must_match_whole() {
    let Some(dir) = sigstore_dir() else { return };
    let staging = root(&dir.join("trusted_root/staging.trusted_root.json")).unwrap();
    let (bundle, artifact) = staging_bundle("bundle_v3.txt");
    let v = sigstore::verify(&bundle, &artifact, &staging, &Policy::default()).unwrap();
    let identity = v.identities[0].clone();
    let issuer = v.issuer.clone().unwrap();
    let with = |id: &str, iss: &str| Policy {
        identity: Some(sigstore::whole_value_pattern(id).unwrap()),
        issuer: Some(sigstore::whole_value_pattern(iss).unwrap()),
        key: None,
    };
    assert!(
        sigstore::verify(
            &bundle,
            &artifact,
            &staging,
            &with(&regex::escape(&identity), &regex::escape(&issuer))
        )
        .is_ok()
    );
    assert!(sigstore::verify(&bundle, &artifact, &staging, &with(".*", ".*")).is_ok());
    // A prefix is not the identity; neither is another issuer.
    let prefix = regex::escape(&identity[..identity.len() / 2]);
    match sigstore::verify(&bundle, &artifact, &staging, &with(&prefix, ".*")) {
        Err(Error::Refused(m)) => assert!(m.contains("identity mismatch"), "{m}"),
        other => panic!("{other:?}"),
    }
    match sigstore::verify(
        &bundle,
        &artifact,
        &staging,
        &with(".*", "https://accounts\\.google\\.com"),
    ) {
        Err(Error::Refused(m)) => assert!(m.contains("issuer mismatch"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn garbage_bundles_are_malformed_not_panics() {
    let Some(dir) = sigstore_dir() else { return };
    let staging = root(&dir.join("trusted_root/staging.trusted_root.json")).unwrap();
    let (bundle, artifact) = staging_bundle("bundle_v3.txt");
    for cut in (0..bundle.len()).step_by(97) {
        let r = sigstore::verify(&bundle[..cut], &artifact, &staging, &Policy::default());
        assert!(matches!(r, Err(Error::Malformed(_))), "cut at {cut}: {r:?}");
    }
    assert!(TrustedRoot::parse("{}").is_err());
    assert!(TrustedRoot::parse("[1,2]").is_err());
}
