//! Attestation: what a release is made of and who built it, in forms others can check offline.
//!
//! - [`digest`]: SHA-256, SHA-512 and BLAKE3 of files and trees, streamed; checksum files that
//!   `sha256sum -c` and `b3sum -c` accept, and checking them.
//! - [`keys`] and [`dsse`]: DSSE envelopes signed with Ed25519 and verified with Ed25519 or
//!   ECDSA P-256 (the keys cosign makes), keys in PKCS#8 / SPKI PEM.
//! - [`evidence`]: the Release Evidence Bundle, a deterministic `tar.zst` of the release's
//!   evidence files with a signed manifest of their digests.
//! - [`release`]: the release truth table over an evidence bundle, one gate verdict per row.
//! - [`sigstore`]: offline verification of Sigstore bundles against a trusted root.
//! - [`provenance`]: in-toto Statement v1 with a SLSA Provenance v1.0 predicate from the CI
//!   environment, and the policy checks slsa-verifier performs on it.

pub mod digest;
pub mod dsse;
pub mod evidence;
pub mod keys;
pub mod provenance;
pub mod release;
pub mod sigstore;
