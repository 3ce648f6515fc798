//! Turning the paths tools write into paths of this repository.
//!
//! Reports name files in many ways: absolute paths from the machine that ran the tests
//! (`/home/runner/work/app/app/src/x.py`), paths relative to a source root
//! (`com/example/Foo.java`, `example.com/mod/pkg/file.go`), or already repository-relative. An
//! annotation or a diff-coverage match needs the repository-relative path, so we resolve each
//! reported path against the repository's file list, by the longest unambiguous suffix.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Resolves reported paths against the files under a repository root.
#[derive(Debug)]
pub struct RepoPaths {
    root: PathBuf,
    canonical_root: Option<PathBuf>,
    index: OnceLock<Index>,
    /// Injected file list (tests, or callers that already have one).
    preset: Option<Vec<String>>,
}

#[derive(Debug, Default)]
struct Index {
    files: Vec<String>,
    /// File name → indices into `files`.
    by_name: HashMap<String, Vec<usize>>,
}

/// Directories never worth indexing when git is not available.
const SKIP_DIRS: [&str; 5] = [".git", "node_modules", "target", ".venv", "__pycache__"];
const MAX_WALK_FILES: usize = 500_000;

impl RepoPaths {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
            canonical_root: root.canonicalize().ok(),
            index: OnceLock::new(),
            preset: None,
        }
    }

    /// A resolver over a known list of repository-relative files.
    pub fn with_files(root: &Path, files: Vec<String>) -> Self {
        let mut r = Self::new(root);
        r.preset = Some(files);
        r
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let files = self.preset.clone().unwrap_or_else(|| {
                crate::git::ls_files(&self.root).unwrap_or_else(|_| walk(&self.root))
            });
            let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, f) in files.iter().enumerate() {
                let name = f.rsplit('/').next().unwrap_or(f).to_owned();
                by_name.entry(name).or_default().push(i);
            }
            Index { files, by_name }
        })
    }

    /// The repository-relative form of `reported`, if it names a file of the repository.
    pub fn resolve(&self, reported: &str) -> Option<String> {
        let norm = normalize(reported);
        if norm.is_empty() {
            return None;
        }
        // Absolute and under our root: strip the root.
        if norm.starts_with('/') {
            for root in [Some(&self.root), self.canonical_root.as_ref()]
                .into_iter()
                .flatten()
            {
                let root = normalize(&root.to_string_lossy());
                if let Some(rest) = norm.strip_prefix(&format!("{}/", root.trim_end_matches('/'))) {
                    return Some(rest.to_owned());
                }
            }
        } else if self.preset.is_none() && self.root.join(&norm).is_file() {
            return Some(norm);
        }
        self.by_suffix(&norm)
    }

    /// Like [`Self::resolve`], but falls back to the normalised reported path.
    pub fn resolve_or_keep(&self, reported: &str) -> String {
        self.resolve(reported)
            .unwrap_or_else(|| normalize(reported))
    }

    /// The longest suffix of `path` (whole components) that matches exactly one file.
    fn by_suffix(&self, path: &str) -> Option<String> {
        let idx = self.index();
        let name = path.rsplit('/').next()?;
        let candidates = idx.by_name.get(name)?;
        let comps: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        for start in 0..comps.len() {
            let suffix = comps[start..].join("/");
            let matching: Vec<&String> = candidates
                .iter()
                .map(|&i| &idx.files[i])
                .filter(|f| *f == &suffix || f.ends_with(&format!("/{suffix}")))
                .collect();
            match matching.len() {
                1 => return Some(matching[0].clone()),
                0 => {}
                // Ambiguous at this length: a shorter suffix can only be more ambiguous.
                _ => return None,
            }
        }
        None
    }
}

/// Forward slashes, no `./` prefix, no duplicate separators.
pub fn normalize(p: &str) -> String {
    let p = p.trim().replace('\\', "/");
    let absolute = p.starts_with('/');
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !SKIP_DIRS.iter().any(|s| name == *s) {
                    stack.push(e.path());
                }
            } else if ft.is_file()
                && let Ok(rel) = e.path().strip_prefix(root)
            {
                out.push(normalize(&rel.to_string_lossy()));
                if out.len() >= MAX_WALK_FILES {
                    return out;
                }
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> RepoPaths {
        RepoPaths::with_files(
            Path::new("/work/app"),
            [
                "src/calc/__init__.py",
                "tests/__init__.py",
                "src/main/java/com/example/bank/Account.java",
                "src/test/java/com/example/bank/AccountTest.java",
                "temps.go",
                "pkg/a/util.go",
                "pkg/b/util.go",
            ]
            .map(String::from)
            .to_vec(),
        )
    }

    #[test]
    fn strips_our_own_root() {
        assert_eq!(
            repo().resolve("/work/app/src/calc/__init__.py").as_deref(),
            Some("src/calc/__init__.py")
        );
    }

    #[test]
    fn resolves_foreign_absolute_paths_by_suffix() {
        assert_eq!(
            repo()
                .resolve("/home/runner/work/app/app/src/calc/__init__.py")
                .as_deref(),
            Some("src/calc/__init__.py")
        );
    }

    #[test]
    fn resolves_package_relative_paths() {
        let r = repo();
        assert_eq!(
            r.resolve("com/example/bank/Account.java").as_deref(),
            Some("src/main/java/com/example/bank/Account.java")
        );
        assert_eq!(
            r.resolve("example.com/temps/temps.go").as_deref(),
            Some("temps.go")
        );
    }

    #[test]
    fn refuses_ambiguous_and_unknown_names() {
        let r = repo();
        assert_eq!(r.resolve("util.go"), None);
        assert_eq!(r.resolve("__init__.py"), None);
        assert_eq!(r.resolve("pkg/b/util.go").as_deref(), Some("pkg/b/util.go"));
        assert_eq!(r.resolve("nothing.rs"), None);
        assert_eq!(r.resolve_or_keep("./x\\y.rs"), "x/y.rs");
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize("./a//b/./c"), "a/b/c");
        assert_eq!(normalize("/a/b"), "/a/b");
        assert_eq!(normalize("C:\\x\\y"), "C:/x/y");
    }
}
