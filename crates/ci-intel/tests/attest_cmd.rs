//! `ci-intel attest` through the real binary: checksum files coreutils accepts, DSSE envelopes
//! that an independent implementation (Python `cryptography`, `bench/peers/dsse_interop.py`)
//! signed, provenance and its policy.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use std::path::{Path, PathBuf};

use common::{ci_intel, stderr, stdout};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/attest")
        .join(name)
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("dist/sub")).unwrap();
    std::fs::write(d.join("dist/a.txt"), "hello\n").unwrap();
    std::fs::write(d.join("dist/sub/b c.txt"), "world\n").unwrap();
    std::fs::write(d.join("dist/z.bin"), vec![7u8; 70_000]).unwrap();
    dir
}

#[test]
fn checksum_files_are_what_sha256sum_accepts_and_checks_catch_changes() {
    let dir = tree();
    let d = dir.path();
    let o = ci_intel(d)
        .args([
            "attest",
            "digest",
            "dist",
            "-o",
            "SHA256SUMS",
            "--manifest",
            "m.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sums = std::fs::read_to_string(d.join("SHA256SUMS")).unwrap();
    assert_eq!(
        sums.lines().next().unwrap(),
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  dist/a.txt"
    );
    let coreutils = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        coreutils.status.success(),
        "{}",
        String::from_utf8_lossy(&coreutils.stdout)
    );
    // The tree digest is the SHA-256 of the checksum file: anyone can recompute it.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("m.json")).unwrap()).unwrap();
    let sha = std::process::Command::new("sha256sum")
        .arg("SHA256SUMS")
        .current_dir(d)
        .output()
        .unwrap();
    let expected = String::from_utf8_lossy(&sha.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(m["tree_sha256"], expected.as_str());
    assert_eq!(m["files"].as_array().unwrap().len(), 3);

    let check = |dir: &Path| {
        ci_intel(dir)
            .args(["attest", "digest", "--check", "SHA256SUMS"])
            .output()
            .unwrap()
    };
    assert_eq!(check(d).status.code(), Some(0));
    std::fs::write(d.join("dist/a.txt"), "hellO\n").unwrap();
    std::fs::remove_file(d.join("dist/z.bin")).unwrap();
    let o = check(d);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("dist/a.txt: FAILED (sha256 differs, line 1)"),
        "{out}"
    );
    assert!(out.contains("dist/z.bin: FAILED open or read"), "{out}");
    assert!(out.contains("dist/sub/b c.txt: OK"), "{out}");
}

#[test]
fn blake3_and_several_algorithms() {
    let dir = tree();
    let d = dir.path();
    let o = ci_intel(d)
        .args(["attest", "digest", "-a", "blake3", "dist/a.txt"])
        .output()
        .unwrap();
    // b3sum's digest of "hello\n".
    assert_eq!(
        stdout(&o),
        "8e4c7c1b99dbfd50e7a95185fead5ee1448fa904a2fdd778eaf5f2dbfd629a99  dist/a.txt\n"
    );
    std::fs::write(d.join("B3SUMS"), stdout(&o)).unwrap();
    let o = ci_intel(d)
        .args(["attest", "digest", "-a", "blake3", "--check", "B3SUMS"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = ci_intel(d)
        .args([
            "attest",
            "digest",
            "-a",
            "sha256",
            "-a",
            "sha512",
            "dist/a.txt",
        ])
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(text.starts_with("SHA256 (dist/a.txt) = 5891b5b5"), "{text}");
    assert!(text.contains("SHA512 (dist/a.txt) = "));
    std::fs::write(d.join("TAGGED"), &text).unwrap();
    let o = ci_intel(d)
        .args(["attest", "digest", "--check", "TAGGED"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o).matches(": OK").count(), 2);
}

#[test]
fn malformed_checksum_file_exits_2_naming_the_line() {
    let dir = tree();
    let d = dir.path();
    std::fs::write(
        d.join("BAD"),
        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  dist/a.txt\nnot-a-digest  x\n",
    )
    .unwrap();
    let o = ci_intel(d)
        .args(["attest", "digest", "--check", "BAD"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("BAD:2"), "{}", stderr(&o));
}

#[test]
fn keygen_sign_verify_and_every_tampering_is_refused() {
    let dir = tree();
    let d = dir.path();
    common::keygen(d, "k");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("k.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "private key readable by others: {mode:o}");
    }
    let again = ci_intel(d)
        .args([
            "attest",
            "keygen",
            "--private",
            "k.pem",
            "--public",
            "k.pub",
        ])
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(2),
        "never overwrite a key silently"
    );

    std::fs::write(d.join("payload.txt"), "release notes\n").unwrap();
    let o = ci_intel(d)
        .args([
            "attest",
            "sign",
            "--key",
            "k.pem",
            "--payload-type",
            "text/plain",
        ])
        .args(["payload.txt", "-o", "env.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let verify = |env: &str| {
        ci_intel(d)
            .args(["attest", "verify", "--key", "k.pub", env])
            .output()
            .unwrap()
    };
    assert_eq!(verify("env.json").status.code(), Some(0));

    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("env.json")).unwrap()).unwrap();
    let mut variants = Vec::new();
    let mut t = env.clone();
    t["payloadType"] = "text/html".into();
    variants.push(t);
    let mut t = env.clone();
    t["payload"] = "cmVsZWFzZSBub3RlcyEK".into();
    variants.push(t);
    let mut t = env.clone();
    let sig = t["signatures"][0]["sig"].as_str().unwrap().to_owned();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    t["signatures"][0]["sig"] = format!("{flipped}{}", &sig[1..]).into();
    variants.push(t);
    for (i, v) in variants.iter().enumerate() {
        std::fs::write(d.join(format!("t{i}.json")), v.to_string()).unwrap();
        let o = verify(&format!("t{i}.json"));
        assert_eq!(o.status.code(), Some(1), "variant {i}: {}", stdout(&o));
        assert!(stderr(&o).contains("DENY"));
    }
    std::fs::write(d.join("garbage.json"), "{\"payload\": 1}").unwrap();
    let o = verify("garbage.json");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("garbage.json"), "{}", stderr(&o));
}

#[test]
fn envelopes_from_an_independent_implementation_verify() {
    let dir = tree();
    for alg in ["ed25519", "p256"] {
        let o = ci_intel(dir.path())
            .args(["attest", "verify", "--key"])
            .arg(fixture(&format!("python-{alg}.pub")))
            .arg(fixture(&format!("python-{alg}.dsse.json")))
            .arg("--subject")
            .arg(fixture("hello.txt"))
            .args([
                "--source-uri",
                "github.com/acme/app",
                "--source-tag",
                "v1.0.0",
            ])
            .args(["--workflow", ".github/workflows/release.yml"])
            .args([
                "--builder-id",
                "https://github.com/acme/app/.github/workflows/release.yml",
            ])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{alg}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert_eq!(stdout(&o).matches("ok  ").count(), 8, "{}", stdout(&o));
        assert!(!stdout(&o).contains("FAIL"));
    }
    let o = ci_intel(dir.path())
        .args(["attest", "verify", "--key"])
        .arg(fixture("python-ed25519.pub"))
        .arg(fixture("python-p256.dsse.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "the wrong key never verifies");
    // Several keys: any may have signed; the one that did is named.
    let o = ci_intel(dir.path())
        .args(["attest", "verify", "--key"])
        .arg(fixture("python-ed25519.pub"))
        .arg("--key")
        .arg(fixture("python-p256.pub"))
        .arg(fixture("python-p256.dsse.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("ok    signature      ecdsa-p256-sha256 key"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn provenance_from_the_github_environment_and_its_policy() {
    let dir = tree();
    let d = dir.path();
    common::keygen(d, "k");
    let o = common::release_build_env(&mut ci_intel(d))
        .args(["attest", "provenance", "--subject", "dist/a.txt"])
        .args([
            "--subject",
            &format!("app-image@sha256:{}", "ab".repeat(32)),
        ])
        .args(["--key", "k.pem", "-o", "prov.dsse.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let verify = |extra: &[&str]| {
        ci_intel(d)
            .args([
                "attest",
                "verify",
                "--key",
                "k.pub",
                "prov.dsse.json",
                "--print-payload",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = verify(&[
        "--subject",
        "dist/a.txt",
        "--source-uri",
        "github.com/acme/app",
        "--source-tag",
        "v1.2.3",
        "--workflow",
        ".github/workflows/release.yml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    let payload = &out[out.find("{\"_type\"").unwrap()..];
    let st: serde_json::Value = serde_json::from_str(payload.trim()).unwrap();
    assert_eq!(
        st["predicate"]["runDetails"]["metadata"]["invocationId"],
        "https://github.com/acme/app/actions/runs/99/attempts/1"
    );
    assert_eq!(
        st["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(st["subject"][1]["digest"]["sha256"], "ab".repeat(32));

    let o = verify(&["--subject", "dist/sub/b c.txt", "--source-tag", "v1.2.4"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL  source-tag"), "{out}");
    assert!(out.contains("FAIL  subject"), "{out}");
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn verify_bundle_checks_real_staging_bundles_offline() {
    let Some(s) = common::corpus("sigstore") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = s.join("trusted_root/staging.trusted_root.json");
    let bundles = s.join("bundles");
    // ARTIFACT with its sigstore-python bundle `ARTIFACT.sigstore`, against the staging root.
    let verify = |artifact: &str, identity: &str, issuer: &str| {
        ci_intel(d)
            .args(["attest", "verify-bundle"])
            .arg(bundles.join(artifact))
            .arg("--bundle")
            .arg(bundles.join(format!("{artifact}.sigstore")))
            .arg("--trusted-root")
            .arg(&root)
            .args(["--identity", identity, "--issuer", issuer])
            .output()
            .unwrap()
    };
    let o = verify("bundle_v3.txt", ".+@.+|https://.+", "https://.+");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("ok    bundle         v0.3 (artifact)"),
        "{out}"
    );
    assert!(
        out.contains("hashedrekord/0.0.1 #25915956 in https://rekor.sigstage.dev"),
        "{out}"
    );
    assert!(
        out.contains("2024-04-02T19:19:09Z (rekor integrated time)"),
        "{out}"
    );

    // JSON for machines; the Rekor v2 bundle's time comes from its RFC 3161 timestamp.
    let o = ci_intel(d)
        .args(["attest", "verify-bundle", "--json"])
        .arg(bundles.join("staging-rekor-v2.txt"))
        .arg("--trusted-root")
        .arg(&root)
        .args(["--identity", ".*", "--issuer", ".*"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["schema"], "ci-intel.sigstore-verification/v1");
    assert_eq!(v["log"]["entry_kind"], "hashedrekord/0.0.2");
    assert_eq!(v["timestamps"][0]["source"], "rfc3161");

    // A wrong identity is a denial (exit 1) that says why.
    let o = verify("bundle_v3.txt", "someone@example.com", ".*");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("identity mismatch"), "{}", stderr(&o));

    // The CVE-2022-36056 bundle: a log entry for another signature.
    let o = verify("bundle_cve_2022_36056.txt", ".*", ".*");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("log entry does not match"),
        "{}",
        stderr(&o)
    );
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn verify_bundle_garbage_is_bad_input_naming_the_file() {
    let Some(s) = common::corpus("sigstore") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.txt"), "x").unwrap();
    std::fs::write(d.join("a.txt.sigstore.json"), "{\"mediaType\": 3").unwrap();
    let o = ci_intel(d)
        .args(["attest", "verify-bundle", "a.txt", "--trusted-root"])
        .arg(s.join("trusted_root/staging.trusted_root.json"))
        .args(["--identity", ".*", "--issuer", ".*"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("a.txt.sigstore.json"), "{}", stderr(&o));
    assert!(stderr(&o).contains("line 1"), "{}", stderr(&o));

    std::fs::write(d.join("root.json"), "not json").unwrap();
    let o = ci_intel(d)
        .args([
            "attest",
            "verify-bundle",
            "a.txt",
            "--trusted-root",
            "root.json",
        ])
        .args(["--identity", ".*", "--issuer", ".*"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("root.json"), "{}", stderr(&o));
    assert!(stderr(&o).contains("trusted root"), "{}", stderr(&o));
}

/// A Fulcio-signed bundle is only as good as the identity it is checked against: without
/// `--key`, both `--identity` and `--issuer` are required (exit 2, before reading anything).
#[test]
fn verify_bundle_requires_a_signer_policy() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--identity", ".*"][..],
        &["--issuer", "https://token.actions.githubusercontent.com"][..],
        &[][..],
    ] {
        let o = ci_intel(dir.path())
            .args([
                "attest",
                "verify-bundle",
                "a.txt",
                "--trusted-root",
                "root.json",
            ])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("--identity and --issuer are required unless --key"),
            "{}",
            stderr(&o)
        );
    }
}
