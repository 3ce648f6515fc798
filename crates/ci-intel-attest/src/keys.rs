//! Keys in standard PEM: Ed25519 private keys as PKCS#8 (`BEGIN PRIVATE KEY`), public keys as
//! SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`) — Ed25519, or ECDSA P-256 as cosign writes them.

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signer as _, Verifier as _};
use sha2::{Digest as _, Sha256};

/// Why a key could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the system has no random source")]
    Randomness(#[source] getrandom::Error),
    #[error("expected an Ed25519 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`)")]
    PrivateKey(#[source] ed25519_dalek::pkcs8::Error),
    #[error(
        "expected an Ed25519 or ECDSA P-256 public key in SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`)"
    )]
    PublicKey(#[source] p256::pkcs8::spki::Error),
    /// The PEM encoder refused the key (its errors are not `std::error::Error` everywhere).
    #[error("cannot encode the key as PEM: {0}")]
    Encode(String),
}

/// A key that signs envelopes.
#[derive(Debug)]
pub struct SigningKey(ed25519_dalek::SigningKey);

/// A key that verifies signatures.
#[derive(Debug, Clone)]
pub enum VerifyingKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    EcdsaP256(p256::ecdsa::VerifyingKey),
}

impl SigningKey {
    /// A new Ed25519 key from the operating system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(KeyError::Randomness)?;
        Ok(Self(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(Self)
            .map_err(KeyError::PrivateKey)
    }

    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.0
            .to_pkcs8_pem(Default::default())
            .map(|z| z.to_string())
            .map_err(|e| KeyError::Encode(e.to_string()))
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey::Ed25519(self.0.verifying_key())
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0.sign(message).to_bytes().to_vec()
    }
}

impl VerifyingKey {
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
            return Ok(Self::Ed25519(k));
        }
        p256::ecdsa::VerifyingKey::from_public_key_pem(pem)
            .map(Self::EcdsaP256)
            .map_err(KeyError::PublicKey)
    }

    pub fn to_pem(&self) -> Result<String, KeyError> {
        let r = match self {
            Self::Ed25519(k) => k.to_public_key_pem(Default::default()),
            Self::EcdsaP256(k) => {
                p256::pkcs8::EncodePublicKey::to_public_key_pem(k, Default::default())
            }
        };
        r.map_err(|e| KeyError::Encode(e.to_string()))
    }

    /// The DER of the SubjectPublicKeyInfo.
    fn spki_der(&self) -> Vec<u8> {
        let r = match self {
            Self::Ed25519(k) => k.to_public_key_der().map(|d| d.as_bytes().to_vec()),
            Self::EcdsaP256(k) => {
                p256::pkcs8::EncodePublicKey::to_public_key_der(k).map(|d| d.as_bytes().to_vec())
            }
        };
        r.unwrap_or_default()
    }

    /// The key id written in envelopes: SHA-256 of the SubjectPublicKeyInfo DER, hex (what
    /// `sigstore`/`in-toto` tools call the key's digest).
    pub fn key_id(&self) -> String {
        hex::encode(Sha256::digest(self.spki_der()))
    }

    pub fn algorithm(&self) -> &'static str {
        match self {
            Self::Ed25519(_) => "ed25519",
            Self::EcdsaP256(_) => "ecdsa-p256-sha256",
        }
    }

    /// Verifies `signature` over `message`. ECDSA signatures may be DER (cosign) or the fixed
    /// 64-byte `r || s` form.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| k.verify(message, &s).is_ok()),
            Self::EcdsaP256(k) => {
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .or_else(|_| p256::ecdsa::Signature::from_slice(signature));
                sig.is_ok_and(|s| k.verify(message, &s).is_ok())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_through_pem() {
        let k = SigningKey::generate().unwrap();
        let pem = k.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let again = SigningKey::from_pem(&pem).unwrap();
        let public = again.verifying_key().to_pem().unwrap();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        let v = VerifyingKey::from_pem(&public).unwrap();
        let sig = k.sign(b"m");
        assert!(v.verify(b"m", &sig));
        assert!(!v.verify(b"n", &sig));
        assert_eq!(v.key_id().len(), 64);
        assert_ne!(
            SigningKey::generate().unwrap().verifying_key().key_id(),
            v.key_id()
        );
    }

    #[test]
    fn garbage_is_refused() {
        assert!(
            SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .is_err()
        );
        assert!(VerifyingKey::from_pem("hello").is_err());
    }
}
