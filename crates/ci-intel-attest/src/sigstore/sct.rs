//! Signed certificate timestamps (RFC 6962 §3) embedded in Fulcio certificates: a CT log's
//! promise that it logged the precertificate. Verifying one proves the certificate was
//! publicly logged, so a mis-issued certificate cannot stay hidden.

use super::Reason;
use der::{Decode as _, Encode as _};
use sha2::{Digest as _, Sha256};

use super::pki::{Cert, Hash};
use super::trust::Log;

const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";

/// A cursor over TLS-encoded bytes that never reads past the end.
struct Tls<'a>(&'a [u8]);

impl<'a> Tls<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| usize::from(b[0]) << 8 | usize::from(b[1]))
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }
}

/// One parsed SCT.
struct Sct<'a> {
    log_id: &'a [u8],
    timestamp: &'a [u8],
    extensions: &'a [u8],
    hash: u8,
    signature: &'a [u8],
}

fn parse_list(bytes: &[u8]) -> Option<Vec<Sct<'_>>> {
    let mut outer = Tls(bytes);
    let mut list = Tls(outer.vec16()?);
    let mut out = Vec::new();
    while !list.0.is_empty() {
        let mut s = Tls(list.vec16()?);
        if s.u8()? != 0 {
            continue; // only v1 SCTs exist
        }
        let log_id = s.take(32)?;
        let timestamp = s.take(8)?;
        let extensions = s.vec16()?;
        let hash = s.u8()?;
        let _sig_alg = s.u8()?;
        let signature = s.vec16()?;
        out.push(Sct {
            log_id,
            timestamp,
            extensions,
            hash,
            signature,
        });
    }
    Some(out)
}

/// Verifies the SCTs embedded in `leaf` (issued by `issuer`) against the trusted CT logs and
/// returns how many verified; at least one must.
pub fn verify_embedded(leaf: &Cert, issuer: &Cert, ctlogs: &[Log]) -> Result<usize, Reason> {
    let ext = leaf
        .cert
        .tbs_certificate
        .extensions
        .as_ref()
        .and_then(|exts| exts.iter().find(|e| e.extn_id.to_string() == SCT_LIST))
        .ok_or("the signing certificate carries no signed certificate timestamp")?;
    let list = der::asn1::OctetStringRef::from_der(ext.extn_value.as_bytes())
        .map_err(|e| format!("SCT list: {e}"))?;
    let scts = parse_list(list.as_bytes()).ok_or("SCT list: truncated or malformed")?;

    // The log signed the precertificate: the TBS without the SCT list itself.
    let mut tbs = leaf.cert.tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id.to_string() != SCT_LIST);
    }
    let tbs = tbs.to_der().map_err(|e| e.to_string())?;
    let issuer_key_hash = Sha256::digest(issuer.spki_der());

    let mut verified = 0;
    for sct in &scts {
        let Some(log) = ctlogs.iter().find(|l| l.key_id == sct.log_id) else {
            continue;
        };
        let Some(key) = &log.key else { continue };
        let hash = match sct.hash {
            4 => Hash::Sha256,
            5 => Hash::Sha384,
            6 => Hash::Sha512,
            _ => continue,
        };
        let mut signed = Vec::with_capacity(tbs.len() + 64);
        signed.extend_from_slice(&[0, 0]); // v1, certificate_timestamp
        signed.extend_from_slice(sct.timestamp);
        signed.extend_from_slice(&[0, 1]); // precert_entry
        signed.extend_from_slice(&issuer_key_hash);
        let len = tbs.len();
        signed.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
        signed.extend_from_slice(&tbs);
        signed.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
        signed.extend_from_slice(sct.extensions);
        if key.verify(&signed, sct.signature, hash) {
            verified += 1;
        }
    }
    if verified == 0 {
        return Err(Reason(format!(
            "none of the certificate's {} signed certificate timestamp(s) verifies with a CT log of the trusted root",
            scts.len()
        )));
    }
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_lists_are_refused() {
        assert!(parse_list(&[]).is_none());
        assert!(parse_list(&[0, 5, 0, 3, 0]).is_none());
        assert_eq!(parse_list(&[0, 0]).map(|v| v.len()), Some(0));
    }

    proptest::proptest! {
        #[test]
        fn sct_parser_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_list(&bytes);
        }
    }
}
