//! Finding input files from globs (`**/junit*.xml`, `reports/*.xml`) or plain paths.
//!
//! Reports are usually ignored by git (`target/`, `build/`), so discovery deliberately does not
//! honour `.gitignore`; it only skips directories that never hold a project's reports
//! (`.git`, `node_modules`, virtualenvs).

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::error::InputError;

/// Directories never descended into when expanding a glob.
const SKIP_DIRS: [&str; 5] = [".git", "node_modules", ".venv", "venv", "__pycache__"];

/// Expands each pattern relative to `base` (a pattern may also be absolute). A pattern without
/// glob characters is a plain path and must exist. Returns sorted, de-duplicated files and, per
/// pattern, whether it matched anything.
pub fn expand(base: &Path, patterns: &[String]) -> Result<(Vec<PathBuf>, Vec<bool>), InputError> {
    let mut files = Vec::new();
    let mut matched = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        let before = files.len();
        if !is_glob(pattern) {
            let p = resolve(base, pattern);
            if p.is_file() {
                files.push(p);
            } else if p.exists() {
                return Err(InputError::new(p, "expected a file, found a directory"));
            }
            matched.push(files.len() > before);
            continue;
        }
        let (dir, rest) = split_literal_prefix(pattern);
        let root = resolve(base, &dir);
        let matcher =
            glob(&rest).map_err(|e| InputError::new(pattern, format!("invalid glob: {e}")))?;
        walk(&root, &root, &matcher, &mut files);
        matched.push(files.len() > before);
    }
    files.sort();
    files.dedup();
    Ok((files, matched))
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_owned()
    } else if p.is_empty() {
        base.to_owned()
    } else {
        base.join(path)
    }
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '[', '{'])
}

/// `reports/**/junit*.xml` → (`reports`, `**/junit*.xml`).
fn split_literal_prefix(pattern: &str) -> (String, String) {
    let path = Path::new(pattern);
    let mut literal = PathBuf::new();
    let mut rest = Vec::new();
    let mut in_glob = false;
    for c in path.components() {
        let s = c.as_os_str().to_string_lossy();
        if !in_glob && !is_glob(&s) {
            match c {
                Component::RootDir => literal.push("/"),
                _ => literal.push(c.as_os_str()),
            }
        } else {
            in_glob = true;
            rest.push(s.into_owned());
        }
    }
    (literal.to_string_lossy().into_owned(), rest.join("/"))
}

fn glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
}

fn walk(root: &Path, dir: &Path, matcher: &GlobMatcher, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let path = e.path();
        if ft.is_dir() {
            if !SKIP_DIRS.iter().any(|s| e.file_name() == *s) {
                walk(root, &path, matcher, out);
            }
        } else if ft.is_file()
            && let Ok(rel) = path.strip_prefix(root)
            && matcher.is_match(rel)
        {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_globs_and_plain_paths() {
        let d = tempfile::tempdir().unwrap();
        for f in [
            "a/junit.xml",
            "a/b/junit-x.xml",
            "c/other.xml",
            "node_modules/m/junit.xml",
            "top.xml",
        ] {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        let (files, matched) = expand(
            d.path(),
            &[
                "**/junit*.xml".into(),
                "top.xml".into(),
                "missing/*.xml".into(),
            ],
        )
        .unwrap();
        let rel: Vec<_> = files
            .iter()
            .map(|p| {
                p.strip_prefix(d.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(rel, vec!["a/b/junit-x.xml", "a/junit.xml", "top.xml"]);
        assert_eq!(matched, vec![true, true, false]);
        let (_, m) = expand(d.path(), &["nope.xml".into()]).unwrap();
        assert_eq!(m, vec![false]);
        assert!(expand(d.path(), &["a".into()]).is_err());
    }

    #[test]
    fn literal_prefixes() {
        assert_eq!(
            split_literal_prefix("reports/**/j*.xml"),
            ("reports".into(), "**/j*.xml".into())
        );
        assert_eq!(
            split_literal_prefix("/abs/*.xml"),
            ("/abs".into(), "*.xml".into())
        );
        assert_eq!(
            split_literal_prefix("*.xml"),
            (String::new(), "*.xml".into())
        );
    }
}
