//! RFC 3161 signed timestamps: a timestamp authority's statement that a signature existed at a
//! time. Rekor v2 records no integration time, so these are what bound the signing time.

use super::Reason;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::{Decode as _, Encode as _};
use x509_tsp::{TimeStampResp, TstInfo};

use super::pki::{Cert, Hash};
use super::trust::{Authority, ChainError};

const ID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const ID_CT_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const ID_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const ID_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";

fn hash_of(oid: &str) -> Option<Hash> {
    match oid {
        "2.16.840.1.101.3.4.2.1" | "1.2.840.10045.4.3.2" => Some(Hash::Sha256),
        "2.16.840.1.101.3.4.2.2" | "1.2.840.10045.4.3.3" => Some(Hash::Sha384),
        "2.16.840.1.101.3.4.2.3" | "1.2.840.10045.4.3.4" => Some(Hash::Sha512),
        _ => None,
    }
}

/// Verifies a DER `TimeStampResp` over `signature` against the trusted timestamp authorities
/// and returns its time (Unix seconds).
pub fn verify(der: &[u8], signature: &[u8], authorities: &[Authority]) -> Result<i64, Reason> {
    let resp =
        TimeStampResp::from_der(der).map_err(|e| format!("not an RFC 3161 response: {e}"))?;
    use cmpv2::status::PkiStatus;
    if !matches!(
        resp.status.status,
        PkiStatus::Accepted | PkiStatus::GrantedWithMods
    ) {
        return Err(Reason(format!(
            "the timestamp authority did not grant the request (status {:?})",
            resp.status.status
        )));
    }
    let token: &ContentInfo = resp
        .time_stamp_token
        .as_ref()
        .ok_or("the timestamp response carries no token")?;
    if token.content_type.to_string() != ID_SIGNED_DATA {
        return Err("the timestamp token is not CMS SignedData".into());
    }
    let signed: SignedData = token
        .content
        .decode_as()
        .map_err(|e| format!("timestamp token: {e}"))?;
    let encap = &signed.encap_content_info;
    if encap.econtent_type.to_string() != ID_CT_TST_INFO {
        return Err("the timestamp token does not hold a TSTInfo".into());
    }
    let econtent = encap
        .econtent
        .as_ref()
        .ok_or("the timestamp token has no content")?;
    let tst_der = der::asn1::OctetStringRef::try_from(econtent)
        .map_err(|e| format!("timestamp content: {e}"))?
        .as_bytes();
    let tst = TstInfo::from_der(tst_der).map_err(|e| format!("TSTInfo: {e}"))?;

    // The imprint must be of this bundle's signature.
    let imprint_hash = hash_of(&tst.message_imprint.hash_algorithm.oid.to_string())
        .ok_or("unsupported hash in the timestamp's message imprint")?;
    if imprint_hash.digest(signature) != tst.message_imprint.hashed_message.as_bytes() {
        return Err("the timestamp is not over this bundle's signature".into());
    }
    let time = tst.gen_time.to_unix_duration().as_secs() as i64;

    let [signer] = signed.signer_infos.0.as_slice() else {
        return Err("the timestamp token must have exactly one signer".into());
    };
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or("the timestamp signer has no signed attributes")?;
    let digest_hash = hash_of(&signer.digest_alg.oid.to_string())
        .ok_or("unsupported digest algorithm in the timestamp signer")?;
    let attr = |oid: &str| {
        attrs
            .iter()
            .find(|a| a.oid.to_string() == oid)
            .and_then(|a| a.values.get(0))
    };
    let md = attr(ID_MESSAGE_DIGEST).ok_or("the timestamp signer has no message digest")?;
    let md = der::asn1::OctetStringRef::try_from(md).map_err(|e| e.to_string())?;
    if md.as_bytes() != digest_hash.digest(tst_der) {
        return Err("the timestamp signer's message digest does not match the TSTInfo".into());
    }
    let ct = attr(ID_CONTENT_TYPE).ok_or("the timestamp signer has no content type")?;
    let ct: der::asn1::ObjectIdentifier = ct.decode_as().map_err(|e| e.to_string())?;
    if ct.to_string() != ID_CT_TST_INFO {
        return Err("the timestamp signer's content type is not TSTInfo".into());
    }
    let signed_bytes = attrs.to_der().map_err(|e| e.to_string())?;
    let sig_hash = hash_of(&signer.signature_algorithm.oid.to_string()).unwrap_or(digest_hash);

    let embedded: Vec<Cert> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => {
                c.to_der().ok().and_then(|d| Cert::from_der(&d).ok())
            }
            cms::cert::CertificateChoices::Other(_) => None,
        })
        .collect();
    let names_signer = |c: &Cert| match &signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(i) => {
            c.cert.tbs_certificate.serial_number == i.serial_number
                && c.issuer_der() == i.issuer.to_der().unwrap_or_default()
        }
        // Any candidate may be tried; the signature decides.
        SignerIdentifier::SubjectKeyIdentifier(_) => true,
    };

    let mut last_error = String::from("no trusted timestamp authority");
    for authority in authorities {
        // The signer is the authority's own leaf, or an embedded certificate it issued.
        let leaf = &authority.chain[0];
        let mut candidates: Vec<&Cert> = embedded.iter().filter(|c| names_signer(c)).collect();
        if names_signer(leaf) {
            candidates.push(leaf);
        }
        for cand in candidates {
            let result = (|| {
                let key = cand.public_key()?;
                if !key.verify(&signed_bytes, signer.signature.as_bytes(), sig_hash) {
                    return Err("the timestamp signature does not verify".to_owned());
                }
                authority.verify_chain(cand, &[time]).map_err(|e| match e {
                    ChainError::Link(e) => format!(
                        "the timestamp's signer does not chain to {}: {e}",
                        authority.uri
                    ),
                    ChainError::AuthorityNotTrusted(_) => format!(
                        "the timestamp ({time}) is outside the trusted root's validity for {}",
                        authority.uri
                    ),
                    ChainError::CertificateNotValid(_) => {
                        "the timestamp is outside the timestamp authority certificate's validity"
                            .to_owned()
                    }
                })
            })();
            match result {
                Ok(()) => return Ok(time),
                Err(e) => last_error = e,
            }
        }
    }
    Err(Reason(last_error))
}
