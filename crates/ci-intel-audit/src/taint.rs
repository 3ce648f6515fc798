//! How far an attacker controls what a context expands to.
//!
//! Lists follow GitHub's own guidance on untrusted input: issue, PR, comment, review and
//! discussion text, commit messages and author names, and branch names of pull requests are
//! written by whoever opens them; numbers, ids, SHAs and timestamps are not.

use crate::expr;
use crate::model::{Action, Job, Workflow};
use crate::yaml::Node;

/// How much an attacker controls a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something earlier in the pipeline decided it (a step's output, an env var set elsewhere):
    /// worth a look.
    Low,
    /// Free text of someone with some access, or a field not known to be safe.
    Medium,
    /// Free text of anyone who can open an issue or a pull request.
    High,
}

/// A context that can carry attacker-controlled text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tainted {
    pub path: String,
    pub level: Level,
}

const ATTACKER_CONTROLLED: [&str; 31] = [
    "github.head_ref",
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.pull_request.head.repo.description",
    "github.event.pull_request.head.repo.homepage",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.event.pages.*.page_name",
    "github.event.commits.*.message",
    "github.event.commits.*.author.email",
    "github.event.commits.*.author.name",
    "github.event.head_commit.message",
    "github.event.head_commit.author.email",
    "github.event.head_commit.author.name",
    "github.event.head_commit.committer.email",
    "github.event.head_commit.committer.name",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.message",
    "github.event.workflow_run.head_commit.author.email",
    "github.event.workflow_run.head_commit.author.name",
    "github.event.workflow_run.pull_requests.*.head.ref",
    "github.event.merge_group.head_commit.message",
    "github.event.issue.pull_request.title",
];

/// Last segments of `github.event.*` paths that hold no free text.
const SAFE_FIELDS: [&str; 22] = [
    "number",
    "id",
    "node_id",
    "sha",
    "head_sha",
    "base_sha",
    "merge_commit_sha",
    "after",
    "before",
    "run_id",
    "run_number",
    "run_attempt",
    "created_at",
    "updated_at",
    "closed_at",
    "merged_at",
    "merged",
    "draft",
    "state",
    "size",
    "login",
    "full_name",
];

/// Contexts whose values are never attacker text.
const SAFE_ROOTS: [&str; 5] = ["secrets", "vars", "runner", "job", "strategy"];

/// Where a step's expressions are evaluated: the workflow (or action) and job around it, and
/// the env mappings in scope, innermost first.
#[derive(Clone, Copy, Debug)]
pub struct Env<'s, 'a> {
    pub workflow: Option<&'s Workflow<'a>>,
    pub job: Option<&'s Job<'a>>,
    pub action: Option<&'s Action<'a>>,
    pub envs: [Option<Node<'a>>; 3],
}

impl Env<'_, '_> {
    /// The taint of the most controllable context `inner` (an expression's source) can expand to.
    pub fn expression(&self, inner: &str) -> Option<Tainted> {
        self.expression_depth(inner, 0)
    }

    fn expression_depth(&self, inner: &str, depth: usize) -> Option<Tainted> {
        let e = expr::parse(inner)?;
        expr::value_sources(&e)
            .iter()
            .filter_map(|p| self.path(p, depth))
            .max_by_key(|t| t.level)
    }

    /// The taint of one context path.
    pub fn path(&self, path: &str, depth: usize) -> Option<Tainted> {
        let lower = path.to_ascii_lowercase();
        let t = |level| {
            Some(Tainted {
                path: path.to_owned(),
                level,
            })
        };
        let mut segs = lower.split('.');
        let root = segs.next().unwrap_or_default();
        if SAFE_ROOTS.contains(&root) {
            return None;
        }
        match root {
            "github" => {
                if ATTACKER_CONTROLLED
                    .iter()
                    .any(|p| expr::path_matches(p, &lower))
                {
                    return t(Level::High);
                }
                if let Some(rest) = lower.strip_prefix("github.event.") {
                    if let Some(input) = rest.strip_prefix("inputs.") {
                        return self.input(path, input);
                    }
                    let last = rest.rsplit('.').next().unwrap_or(rest);
                    if SAFE_FIELDS.contains(&last)
                        || last.ends_with("_id")
                        || last.ends_with("_url")
                        || last == "url"
                        || rest == "repository.name"
                    {
                        return None;
                    }
                    // `toJSON(github.event)` and unknown event fields.
                    return t(Level::Medium);
                }
                None
            }
            "inputs" => self.input(path, segs.next().unwrap_or_default()),
            "env" => {
                let name = path.split('.').nth(1).unwrap_or_default();
                match self.env_value(name) {
                    Some(value) if depth < 4 => expr::occurrences(&value)
                        .iter()
                        .filter_map(|o| self.expression_depth(o.inner, depth + 1))
                        .max_by_key(|t| t.level)
                        .map(|mut t| {
                            t.path = format!("{path} (= {})", t.path);
                            t
                        }),
                    Some(_) => None,
                    // Set by an earlier step (`$GITHUB_ENV`) or the runner: unknown.
                    None => t(Level::Low),
                }
            }
            "matrix" => {
                let key = path.split('.').nth(1).unwrap_or_default();
                self.matrix(path, key, depth)
            }
            // A step's outcome and conclusion are one of four fixed words.
            "steps" if lower.ends_with(".outcome") || lower.ends_with(".conclusion") => None,
            "needs" if lower.ends_with(".result") => None,
            "steps" | "needs" => t(Level::Low),
            _ => None,
        }
    }

    /// `matrix.<key>`: safe when every value the matrix gives `key` is a literal; as tainted as
    /// the expressions that produce it otherwise (a whole matrix from `fromJSON(…)` is Medium).
    fn matrix(&self, path: &str, key: &str, depth: usize) -> Option<Tainted> {
        let matrix = self.job?.node.get("strategy")?.get("matrix")?;
        if let Some(text) = matrix.as_str() {
            return text.contains("${{").then(|| Tainted {
                path: path.to_owned(),
                level: Level::Medium,
            });
        }
        let mut values: Vec<crate::yaml::Node<'_>> = Vec::new();
        if let Some(v) = matrix.get(key) {
            values.push(v);
        }
        for list in ["include", "exclude"] {
            if let Some(l) = matrix.get(list) {
                if l.as_str().is_some() {
                    values.push(l);
                }
                values.extend(l.items().filter_map(|entry| entry.get(key)));
            }
        }
        values
            .iter()
            .flat_map(|v| {
                let raw = v.raw();
                expr::occurrences(raw)
                    .iter()
                    .filter_map(|o| {
                        if depth >= 4 {
                            return None;
                        }
                        self.expression_depth(o.inner, depth + 1).or_else(|| {
                            // An expression we cannot see through (outputs of another job):
                            // as controllable as a step output.
                            let sources = expr::parse(o.inner)
                                .map(|e| expr::value_sources(&e))
                                .unwrap_or_default();
                            (!sources.is_empty()).then(|| Tainted {
                                path: path.to_owned(),
                                level: Level::Low,
                            })
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .max_by_key(|t| t.level)
            .map(|mut t| {
                if !t.path.starts_with("matrix") {
                    t.path = format!("{path} (= {})", t.path);
                }
                t
            })
    }

    /// `inputs.<name>`: typed inputs (boolean, number, choice, environment) are safe.
    fn input(&self, path: &str, name: &str) -> Option<Tainted> {
        let declared = self
            .workflow
            .map(super::model::Workflow::inputs)
            .unwrap_or_default()
            .into_iter()
            .chain(
                self.action
                    .and_then(|a| a.inputs)
                    .map(|i| i.entries().map(|(k, _, v)| (k, v)).collect::<Vec<_>>())
                    .unwrap_or_default(),
            )
            .find(|(k, _)| k.eq_ignore_ascii_case(name));
        let typed = declared
            .and_then(|(_, v)| v.get("type"))
            .and_then(|t| t.as_str())
            .is_some_and(|t| matches!(t, "boolean" | "number" | "choice" | "environment"));
        (!typed).then(|| Tainted {
            path: path.to_owned(),
            level: Level::Medium,
        })
    }

    /// The literal definition of env var `name` in scope (innermost first).
    fn env_value(&self, name: &str) -> Option<String> {
        self.envs
            .iter()
            .flatten()
            .find_map(|env| env.get(name))
            .map(|v| v.scalar_text().unwrap_or_default())
    }
}
