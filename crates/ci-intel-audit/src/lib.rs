//! Workflow audits: GitHub Actions workflows and composite actions, read with exact spans, checked
//! by a registry of audits, each pointing at the key or expression it is about.
//!
//! The pieces: [`yaml`] (a positioned view of the YAML), [`model`] (workflows, jobs, steps,
//! actions), [`expr`] (GitHub's expression language), [`taint`] (what an attacker controls),
//! and [`audits`] (one file per audit, and the registry). [`audit_files`] runs them all.

pub mod audits;
pub mod config;
pub mod expr;
pub mod model;
pub mod taint;
mod walk;
pub mod yaml;

use std::path::{Path, PathBuf};

use ci_intel_core::InputError;
use ci_intel_core::finding::Finding;
use rayon::prelude::*;

pub use audits::{REGISTRY, RULES};
pub use config::AuditConfig;

use audits::{Ctx, Scope};
use model::{Action, Workflow};
use yaml::{Node, Source};

/// What kind of file an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Workflow,
    Action,
}

/// One file to audit: where it is, and how findings name it.
#[derive(Clone, Debug)]
pub struct Input {
    pub path: PathBuf,
    /// The path findings use (relative to the audited root).
    pub display: String,
    /// Known from where the file lives; `None` decides from the content.
    pub kind: Option<Kind>,
}

/// The result of an audit run.
#[derive(Debug, Default)]
pub struct AuditRun {
    pub files: usize,
    pub workflows: usize,
    pub actions: usize,
    /// Findings, sorted by path, line and rule; inline-ignored ones removed.
    pub findings: Vec<Finding>,
    /// Findings an inline `# ci-intel: ignore[…]` comment silenced.
    pub ignored: usize,
}

/// Finds the workflows (`.github/workflows/*.yml`, at any depth) and action definitions
/// (`action.yml`) under `dir`.
pub fn discover(dir: &Path) -> Vec<Input> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| {
            let n = e.file_name();
            n != ".git" && n != "node_modules" && n != "target"
        })
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let is_yaml = Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"));
        let parent = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str());
        let grand = path
            .parent()
            .and_then(Path::parent)
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str());
        let kind = if is_yaml && parent == Some("workflows") && grand == Some(".github") {
            Some(Kind::Workflow)
        } else if name == "action.yml" || name == "action.yaml" {
            Some(Kind::Action)
        } else {
            None
        };
        if let Some(kind) = kind {
            let display = path
                .strip_prefix(dir)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(Input {
                path: path.to_owned(),
                display,
                kind: Some(kind),
            });
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out
}

/// Drops inputs whose display path matches one of `globs`; a bad glob is an error naming it.
pub fn exclude(inputs: Vec<Input>, globs: &[String]) -> Result<Vec<Input>, String> {
    if globs.is_empty() {
        return Ok(inputs);
    }
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(
            globset::Glob::new(g)
                .map_err(|e| format!("`audit.exclude`: `{g}` is not a valid glob ({e})"))?,
        );
    }
    let set = b.build().map_err(|e| e.to_string())?;
    Ok(inputs
        .into_iter()
        .filter(|i| !set.is_match(&i.display))
        .collect())
}

/// Audits every input, in parallel. A file that cannot be read or parsed is an error for that
/// file; the others are still audited.
pub fn audit_files(inputs: &[Input], config: &AuditConfig) -> (AuditRun, Vec<InputError>) {
    let results: Vec<Result<FileResult, InputError>> =
        inputs.par_iter().map(|i| audit_file(i, config)).collect();
    let mut run = AuditRun::default();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(f) => {
                run.files += 1;
                match f.kind {
                    Some(Kind::Workflow) => run.workflows += 1,
                    Some(Kind::Action) => run.actions += 1,
                    None => {}
                }
                run.ignored += f.ignored;
                run.findings.extend(f.findings);
            }
            Err(e) => errors.push(e),
        }
    }
    run.findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            f.location
                .as_ref()
                .map(|l| (l.path.clone(), l.start_line, l.start_column.unwrap_or(0)))
        };
        key(a).cmp(&key(b)).then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    (run, errors)
}

struct FileResult {
    kind: Option<Kind>,
    findings: Vec<Finding>,
    ignored: usize,
}

fn audit_file(input: &Input, config: &AuditConfig) -> Result<FileResult, InputError> {
    let bytes = std::fs::read(&input.path).map_err(|e| InputError::io(&input.path, &e))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| InputError::new(&input.path, "expected UTF-8 text (a YAML workflow)"))?;
    let (findings, kind, ignored) =
        audit_source(&input.path, &input.display, &text, input.kind, config)?;
    Ok(FileResult {
        kind,
        findings,
        ignored,
    })
}

/// Audits one document's text. Returns the findings left after inline ignores, what the file
/// was, and how many findings were ignored inline.
pub fn audit_source(
    path: &Path,
    display: &str,
    text: &str,
    kind: Option<Kind>,
    config: &AuditConfig,
) -> Result<(Vec<Finding>, Option<Kind>, usize), InputError> {
    let Some(root) = yaml::parse(path, text)? else {
        return Ok((Vec::new(), kind, 0));
    };
    let src = Source::new(display.to_owned(), text);
    let node = Node::new(&root, &src);
    let mut cx = Ctx {
        config,
        out: Vec::new(),
    };
    let workflow = match kind {
        Some(Kind::Action) => None,
        _ => Workflow::from_root(node),
    };
    let detected = if let Some(wf) = workflow {
        for a in REGISTRY {
            a.workflow(&wf, &mut cx);
            for job in &wf.jobs {
                a.job(&wf, job, &mut cx);
                for step in &job.steps {
                    a.step(Scope::Workflow(&wf, job), step, &mut cx);
                }
            }
        }
        Some(Kind::Workflow)
    } else if let Some(action) = Action::from_root(node) {
        for a in REGISTRY {
            a.action(&action, &mut cx);
            for step in &action.steps {
                a.step(Scope::Action(&action), step, &mut cx);
            }
        }
        Some(Kind::Action)
    } else if kind.is_some() {
        return Err(InputError::new(
            path,
            match kind {
                Some(Kind::Action) => "expected an action definition (a `runs:` mapping)",
                _ => "expected a workflow (a `jobs:` mapping)",
            },
        ));
    } else {
        return Err(InputError::new(
            path,
            "expected a GitHub Actions workflow (`jobs:`) or action definition (`runs:`)",
        ));
    };
    let before = cx.out.len();
    let findings: Vec<Finding> = cx
        .out
        .into_iter()
        .filter(|f| !ignored_inline(&src, f))
        .collect();
    let ignored = before - findings.len();
    Ok((findings, detected, ignored))
}

/// Whether a `# ci-intel: ignore[rule, …] reason` comment on the finding's line, or on a
/// comment-only line right above it, names the finding's rule.
fn ignored_inline(src: &Source<'_>, f: &Finding) -> bool {
    let Some(loc) = &f.location else { return false };
    let names_rule = |line: &str| {
        let Some(i) = line.find("ci-intel: ignore[") else {
            return false;
        };
        let rest = &line[i + "ci-intel: ignore[".len()..];
        let Some(end) = rest.find(']') else {
            return false;
        };
        rest[..end].split(',').any(|r| {
            let r = r.trim();
            r == f.rule_id || r == format!("{}/{}", f.tool, f.rule_id)
        })
    };
    let line = src.line(loc.start_line);
    if line.contains('#') && names_rule(line) {
        return true;
    }
    let mut n = loc.start_line;
    while n > 1 {
        n -= 1;
        let above = src.line(n).trim_start();
        if !above.starts_with('#') {
            break;
        }
        if names_rule(above) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Finding> {
        audit_source(
            Path::new("w.yml"),
            "w.yml",
            text,
            None,
            &AuditConfig::default(),
        )
        .unwrap()
        .0
    }

    #[test]
    fn inline_ignores_on_the_line_or_above() {
        let text = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: evil/action@v1 # ci-intel: ignore[unpinned-uses] vetted\n      # ci-intel: ignore[audit/unpinned-uses] also vetted\n      - uses: evil/other@v2\n      - uses: evil/third@v3\n";
        let f = run(text);
        let unpinned: Vec<_> = f.iter().filter(|f| f.rule_id == "unpinned-uses").collect();
        assert_eq!(unpinned.len(), 1, "{f:#?}");
        assert_eq!(unpinned[0].location.as_ref().unwrap().start_line, 10);
    }

    #[test]
    fn neither_workflow_nor_action_is_an_error() {
        let e = audit_source(
            Path::new("x.yml"),
            "x.yml",
            "a: 1\n",
            None,
            &AuditConfig::default(),
        )
        .unwrap_err();
        assert!(
            e.message.contains("expected a GitHub Actions workflow"),
            "{e}"
        );
        let e = audit_source(
            Path::new("x.yml"),
            "x.yml",
            "jobs: [\n",
            None,
            &AuditConfig::default(),
        )
        .unwrap_err();
        assert!(e.message.contains("invalid YAML"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_yamlish_garbage(s in "(on: |jobs:|\n  |steps:|- run: |- uses: |\\$\\{\\{ |\\}\\}|github\\.event\\.issue\\.title|permissions: |write-all|[a-z]{1,4}|: |\n){0,40}") {
            let _ = audit_source(Path::new("g.yml"), "g.yml", &s, None, &AuditConfig::default());
        }
    }
}
