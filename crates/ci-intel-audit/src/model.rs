//! Workflows, jobs, steps and composite actions as views over the YAML tree.
//!
//! The views are thin: they name the parts audits ask about (triggers, `permissions`, `uses`,
//! `run`, `with`, `env`) and keep the nodes, so every finding can point at its exact span.

use crate::yaml::Node;

/// A workflow file (`.github/workflows/*.yml`).
#[derive(Debug, Clone)]
pub struct Workflow<'a> {
    pub root: Node<'a>,
    pub name: Option<&'a str>,
    /// Trigger names with the node naming each (for locations).
    pub triggers: Vec<(&'a str, Node<'a>)>,
    /// The `on:` value.
    pub on: Option<Node<'a>>,
    pub permissions: Option<Node<'a>>,
    pub env: Option<Node<'a>>,
    pub concurrency: Option<Node<'a>>,
    pub jobs: Vec<Job<'a>>,
}

/// One job of a workflow.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    pub id: &'a str,
    pub node: Node<'a>,
    pub key: Node<'a>,
    pub permissions: Option<Node<'a>>,
    pub env: Option<Node<'a>>,
    /// A reusable workflow call (`jobs.<id>.uses`).
    pub uses: Option<Node<'a>>,
    pub steps: Vec<Step<'a>>,
}

/// One step of a job or a composite action.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    pub index: usize,
    pub node: Node<'a>,
    pub uses: Option<Node<'a>>,
    pub run: Option<Node<'a>>,
    pub with: Option<Node<'a>>,
    pub env: Option<Node<'a>>,
}

/// A composite (or other) action definition (`action.yml`).
#[derive(Debug, Clone)]
pub struct Action<'a> {
    pub root: Node<'a>,
    /// `runs.using`.
    pub using: Option<&'a str>,
    pub inputs: Option<Node<'a>>,
    pub steps: Vec<Step<'a>>,
}

impl<'a> Workflow<'a> {
    /// A view of `root`, or `None` when it is not a workflow (no `jobs:` mapping).
    pub fn from_root(root: Node<'a>) -> Option<Self> {
        let jobs_node = root.get("jobs")?;
        if !jobs_node.is_mapping() {
            return None;
        }
        // YAML 1.1 readers turn a bare `on` key into `true`; saphyr (YAML 1.2) keeps "on",
        // but accept both.
        let on = root.get("on").or_else(|| root.get("true"));
        let triggers = match on {
            Some(n) if n.as_str().is_some() => vec![(n.as_str().unwrap_or_default(), n)],
            Some(n) if n.is_sequence() => n
                .items()
                .filter_map(|i| i.as_str().map(|s| (s, i)))
                .collect(),
            Some(n) => n.entries().map(|(k, key, _)| (k, key)).collect(),
            None => Vec::new(),
        };
        let jobs = jobs_node
            .entries()
            .map(|(id, key, node)| Job {
                id,
                key,
                permissions: node.get("permissions"),
                env: node.get("env"),
                uses: node.get("uses"),
                steps: steps(node.get("steps")),
                node,
            })
            .collect();
        Some(Self {
            name: root.get("name").and_then(|n| n.as_str()),
            triggers,
            on,
            permissions: root.get("permissions"),
            env: root.get("env"),
            concurrency: root.get("concurrency"),
            jobs,
            root,
        })
    }

    pub fn has_trigger(&self, name: &str) -> bool {
        self.triggers.iter().any(|(t, _)| *t == name)
    }

    /// The configuration of trigger `name` (`on.push` → `{branches: …}`).
    pub fn trigger_config(&self, name: &str) -> Option<Node<'a>> {
        self.on.and_then(|on| on.get(name))
    }

    /// Declared `inputs` of `workflow_dispatch` and `workflow_call`.
    pub fn inputs(&self) -> Vec<(&'a str, Node<'a>)> {
        ["workflow_dispatch", "workflow_call"]
            .iter()
            .filter_map(|t| self.trigger_config(t)?.get("inputs"))
            .flat_map(|inputs| inputs.entries().map(|(k, _, v)| (k, v)).collect::<Vec<_>>())
            .collect()
    }

    /// Whether a release triggers the workflow: a `release` event, a tag push, or a push to
    /// release branches (`release-*`, `releases/*`).
    pub fn is_release_triggered(&self) -> bool {
        if self.has_trigger("release") {
            return true;
        }
        let Some(push) = self.trigger_config("push") else {
            return false;
        };
        push.get("tags").is_some()
            || push.get("branches").is_some_and(|b| {
                b.strings()
                    .iter()
                    .any(|x| x.to_ascii_lowercase().starts_with("release"))
            })
    }

    /// Whether the workflow releases or deploys: triggered by a release, named for publishing
    /// or deploying, or with a job deploying to a production-like environment.
    pub fn is_release_or_deploy(&self) -> bool {
        if self.is_release_triggered() {
            return true;
        }
        let name = self.name.unwrap_or_default().to_ascii_lowercase();
        let file = self.root.src.path.to_ascii_lowercase();
        let file = file.rsplit('/').next().unwrap_or(&file).to_owned();
        let named = |w: &str| {
            [&name, &file]
                .iter()
                .any(|n| n.contains(w) && !n.contains("test") && !n.contains("notify"))
        };
        named("deploy")
            || named("publish")
            || named("release")
            || self.jobs.iter().any(Job::deploys)
    }
}

impl<'a> Job<'a> {
    /// Whether a step of the job publishes a package or an image (dry runs excluded).
    pub fn publishes(&self) -> bool {
        const COMMANDS: [&str; 8] = [
            "npm publish",
            "cargo publish",
            "twine upload",
            "gem push",
            "docker push",
            "uv publish",
            "poetry publish",
            "goreleaser release",
        ];
        self.steps.iter().any(|s| {
            s.run_text().is_some_and(|t| {
                t.lines()
                    .any(|l| COMMANDS.iter().any(|c| l.contains(c)) && !l.contains("--dry-run"))
            }) || s.uses_action("pypa/gh-action-pypi-publish")
                || s.uses_action("softprops/action-gh-release")
                || s.uses_action("goreleaser/goreleaser-action")
                || (s.uses_action("docker/build-push-action")
                    && s.with_value("push")
                        .and_then(|p| p.scalar_text())
                        .is_some_and(|p| p.trim() == "true"))
        })
    }

    /// Whether the job deploys: it names a production-like `environment`.
    pub fn deploys(&self) -> bool {
        let env = self.node.get("environment");
        let name = env
            .and_then(|e| {
                e.as_str()
                    .or_else(|| e.get("name").and_then(|n| n.as_str()))
            })
            .unwrap_or_default()
            .to_ascii_lowercase();
        ["prod", "production", "release", "deploy"]
            .iter()
            .any(|w| name.contains(w))
    }

    /// The labels of `runs-on` (a string, a list, or `{group, labels}`).
    pub fn runs_on(&self) -> Vec<&'a str> {
        match self.node.get("runs-on") {
            Some(n) if n.is_mapping() => n.get("labels").map(|l| l.strings()).unwrap_or_default(),
            Some(n) => n.strings(),
            None => Vec::new(),
        }
    }
}

impl<'a> Step<'a> {
    /// The action a step uses, without its ref: `actions/checkout`.
    pub fn action(&self) -> Option<&'a str> {
        let u = self.uses?.as_str()?;
        Some(u.split('@').next().unwrap_or(u))
    }

    /// Whether the step uses `action` (owner/repo, case-insensitive).
    pub fn uses_action(&self, action: &str) -> bool {
        self.action()
            .is_some_and(|a| a.eq_ignore_ascii_case(action))
    }

    pub fn with_value(&self, key: &str) -> Option<Node<'a>> {
        self.with?.get(key)
    }

    pub fn run_text(&self) -> Option<&'a str> {
        self.run?.as_str()
    }
}

impl<'a> Action<'a> {
    /// A view of `root`, or `None` when it is not an action definition (no `runs:`).
    pub fn from_root(root: Node<'a>) -> Option<Self> {
        let runs = root.get("runs")?;
        Some(Self {
            using: runs.get("using").and_then(|u| u.as_str()),
            inputs: root.get("inputs"),
            steps: steps(runs.get("steps")),
            root,
        })
    }
}

fn steps(node: Option<Node<'_>>) -> Vec<Step<'_>> {
    node.map(|n| {
        n.items()
            .enumerate()
            .map(|(index, node)| Step {
                index,
                uses: node.get("uses"),
                run: node.get("run"),
                with: node.get("with"),
                env: node.get("env"),
                node,
            })
            .collect()
    })
    .unwrap_or_default()
}
