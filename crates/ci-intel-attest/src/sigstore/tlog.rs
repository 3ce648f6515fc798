//! Transparency-log proofs: Rekor's signed entry timestamp (SET), the RFC 6962 / RFC 9162
//! Merkle inclusion proof, and the checkpoint in the signed-note format that commits the log
//! to the proof's root hash.

use super::Reason;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

use super::pki::Hash;
use super::trust::Log;

/// `SHA-256(0x00 || leaf)`, RFC 6962's leaf hash.
pub fn leaf_hash(leaf: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

fn node_hash(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or `None` when the proof's shape
/// cannot belong to a tree of `size` leaves (index out of range, too few or too many hashes).
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    proof: &[[u8; 32]],
) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if snode == 0 {
            return None;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    (snode == 0).then_some(r)
}

/// Verifies Rekor's promise to include the entry: the log's signature over the canonical JSON
/// of the entry's body, integrated time, log id and index.
pub fn verify_set(
    log: &Log,
    body_b64: &str,
    integrated_time: i64,
    log_index: i64,
    set: &[u8],
) -> Result<(), Reason> {
    let key = log
        .key
        .as_ref()
        .ok_or("the log's key is of an unsupported kind")?;
    // Keys in lexical order, no spaces: RFC 8785 canonical JSON for these four fields.
    let canonical = format!(
        r#"{{"body":{},"integratedTime":{integrated_time},"logID":"{}","logIndex":{log_index}}}"#,
        serde_json::to_string(body_b64).unwrap_or_default(),
        hex::encode(&log.key_id),
    );
    if key.verify(canonical.as_bytes(), set, Hash::Sha256) {
        Ok(())
    } else {
        Err("the signed entry timestamp does not verify with the log's key".into())
    }
}

/// A checkpoint: the log's signed statement of its size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root_hash: Vec<u8>,
    /// The signed text: every body line with its newline.
    pub body: String,
    /// `(signer name, key hint, signature)` per signature line.
    pub signatures: Vec<(String, [u8; 4], Vec<u8>)>,
}

/// Parses a signed note (`origin\nsize\nroot\n[extensions\n]\n— name base64(hint‖sig)\n…`).
pub fn parse_checkpoint(text: &str) -> Result<Checkpoint, Reason> {
    let (body, sigs) = text
        .split_once("\n\n")
        .ok_or("checkpoint: no blank line between the note and its signatures")?;
    let body = format!("{body}\n");
    let mut lines = body.lines();
    let origin = lines
        .next()
        .filter(|l| !l.is_empty())
        .ok_or("checkpoint: no origin line")?
        .to_owned();
    let size = lines
        .next()
        .and_then(|l| l.parse::<u64>().ok())
        .ok_or("checkpoint: second line must be the tree size")?;
    let root_hash = lines
        .next()
        .and_then(|l| STANDARD.decode(l).ok())
        .filter(|h| h.len() == 32)
        .ok_or("checkpoint: third line must be the base64 SHA-256 root hash")?;
    let mut signatures = Vec::new();
    for line in sigs.lines().filter(|l| !l.is_empty()) {
        let rest = line.strip_prefix("\u{2014} ").ok_or_else(|| {
            format!("checkpoint: signature line `{line}` does not start with `— `")
        })?;
        let (name, sig) = rest
            .rsplit_once(' ')
            .ok_or("checkpoint: signature line without a signature")?;
        let sig = STANDARD
            .decode(sig)
            .map_err(|_| "checkpoint: signature is not base64")?;
        if sig.len() < 5 {
            return Err("checkpoint: signature too short".into());
        }
        let hint = [sig[0], sig[1], sig[2], sig[3]];
        signatures.push((name.to_owned(), hint, sig[4..].to_vec()));
    }
    if signatures.is_empty() {
        return Err("checkpoint: no signatures".into());
    }
    Ok(Checkpoint {
        origin,
        size,
        root_hash,
        body,
        signatures,
    })
}

impl Checkpoint {
    /// Checks that `log` signed this checkpoint: a signature line whose key hint is the log's
    /// and whose name is the checkpoint's origin (ignoring Rekor v1's ` - tree id` suffix)
    /// verifies with the log's key. Witness cosignatures are ignored.
    pub fn verify(&self, log: &Log) -> Result<(), Reason> {
        let key = log
            .key
            .as_ref()
            .ok_or("the log's key is of an unsupported kind")?;
        let hint = log
            .key_id
            .get(..4)
            .ok_or("log id shorter than a key hint")?;
        let origin_name = self.origin.split(" - ").next().unwrap_or(&self.origin);
        let candidates: Vec<_> = self
            .signatures
            .iter()
            .filter(|(name, h, _)| h == hint && name == origin_name)
            .collect();
        if candidates.is_empty() {
            return Err(Reason(format!(
                "checkpoint carries no signature by the log `{}` (key hint {})",
                self.origin,
                hex::encode(hint)
            )));
        }
        if candidates
            .iter()
            .any(|(_, _, sig)| key.verify(self.body.as_bytes(), sig, Hash::Sha256))
        {
            Ok(())
        } else {
            Err("checkpoint signature does not verify with the log's key".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds the RFC 6962 tree over `leaves` and the audit path of `index` the slow, obvious
    /// way, to check the iterative verifier against it.
    fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            1 => leaves[0],
            n => {
                let k = (n as u64).next_power_of_two() as usize / 2;
                let k = if k == n { n / 2 } else { k };
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn path(index: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = (n as u64).next_power_of_two() as usize / 2;
        let k = if k == n { n / 2 } else { k };
        if index < k {
            let mut p = path(index, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(index - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    #[test]
    fn inclusion_proofs_of_every_leaf_in_trees_up_to_40() {
        for n in 1..=40usize {
            let leaves: Vec<[u8; 32]> = (0..n).map(|i| leaf_hash(&[i as u8])).collect();
            let root = mth(&leaves);
            for i in 0..n {
                let p = path(i, &leaves);
                assert_eq!(
                    root_from_inclusion_proof(i as u64, n as u64, leaves[i], &p),
                    Some(root),
                    "leaf {i} of {n}"
                );
                // Wrong index, wrong size, a flipped hash or a missing hash break it.
                if n > 1 {
                    let other =
                        root_from_inclusion_proof(((i + 1) % n) as u64, n as u64, leaves[i], &p);
                    assert_ne!(other, Some(root));
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert_ne!(
                        root_from_inclusion_proof(i as u64, n as u64, leaves[i], &bad),
                        Some(root)
                    );
                    assert_ne!(
                        root_from_inclusion_proof(i as u64, n as u64, leaves[i], &p[1..]),
                        Some(root)
                    );
                }
            }
        }
    }

    #[test]
    fn index_beyond_the_tree_has_no_root() {
        assert_eq!(root_from_inclusion_proof(5, 5, [0; 32], &[]), None);
        assert_eq!(root_from_inclusion_proof(0, 0, [0; 32], &[]), None);
    }

    #[test]
    fn checkpoints_parse_and_refuse_garbage() {
        let cp = parse_checkpoint(
            "log.example\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u{2014} log.example AQIDBAUG\n",
        )
        .unwrap();
        assert_eq!(cp.origin, "log.example");
        assert_eq!(cp.size, 12);
        assert_eq!(
            cp.body,
            "log.example\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
        );
        assert_eq!(cp.signatures[0].1, [1, 2, 3, 4]);
        for bad in [
            "",
            "log\n12\n",
            "log\nx\nAAAA\n\n\u{2014} log AQIDBAUG\n",
            "log\n12\nAAAA\n\n\u{2014} log AQIDBAUG\n",
            "log\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n- log AQIDBAUG\n",
            "log\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n",
        ] {
            assert!(parse_checkpoint(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn checkpoint_parser_never_panics(s in "\\PC{0,200}") {
            let _ = parse_checkpoint(&s);
        }
    }
}
