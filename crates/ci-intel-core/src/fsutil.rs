//! File-system helpers every command shares.

use std::io::{self, BufRead, Read, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// `ci-intel`'s directory under an XDG base directory: `$VAR/ci-intel` when `VAR` is set and
/// not empty, else `~/FALLBACK/ci-intel` (e.g. `XDG_STATE_HOME`, `.local/state`), else
/// `./ci-intel`.
pub fn xdg_dir(var: &str, fallback: &str) -> std::path::PathBuf {
    use std::path::PathBuf;
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("ci-intel")
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is renamed into
/// place, so a reader (or a crash) never sees half an output file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    // A device or a FIFO (`--output /dev/null`, `/dev/stdout`, a named pipe) is written in
    // place: renaming a temporary file over it would replace it with a regular file, and as
    // root that turns /dev/null into a file every later reader of /dev/null sees.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.write_all(bytes)?;
        return f.flush();
    }
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

/// A reader that reads ahead on its own thread.
///
/// Parsing a large report is single-threaded by nature; moving the `read` system calls (and the
/// kernel's copy out of the page cache) to a second thread lets parsing and I/O overlap. Chunks
/// are recycled between the two threads, so memory stays at a few chunks whatever the file size.
#[derive(Debug)]
pub struct Prefetch {
    filled: Receiver<io::Result<Vec<u8>>>,
    empty: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Prefetch {
    /// Chunk size and how many chunks may be in flight.
    const CHUNK: usize = 1 << 20;
    const DEPTH: usize = 4;

    pub fn new<R: Read + Send + 'static>(mut source: R) -> Self {
        let (filled_tx, filled) = sync_channel::<io::Result<Vec<u8>>>(Self::DEPTH);
        let (empty, empty_rx) = sync_channel::<Vec<u8>>(Self::DEPTH + 1);
        for _ in 0..Self::DEPTH {
            // Cannot fail: the channel has room for every initial buffer.
            let _ = empty.try_send(vec![0u8; Self::CHUNK]);
        }
        std::thread::spawn(move || {
            while let Ok(mut buf) = empty_rx.recv() {
                buf.resize(Self::CHUNK, 0);
                let mut n = 0;
                let result = loop {
                    match source.read(&mut buf[n..]) {
                        Ok(0) => break Ok(()),
                        Ok(k) => {
                            n += k;
                            if n == buf.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                buf.truncate(n);
                let end = n == 0 || result.is_err();
                let msg = result.map(|()| buf);
                if filled_tx.send(msg).is_err() || end {
                    return;
                }
            }
        });
        Self {
            filled,
            empty,
            current: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl Read for Prefetch {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Prefetch {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.current.len() && !self.done {
            let spent = std::mem::take(&mut self.current);
            if spent.capacity() > 0 {
                // The reader thread may have finished; then nobody needs the buffer back.
                let _ = self.empty.try_send(spent);
            }
            self.pos = 0;
            match self.filled.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => self.done = true,
                Ok(Ok(chunk)) => self.current = chunk,
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        Ok(&self.current[self.pos.min(self.current.len())..])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

#[cfg(test)]
mod tests {

    /// `--output /dev/null` once replaced /dev/null with a regular file (the rename of the
    /// atomic write, as root); a FIFO stands in for the device here.
    #[cfg(unix)]
    #[test]
    fn writing_to_a_fifo_writes_through_it_and_leaves_it_a_fifo() {
        use std::os::unix::fs::FileTypeExt as _;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(&fifo).unwrap())
        };
        write_atomic(&fifo, b"report\n").unwrap();
        // Checked before joining: had the FIFO been replaced, its reader would wait forever.
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(reader.join().unwrap(), b"report\n");
    }

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
    fn prefetch_reads_everything_in_order() {
        let data: Vec<u8> = (0..(3 * Prefetch::CHUNK + 12345))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut out = Vec::new();
        Prefetch::new(std::io::Cursor::new(data.clone()))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        let mut empty = Vec::new();
        Prefetch::new(std::io::empty())
            .read_to_end(&mut empty)
            .unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn prefetch_passes_errors_on() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let mut out = Vec::new();
        let e = Prefetch::new(Failing).read_to_end(&mut out).unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
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
