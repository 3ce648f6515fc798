//! File-system helpers every command shares.

use std::io::{self, Read, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is renamed into
/// place, so a reader (or a crash) never sees half an output file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".ci-intel-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Appends `text` to `path` (used for `$GITHUB_STEP_SUMMARY`, which GitHub expects appended to).
pub fn append(path: &Path, text: &str) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// What the first bytes of a file say about it, so readers can refuse binaries and empty files
/// with a clear message before a parser produces a confusing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    Empty,
    Binary,
    Gzip,
    Text,
}

/// Looks at up to 8 KiB of `head`.
pub fn sniff(head: &[u8]) -> Sniff {
    if head.iter().all(u8::is_ascii_whitespace) {
        return Sniff::Empty;
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Sniff::Gzip;
    }
    let window = &head[..head.len().min(8192)];
    // UTF-16 XML starts with a BOM and is full of NULs; we do not read it, so call it binary.
    if window.contains(&0) {
        return Sniff::Binary;
    }
    Sniff::Text
}

/// Reads the first `n` bytes of a file (fewer if it is shorter).
pub fn read_head(path: &Path, n: usize) -> io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        let got = f.read(&mut buf[filled..])?;
        if got == 0 {
            break;
        }
        filled += got;
    }
    buf.truncate(filled);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.json")]);
    }

    #[test]
    fn sniffs_kinds() {
        assert_eq!(sniff(b""), Sniff::Empty);
        assert_eq!(sniff(b"  \n"), Sniff::Empty);
        assert_eq!(sniff(b"\x1f\x8b\x08"), Sniff::Gzip);
        assert_eq!(sniff(b"\x7fELF\x00\x01"), Sniff::Binary);
        assert_eq!(sniff(b"<?xml"), Sniff::Text);
    }
}
