//! The transparency-log entry of a bundle: from a log the trusted root knows, recording this
//! bundle's signature, key and artifact (per entry kind and version), and promised by a signed
//! entry timestamp or proved by an RFC 6962 inclusion proof with a signed checkpoint.

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::trust::b64;
use super::*;

/// Checks the log entry: that it is from a trusted log, records this signature, key and
/// artifact, and that the log promised (SET) or proved (inclusion proof + checkpoint) it.
pub(super) fn check_entry(
    entry: &RawEntry,
    version: &str,
    root: &TrustedRoot,
    content: &Content,
    signer: &Signer,
    artifact_sha256: &[u8; 32],
    timestamps: &mut Vec<(&'static str, i64)>,
) -> Result<(String, i64), Error> {
    let log_index = int(&entry.log_index, "tlogEntries[0].logIndex")?;
    if log_index < 0 {
        return refuse(format!("negative log index {log_index}"));
    }
    let log_id = b64(&entry.log_id.key_id, "logId.keyId").map_err(Error::malformed)?;
    let Some(log) = root.tlog(&log_id) else {
        return refuse(format!(
            "the entry is from a log the trusted root does not know (log id {})",
            hex::encode(&log_id)
        ));
    };
    let body_bytes =
        b64(&entry.canonicalized_body, "canonicalizedBody").map_err(Error::malformed)?;
    let body: Value = serde_json::from_slice(&body_bytes)
        .map_err(|e| Error::Malformed(format!("canonicalizedBody is not JSON: {e}")))?;
    if body["kind"] != entry.kind_version.kind.as_str()
        || body["apiVersion"] != entry.kind_version.version.as_str()
    {
        return refuse("the entry's kind and version differ from its body's");
    }
    check_body(
        &body,
        &entry.kind_version.kind,
        &entry.kind_version.version,
        content,
        signer,
        artifact_sha256,
    )?;

    let integrated_time = entry
        .integrated_time
        .as_ref()
        .map(|t| int(t, "integratedTime"))
        .transpose()?
        .filter(|t| *t != 0);
    if let Some(promise) = &entry.inclusion_promise {
        let set = b64(&promise.signed_entry_timestamp, "signedEntryTimestamp")
            .map_err(Error::malformed)?;
        let Some(t) = integrated_time else {
            return refuse("a signed entry timestamp without an integrated time");
        };
        tlog::verify_set(log, &entry.canonicalized_body, t, log_index, &set)
            .map_err(Error::refused)?;
        if !log.validity.contains(t) {
            return refuse(format!(
                "the entry's integrated time {t} is outside the validity of log {}'s key",
                log.base_url
            ));
        }
        timestamps.push(("rekor integrated time", t));
    } else if version == "0.1" {
        return refuse("a v0.1 bundle needs a signed entry timestamp (inclusion promise)");
    }

    match &entry.inclusion_proof {
        Some(proof) => check_inclusion(proof, &body_bytes, log, version)?,
        None if version != "0.1" => {
            return refuse(format!("a v{version} bundle needs an inclusion proof"));
        }
        None => {}
    }
    Ok((log.base_url.clone(), log_index))
}

fn check_inclusion(
    proof: &RawProof,
    body: &[u8],
    log: &trust::Log,
    version: &str,
) -> Result<(), Error> {
    let index = int(&proof.log_index, "inclusionProof.logIndex")?;
    let size = int(&proof.tree_size, "inclusionProof.treeSize")?;
    if index < 0 || size < 0 {
        return refuse("negative index or tree size in the inclusion proof");
    }
    let hashes = proof
        .hashes
        .iter()
        .map(|h| {
            b64(h, "inclusionProof.hashes")
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v).ok())
                .ok_or_else(|| {
                    Error::Malformed("inclusion proof hash is not 32 bytes of base64".into())
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let root_hash = b64(&proof.root_hash, "inclusionProof.rootHash").map_err(Error::malformed)?;
    let computed =
        tlog::root_from_inclusion_proof(index as u64, size as u64, tlog::leaf_hash(body), &hashes);
    if computed.as_ref().map(<[u8; 32]>::as_slice) != Some(root_hash.as_slice()) {
        return refuse(
            "the inclusion proof does not lead from the entry to the recorded root hash",
        );
    }
    match &proof.checkpoint {
        Some(cp) => {
            let cp = tlog::parse_checkpoint(&cp.envelope).map_err(Error::refused)?;
            cp.verify(log).map_err(Error::refused)?;
            if cp.size != size as u64 || cp.root_hash != root_hash {
                return refuse(
                    "the checkpoint's tree size and root hash are not the inclusion proof's",
                );
            }
            Ok(())
        }
        None if version == "0.1" => Ok(()),
        None => refuse("the inclusion proof has no signed checkpoint"),
    }
}

/// Checks that the body records this bundle's signature, signer and artifact.
fn check_body(
    body: &Value,
    kind: &str,
    version: &str,
    content: &Content,
    signer: &Signer,
    artifact_sha256: &[u8; 32],
) -> Result<(), Error> {
    let spec = &body["spec"];
    let field = |v: &Value, what: &str| -> Result<Vec<u8>, Error> {
        let s = v
            .as_str()
            .ok_or_else(|| Error::Refused(format!("the log entry has no {what}")))?;
        b64(s, what).map_err(Error::refused)
    };
    // A verifier recorded as base64 of a PEM certificate or public key.
    let pem_matches = |v: &Value, what: &str| -> Result<bool, Error> {
        let pem = String::from_utf8(field(v, what)?).unwrap_or_default();
        Ok(match pki::pem_decode(&pem) {
            Ok((label, der)) if label == "CERTIFICATE" => {
                signer.cert.as_ref().is_some_and(|c| c.der == der)
            }
            Ok((label, der)) if label == "PUBLIC KEY" => signer.spki == der,
            _ => false,
        })
    };
    let mismatch = |what: &str| refuse(format!("the log entry does not match the bundle: {what}"));
    match (kind, version, content) {
        ("hashedrekord", "0.0.1", Content::Message { signature, .. }) => {
            if field(&spec["signature"]["content"], "signature")? != *signature {
                return mismatch("different signature");
            }
            if !pem_matches(&spec["signature"]["publicKey"]["content"], "public key")? {
                return mismatch("different certificate or key");
            }
            let data = &spec["data"]["hash"];
            if data["algorithm"] != "sha256"
                || data["value"].as_str() != Some(&hex::encode(artifact_sha256))
            {
                return mismatch("different artifact digest");
            }
        }
        ("hashedrekord", "0.0.2", _) => {
            let v2 = &spec["hashedRekordV002"];
            let want: Vec<u8> = match content {
                Content::Message { .. } => artifact_sha256.to_vec(),
                Content::Dsse {
                    envelope, payload, ..
                } => Sha256::digest(dsse::pae(&envelope.payload_type, payload)).to_vec(),
            };
            if v2["data"]["algorithm"] != "SHA2_256"
                || field(&v2["data"]["digest"], "digest")? != want
            {
                return mismatch("different digest");
            }
            if field(&v2["signature"]["content"], "signature")? != content.signature() {
                return mismatch("different signature");
            }
            verifier_v2_matches(&v2["signature"]["verifier"], signer)
                .then_some(())
                .map_or_else(|| mismatch("different certificate or key"), Ok)?;
        }
        (
            "dsse",
            "0.0.1",
            Content::Dsse {
                payload, signature, ..
            },
        ) => {
            if spec["payloadHash"]["algorithm"] != "sha256"
                || spec["payloadHash"]["value"].as_str()
                    != Some(&hex::encode(Sha256::digest(payload)))
            {
                return mismatch("different payload");
            }
            let sigs = spec["signatures"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let [s] = sigs else {
                return mismatch("the entry must record exactly one signature");
            };
            if field(&s["signature"], "signature")? != *signature
                || !pem_matches(&s["verifier"], "verifier")?
            {
                return mismatch("different signature or signer");
            }
        }
        (
            "dsse",
            "0.0.2",
            Content::Dsse {
                payload, signature, ..
            },
        ) => {
            let v2 = &spec["dsseV002"];
            if v2["payloadHash"]["algorithm"] != "SHA2_256"
                || field(&v2["payloadHash"]["digest"], "payload hash")?
                    != Sha256::digest(payload).as_slice()
            {
                return mismatch("different payload");
            }
            let sigs = v2["signatures"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let [s] = sigs else {
                return mismatch("the entry must record exactly one signature");
            };
            if field(&s["content"], "signature")? != *signature
                || !verifier_v2_matches(&s["verifier"], signer)
            {
                return mismatch("different signature or signer");
            }
        }
        (
            "intoto",
            "0.0.2",
            Content::Dsse {
                envelope,
                payload,
                signature,
            },
        ) => {
            let c = &spec["content"];
            if c["payloadHash"]["algorithm"] != "sha256"
                || c["payloadHash"]["value"].as_str() != Some(&hex::encode(Sha256::digest(payload)))
            {
                return mismatch("different payload");
            }
            if c["envelope"]["payloadType"] != envelope.payload_type.as_str() {
                return mismatch("different payload type");
            }
            let sigs = c["envelope"]["signatures"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let [s] = sigs else {
                return mismatch("the entry must record exactly one signature");
            };
            // intoto 0.0.2 stores the signature base64-encoded twice.
            let once = field(&s["sig"], "signature")?;
            let twice = std::str::from_utf8(&once)
                .ok()
                .and_then(|t| b64(t, "sig").ok());
            if twice.as_deref() != Some(signature.as_slice()) && once != *signature {
                return mismatch("different signature");
            }
            if !pem_matches(&s["publicKey"], "public key")? {
                return mismatch("different signer");
            }
        }
        (kind, version, _) => {
            return refuse(format!(
                "log entry kind {kind}/{version} does not fit this bundle's content"
            ));
        }
    }
    Ok(())
}

fn verifier_v2_matches(verifier: &Value, signer: &Signer) -> bool {
    let raw = |v: &Value| v["rawBytes"].as_str().and_then(|s| b64(s, "rawBytes").ok());
    if let Some(der) = raw(&verifier["x509Certificate"]) {
        return signer.cert.as_ref().is_some_and(|c| c.der == der);
    }
    raw(&verifier["publicKey"]).is_some_and(|der| der == signer.spki)
}
