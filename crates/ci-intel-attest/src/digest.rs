//! Digests of files and trees, and the checksum files coreutils and b3sum read.
//!
//! Files are streamed in 1 MiB blocks, every requested SHA-2 computed in the same pass; BLAKE3
//! of a large file uses its memory-mapped multithreaded mode. A tree is hashed file by file in
//! parallel and listed in byte order of its relative paths, so the same tree always gives the
//! same manifest.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest as _, Sha256, Sha512};

/// Files at least this large are hashed by BLAKE3's multithreaded, memory-mapped mode.
const BLAKE3_PARALLEL_FROM: u64 = 4 * 1024 * 1024;
const BLOCK: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Sha256,
    Sha512,
    Blake3,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [Algorithm::Sha256, Algorithm::Sha512, Algorithm::Blake3];

    /// The name in in-toto digest sets and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
            Algorithm::Blake3 => "blake3",
        }
    }

    /// The tag of BSD-style checksum lines (`SHA256 (file) = …`).
    pub fn bsd_tag(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
            Algorithm::Blake3 => "BLAKE3",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name) || a.bsd_tag() == name)
    }

    /// Hex digits of a digest.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 | Algorithm::Blake3 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// The digests of one file, in the order requested, as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    /// The path as it will be written in checksum files (relative to where the command ran,
    /// `/`-separated).
    pub path: String,
    pub size: u64,
    pub digests: Vec<(Algorithm, String)>,
}

impl FileDigest {
    pub fn get(&self, alg: Algorithm) -> Option<&str> {
        self.digests
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, d)| d.as_str())
    }
}

/// Hashes one file with every algorithm in `algs`.
pub fn file(path: &Path, algs: &[Algorithm]) -> std::io::Result<(u64, Vec<(Algorithm, String)>)> {
    let size = std::fs::metadata(path)?.len();
    let want = |a| algs.contains(&a);
    let mut sha256 = want(Algorithm::Sha256).then(Sha256::new);
    let mut sha512 = want(Algorithm::Sha512).then(Sha512::new);
    let mut b3 = want(Algorithm::Blake3).then(blake3::Hasher::new);
    let b3_parallel = b3.is_some() && size >= BLAKE3_PARALLEL_FROM;
    if b3_parallel && let Some(h) = b3.as_mut() {
        h.update_mmap_rayon(path)?;
    }
    if sha256.is_some() || sha512.is_some() || (b3.is_some() && !b3_parallel) {
        let mut f = std::fs::File::open(path)?;
        let mut buf = vec![0u8; BLOCK.min(usize::try_from(size).unwrap_or(BLOCK).max(1))];
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let block = &buf[..n];
            if let Some(h) = sha256.as_mut() {
                h.update(block);
            }
            if let Some(h) = sha512.as_mut() {
                h.update(block);
            }
            if !b3_parallel && let Some(h) = b3.as_mut() {
                h.update(block);
            }
        }
    }
    let mut out = Vec::with_capacity(algs.len());
    for &a in algs {
        let hex = match a {
            Algorithm::Sha256 => sha256.take().map(|h| hex::encode(h.finalize())),
            Algorithm::Sha512 => sha512.take().map(|h| hex::encode(h.finalize())),
            Algorithm::Blake3 => b3.take().map(|h| h.finalize().to_hex().to_string()),
        };
        if let Some(hex) = hex {
            out.push((a, hex));
        }
    }
    Ok((size, out))
}

/// A path given on the command line: a file, or a directory whose files are all hashed.
/// Returns every file's digests, sorted by path; errors name the path.
pub fn paths(
    inputs: &[PathBuf],
    algs: &[Algorithm],
) -> Result<Vec<FileDigest>, (PathBuf, std::io::Error)> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| (input.clone(), e))?;
        if meta.is_dir() {
            let walker = ignore::WalkBuilder::new(input)
                .standard_filters(false)
                .follow_links(false)
                .build();
            for entry in walker {
                let entry =
                    entry.map_err(|e| (input.clone(), std::io::Error::other(e.to_string())))?;
                if entry.file_type().is_some_and(|t| t.is_file()) {
                    let p = entry.into_path();
                    let shown = display(&p);
                    files.push((p, shown));
                }
            }
        } else {
            files.push((input.clone(), display(input)));
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    files.dedup_by(|a, b| a.1 == b.1);
    files
        .par_iter()
        .map(|(p, shown)| {
            let (size, digests) = file(p, algs).map_err(|e| (p.clone(), e))?;
            Ok(FileDigest {
                path: shown.clone(),
                size,
                digests,
            })
        })
        .collect()
}

fn display(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// A checksum file in the GNU format (`HEX  PATH`), which `sha256sum -c`, `sha512sum -c` and
/// `b3sum -c` read. Names holding a newline or backslash are escaped as coreutils does (the
/// line starts with `\`).
pub fn checksum_file(files: &[FileDigest], alg: Algorithm) -> String {
    let mut out = String::new();
    for f in files {
        let Some(d) = f.get(alg) else { continue };
        let (prefix, path) = escape(&f.path);
        let _ = writeln!(out, "{prefix}{d}  {path}");
    }
    out
}

/// BSD-style tagged lines (`SHA256 (PATH) = HEX`), for several algorithms in one file; GNU
/// `sha256sum -c` reads these too.
pub fn tagged_file(files: &[FileDigest]) -> String {
    let mut out = String::new();
    for f in files {
        let (prefix, path) = escape(&f.path);
        for (a, d) in &f.digests {
            let _ = writeln!(out, "{prefix}{} ({path}) = {d}", a.bsd_tag());
        }
    }
    out
}

/// The digest of a whole tree: SHA-256 of its GNU checksum file (sorted paths, SHA-256 per
/// file), so anyone can recompute it with `sha256sum` and `sort`.
pub fn tree_digest(files: &[FileDigest]) -> Option<String> {
    if files.iter().any(|f| f.get(Algorithm::Sha256).is_none()) {
        return None;
    }
    Some(hex::encode(Sha256::digest(
        checksum_file(files, Algorithm::Sha256).as_bytes(),
    )))
}

/// One expected digest read from a checksum file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub line: u64,
    pub algorithm: Algorithm,
    pub path: String,
    pub hex: String,
}

/// Parses a checksum file: GNU lines (`HEX  PATH`, `HEX *PATH` for binary mode, `\`-escaped
/// names) with the algorithm given (`default`, else told apart by length: 128 hex digits is
/// SHA-512), or BSD tagged lines. Blank lines and `#` comments are skipped. Errors name the line
/// and what was expected.
pub fn parse_checksums(
    text: &str,
    default: Option<Algorithm>,
) -> Result<Vec<Expected>, (u64, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (escaped, line) = match line.strip_prefix('\\') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        if let Some(mut e) = parse_tagged(line, line_no) {
            if escaped {
                e.path = unescape(&e.path);
            }
            out.push(e);
            continue;
        }
        let hex_end = line.find([' ', '\t']).ok_or_else(|| {
            (
                line_no,
                "expected `HEX  PATH` or `ALGO (PATH) = HEX`".to_owned(),
            )
        })?;
        let hex = &line[..hex_end];
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err((
                line_no,
                format!("expected a hexadecimal digest, found `{}`", truncate(hex)),
            ));
        }
        let rest = &line[hex_end..];
        let path = rest
            .strip_prefix("  ")
            .or_else(|| rest.strip_prefix(" *"))
            .or_else(|| rest.strip_prefix(' '))
            .unwrap_or(rest);
        if path.is_empty() {
            return Err((line_no, "expected a path after the digest".into()));
        }
        let path = if escaped {
            unescape(path)
        } else {
            path.to_owned()
        };
        let algorithm = match default {
            Some(a) => a,
            None if hex.len() == 128 => Algorithm::Sha512,
            None => Algorithm::Sha256,
        };
        if hex.len() != algorithm.hex_len() {
            return Err((
                line_no,
                format!(
                    "expected a {}-digit {} digest, found {} digits",
                    algorithm.hex_len(),
                    algorithm.name(),
                    hex.len()
                ),
            ));
        }
        out.push(Expected {
            line: line_no,
            algorithm,
            path,
            hex: hex.to_ascii_lowercase(),
        });
    }
    Ok(out)
}

fn parse_tagged(line: &str, line_no: u64) -> Option<Expected> {
    let (tag, rest) = line.split_once(" (")?;
    let algorithm = Algorithm::parse(tag)?;
    let (path, hex) = rest.rsplit_once(") = ")?;
    (hex.len() == algorithm.hex_len() && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| {
        Expected {
            line: line_no,
            algorithm,
            path: path.to_owned(),
            hex: hex.to_ascii_lowercase(),
        }
    })
}

/// Names holding a newline, carriage return or backslash are escaped and their line starts
/// with `\\`, as coreutils does.
fn escape(path: &str) -> (&'static str, std::borrow::Cow<'_, str>) {
    if path.contains(['\n', '\\', '\r']) {
        let e = path
            .replace('\\', "\\\\")
            .replace('\n', "\\n")
            .replace('\r', "\\r");
        ("\\", e.into())
    } else {
        ("", path.into())
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn truncate(s: &str) -> String {
    s.chars().take(20).collect()
}

/// The outcome of checking one expected digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Ok,
    Mismatch { actual: String },
    Unreadable(String),
}

/// Checks every expected digest; paths are relative to `base`.
pub fn check(expected: &[Expected], base: &Path) -> Vec<(Expected, Check)> {
    expected
        .par_iter()
        .map(|e| {
            let path = base.join(&e.path);
            let outcome = match file(&path, &[e.algorithm]) {
                Ok((_, d)) => {
                    let actual = d.into_iter().next().map(|(_, h)| h).unwrap_or_default();
                    if constant_time_eq(actual.as_bytes(), e.hex.as_bytes()) {
                        Check::Ok
                    } else {
                        Check::Mismatch { actual }
                    }
                }
                Err(err) => Check::Unreadable(err.to_string()),
            };
            (e.clone(), outcome)
        })
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        let (size, d) = file(&p, &Algorithm::ALL).unwrap();
        assert_eq!(size, 3);
        assert_eq!(
            d[0].1,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(d[1].1.starts_with("ddaf35a193617aba"));
        assert_eq!(
            d[2].1,
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
    }

    #[test]
    fn large_files_hash_the_same_in_parallel_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let data: Vec<u8> = (0..(BLAKE3_PARALLEL_FROM as usize + 12345))
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        std::fs::write(&p, &data).unwrap();
        let (_, d) = file(&p, &[Algorithm::Blake3, Algorithm::Sha256]).unwrap();
        assert_eq!(d[0].1, blake3::hash(&data).to_hex().to_string());
        assert_eq!(d[1].1, hex::encode(Sha256::digest(&data)));
    }

    #[test]
    fn checksum_lines_round_trip_with_escapes() {
        let files = vec![
            FileDigest {
                path: "a b.txt".into(),
                size: 1,
                digests: vec![(Algorithm::Sha256, "ab".repeat(32))],
            },
            FileDigest {
                path: "new\nline\\x".into(),
                size: 1,
                digests: vec![(Algorithm::Sha256, "cd".repeat(32))],
            },
        ];
        let text = checksum_file(&files, Algorithm::Sha256);
        let parsed = parse_checksums(&text, None).unwrap();
        assert_eq!(parsed[0].path, "a b.txt");
        assert_eq!(parsed[1].path, "new\nline\\x");
        let tagged = parse_checksums(&tagged_file(&files), None).unwrap();
        assert_eq!(tagged[1].path, "new\nline\\x");
    }

    #[test]
    fn bad_lines_name_what_was_expected() {
        let e = parse_checksums("abc\n", None).unwrap_err();
        assert_eq!(e.0, 1);
        let e = parse_checksums(&format!("# c\n{}  x\nzz  y\n", "a".repeat(64)), None).unwrap_err();
        assert_eq!(e.0, 3);
        assert!(e.1.contains("hexadecimal"));
        let e = parse_checksums(&format!("{}  x\n", "a".repeat(63)), None).unwrap_err();
        assert!(e.1.contains("64-digit"), "{}", e.1);
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,300}") {
            let _ = parse_checksums(&text, None);
            let _ = parse_checksums(&text, Some(Algorithm::Blake3));
        }
    }
}
