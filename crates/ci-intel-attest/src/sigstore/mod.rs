//! Offline verification of Sigstore bundles (media types v0.1 to v0.3) against a trusted root:
//! the signing certificate's chain to a Fulcio CA valid at the signing time, the signer
//! identity and OIDC issuer, the artifact or DSSE signature, the Rekor entry matching the
//! signature and certificate, the signed entry timestamp, the RFC 6962 inclusion proof and the
//! signed checkpoint, and RFC 3161 timestamps. Every check fails closed: what this verifier
//! cannot check is refused, never skipped.

mod entry;
pub mod pki;
pub mod sct;
pub mod tlog;
pub mod trust;
pub mod tsa;

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::dsse;
use pki::{Cert, PublicKey};
pub use trust::TrustedRoot;
use trust::{RawCert, b64};

/// Why a bundle was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The bundle is not one: not JSON, or not shaped like a Sigstore bundle (exit 2).
    Malformed(String),
    /// The bundle is well-formed but does not prove what it claims (exit 1).
    Refused(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed(m) => write!(f, "malformed bundle: {m}"),
            Self::Refused(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    fn malformed(why: impl Into<String>) -> Self {
        Self::Malformed(why.into())
    }

    fn refused(why: impl Into<String>) -> Self {
        Self::Refused(why.into())
    }
}

/// Why a piece of Sigstore material does not verify, as a sentence for the user. A check
/// that fails here (a signature, a proof, a validity window) has no lower error to keep, so
/// the sentence is the whole reason; [`Error`] then says whether the bundle was malformed or
/// refused, and the conformance tests assert these sentences.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Reason(pub String);

impl From<String> for Reason {
    fn from(s: String) -> Self {
        Reason(s)
    }
}

impl From<&str> for Reason {
    fn from(s: &str) -> Self {
        Reason(s.to_owned())
    }
}

impl From<Reason> for String {
    fn from(r: Reason) -> Self {
        r.0
    }
}

fn refuse<T>(m: impl Into<String>) -> Result<T, Error> {
    Err(Error::Refused(m.into()))
}

/// What the verifier requires of the signer.
#[derive(Debug, Default)]
pub struct Policy {
    /// Must match one of the certificate's subject alternative names (build it with
    /// [`whole_value_pattern`]).
    pub identity: Option<Regex>,
    /// Must match the certificate's OIDC issuer extension (see [`whole_value_pattern`]).
    pub issuer: Option<Regex>,
    /// For bundles signed with a managed key instead of a Fulcio certificate.
    pub key: Option<PublicKey>,
}

/// What a verified bundle established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub bundle_version: &'static str,
    /// The certificate's identities (empty for key-signed bundles).
    pub identities: Vec<String>,
    pub issuer: Option<String>,
    pub log_url: String,
    pub log_index: i64,
    pub entry_kind: String,
    /// Verified times (Unix seconds) the signature is known to have existed at, with source.
    pub timestamps: Vec<(&'static str, i64)>,
    /// `"artifact"` or the DSSE payload type.
    pub content: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    media_type: String,
    verification_material: RawMaterial,
    message_signature: Option<RawMessageSignature>,
    dsse_envelope: Option<dsse::Envelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMaterial {
    certificate: Option<RawCert>,
    x509_certificate_chain: Option<RawChain>,
    public_key: Option<Value>,
    #[serde(default)]
    tlog_entries: Vec<RawEntry>,
    timestamp_verification_data: Option<RawTimestamps>,
}

#[derive(Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawCert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTimestamps {
    #[serde(default)]
    rfc3161_timestamps: Vec<RawSignedTimestamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSignedTimestamp {
    signed_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: Option<RawDigest>,
    signature: String,
}

#[derive(Deserialize)]
struct RawDigest {
    algorithm: String,
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    log_index: Value,
    log_id: RawLogId,
    kind_version: RawKindVersion,
    integrated_time: Option<Value>,
    inclusion_promise: Option<RawPromise>,
    inclusion_proof: Option<RawProof>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
struct RawKindVersion {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPromise {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    log_index: Value,
    root_hash: String,
    tree_size: Value,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
struct RawCheckpoint {
    envelope: String,
}

/// Protobuf JSON writes 64-bit integers as strings; accept both.
fn int(v: &Value, what: &str) -> Result<i64, Error> {
    let n = match v {
        Value::String(s) => s.parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    n.ok_or_else(|| Error::Malformed(format!("{what} is not an integer")))
}

fn media_version(media_type: &str) -> Result<&'static str, Error> {
    match media_type {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => Ok("0.1"),
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => Ok("0.2"),
        "application/vnd.dev.sigstore.bundle+json;version=0.3"
        | "application/vnd.dev.sigstore.bundle.v0.3+json" => Ok("0.3"),
        other => refuse(format!(
            "unsupported bundle media type `{other}` (supported: Sigstore bundle v0.1 to v0.3)"
        )),
    }
}

/// What was signed, as the bundle presents it.
enum Content {
    Message {
        digest: Option<RawDigest>,
        signature: Vec<u8>,
    },
    Dsse {
        envelope: dsse::Envelope,
        payload: Vec<u8>,
        signature: Vec<u8>,
    },
}

impl Content {
    fn signature(&self) -> &[u8] {
        match self {
            Self::Message { signature, .. } | Self::Dsse { signature, .. } => signature,
        }
    }
}

/// The signer: a Fulcio certificate or a managed key.
struct Signer {
    cert: Option<Cert>,
    key: PublicKey,
    /// SubjectPublicKeyInfo DER, to compare with what the log recorded.
    spki: Vec<u8>,
}

/// Verifies `bundle_json` for `artifact` against `root` and `policy`.
pub fn verify(
    bundle_json: &str,
    artifact: &[u8],
    root: &TrustedRoot,
    policy: &Policy,
) -> Result<Verified, Error> {
    let raw: RawBundle = serde_json::from_str(bundle_json)
        .map_err(|e| Error::Malformed(format!("not a Sigstore bundle: {e}")))?;
    let version = media_version(&raw.media_type)?;
    let material = &raw.verification_material;
    let artifact_sha256: [u8; 32] = Sha256::digest(artifact).into();

    let signer = signer(material, version, policy)?;
    let content = content(&raw)?;
    check_signature(&content, &signer, artifact, &artifact_sha256)?;

    let [entry] = material.tlog_entries.as_slice() else {
        return if material.tlog_entries.is_empty() {
            refuse("the bundle has no transparency log entry")
        } else {
            refuse("the bundle must have exactly one transparency log entry")
        };
    };
    let mut timestamps = Vec::new();
    let (log_url, log_index) = entry::check_entry(
        entry,
        version,
        root,
        &content,
        &signer,
        &artifact_sha256,
        &mut timestamps,
    )?;

    for (i, ts) in material
        .timestamp_verification_data
        .iter()
        .flat_map(|t| &t.rfc3161_timestamps)
        .enumerate()
    {
        let der = b64(&ts.signed_timestamp, "signedTimestamp").map_err(Error::malformed)?;
        let t = tsa::verify(&der, content.signature(), &root.timestamp_authorities)
            .map_err(|e| Error::Refused(format!("RFC 3161 timestamp {i}: {e}")))?;
        timestamps.push(("rfc3161", t));
    }
    if timestamps.is_empty() {
        return refuse(
            "no verified signing time: the bundle has neither a signed entry timestamp nor an RFC 3161 timestamp",
        );
    }

    let (identities, issuer) = match &signer.cert {
        Some(cert) => check_certificate(cert, root, &timestamps, policy)?,
        None => (Vec::new(), None),
    };
    Ok(Verified {
        bundle_version: version,
        identities,
        issuer,
        log_url,
        log_index,
        entry_kind: format!("{}/{}", entry.kind_version.kind, entry.kind_version.version),
        timestamps,
        content: match &content {
            Content::Message { .. } => "artifact".into(),
            Content::Dsse { envelope, .. } => envelope.payload_type.clone(),
        },
    })
}

fn signer(material: &RawMaterial, version: &str, policy: &Policy) -> Result<Signer, Error> {
    let leaf = match (
        &material.certificate,
        &material.x509_certificate_chain,
        &material.public_key,
    ) {
        (Some(c), _, _) => {
            if version != "0.3" {
                return Err(Error::Malformed(format!(
                    "a single `certificate` is a v0.3 field; this bundle is v{version}"
                )));
            }
            Some(decode_cert(&c.raw_bytes)?)
        }
        (None, Some(chain), _) => {
            let certs = chain
                .certificates
                .iter()
                .map(|c| decode_cert(&c.raw_bytes))
                .collect::<Result<Vec<_>, _>>()?;
            let Some(leaf) = certs.first() else {
                return refuse("the bundle's certificate chain is empty");
            };
            if certs.iter().any(Cert::is_self_signed) {
                return refuse(
                    "the bundle's certificate chain contains a root certificate: roots come from the trusted root only",
                );
            }
            Some(leaf.clone())
        }
        (None, None, Some(_)) => None,
        (None, None, None) => {
            return Err(Error::Malformed(
                "verificationMaterial has no certificate, chain or public key".into(),
            ));
        }
    };
    if let Some(cert) = leaf {
        let key = cert
            .public_key()
            .map_err(|e| Error::Refused(format!("signing certificate: {e}")))?;
        Ok(Signer {
            spki: cert.spki_der(),
            key,
            cert: Some(cert),
        })
    } else {
        let key = policy.key.clone().ok_or_else(|| {
            Error::Refused(
                "the bundle is signed with a managed key: pass that public key (--key)".into(),
            )
        })?;
        Ok(Signer {
            spki: key.spki_der(),
            key,
            cert: None,
        })
    }
}

fn decode_cert(raw: &str) -> Result<Cert, Error> {
    let der = b64(raw, "certificate").map_err(Error::malformed)?;
    Cert::from_der(&der).map_err(|e| Error::Malformed(format!("certificate: {e}")))
}

fn content(raw: &RawBundle) -> Result<Content, Error> {
    match (&raw.message_signature, &raw.dsse_envelope) {
        (Some(m), None) => Ok(Content::Message {
            digest: m.message_digest.as_ref().map(|d| RawDigest {
                algorithm: d.algorithm.clone(),
                digest: d.digest.clone(),
            }),
            signature: b64(&m.signature, "messageSignature.signature").map_err(Error::malformed)?,
        }),
        (None, Some(env)) => {
            let [sig] = env.signatures.as_slice() else {
                return refuse("the DSSE envelope must carry exactly one signature");
            };
            Ok(Content::Dsse {
                payload: b64(&env.payload, "dsseEnvelope.payload").map_err(Error::malformed)?,
                signature: b64(&sig.sig, "dsseEnvelope.signatures[0].sig")
                    .map_err(Error::malformed)?,
                envelope: env.clone(),
            })
        }
        _ => Err(Error::Malformed(
            "a bundle holds exactly one of messageSignature and dsseEnvelope".into(),
        )),
    }
}

fn check_signature(
    content: &Content,
    signer: &Signer,
    artifact: &[u8],
    artifact_sha256: &[u8; 32],
) -> Result<(), Error> {
    match content {
        Content::Message { digest, signature } => {
            if let Some(d) = digest {
                if d.algorithm != "SHA2_256" {
                    return refuse(format!(
                        "unsupported message digest algorithm {}",
                        d.algorithm
                    ));
                }
                let recorded = b64(&d.digest, "messageDigest.digest").map_err(Error::malformed)?;
                if recorded != artifact_sha256 {
                    return refuse("the bundle's message digest is not the artifact's SHA-256");
                }
            }
            // ECDSA signs the digest named in the bundle (SHA-256 whatever the curve); without
            // one, the key's own hash. Ed25519 signs the artifact itself.
            let ok = match &signer.key {
                PublicKey::Ed25519(_) => signer.key.verify(artifact, signature, pki::Hash::Sha256),
                key if digest.is_some() => key.verify_prehash(artifact_sha256, signature),
                key => key.verify(artifact, signature, key.default_hash()),
            };
            if !ok {
                return refuse(
                    "the signature does not verify for this artifact with the signer's key",
                );
            }
        }
        Content::Dsse {
            envelope,
            payload,
            signature,
        } => {
            let pae = dsse::pae(&envelope.payload_type, payload);
            if !signer
                .key
                .verify(&pae, signature, signer.key.default_hash())
            {
                return refuse(
                    "the DSSE envelope's signature does not verify with the signer's key",
                );
            }
            if envelope.payload_type == dsse::IN_TOTO_PAYLOAD_TYPE {
                let statement: Value = serde_json::from_slice(payload).map_err(|e| {
                    Error::Refused(format!("the in-toto statement is not JSON: {e}"))
                })?;
                let want = hex::encode(artifact_sha256);
                let covered = statement["subject"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|s| s["digest"]["sha256"].as_str() == Some(want.as_str()));
                if !covered {
                    return refuse(format!(
                        "the artifact (sha256:{want}) is not a subject of the in-toto statement"
                    ));
                }
            } else {
                return refuse(format!(
                    "unsupported DSSE payload type `{}`: expected {}",
                    envelope.payload_type,
                    dsse::IN_TOTO_PAYLOAD_TYPE
                ));
            }
        }
    }
    Ok(())
}

/// The certificate must chain to a trusted Fulcio CA, every link valid at every verified
/// signing time, and name the identity and issuer the policy asks for.
fn check_certificate(
    cert: &Cert,
    root: &TrustedRoot,
    timestamps: &[(&'static str, i64)],
    policy: &Policy,
) -> Result<(Vec<String>, Option<String>), Error> {
    for (source, t) in timestamps {
        if !cert.valid_at(*t) {
            let (a, b) = cert.validity();
            return refuse(format!(
                "the signing certificate (valid {a}..{b}) was not valid at the {source} {t}"
            ));
        }
    }
    if cert.is_ca() {
        return refuse("the signing certificate is a CA certificate");
    }
    if !cert.allows_code_signing() {
        return refuse("the signing certificate does not allow code signing");
    }
    let mut reasons = Vec::new();
    let times: Vec<i64> = timestamps.iter().map(|(_, t)| *t).collect();
    let source_of = |t: i64| {
        timestamps
            .iter()
            .find(|(_, x)| *x == t)
            .map_or("", |(s, _)| *s)
    };
    let ca = root.certificate_authorities.iter().find(|ca| {
        let r = ca.verify_chain(cert, &times).map_err(|e| match e {
            trust::ChainError::Link(e) => e,
            trust::ChainError::AuthorityNotTrusted(t) => {
                format!("{} is not trusted at the {} {t}", ca.uri, source_of(t))
            }
            trust::ChainError::CertificateNotValid(t) => {
                format!(
                    "{}'s chain is not valid at the {} {t}",
                    ca.uri,
                    source_of(t)
                )
            }
        });
        r.map_err(|e| reasons.push(e)).is_ok()
    });
    let Some(ca) = ca else {
        let detail = reasons
            .into_iter()
            .filter(|r| !r.contains("issuer name"))
            .collect::<Vec<_>>()
            .join("; ");
        return refuse(format!(
            "the signing certificate does not chain to a Fulcio CA the trusted root trusts at the signing time{}",
            if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            }
        ));
    };
    sct::verify_embedded(cert, &ca.chain[0], &root.ctlogs).map_err(Error::refused)?;
    let identities = cert.identities();
    let issuer = cert.oidc_issuer();
    if let Some(re) = &policy.identity
        && !identities.iter().any(|i| full_match(re, i))
    {
        return refuse(format!(
            "identity mismatch: the certificate names {identities:?}, none matching `{}`",
            re.as_str()
        ));
    }
    if let Some(re) = &policy.issuer
        && !issuer.as_deref().is_some_and(|i| full_match(re, i))
    {
        return refuse(format!(
            "issuer mismatch: the certificate's OIDC issuer is {issuer:?}, not matching `{}`",
            re.as_str()
        ));
    }
    Ok((identities, issuer))
}

fn full_match(re: &Regex, s: &str) -> bool {
    re.is_match(s)
}

/// Compiles a policy pattern so that it must match the whole value (as cosign's
/// `--certificate-identity-regexp` users expect: `https://github.com/org/.*` must not match a
/// value that merely contains it).
pub fn whole_value_pattern(pattern: &str) -> Result<Regex, Reason> {
    Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| Reason(format!("invalid pattern `{pattern}`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_root() -> TrustedRoot {
        TrustedRoot::parse(
            r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#,
        )
        .unwrap()
    }

    #[test]
    fn garbage_is_malformed_or_refused_never_accepted() {
        let root = empty_root();
        for bundle in [
            "",
            "null",
            "{}",
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{}}"#,
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"messageSignature":{"signature":"AAAA"}}"#,
        ] {
            assert!(
                verify(bundle, b"a", &root, &Policy::default()).is_err(),
                "{bundle}"
            );
        }
    }

    #[test]
    fn whole_value_patterns_do_not_match_substrings() {
        let re = whole_value_pattern("a|ab").unwrap();
        assert!(full_match(&re, "ab") && full_match(&re, "a"));
        assert!(!full_match(&re, "abc") && !full_match(&re, "xab"));
        assert!(whole_value_pattern("(").is_err());
    }

    proptest::proptest! {
        #[test]
        fn verify_never_panics(s in "\\PC{0,400}") {
            let _ = verify(&s, b"x", &empty_root(), &Policy::default());
        }

        #[test]
        fn trusted_root_parser_never_panics(s in "\\PC{0,400}") {
            let _ = TrustedRoot::parse(&s);
        }
    }
}
