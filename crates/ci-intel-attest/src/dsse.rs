//! DSSE envelopes (Dead Simple Signing Envelope, v1.0): the signature covers the
//! pre-authentication encoding of the payload type and the payload, never the JSON around it.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde::{Deserialize, Serialize};

use crate::keys::{SigningKey, VerifyingKey};

/// The in-toto payload type.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Base64 of the payload bytes.
    pub payload: String,
    pub payload_type: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the signature bytes.
    pub sig: String,
}

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII
/// decimal byte counts.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Signs `payload` as `payload_type`.
pub fn sign(key: &SigningKey, payload_type: &str, payload: &[u8]) -> Envelope {
    let sig = key.sign(&pae(payload_type, payload));
    Envelope {
        payload: STANDARD.encode(payload),
        payload_type: payload_type.to_owned(),
        signatures: vec![Signature {
            keyid: key.verifying_key().key_id(),
            sig: STANDARD.encode(sig),
        }],
    }
}

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The envelope is not DSSE JSON, or its base64 is broken.
    Malformed(String),
    NoSignatures,
    /// No signature verifies with any of the keys.
    BadSignature,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Malformed(m) => write!(f, "not a DSSE envelope: {m}"),
            Self::NoSignatures => f.write_str("the envelope has no signatures"),
            Self::BadSignature => {
                f.write_str("no signature of the envelope verifies with the given key(s)")
            }
        }
    }
}

impl std::error::Error for VerifyError {}

/// Base64 in either alphabet, as the DSSE spec allows.
fn decode(s: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(s)
        .or_else(|_| URL_SAFE.decode(s))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s))
        .ok()
}

/// Parses an envelope from JSON.
pub fn parse(text: &str) -> Result<Envelope, VerifyError> {
    serde_json::from_str(text).map_err(|e| {
        VerifyError::Malformed(format!(
            "line {} column {}: expected {{\"payload\", \"payloadType\", \"signatures\"}}: {e}",
            e.line(),
            e.column()
        ))
    })
}

/// Verifies that at least one signature is by one of `keys`; returns the payload bytes and the
/// key id that verified. Nothing in the payload is trusted before this succeeds.
pub fn verify(env: &Envelope, keys: &[VerifyingKey]) -> Result<(Vec<u8>, String), VerifyError> {
    let payload = decode(&env.payload)
        .ok_or_else(|| VerifyError::Malformed("`payload` is not base64".into()))?;
    if env.signatures.is_empty() {
        return Err(VerifyError::NoSignatures);
    }
    let message = pae(&env.payload_type, &payload);
    for s in &env.signatures {
        let Some(sig) = decode(&s.sig) else { continue };
        for k in keys {
            if k.verify(&message, &sig) {
                return Ok((payload, k.key_id()));
            }
        }
    }
    Err(VerifyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        // The DSSE protocol document's worked example.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn sign_then_verify_and_tamper() {
        let k = SigningKey::generate().unwrap();
        let v = k.verifying_key();
        let env = sign(&k, IN_TOTO_PAYLOAD_TYPE, b"{\"a\":1}");
        let (payload, id) = verify(&env, std::slice::from_ref(&v)).unwrap();
        assert_eq!(payload, b"{\"a\":1}");
        assert_eq!(id, v.key_id());
        let mut t = env.clone();
        t.payload_type = "text/plain".into();
        assert_eq!(
            verify(&t, std::slice::from_ref(&v)),
            Err(VerifyError::BadSignature)
        );
        let mut t = env.clone();
        t.payload = STANDARD.encode(b"{\"a\":2}");
        assert_eq!(
            verify(&t, std::slice::from_ref(&v)),
            Err(VerifyError::BadSignature)
        );
        let other = SigningKey::generate().unwrap().verifying_key();
        assert_eq!(verify(&env, &[other]), Err(VerifyError::BadSignature));
        let mut t = env;
        t.signatures.clear();
        assert_eq!(verify(&t, &[v]), Err(VerifyError::NoSignatures));
    }

    proptest::proptest! {
        #[test]
        fn garbage_envelopes_never_panic(text in "\\PC{0,300}") {
            if let Ok(env) = parse(&text) {
                let k = SigningKey::generate().unwrap().verifying_key();
                let _ = verify(&env, &[k]);
            }
        }
    }
}
