//! Public keys and X.509 certificates as Sigstore uses them: ECDSA P-256 / P-384 and Ed25519
//! keys, certificate signatures, validity windows, the identity (SAN) and the OIDC issuer
//! extensions Fulcio writes.

use super::Reason;
use base64::Engine as _;
use der::{Decode as _, Encode as _};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use spki::DecodePublicKey as _;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;

/// The hash a signature was made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// A key that verifies signatures in bundles, logs, checkpoints and certificates.
#[derive(Debug, Clone)]
pub enum PublicKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    /// RSA appears in CA and CT log keys of private Sigstore deployments; PKCS#1 v1.5 only.
    Rsa(rsa::RsaPublicKey),
}

impl PublicKey {
    /// From a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, Reason> {
        if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::P256(k));
        }
        if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::P384(k));
        }
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::Ed25519(k));
        }
        if let Ok(k) = rsa::RsaPublicKey::from_public_key_der(der) {
            return Ok(Self::Rsa(k));
        }
        Err("unsupported public key: expected ECDSA P-256, ECDSA P-384, Ed25519 or RSA".into())
    }

    /// From a PEM `PUBLIC KEY` block.
    pub fn from_pem(pem: &str) -> Result<Self, Reason> {
        let (label, der) = pem_decode(pem)?;
        if label != "PUBLIC KEY" {
            return Err(Reason(format!(
                "expected a PUBLIC KEY PEM block, found {label}"
            )));
        }
        Self::from_spki_der(&der)
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        use spki::EncodePublicKey as _;
        let der = match self {
            Self::P256(k) => k.to_public_key_der(),
            Self::P384(k) => k.to_public_key_der(),
            Self::Ed25519(k) => k.to_public_key_der(),
            Self::Rsa(k) => k.to_public_key_der(),
        };
        der.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// The hash Sigstore pairs with this key when signing artifacts.
    pub fn default_hash(&self) -> Hash {
        match self {
            Self::P384(_) => Hash::Sha384,
            Self::P256(_) | Self::Ed25519(_) | Self::Rsa(_) => Hash::Sha256,
        }
    }

    /// Verifies `sig` (DER for ECDSA, 64 bytes for Ed25519) over `message` hashed with `hash`
    /// (Ed25519 signs the message itself).
    pub fn verify(&self, message: &[u8], sig: &[u8], hash: Hash) -> bool {
        match self {
            Self::Ed25519(k) => {
                use ed25519_dalek::Verifier as _;
                ed25519_dalek::Signature::from_slice(sig).is_ok_and(|s| {
                    k.verify_strict(message, &s).is_ok() && k.verify(message, &s).is_ok()
                })
            }
            _ => self.verify_prehash(&hash.digest(message), sig),
        }
    }

    /// Verifies an ECDSA or RSA `sig` over an already computed digest (Sigstore's
    /// hashedrekord); the digest's length tells RSA which hash it is.
    pub fn verify_prehash(&self, digest: &[u8], sig: &[u8]) -> bool {
        use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
        match self {
            Self::P256(k) => p256::ecdsa::Signature::from_der(sig)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            Self::P384(k) => p384::ecdsa::Signature::from_der(sig)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            Self::Rsa(k) => {
                let scheme = match digest.len() {
                    32 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                    48 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                    64 => rsa::Pkcs1v15Sign::new::<Sha512>(),
                    _ => return false,
                };
                k.verify(scheme, digest, sig).is_ok()
            }
            Self::Ed25519(_) => false,
        }
    }
}

/// Decodes the first PEM block in `text` into its label and bytes. Lenient about line length
/// and surrounding text, as Rekor is: it records PEM written on a single line too.
pub fn pem_decode(text: &str) -> Result<(String, Vec<u8>), Reason> {
    let start = text
        .find("-----BEGIN ")
        .ok_or("not PEM: no `-----BEGIN` line")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let (label, rest) = rest
        .split_once("-----")
        .ok_or("not PEM: unterminated BEGIN line")?;
    let end_marker = format!("-----END {label}-----");
    let (body, _) = rest
        .split_once(&end_marker)
        .ok_or_else(|| format!("not PEM: no `{end_marker}` line"))?;
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("not PEM: invalid base64: {e}"))?;
    Ok((label.to_owned(), der))
}

/// A parsed certificate together with the exact bytes it was parsed from.
#[derive(Debug, Clone)]
pub struct Cert {
    pub der: Vec<u8>,
    pub cert: Certificate,
}

const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
const ED25519: &str = "1.3.101.112";
const RSA_SHA256: &str = "1.2.840.113549.1.1.11";
const RSA_SHA384: &str = "1.2.840.113549.1.1.12";
const RSA_SHA512: &str = "1.2.840.113549.1.1.13";
/// Fulcio's OIDC issuer, v1 (raw string) and v2 (DER UTF8String).
const FULCIO_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
const FULCIO_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
const SUBJECT_ALT_NAME: &str = "2.5.29.17";
const BASIC_CONSTRAINTS: &str = "2.5.29.19";
const EXTENDED_KEY_USAGE: &str = "2.5.29.37";
const CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";

impl Cert {
    pub fn from_der(der: &[u8]) -> Result<Self, Reason> {
        let cert =
            Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        Ok(Self {
            der: der.to_vec(),
            cert,
        })
    }

    pub fn from_pem(pem: &str) -> Result<Self, Reason> {
        let (label, der) = pem_decode(pem)?;
        if label != "CERTIFICATE" {
            return Err(Reason(format!(
                "expected a CERTIFICATE PEM block, found {label}"
            )));
        }
        Self::from_der(&der)
    }

    pub fn public_key(&self) -> Result<PublicKey, Reason> {
        let spki = self
            .cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| e.to_string())?;
        PublicKey::from_spki_der(&spki)
    }

    /// DER of the subject public key info (what CT's issuer key hash covers).
    pub fn spki_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap_or_default()
    }

    /// `[not_before, not_after]` in Unix seconds.
    pub fn validity(&self) -> (i64, i64) {
        let v = &self.cert.tbs_certificate.validity;
        let secs = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
        (secs(&v.not_before), secs(&v.not_after))
    }

    pub fn valid_at(&self, unix: i64) -> bool {
        let (a, b) = self.validity();
        a <= unix && unix <= b
    }

    pub fn subject_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate
            .subject
            .to_der()
            .unwrap_or_default()
    }

    pub fn issuer_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate
            .issuer
            .to_der()
            .unwrap_or_default()
    }

    pub fn is_self_signed(&self) -> bool {
        self.subject_der() == self.issuer_der() && self.signed_by(self).is_ok()
    }

    /// The exact to-be-signed bytes: the first element of the outer SEQUENCE, as encoded.
    fn tbs_bytes(&self) -> Result<&[u8], Reason> {
        let (_, inner) = der_tlv(&self.der).ok_or("truncated certificate")?;
        let (tbs, _) = der_tlv(inner).ok_or("truncated certificate body")?;
        Ok(tbs)
    }

    /// Checks that `issuer` signed this certificate.
    pub fn signed_by(&self, issuer: &Cert) -> Result<(), Reason> {
        if self.issuer_der() != issuer.subject_der() {
            return Err("issuer name does not match".into());
        }
        let key = issuer.public_key()?;
        let alg = self.cert.signature_algorithm.oid.to_string();
        let sig = self
            .cert
            .signature
            .as_bytes()
            .ok_or("certificate signature has unused bits")?;
        let tbs = self.tbs_bytes()?;
        let ok = match alg.as_str() {
            ECDSA_SHA256 | RSA_SHA256 => key.verify_prehash(&Hash::Sha256.digest(tbs), sig),
            ECDSA_SHA384 | RSA_SHA384 => key.verify_prehash(&Hash::Sha384.digest(tbs), sig),
            ECDSA_SHA512 | RSA_SHA512 => key.verify_prehash(&Hash::Sha512.digest(tbs), sig),
            ED25519 => key.verify(tbs, sig, Hash::Sha256),
            other => {
                return Err(Reason(format!(
                    "unsupported certificate signature algorithm {other}"
                )));
            }
        };
        if ok {
            Ok(())
        } else {
            Err("certificate signature does not verify".into())
        }
    }

    fn extension(&self, oid: &str) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id.to_string() == oid)
            .map(|e| e.extn_value.as_bytes())
    }

    /// Whether the certificate says it is a CA.
    pub fn is_ca(&self) -> bool {
        self.extension(BASIC_CONSTRAINTS)
            .and_then(|v| x509_cert::ext::pkix::BasicConstraints::from_der(v).ok())
            .is_some_and(|b| b.ca)
    }

    /// Whether the extended key usage allows code signing (Fulcio always sets it).
    pub fn allows_code_signing(&self) -> bool {
        self.extension(EXTENDED_KEY_USAGE)
            .and_then(|v| x509_cert::ext::pkix::ExtendedKeyUsage::from_der(v).ok())
            .is_some_and(|eku| eku.0.iter().any(|o| o.to_string() == CODE_SIGNING))
    }

    /// The subject alternative names a signer identity is matched against: URIs, e-mail
    /// addresses and UTF-8 other names (Fulcio's username SAN).
    pub fn identities(&self) -> Vec<String> {
        let Some(v) = self.extension(SUBJECT_ALT_NAME) else {
            return Vec::new();
        };
        let Ok(names) = x509_cert::ext::pkix::SubjectAltName::from_der(v) else {
            return Vec::new();
        };
        names
            .0
            .iter()
            .filter_map(|n| match n {
                GeneralName::UniformResourceIdentifier(s) => Some(s.to_string()),
                GeneralName::Rfc822Name(s) => Some(s.to_string()),
                GeneralName::OtherName(o) => o
                    .value
                    .decode_as::<der::asn1::Utf8StringRef<'_>>()
                    .ok()
                    .map(|s| s.as_str().to_owned()),
                _ => None,
            })
            .collect()
    }

    /// The OIDC issuer Fulcio recorded (v2 extension first, then the deprecated v1).
    pub fn oidc_issuer(&self) -> Option<String> {
        if let Some(v) = self.extension(FULCIO_ISSUER_V2) {
            return der::asn1::Utf8StringRef::from_der(v)
                .ok()
                .map(|s| s.as_str().to_owned());
        }
        self.extension(FULCIO_ISSUER_V1)
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(str::to_owned)
    }
}

/// Splits one DER TLV off the front of `bytes`: `(whole element, its contents)`; the rest of
/// the input is ignored. `None` when the header or length is malformed or runs past the end.
pub(crate) fn der_tlv(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let first_len = *bytes.get(1)?;
    let (header, len) = if first_len < 0x80 {
        (2usize, first_len as usize)
    } else {
        let n = (first_len & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *bytes.get(2 + i)? as usize;
        }
        (2 + n, len)
    };
    let end = header.checked_add(len)?;
    if end > bytes.len() {
        return None;
    }
    Some((&bytes[..end], &bytes[header..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_tlv_refuses_truncation() {
        assert_eq!(der_tlv(&[0x30, 0x02, 0x05, 0x00]).unwrap().1, &[0x05, 0x00]);
        assert!(der_tlv(&[0x30, 0x03, 0x05, 0x00]).is_none());
        assert!(der_tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(der_tlv(&[0x30]).is_none());
    }

    #[test]
    fn garbage_is_not_a_key_or_certificate() {
        assert!(PublicKey::from_spki_der(b"nonsense").is_err());
        assert!(Cert::from_der(&[0x30, 0x03, 1, 2, 3]).is_err());
        assert!(
            Cert::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----").is_err()
        );
    }
}
