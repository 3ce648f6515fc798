//! Lockfile discovery and the readers, one module per package manager.
//!
//! A reader gets the lockfile's text (and, where the lockfile alone cannot tell direct from
//! transitive or dev from runtime dependencies, the manifest beside it) and adds what the
//! package manager resolved to the [`Sbom`]. Malformed input is an [`InputError`] naming the
//! file and, where the parser knows it, the line.

mod cargo;
mod go;
mod js;
mod npm;
mod python;

use std::path::{Path, PathBuf};

use ci_intel_core::InputError;

use crate::model::{Sbom, Scope};

/// Lockfile names this crate reads, with their readers.
const LOCKFILES: &[(&str, Reader)] = &[
    ("Cargo.lock", cargo::read),
    ("package-lock.json", npm::read_package_lock),
    ("npm-shrinkwrap.json", npm::read_package_lock),
    ("yarn.lock", js::read_yarn),
    ("pnpm-lock.yaml", js::read_pnpm),
    ("poetry.lock", python::read_poetry),
    ("uv.lock", python::read_uv),
    ("Pipfile.lock", python::read_pipfile),
    ("go.mod", go::read),
];

type Reader = fn(&Path, &str, &str, &mut Sbom) -> Result<(), InputError>;

fn reader_for(path: &Path) -> Option<Reader> {
    let name = path.file_name()?.to_str()?;
    if let Some((_, r)) = LOCKFILES.iter().find(|(n, _)| *n == name) {
        return Some(*r);
    }
    // requirements.txt, requirements-dev.txt, requirements/prod.txt…
    if name.starts_with("requirements")
        && Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
    {
        return Some(python::read_requirements);
    }
    None
}

/// The lockfiles under `dir`, sorted. Not searched: installed dependencies (`node_modules`,
/// `vendor`, virtualenvs), build output (`target`), and test data (`testdata`, `fixtures`),
/// whose lockfiles describe inputs of tests, not what ships.
pub fn discover(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .git_ignore(true)
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            !matches!(
                n.as_ref(),
                "node_modules"
                    | "target"
                    | ".git"
                    | ".venv"
                    | "venv"
                    | "vendor"
                    | "testdata"
                    | "fixtures"
            )
        })
        .build();
    for entry in walker.flatten() {
        if entry.file_type().is_some_and(|t| t.is_file()) && reader_for(entry.path()).is_some() {
            out.push(entry.into_path());
        }
    }
    out.sort();
    out
}

/// Reads one lockfile into `sbom`; `rel` is its name as reported.
pub fn read_file(path: &Path, rel: &str, sbom: &mut Sbom) -> Result<(), InputError> {
    let reader = reader_for(path)
        .ok_or_else(|| InputError::new(path, "not a lockfile ci-intel reads (Cargo.lock, package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, requirements*.txt, go.mod)"))?;
    let bytes = std::fs::read(path).map_err(|e| InputError::io(path, &e))?;
    let text =
        String::from_utf8(bytes).map_err(|_| InputError::new(path, "expected UTF-8 text"))?;
    reader(path, &text, rel, sbom)?;
    sbom.lockfiles.push(rel.to_owned());
    Ok(())
}

/// Reads every lockfile under `dir` (or `dir` itself when it is a lockfile).
pub fn read_dir(dir: &Path) -> Result<Sbom, InputError> {
    if !dir.exists() {
        return Err(InputError::new(
            dir,
            "no such file or directory: expected a project directory or a lockfile",
        ));
    }
    let project_dir = if dir.is_file() {
        dir.parent().unwrap_or(Path::new("."))
    } else {
        dir
    };
    // The root component is the project as its manifest names it; the folder only without one.
    let (name, version) = crate::project::identity(project_dir).unwrap_or_else(|| {
        let folder = project_dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "project".into());
        (folder, None)
    });
    let mut sbom = Sbom {
        name,
        version,
        ..Sbom::default()
    };
    let files = if dir.is_file() {
        vec![dir.to_path_buf()]
    } else {
        discover(dir)
    };
    if files.is_empty() {
        return Err(InputError::new(
            dir,
            "no lockfile found (looked for Cargo.lock, package-lock.json, yarn.lock, pnpm-lock.yaml, poetry.lock, uv.lock, Pipfile.lock, requirements*.txt, go.mod)",
        ));
    }
    let base = if dir.is_file() {
        dir.parent().unwrap_or(Path::new(""))
    } else {
        dir
    };
    for f in &files {
        let rel = f
            .strip_prefix(base)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/");
        read_file(f, &rel, &mut sbom)?;
    }
    sbom.normalize();
    Ok(sbom)
}

/// Scopes by reachability, the rule every reader without per-package dev flags uses: walk
/// from the project's own dependencies of each kind in turn (required, then optional, then
/// dev); a package gets the scope of the first walk that reaches it. `next` gives a package's
/// dependencies (the project's own packages already left out by the caller).
fn reach_scopes<K: Ord + Clone>(
    starts: [(Scope, Vec<K>); 3],
    mut next: impl FnMut(&K) -> Vec<K>,
) -> std::collections::BTreeMap<K, Scope> {
    let mut scope = std::collections::BTreeMap::new();
    for (s, roots) in starts {
        let mut queue: std::collections::VecDeque<K> = roots.into();
        while let Some(k) = queue.pop_front() {
            if scope.contains_key(&k) {
                continue;
            }
            queue.extend(next(&k).into_iter().filter(|t| !scope.contains_key(t)));
            scope.insert(k, s);
        }
    }
    scope
}

/// A TOML error as an [`InputError`] with its line and column.
fn toml_error(path: &Path, text: &str, e: &toml::de::Error, what: &str) -> InputError {
    InputError::at_offset(
        path,
        text.as_bytes(),
        e.span().map(|s| s.start),
        format!("expected {what}: {}", e.message()),
    )
}
