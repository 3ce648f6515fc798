//! The repository the converted results point into: paths made repository-relative, and the
//! source line of a result read once so its fingerprint survives the line moving.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Files larger than this are not read for snippets (the message is used instead).
const MAX_SOURCE_BYTES: u64 = 16 * 1024 * 1024;

/// How a tool counts columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnUnit {
    /// Characters (Ruff, rustc): what SARIF's `unicodeCodePoints` means.
    CodePoints,
    /// Offsets into the UTF-8 line, as Python's `ast` gives them (pylint, bandit, mypy, pyflakes).
    Utf8Bytes,
    /// JavaScript string indexes (ESLint).
    Utf16Units,
}

/// The repository root and a cache of the source files results point at.
#[derive(Debug)]
pub struct SourceTree {
    root: PathBuf,
    files: HashMap<String, Option<Vec<String>>>,
}

impl SourceTree {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let root = root.canonicalize().unwrap_or(root);
        Self {
            root,
            files: HashMap::new(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A tool's path as a repository-relative, `/`-separated path: absolute paths under the
    /// root lose the root, `./` prefixes go; a path outside the root stays absolute.
    pub fn relativize(&self, path: &str) -> String {
        let unified = path.replace('\\', "/");
        let p = Path::new(&unified);
        if p.is_absolute() {
            if let Ok(rel) = p.strip_prefix(&self.root) {
                return rel.to_string_lossy().into_owned();
            }
            // The tool may have seen the root through a symlink (e.g. /tmp vs /private/tmp).
            if let Some(rel) = p
                .parent()
                .and_then(|d| d.canonicalize().ok())
                .and_then(|d| d.strip_prefix(&self.root).ok().map(Path::to_path_buf))
                .map(|d| d.join(p.file_name().unwrap_or_default()))
            {
                return rel.to_string_lossy().into_owned();
            }
            return unified;
        }
        let mut out = unified.as_str();
        while let Some(rest) = out.strip_prefix("./") {
            out = rest;
        }
        out.to_owned()
    }

    /// Line `line` (1-based) of the repository-relative `path`, if the file is inside the root
    /// and readable as text.
    pub fn line(&mut self, path: &str, line: u32) -> Option<&str> {
        if line == 0 {
            return None;
        }
        if !self.files.contains_key(path) {
            let lines = self.read(path);
            self.files.insert(path.to_owned(), lines);
        }
        self.files
            .get(path)?
            .as_ref()?
            .get(line as usize - 1)
            .map(String::as_str)
    }

    /// A 1-based column that a tool counted in `unit`, re-counted in Unicode code points (the
    /// unit our runs declare). Unchanged when the line cannot be read; a column inside a
    /// multi-unit character names that character; past the line's end, the excess carries over.
    pub fn code_point_column(
        &mut self,
        path: &str,
        line: u32,
        column: u32,
        unit: ColumnUnit,
    ) -> u32 {
        if unit == ColumnUnit::CodePoints || column == 0 {
            return column;
        }
        let Some(text) = self.line(path, line) else {
            return column;
        };
        let target = column as usize - 1;
        let mut units = 0usize;
        for (chars, c) in text.chars().enumerate() {
            let width = match unit {
                ColumnUnit::Utf8Bytes => c.len_utf8(),
                ColumnUnit::Utf16Units => c.len_utf16(),
                ColumnUnit::CodePoints => 1,
            };
            if units + width > target {
                return u32::try_from(chars + 1).unwrap_or(column);
            }
            units += width;
        }
        let past = target - units;
        u32::try_from(text.chars().count() + past + 1).unwrap_or(column)
    }

    fn read(&self, path: &str) -> Option<Vec<String>> {
        let rel = Path::new(path);
        // Only files inside the repository: a result never makes us read elsewhere.
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return None;
        }
        let full = self.root.join(rel);
        if std::fs::metadata(&full).ok()?.len() > MAX_SOURCE_BYTES {
            return None;
        }
        let bytes = std::fs::read(full).ok()?;
        Some(
            String::from_utf8_lossy(&bytes)
                .lines()
                .map(str::to_owned)
                .collect(),
        )
    }

    /// What identifies a result independently of its line: the source line when we can read
    /// it, else the tool's message.
    pub fn snippet(&mut self, path: &str, line: u32, message: &str) -> String {
        match self.line(path, line) {
            Some(l) if !l.trim().is_empty() => l.to_owned(),
            _ => message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_recounted_in_code_points() {
        let dir = tempfile::tempdir().unwrap();
        // `é` is 2 UTF-8 bytes and 1 UTF-16 unit; `𝔛` is 4 bytes and 2 units.
        std::fs::write(dir.path().join("a.txt"), "é𝔛x = 1\n").unwrap();
        let mut tree = SourceTree::new(dir.path());
        let col = |t: &mut SourceTree, c, u| t.code_point_column("a.txt", 1, c, u);
        assert_eq!(
            col(&mut tree, 7, ColumnUnit::Utf8Bytes),
            3,
            "`x` after 2+4 bytes"
        );
        assert_eq!(
            col(&mut tree, 4, ColumnUnit::Utf16Units),
            3,
            "`x` after 1+2 units"
        );
        assert_eq!(col(&mut tree, 3, ColumnUnit::CodePoints), 3);
        assert_eq!(
            col(&mut tree, 2, ColumnUnit::Utf8Bytes),
            1,
            "inside `é` names `é`"
        );
        assert_eq!(
            col(&mut tree, 15, ColumnUnit::Utf8Bytes),
            11,
            "past the end carries over"
        );
        assert_eq!(
            tree.code_point_column("missing.txt", 1, 8, ColumnUnit::Utf8Bytes),
            8,
            "unreadable lines keep the tool's column"
        );
    }

    #[test]
    fn paths_become_relative_and_reads_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.py"), "x = 1\n\ny = 2\n").unwrap();
        let mut tree = SourceTree::new(dir.path());
        let abs = tree.root().join("src/a.py");
        assert_eq!(tree.relativize(&abs.to_string_lossy()), "src/a.py");
        assert_eq!(tree.relativize("./src/a.py"), "src/a.py");
        assert_eq!(tree.relativize("src\\a.py"), "src/a.py");
        assert_eq!(tree.relativize("/elsewhere/b.py"), "/elsewhere/b.py");
        assert_eq!(tree.line("src/a.py", 3), Some("y = 2"));
        assert_eq!(tree.line("src/a.py", 9), None);
        assert_eq!(tree.line("../a.py", 1), None);
        assert_eq!(tree.snippet("src/a.py", 2, "msg"), "msg");
        assert_eq!(tree.snippet("src/a.py", 1, "msg"), "x = 1");
    }
}
