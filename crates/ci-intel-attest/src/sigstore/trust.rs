//! The Sigstore trusted root (`application/vnd.dev.sigstore.trustedroot+json`): which Fulcio
//! CAs, Rekor logs, CT logs and timestamp authorities to trust, each for a time range.

use super::Reason;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::pki::{Cert, PublicKey};

/// A closed interval of Unix seconds; `end` absent means still valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub start: i64,
    pub end: Option<i64>,
}

impl Validity {
    /// Both ends are inclusive (the trusted root's `TimeRange` is closed).
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && self.end.is_none_or(|e| t <= e)
    }
}

/// A transparency log (Rekor or CT) the root trusts.
#[derive(Debug, Clone)]
pub struct Log {
    pub base_url: String,
    /// The log id: SHA-256 of the key's SubjectPublicKeyInfo (Rekor v1, CT) or the key id
    /// the log declares.
    pub key_id: Vec<u8>,
    /// `None` when the key is of a kind this verifier cannot use (RSA CT logs).
    pub key: Option<PublicKey>,
    pub validity: Validity,
}

/// A certificate authority (Fulcio) or timestamp authority: its chain, leaf-most first.
#[derive(Debug, Clone)]
pub struct Authority {
    pub uri: String,
    pub chain: Vec<Cert>,
    pub validity: Validity,
}

/// Why a certificate does not chain to an authority at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// A link of the path does not verify (the reason).
    Link(String),
    /// The trusted root does not trust the authority at this time.
    AuthorityNotTrusted(i64),
    /// A certificate of the path is not valid at this time.
    CertificateNotValid(i64),
}

impl Authority {
    /// Checks that `cert` chains to this authority and that, at every time of `times`, the
    /// authority is trusted and every certificate of the path valid. `cert` may be the
    /// authority's own leaf. The authority's chain is trusted as the root lists it, so its
    /// root's self-signature proves nothing more and is not checked.
    pub fn verify_chain(&self, cert: &Cert, times: &[i64]) -> Result<(), ChainError> {
        let mut path: Vec<&Cert> = vec![cert];
        let own_leaf = self.chain.first().is_some_and(|c| c.der == cert.der);
        path.extend(self.chain.iter().skip(usize::from(own_leaf)));
        for pair in path.windows(2) {
            pair[0]
                .signed_by(pair[1])
                .map_err(|r| ChainError::Link(r.0))?;
        }
        for &t in times {
            if !self.validity.contains(t) {
                return Err(ChainError::AuthorityNotTrusted(t));
            }
            if path.iter().any(|c| !c.valid_at(t)) {
                return Err(ChainError::CertificateNotValid(t));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct TrustedRoot {
    pub tlogs: Vec<Log>,
    pub ctlogs: Vec<Log>,
    pub certificate_authorities: Vec<Authority>,
    pub timestamp_authorities: Vec<Authority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawAuthority>,
    #[serde(default)]
    timestamp_authorities: Vec<RawAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    #[serde(default)]
    base_url: String,
    public_key: RawKey,
    log_id: RawLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: String,
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
struct RawValidity {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    #[serde(default)]
    uri: String,
    cert_chain: RawChain,
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
struct RawChain {
    certificates: Vec<RawCert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawCert {
    pub raw_bytes: String,
}

fn rfc3339(s: &str, what: &str) -> Result<i64, Reason> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(time::OffsetDateTime::unix_timestamp)
        .map_err(|e| Reason(format!("{what}: `{s}` is not an RFC 3339 time: {e}")))
}

/// A `validFor` must have a start: a range without one is a malformed root, not "always".
fn validity(raw: Option<&RawValidity>, what: &str) -> Result<Validity, Reason> {
    let raw = raw.ok_or_else(|| format!("{what}: no validFor"))?;
    let start = raw
        .start
        .as_deref()
        .ok_or_else(|| format!("{what}: validFor has no start"))?;
    Ok(Validity {
        start: rfc3339(start, what)?,
        end: raw.end.as_deref().map(|e| rfc3339(e, what)).transpose()?,
    })
}

/// Standard base64; line breaks are ignored, as Go's decoder (which wrote these files) does.
pub(crate) fn b64(s: &str, what: &str) -> Result<Vec<u8>, Reason> {
    let compact: String;
    let s = if s.contains(['\n', '\r']) {
        compact = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        &compact
    } else {
        s
    };
    STANDARD
        .decode(s.trim())
        .map_err(|e| Reason(format!("{what}: invalid base64: {e}")))
}

fn log(raw: &RawLog, what: &str) -> Result<Log, Reason> {
    let der = b64(&raw.public_key.raw_bytes, what)?;
    Ok(Log {
        base_url: raw.base_url.clone(),
        key_id: b64(&raw.log_id.key_id, what)?,
        key: PublicKey::from_spki_der(&der).ok(),
        validity: validity(raw.public_key.valid_for.as_ref(), what)?,
    })
}

fn authority(raw: &RawAuthority, what: &str) -> Result<Authority, Reason> {
    let chain = raw
        .cert_chain
        .certificates
        .iter()
        .map(|c| Cert::from_der(&b64(&c.raw_bytes, what)?).map_err(|e| format!("{what}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    if chain.is_empty() {
        return Err(Reason(format!("{what}: empty certificate chain")));
    }
    Ok(Authority {
        uri: raw.uri.clone(),
        chain,
        validity: validity(raw.valid_for.as_ref(), what)?,
    })
}

impl TrustedRoot {
    pub fn parse(text: &str) -> Result<Self, Reason> {
        let raw: RawRoot =
            serde_json::from_str(text).map_err(|e| format!("not a Sigstore trusted root: {e}"))?;
        if !raw
            .media_type
            .starts_with("application/vnd.dev.sigstore.trustedroot")
        {
            return Err(Reason(format!(
                "unexpected mediaType `{}`: expected application/vnd.dev.sigstore.trustedroot+json",
                raw.media_type
            )));
        }
        let mut root = Self {
            tlogs: Vec::new(),
            ctlogs: Vec::new(),
            certificate_authorities: Vec::new(),
            timestamp_authorities: Vec::new(),
        };
        for (i, l) in raw.tlogs.iter().enumerate() {
            root.tlogs.push(log(l, &format!("tlogs[{i}]"))?);
        }
        for (i, l) in raw.ctlogs.iter().enumerate() {
            root.ctlogs.push(log(l, &format!("ctlogs[{i}]"))?);
        }
        for (i, a) in raw.certificate_authorities.iter().enumerate() {
            root.certificate_authorities
                .push(authority(a, &format!("certificateAuthorities[{i}]"))?);
        }
        for (i, a) in raw.timestamp_authorities.iter().enumerate() {
            root.timestamp_authorities
                .push(authority(a, &format!("timestampAuthorities[{i}]"))?);
        }
        Ok(root)
    }

    /// The Rekor log whose id is `key_id`.
    pub fn tlog(&self, key_id: &[u8]) -> Option<&Log> {
        self.tlogs.iter().find(|l| l.key_id == key_id)
    }
}
