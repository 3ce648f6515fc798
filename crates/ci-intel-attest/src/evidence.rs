//! The Release Evidence Bundle: one `tar.zst` that proves a release.
//!
//! Layout: `manifest.json` (what the bundle holds: each file's role, size and SHA-256, and the
//! run it came from), `manifest.dsse.json` (the manifest's bytes signed as a DSSE envelope), and
//! `files/<role>/<name>` for every evidence file. Entries are sorted, with zero times, owners
//! and fixed modes, and the manifest holds no wall-clock time unless one is given, so packing the
//! same inputs twice gives the same bytes.

use ci_intel_core::InputError;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::dsse;
use crate::keys::{SigningKey, VerifyingKey};

pub const MANIFEST: &str = "manifest.json";
pub const MANIFEST_ENVELOPE: &str = "manifest.dsse.json";
pub const MANIFEST_PAYLOAD_TYPE: &str = "application/vnd.ci-intel.evidence-manifest+json";
pub const SCHEMA: &str = "ci-intel.evidence/v1";
/// zstd level: a good ratio at a speed that does not matter for evidence-sized inputs.
const ZSTD_LEVEL: i32 = 19;
/// Refuse archives that would expand beyond this (a decompression bomb).
const MAX_UNPACKED: u64 = 4 * 1024 * 1024 * 1024;

/// Roles an evidence file may have; anything else is `file`.
pub const ROLES: &[&str] = &[
    "artifact",
    "sbom",
    "provenance",
    "signature",
    "vex",
    "rekor",
    "tests",
    "resilience",
    "flakes",
    "performance",
    "policy",
    "dr-drill",
    "determinism",
    "pipeline-run",
    "file",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    pub files: Vec<Entry>,
    /// What the evidence says, read from it at packing time so a reader of the manifest alone
    /// sees the release's transparency-log entries, DR drill and gate decisions. The files
    /// remain the proof; `ci-intel verify` re-derives every row from them.
    #[serde(default, skip_serializing_if = "Highlights::is_empty")]
    pub highlights: Highlights,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Highlights {
    /// `sha256:HEX` of each artifact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<String>,
    /// Each Sigstore bundle's Rekor entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rekor: Vec<RekorEntry>,
    /// The DR drill's `completed_at` and result, as recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dr_drill: Option<serde_json::Value>,
    /// Gate verdicts found in policy files (`ci-intel check` JSON: `gates`) and pipeline-run
    /// records (`policies`): `id` → result.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, String>,
}

impl Highlights {
    pub fn is_empty(&self) -> bool {
        self.artifacts.is_empty()
            && self.rekor.is_empty()
            && self.dr_drill.is_none()
            && self.policies.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RekorEntry {
    /// The bundle file it came from.
    pub file: String,
    pub log_index: i64,
    /// Hex log id (SHA-256 of the log's key).
    pub log_id: String,
    /// The entry's leaf hash, hex: Rekor's entry UUID without the tree-id prefix.
    pub entry_uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion_proof: Option<serde_json::Value>,
}

/// Reads the highlights out of the inputs; anything unreadable is simply not highlighted.
fn highlights(files: &BTreeMap<String, &Input>) -> Highlights {
    use base64::Engine as _;
    let mut h = Highlights::default();
    for (path, i) in files {
        let json = || serde_json::from_slice::<serde_json::Value>(&i.bytes).ok();
        match i.role.as_str() {
            "artifact" => h
                .artifacts
                .push(format!("sha256:{}", hex::encode(Sha256::digest(&i.bytes)))),
            "signature" | "rekor" => {
                let Some(doc) = json() else { continue };
                for e in doc["verificationMaterial"]["tlogEntries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let int = |v: &serde_json::Value| {
                        v.as_str()
                            .and_then(|s| s.parse().ok())
                            .or_else(|| v.as_i64())
                    };
                    let Some(body) = e["canonicalizedBody"]
                        .as_str()
                        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                    else {
                        continue;
                    };
                    let log_id = e["logId"]["keyId"]
                        .as_str()
                        .and_then(|k| base64::engine::general_purpose::STANDARD.decode(k).ok())
                        .map(hex::encode)
                        .unwrap_or_default();
                    let proof = &e["inclusionProof"];
                    h.rekor.push(RekorEntry {
                        file: path.clone(),
                        log_index: int(&e["logIndex"]).unwrap_or(-1),
                        log_id,
                        entry_uuid: hex::encode(crate::sigstore::tlog::leaf_hash(&body)),
                        integrated_time: int(&e["integratedTime"]),
                        inclusion_proof: proof.is_object().then(|| {
                            serde_json::json!({
                                "log_index": int(&proof["logIndex"]),
                                "tree_size": int(&proof["treeSize"]),
                                "root_hash": proof["rootHash"],
                                "checkpoint": proof["checkpoint"]["envelope"].is_string(),
                            })
                        }),
                    });
                }
            }
            "dr-drill" => {
                if let Some(doc) = json() {
                    let pick = |keys: &[&str]| keys.iter().find_map(|k| doc.get(*k).cloned());
                    h.dr_drill = Some(serde_json::json!({
                        "completed_at": pick(&["completed_at", "finished_at", "date", "timestamp"]),
                        "result": pick(&["result", "status", "passed"]),
                    }));
                }
            }
            "policy" | "pipeline-run" => {
                let Some(doc) = json() else { continue };
                let lists = [&doc["policies"], &doc["gates"]];
                for p in lists.into_iter().filter_map(|l| l.as_array()).flatten() {
                    if let (Some(id), Some(r)) = (p["id"].as_str(), p["result"].as_str()) {
                        h.policies.insert(id.to_owned(), r.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    h
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Path inside the archive (`files/<role>/<name>`).
    pub path: String,
    pub role: String,
    pub size: u64,
    pub sha256: String,
}

/// One input: its role, the name it gets in the bundle, and its bytes.
#[derive(Debug, Clone)]
pub struct Input {
    pub role: String,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Builds the bundle: the archive bytes and its manifest. Errors when two inputs would get the
/// same path.
pub fn pack(
    inputs: &[Input],
    run_id: Option<String>,
    created: Option<String>,
    key: &SigningKey,
) -> Result<(Vec<u8>, Manifest), EvidenceError> {
    let mut files: BTreeMap<String, &Input> = BTreeMap::new();
    for i in inputs {
        let path = format!("files/{}/{}", i.role, i.name);
        if files.insert(path.clone(), i).is_some() {
            return Err(EvidenceError::DuplicatePath(path));
        }
    }
    let manifest = Manifest {
        schema: SCHEMA.into(),
        run_id,
        created,
        files: files
            .iter()
            .map(|(path, i)| Entry {
                path: path.clone(),
                role: i.role.clone(),
                size: i.bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(&i.bytes)),
            })
            .collect(),
        highlights: highlights(&files),
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)?;
    let envelope = dsse::sign(key, MANIFEST_PAYLOAD_TYPE, &manifest_bytes);
    let envelope_bytes = serde_json::to_vec_pretty(&envelope)?;

    let mut entries: Vec<(&str, &[u8])> = vec![
        (MANIFEST, &manifest_bytes),
        (MANIFEST_ENVELOPE, &envelope_bytes),
    ];
    entries.extend(files.iter().map(|(p, i)| (p.as_str(), i.bytes.as_slice())));
    let compressed = write_archive(&entries)?;
    Ok((compressed, manifest))
}

/// What `verify` found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub manifest: Option<Manifest>,
    /// The key id that signed the manifest, when the signature verified.
    pub signed_by: Option<String>,
    /// Every problem, each naming the file.
    pub problems: Vec<String>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.signed_by.is_some()
    }
}

/// Reads every entry of a `tar.zst` (regular files only; anything else is a problem).
fn unpack(
    archive: &[u8],
    problems: &mut Vec<String>,
) -> Result<BTreeMap<String, Vec<u8>>, EvidenceError> {
    let decoder = zstd::Decoder::new(archive).map_err(EvidenceError::NotZstd)?;
    let mut limited = decoder.take(MAX_UNPACKED);
    let mut tar_bytes = Vec::new();
    limited
        .read_to_end(&mut tar_bytes)
        .map_err(EvidenceError::NotZstd)?;
    let mut out = BTreeMap::new();
    let mut tar = tar::Archive::new(tar_bytes.as_slice());
    for entry in tar.entries().map_err(EvidenceError::NotTar)? {
        let mut entry = entry.map_err(EvidenceError::NotTar)?;
        let path = entry
            .path()
            .map_err(EvidenceError::NotTar)?
            .to_string_lossy()
            .into_owned();
        if entry.header().entry_type() != tar::EntryType::Regular {
            problems.push(format!(
                "{path}: not a regular file (links and devices are refused)"
            ));
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|source| EvidenceError::Entry {
                path: path.clone(),
                source,
            })?;
        if out.insert(path.clone(), bytes).is_some() {
            problems.push(format!("{path}: appears twice in the archive"));
        }
    }
    Ok(out)
}

/// Verifies a bundle: the manifest's signature by one of `keys`, the envelope's payload being
/// exactly `manifest.json`, and every file: present, same size and SHA-256, none extra.
pub fn verify(archive: &[u8], keys: &[VerifyingKey]) -> Result<Report, EvidenceError> {
    let mut report = Report::default();
    let mut entries = unpack(archive, &mut report.problems)?;
    let manifest_bytes = entries
        .remove(MANIFEST)
        .ok_or(EvidenceError::Missing(MANIFEST))?;
    let envelope_bytes = entries
        .remove(MANIFEST_ENVELOPE)
        .ok_or(EvidenceError::Missing(MANIFEST_ENVELOPE))?;
    let envelope =
        dsse::parse(&String::from_utf8_lossy(&envelope_bytes)).map_err(EvidenceError::Envelope)?;
    match dsse::verify(&envelope, keys) {
        Ok((payload, key_id)) => {
            if envelope.payload_type != MANIFEST_PAYLOAD_TYPE {
                report.problems.push(format!(
                    "{MANIFEST_ENVELOPE}: payload type `{}`, expected `{MANIFEST_PAYLOAD_TYPE}`",
                    envelope.payload_type
                ));
            }
            if payload == manifest_bytes {
                report.signed_by = Some(key_id);
            } else {
                report.problems.push(format!(
                    "{MANIFEST}: edited after signing (differs from the signed manifest)"
                ));
            }
        }
        Err(e) => report.problems.push(format!("{MANIFEST_ENVELOPE}: {e}")),
    }
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(EvidenceError::Manifest)?;
    if manifest.schema != SCHEMA {
        report.problems.push(format!(
            "{MANIFEST}: schema `{}`, expected `{SCHEMA}`",
            manifest.schema
        ));
    }
    for e in &manifest.files {
        match entries.remove(&e.path) {
            None => report.problems.push(format!("{}: missing", e.path)),
            Some(bytes) => {
                let actual = hex::encode(Sha256::digest(&bytes));
                if actual != e.sha256 || bytes.len() as u64 != e.size {
                    report.problems.push(format!(
                        "{}: changed (sha256 {actual}, manifest says {})",
                        e.path, e.sha256
                    ));
                }
            }
        }
    }
    for extra in entries.keys() {
        report
            .problems
            .push(format!("{extra}: extra file not in the manifest"));
    }
    report.manifest = Some(manifest);
    Ok(report)
}

/// The SHA-256 of the bundle file, for `pipeline_run.release_evidence_uri`.
pub fn bundle_digest(archive: &[u8]) -> String {
    hex::encode(Sha256::digest(archive))
}

/// A deterministic `tar.zst` of `entries`: sorted by path, regular files with mode 0644, zero
/// times and owners.
pub fn write_archive(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, EvidenceError> {
    let mut sorted = entries.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut tar = tar::Builder::new(Vec::new());
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, bytes) in sorted {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, path, bytes)
            .map_err(EvidenceError::Write)?;
    }
    let tar_bytes = tar.into_inner().map_err(EvidenceError::Write)?;
    zstd::encode_all(tar_bytes.as_slice(), ZSTD_LEVEL).map_err(EvidenceError::Write)
}

/// Every regular file of a `tar.zst`, by path (for `evidence show` and for tests that tamper).
pub fn read_archive(archive: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, EvidenceError> {
    let mut problems = Vec::new();
    let entries = unpack(archive, &mut problems)?;
    match problems.into_iter().next() {
        Some(p) => Err(EvidenceError::Unsafe(p)),
        None => Ok(entries),
    }
}

/// Why a bundle could not be made or read (what it proves is a [`Report`]).
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("two inputs would both be stored as `{0}`")]
    DuplicatePath(String),
    #[error("not a zstd stream")]
    NotZstd(#[source] std::io::Error),
    #[error("not a tar archive")]
    NotTar(#[source] std::io::Error),
    #[error("{path}: cannot read the entry")]
    Entry {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// An entry the archive must not hold (a link, a device, a duplicate), as described.
    #[error("{0}")]
    Unsafe(String),
    #[error("the bundle has no {0}")]
    Missing(&'static str),
    #[error("{MANIFEST_ENVELOPE}")]
    Envelope(#[source] dsse::VerifyError),
    #[error("{MANIFEST}: expected a ci-intel evidence manifest")]
    Manifest(#[source] serde_json::Error),
    #[error("cannot encode the manifest")]
    Encode(#[from] serde_json::Error),
    #[error("cannot write the archive")]
    Write(#[source] std::io::Error),
}

/// Reads an evidence file given on the command line as `ROLE=PATH` (or `PATH`, role `file`).
pub fn input_from_arg(arg: &str) -> Result<Input, InputError> {
    let (role, path) = match arg.split_once('=') {
        Some((r, p)) if ROLES.contains(&r) => (r.to_owned(), p),
        Some((r, _)) if !r.contains('/') && !Path::new(arg).exists() => {
            return Err(InputError::new(
                arg,
                format!("unknown role `{r}`; expected one of: {}", ROLES.join(", ")),
            ));
        }
        _ => ("file".to_owned(), arg),
    };
    let p = Path::new(path);
    let bytes = std::fs::read(p).map_err(|e| InputError::io(p, &e))?;
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| InputError::new(p, "expected a file"))?;
    Ok(Input { role, name, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Vec<Input> {
        vec![
            Input {
                role: "sbom".into(),
                name: "sbom.cdx.json".into(),
                bytes: b"{\"bomFormat\":\"CycloneDX\"}".to_vec(),
            },
            Input {
                role: "artifact".into(),
                name: "app.tar.gz".into(),
                bytes: vec![1, 2, 3, 4],
            },
        ]
    }

    #[test]
    fn packing_twice_gives_identical_bytes_and_verifies() {
        let key = SigningKey::generate().unwrap();
        let (a, m) = pack(&inputs(), Some("run-1".into()), None, &key).unwrap();
        let (b, _) = pack(&inputs(), Some("run-1".into()), None, &key).unwrap();
        assert_eq!(a, b);
        assert_eq!(m.files[0].path, "files/artifact/app.tar.gz");
        let r = verify(&a, &[key.verifying_key()]).unwrap();
        assert!(r.ok(), "{:?}", r.problems);
        let other = SigningKey::generate().unwrap().verifying_key();
        let r = verify(&a, &[other]).unwrap();
        assert!(!r.ok());
    }

    #[test]
    fn duplicate_paths_are_refused() {
        let key = SigningKey::generate().unwrap();
        let mut i = inputs();
        i.push(i[0].clone());
        assert!(pack(&i, None, None, &key).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

        #[test]
        fn garbage_archives_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let k = SigningKey::generate().unwrap().verifying_key();
            let _ = verify(&bytes, std::slice::from_ref(&k));
            let forged = write_archive(&[("manifest.json", &bytes), ("manifest.dsse.json", &bytes)]).unwrap();
            let _ = verify(&forged, &[k]);
        }
    }
}
