//! The few things ci-intel asks git: the repository root, the files it tracks, a default base for
//! "what changed", and the lines a diff added.
//!
//! We run the `git` executable (present in every CI image that checked code out) rather than
//! link a git library: its diff is the reference users compare with (diff-cover runs it too),
//! and it respects the repository's own configuration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A failed git invocation, with git's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("git {args}: {message}")]
pub struct GitError {
    pub args: String,
    pub message: String,
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotepath=false"])
        .args(args)
        .output()
        .map_err(|e| GitError {
            args: args.join(" "),
            message: format!("cannot run git: {e}"),
        })?;
    if !out.status.success() {
        return Err(GitError {
            args: args.join(" "),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(out.stdout)
}

fn git_line(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    Ok(String::from_utf8_lossy(&git(dir, args)?).trim().to_owned())
}

/// The top-level directory of the work tree containing `dir`, if it is in one.
///
/// Found by looking for `.git` in `dir` and its parents, as git itself does, which spares a
/// process; when git's own environment variables redirect it (`GIT_DIR`, `GIT_WORK_TREE`), git
/// is asked instead.
pub fn toplevel(dir: &Path) -> Option<PathBuf> {
    if std::env::var_os("GIT_DIR").is_none() && std::env::var_os("GIT_WORK_TREE").is_none() {
        let start = dir.canonicalize().ok()?;
        return start
            .ancestors()
            .find(|d| d.join(".git").exists())
            .map(Path::to_path_buf);
    }
    git_line(dir, &["rev-parse", "--show-toplevel"])
        .ok()
        .map(PathBuf::from)
}

/// Tracked and untracked-but-not-ignored files, relative to the repository root.
pub fn ls_files(root: &Path) -> Result<Vec<String>, GitError> {
    let out = git(
        root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    )?;
    let mut files: Vec<String> = out
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// The commit checked out.
pub fn head_sha(root: &Path) -> Result<String, GitError> {
    git_line(root, &["rev-parse", "HEAD"])
}

/// The checked-out branch, if HEAD is on one.
pub fn current_branch(root: &Path) -> Option<String> {
    git_line(root, &["symbolic-ref", "--quiet", "--short", "HEAD"])
        .ok()
        .filter(|b| !b.is_empty())
}

/// `owner/name` of the `origin` remote, if it looks like a hosted repository URL.
pub fn origin_repo(root: &Path) -> Option<String> {
    let url = git_line(root, &["remote", "get-url", "origin"]).ok()?;
    repo_from_url(&url)
}

/// `https://github.com/org/app.git`, `git@github.com:org/app.git` → `org/app`.
pub fn repo_from_url(url: &str) -> Option<String> {
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/')?.1
    } else {
        url.split_once(':')?.1
    };
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = path.rsplit('/');
    let name = parts.next()?;
    let owner = parts.next()?;
    (!owner.is_empty() && !name.is_empty()).then(|| format!("{owner}/{name}"))
}

/// Resolves a ref to a commit id.
pub fn rev_parse(root: &Path, rev: &str) -> Result<String, GitError> {
    git_line(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
}

/// The merge-base of `a` and `b`.
pub fn merge_base(root: &Path, a: &str, b: &str) -> Result<String, GitError> {
    git_line(root, &["merge-base", a, b])
}

/// The ref to compare a branch against when the user named none: the PR's target branch on
/// CI, else the remote's default branch, else `origin/main`, `origin/master`, `main`, `master`.
pub fn default_base(root: &Path, ci_base_branch: Option<&str>) -> Option<String> {
    let mut candidates = Vec::new();
    if let Some(b) = ci_base_branch {
        candidates.push(format!("origin/{b}"));
        candidates.push(b.to_owned());
    }
    if let Ok(head) = git_line(
        root,
        &["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"],
    ) && let Some(short) = head.strip_prefix("refs/remotes/")
    {
        candidates.push(short.to_owned());
    }
    for c in ["origin/main", "origin/master", "main", "master"] {
        candidates.push(c.to_owned());
    }
    candidates.into_iter().find(|c| rev_parse(root, c).is_ok())
}

/// Lines added or changed in the work tree (committed, staged and unstaged changes) relative to
/// `base`: path (relative to the root, new name for renames) → sorted line numbers.
/// Deleted files do not appear.
pub fn added_lines(root: &Path, base: &str) -> Result<BTreeMap<String, Vec<u32>>, GitError> {
    diff_added(root, &[base])
}

/// Like [`added_lines`] against the merge-base of `base` and `HEAD`, which git computes itself
/// (`git diff --merge-base`, git ≥ 2.30), so no separate `merge-base` has to come first.
pub fn added_lines_since_merge_base(
    root: &Path,
    base: &str,
) -> Result<BTreeMap<String, Vec<u32>>, GitError> {
    diff_added(root, &["--merge-base", base])
}

fn diff_added(root: &Path, rev: &[&str]) -> Result<BTreeMap<String, Vec<u32>>, GitError> {
    let mut args = vec![
        // A read-only diff: do not rewrite the index after refreshing it.
        "--no-optional-locks",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--unified=0",
        "--diff-filter=d",
        "--src-prefix=a/",
        "--dst-prefix=b/",
    ];
    args.extend_from_slice(rev);
    args.push("--");
    Ok(parse_unified_diff(&git(root, &args)?))
}

/// Parses `git diff --unified=0` output into added line numbers per new path.
pub fn parse_unified_diff(diff: &[u8]) -> BTreeMap<String, Vec<u32>> {
    let mut out: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut next_line: u32 = 0;
    let mut in_hunk = false;
    for raw in diff.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(raw);
        if line.starts_with("diff --git ") {
            current = None;
            in_hunk = false;
        } else if !in_hunk && let Some(rest) = line.strip_prefix("+++ ") {
            let path = unquote(rest.trim_end_matches('\t'));
            current = path.strip_prefix("b/").map(str::to_owned);
        } else if let Some(rest) = line.strip_prefix("@@ ") {
            // @@ -a,b +c,d @@
            in_hunk = true;
            next_line = rest
                .split_whitespace()
                .find_map(|t| t.strip_prefix('+'))
                .and_then(|t| t.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        } else if in_hunk {
            if line.starts_with('+') {
                if let Some(p) = &current {
                    out.entry(p.clone()).or_default().push(next_line);
                }
                next_line = next_line.saturating_add(1);
            } else if line.starts_with(' ') {
                next_line = next_line.saturating_add(1);
            }
        }
    }
    for lines in out.values_mut() {
        lines.sort_unstable();
        lines.dedup();
    }
    out
}

/// Undoes git's C-style quoting of unusual path names (`"b/p\303\244th"`).
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return s.to_owned();
    };
    let mut bytes = Vec::with_capacity(inner.len());
    let mut it = inner.bytes().peekable();
    while let Some(b) = it.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match it.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'"') => bytes.push(b'"'),
            Some(b'\\') => bytes.push(b'\\'),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&n @ b'0'..=b'7') = it.peek() {
                        v = v * 8 + u32::from(n - b'0');
                        it.next();
                    }
                }
                bytes.push((v & 0xff) as u8);
            }
            Some(other) => bytes.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_added_lines_of_several_files() {
        let diff = b"diff --git a/src/a.py b/src/a.py
index 1..2 100644
--- a/src/a.py
+++ b/src/a.py
@@ -3,0 +4,2 @@ def f():
+    x = 1
+    y = 2
@@ -10 +12 @@
-old
+new
diff --git a/old.py b/new.py
similarity index 90%
rename from old.py
rename to new.py
--- a/old.py
+++ b/new.py
@@ -1 +1 @@
-a
+b
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
";
        let m = parse_unified_diff(diff);
        assert_eq!(m["src/a.py"], vec![4, 5, 12]);
        assert_eq!(m["new.py"], vec![1]);
        assert!(!m.contains_key("gone.txt"));
    }

    #[test]
    fn a_removed_line_starting_with_plus_plus_is_not_a_header() {
        // Inside a hunk, "+++ x" is an added line whose text starts with "++ x".
        let diff = b"diff --git a/c.txt b/c.txt\n--- a/c.txt\n+++ b/c.txt\n@@ -0,0 +1,2 @@\n+++ not a header\n+b\n";
        assert_eq!(parse_unified_diff(diff)["c.txt"], vec![1, 2]);
    }

    #[test]
    fn repo_names_from_remote_urls() {
        assert_eq!(
            repo_from_url("https://github.com/org/app.git").as_deref(),
            Some("org/app")
        );
        assert_eq!(
            repo_from_url("git@github.com:org/app.git").as_deref(),
            Some("org/app")
        );
        assert_eq!(
            repo_from_url("ssh://git@gitlab.com/group/sub/proj").as_deref(),
            Some("sub/proj")
        );
        assert_eq!(repo_from_url("/local/path"), None);
    }

    #[test]
    fn unquotes_git_paths() {
        assert_eq!(unquote("\"b/p\\303\\244th\""), "b/päth");
        assert_eq!(unquote("b/plain"), "b/plain");
        assert_eq!(unquote("\"b/tab\\there\""), "b/tab\there");
    }

    proptest::proptest! {
        #[test]
        fn diff_parser_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse_unified_diff(&bytes);
        }

        #[test]
        fn diff_parser_never_panics_on_diffish_text(s in "(diff --git |\\+\\+\\+ b/|@@ -[0-9,]* \\+[0-9,]* @@|[+ -][a-z]*|\n){0,40}") {
            let _ = parse_unified_diff(s.as_bytes());
        }
    }
}
