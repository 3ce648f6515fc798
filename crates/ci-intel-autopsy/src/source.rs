//! Where logs come from: files (plain or gzip), directories of them, standard input, and the
//! zip GitHub's REST API returns for a run's logs (`GET …/actions/runs/{id}/logs`): one
//! `N_job.txt` per job at the top, and a folder per job with one `N_step.txt` per step.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use ci_intel_core::InputError;
use ci_intel_core::fsutil::{self, Sniff};

/// One log to read.
#[derive(Debug, Clone)]
pub struct LogInput {
    /// How the log is named in the output: the path as given, or `zip!entry`.
    pub name: String,
    /// The job, when the source says (a GitHub log zip does).
    pub job: Option<String>,
    origin: Origin,
}

#[derive(Debug, Clone)]
enum Origin {
    File(PathBuf),
    Stdin,
    ZipEntry { zip: PathBuf, index: usize },
}

impl LogInput {
    /// Standard input.
    pub fn stdin() -> Self {
        Self {
            name: "<stdin>".into(),
            job: None,
            origin: Origin::Stdin,
        }
    }

    /// Opens the log (decompressing gzip) and hands the reader to `f`.
    pub fn read_with<T>(
        &self,
        f: &mut dyn FnMut(&mut dyn Read) -> io::Result<T>,
    ) -> Result<T, InputError> {
        let path = match &self.origin {
            Origin::File(p) | Origin::ZipEntry { zip: p, .. } => p.as_path(),
            Origin::Stdin => Path::new("<stdin>"),
        };
        let io_err = |e: io::Error| InputError::io(path, &e);
        match &self.origin {
            Origin::Stdin => {
                let stdin = io::stdin();
                let mut lock = stdin.lock();
                let mut head = [0u8; 2];
                // Peek by reading through a chained reader: gzip on stdin is decompressed too.
                let n = read_full(&mut lock, &mut head).map_err(io_err)?;
                let mut chained = (&head[..n]).chain(lock);
                if head[..n] == [0x1f, 0x8b] {
                    let mut gz = flate2::read::MultiGzDecoder::new(chained);
                    f(&mut gz).map_err(io_err)
                } else {
                    f(&mut chained).map_err(io_err)
                }
            }
            Origin::File(p) => {
                let file = File::open(p).map_err(io_err)?;
                let head = fsutil::read_head(p, 8192).map_err(io_err)?;
                if fsutil::sniff(&head) == Sniff::Gzip {
                    let mut gz = flate2::read::MultiGzDecoder::new(BufReader::new(file));
                    f(&mut gz).map_err(io_err)
                } else {
                    let mut file = file;
                    f(&mut file).map_err(io_err)
                }
            }
            Origin::ZipEntry { zip, index } => {
                let file = File::open(zip).map_err(io_err)?;
                let mut archive = zip::ZipArchive::new(BufReader::new(file))
                    .map_err(|e| InputError::new(zip, format!("not a readable zip: {e}")))?;
                let mut entry = archive
                    .by_index(*index)
                    .map_err(|e| InputError::new(zip, format!("zip entry {index}: {e}")))?;
                f(&mut entry).map_err(io_err)
            }
        }
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The logs at `paths`: `-` is standard input, a directory is searched (in name order), a zip
/// is opened as a GitHub run's logs. Binary files are refused; a directory's binary files are
/// skipped.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<LogInput>, InputError> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(LogInput::stdin());
        } else if p.is_dir() {
            let mut files: Vec<PathBuf> = walk(p).map_err(|e| InputError::io(p, &e))?;
            files.sort();
            for f in files {
                match classify(&f)? {
                    Kind::Binary | Kind::Empty => {}
                    kind => add(&mut out, &f, kind)?,
                }
            }
        } else if p.is_file() {
            match classify(p)? {
                Kind::Binary => {
                    return Err(InputError::new(
                        p,
                        "binary data: expected a text log (plain, gzip, or a GitHub run's log zip)",
                    ));
                }
                kind => add(&mut out, p, kind)?,
            }
        } else {
            return Err(InputError::new(p, "no such file or directory"));
        }
    }
    Ok(out)
}

fn walk(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            let ty = entry.file_type()?;
            if ty.is_dir() {
                stack.push(path);
            } else if ty.is_file() {
                out.push(path);
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Zip,
    Binary,
    Empty,
}

fn classify(p: &Path) -> Result<Kind, InputError> {
    let head = fsutil::read_head(p, 8192).map_err(|e| InputError::io(p, &e))?;
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(Kind::Zip);
    }
    Ok(match fsutil::sniff(&head) {
        Sniff::Binary => Kind::Binary,
        Sniff::Empty if head.is_empty() => Kind::Empty,
        _ => Kind::Text,
    })
}

fn add(out: &mut Vec<LogInput>, p: &Path, kind: Kind) -> Result<(), InputError> {
    let name = p.to_string_lossy().replace('\\', "/");
    if kind == Kind::Zip {
        out.extend(zip_entries(p, &name)?);
    } else {
        out.push(LogInput {
            name,
            job: None,
            origin: Origin::File(p.to_owned()),
        });
    }
    Ok(())
}

/// A GitHub run's log zip: the per-job files at the top when there are any (they hold every
/// step), else the per-step files of each job's folder. Entries in GitHub's order (their
/// number prefix), then by name.
fn zip_entries(p: &Path, name: &str) -> Result<Vec<LogInput>, InputError> {
    let file = File::open(p).map_err(|e| InputError::io(p, &e))?;
    let archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| InputError::new(p, format!("not a readable zip: {e}")))?;
    let names: Vec<(usize, String)> = (0..archive.len())
        .filter_map(|i| Some((i, archive.name_for_index(i)?.to_owned())))
        .filter(|(_, n)| {
            Path::new(n)
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("txt"))
                && !n.contains("..")
        })
        .collect();
    let top: Vec<&(usize, String)> = names.iter().filter(|(_, n)| !n.contains('/')).collect();
    let chosen: Vec<&(usize, String)> = if top.is_empty() {
        names.iter().collect()
    } else {
        top
    };
    if chosen.is_empty() {
        return Err(InputError::new(
            p,
            "a zip without .txt logs: expected a GitHub run's log archive",
        ));
    }
    let mut entries: Vec<(u64, String, LogInput)> = chosen
        .into_iter()
        .map(|(index, entry)| {
            let (folder, file) = entry
                .rsplit_once('/')
                .map_or((None, entry.as_str()), |(d, f)| (Some(d), f));
            let (number, title) = numbered(file.trim_end_matches(".txt"));
            let job = folder.map_or_else(|| title.to_owned(), str::to_owned);
            (
                number,
                entry.clone(),
                LogInput {
                    name: format!("{name}!{entry}"),
                    job: Some(job),
                    origin: Origin::ZipEntry {
                        zip: p.to_owned(),
                        index: *index,
                    },
                },
            )
        })
        .collect();
    entries.sort_by(|a, b| {
        let folder = |s: &str| s.rsplit_once('/').map(|(d, _)| d.to_owned());
        folder(&a.1)
            .cmp(&folder(&b.1))
            .then(a.0.cmp(&b.0))
            .then(a.1.cmp(&b.1))
    });
    Ok(entries.into_iter().map(|(_, _, l)| l).collect())
}

/// `3_Run tests` → `(3, "Run tests")`; a name without a number prefix sorts last.
fn numbered(stem: &str) -> (u64, &str) {
    match stem.split_once('_') {
        Some((n, rest)) if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() => {
            (n.parse().unwrap_or(u64::MAX), rest)
        }
        _ => (u64::MAX, stem),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_prefixes() {
        assert_eq!(numbered("3_Run tests"), (3, "Run tests"));
        assert_eq!(numbered("build"), (u64::MAX, "build"));
        assert_eq!(numbered("x_y"), (u64::MAX, "x_y"));
    }
}
