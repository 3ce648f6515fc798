//! in-toto Statement v1 with a SLSA Provenance v1.0 predicate, built from the CI environment,
//! and the checks slsa-verifier makes of it (`--builder-id`, `--source-uri`, `--workflow`,
//! `--source-tag`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// The build type GitHub's own provenance uses for a workflow run.
pub const GITHUB_BUILD_TYPE: &str = "https://actions.github.io/buildtypes/workflow/v1";
/// For builds outside a recognised CI.
pub const LOCAL_BUILD_TYPE: &str = "https://ci-intel.dev/buildtypes/local/v1";

/// One thing the statement is about: a name and its digests (`sha256` → hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

/// What the builder knows about the run, read from the environment.
#[derive(Debug, Clone, Default)]
pub struct BuildContext {
    pub builder_id: String,
    pub build_type: String,
    pub external: Value,
    pub internal: Value,
    pub dependencies: Vec<Value>,
    pub invocation_id: Option<String>,
}

/// Reads the GitHub Actions environment (`GITHUB_*`, `RUNNER_*`) through `var`; outside GitHub,
/// a local build context naming the git commit when one is given.
pub fn context_from_env(var: impl Fn(&str) -> Option<String>) -> BuildContext {
    let get = |k: &str| var(k).filter(|v| !v.is_empty());
    if get("GITHUB_ACTIONS").as_deref() == Some("true") {
        let server = get("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
        let repo = get("GITHUB_REPOSITORY").unwrap_or_default();
        let git_ref = get("GITHUB_REF").unwrap_or_default();
        let sha = get("GITHUB_SHA").unwrap_or_default();
        // `owner/repo/.github/workflows/release.yml@refs/tags/v1.2.3`
        let workflow_ref = get("GITHUB_WORKFLOW_REF").unwrap_or_default();
        let workflow_path = workflow_ref
            .split_once('@')
            .map(|(p, _)| p)
            .and_then(|p| p.strip_prefix(&format!("{repo}/")))
            .unwrap_or_default()
            .to_owned();
        let run_id = get("GITHUB_RUN_ID").unwrap_or_default();
        let attempt = get("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into());
        let mut internal = json!({
            "github": {
                "event_name": get("GITHUB_EVENT_NAME"),
                "repository_id": get("GITHUB_REPOSITORY_ID"),
                "repository_owner_id": get("GITHUB_REPOSITORY_OWNER_ID"),
                "runner_environment": get("RUNNER_ENVIRONMENT"),
            }
        });
        if let Some(os) = get("RUNNER_OS") {
            internal["github"]["runner_os"] = os.into();
        }
        BuildContext {
            builder_id: format!("{server}/{workflow_ref}"),
            build_type: GITHUB_BUILD_TYPE.into(),
            external: json!({
                "workflow": {
                    "ref": git_ref,
                    "repository": format!("{server}/{repo}"),
                    "path": workflow_path,
                }
            }),
            internal,
            dependencies: vec![json!({
                "uri": format!("git+{server}/{repo}@{git_ref}"),
                "digest": {"gitCommit": sha},
            })],
            invocation_id: Some(format!(
                "{server}/{repo}/actions/runs/{run_id}/attempts/{attempt}"
            )),
        }
    } else {
        BuildContext {
            builder_id: "https://ci-intel.dev/builders/local".into(),
            build_type: LOCAL_BUILD_TYPE.into(),
            external: json!({}),
            internal: json!({}),
            dependencies: Vec::new(),
            invocation_id: None,
        }
    }
}

/// The statement for `subjects` built in `ctx`, started and finished at the given RFC 3339
/// times.
pub fn statement(
    subjects: &[Subject],
    ctx: &BuildContext,
    started_on: Option<&str>,
    finished_on: Option<&str>,
) -> Value {
    let mut metadata = serde_json::Map::new();
    if let Some(id) = &ctx.invocation_id {
        metadata.insert("invocationId".into(), id.clone().into());
    }
    if let Some(t) = started_on {
        metadata.insert("startedOn".into(), t.into());
    }
    if let Some(t) = finished_on {
        metadata.insert("finishedOn".into(), t.into());
    }
    json!({
        "_type": STATEMENT_TYPE,
        "subject": subjects.iter().map(|s| json!({"name": s.name, "digest": s.digest})).collect::<Vec<_>>(),
        "predicateType": SLSA_PROVENANCE_V1,
        "predicate": {
            "buildDefinition": {
                "buildType": ctx.build_type,
                "externalParameters": ctx.external,
                "internalParameters": ctx.internal,
                "resolvedDependencies": ctx.dependencies,
            },
            "runDetails": {
                "builder": {"id": ctx.builder_id},
                "metadata": metadata,
            }
        }
    })
}

/// What `verify` requires of a provenance statement; `None` checks nothing.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Exact builder id, or the id without its `@ref` suffix.
    pub builder_id: Option<String>,
    /// `github.com/owner/repo` (with or without scheme).
    pub source_uri: Option<String>,
    /// The workflow file, `.github/workflows/release.yml`.
    pub workflow: Option<String>,
    /// The tag the build ran on (`v1.2.3`).
    pub source_tag: Option<String>,
}

/// One policy check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

fn strip_scheme(uri: &str) -> &str {
    let uri = uri.strip_prefix("git+").unwrap_or(uri);
    uri.strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .unwrap_or(uri)
        .trim_end_matches(".git")
        .trim_end_matches('/')
}

/// The statement's subjects, type and predicate type checked, then `policy`.
pub fn check(statement: &Value, policy: &Policy) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let mut push = |name, passed, detail: String| {
        out.push(CheckResult {
            name,
            passed,
            detail,
        });
    };
    let ty = statement["_type"].as_str().unwrap_or_default();
    push(
        "statement-type",
        ty == STATEMENT_TYPE || ty == "https://in-toto.io/Statement/v0.1",
        format!("`_type` is `{ty}`"),
    );
    let pt = statement["predicateType"].as_str().unwrap_or_default();
    push(
        "predicate-type",
        pt == SLSA_PROVENANCE_V1,
        format!("`predicateType` is `{pt}` (expected {SLSA_PROVENANCE_V1})"),
    );
    let p = &statement["predicate"];
    let builder = p["runDetails"]["builder"]["id"]
        .as_str()
        .unwrap_or_default();
    if let Some(want) = &policy.builder_id {
        let ok = builder == want
            || (!want.contains('@') && builder.split_once('@').is_some_and(|(b, _)| b == want));
        push(
            "builder-id",
            ok,
            format!("builder `{builder}`, required `{want}`"),
        );
    }
    let wf = &p["buildDefinition"]["externalParameters"]["workflow"];
    let repo = wf["repository"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            p["buildDefinition"]["resolvedDependencies"][0]["uri"]
                .as_str()
                .map(|u| u.split('@').next().unwrap_or(u).to_owned())
        })
        .unwrap_or_default();
    if let Some(want) = &policy.source_uri {
        push(
            "source-uri",
            strip_scheme(&repo) == strip_scheme(want),
            format!("source `{repo}`, required `{want}`"),
        );
    }
    let path = wf["path"].as_str().unwrap_or_default();
    if let Some(want) = &policy.workflow {
        push(
            "workflow",
            path.trim_start_matches("./") == want.trim_start_matches("./"),
            format!("workflow `{path}`, required `{want}`"),
        );
    }
    let git_ref = wf["ref"].as_str().unwrap_or_default();
    if let Some(want) = &policy.source_tag {
        let want_ref = if want.starts_with("refs/") {
            want.clone()
        } else {
            format!("refs/tags/{want}")
        };
        push(
            "source-tag",
            git_ref == want_ref,
            format!("ref `{git_ref}`, required `{want_ref}`"),
        );
    }
    out
}

/// Subjects of a statement: name → digest set.
pub fn subjects(statement: &Value) -> Vec<Subject> {
    statement["subject"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| Subject {
            name: s["name"].as_str().unwrap_or_default().to_owned(),
            digest: s["digest"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_ascii_lowercase())))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github_env(k: &str) -> Option<String> {
        let v = match k {
            "GITHUB_ACTIONS" => "true",
            "GITHUB_SERVER_URL" => "https://github.com",
            "GITHUB_REPOSITORY" => "acme/app",
            "GITHUB_REF" => "refs/tags/v1.2.3",
            "GITHUB_SHA" => "0123456789abcdef0123456789abcdef01234567",
            "GITHUB_WORKFLOW_REF" => "acme/app/.github/workflows/release.yml@refs/tags/v1.2.3",
            "GITHUB_RUN_ID" => "42",
            "GITHUB_RUN_ATTEMPT" => "2",
            "GITHUB_EVENT_NAME" => "push",
            "RUNNER_ENVIRONMENT" => "github-hosted",
            _ => return None,
        };
        Some(v.to_owned())
    }

    #[test]
    fn github_context_and_policy() {
        let ctx = context_from_env(github_env);
        let subject = Subject {
            name: "app.tar.gz".into(),
            digest: [("sha256".to_owned(), "ab".repeat(32))].into(),
        };
        let st = statement(&[subject], &ctx, Some("2026-11-23T10:00:00Z"), None);
        assert_eq!(
            st["predicate"]["runDetails"]["metadata"]["invocationId"],
            "https://github.com/acme/app/actions/runs/42/attempts/2"
        );
        assert_eq!(
            st["predicate"]["buildDefinition"]["externalParameters"]["workflow"]["path"],
            ".github/workflows/release.yml"
        );
        let good = Policy {
            builder_id: Some("https://github.com/acme/app/.github/workflows/release.yml".into()),
            source_uri: Some("github.com/acme/app".into()),
            workflow: Some(".github/workflows/release.yml".into()),
            source_tag: Some("v1.2.3".into()),
        };
        let r = check(&st, &good);
        assert!(r.iter().all(|c| c.passed), "{r:#?}");
        let bad = Policy {
            builder_id: Some("https://github.com/evil/app/.github/workflows/release.yml".into()),
            source_uri: Some("github.com/acme/other".into()),
            workflow: Some(".github/workflows/ci.yml".into()),
            source_tag: Some("v1.2.4".into()),
        };
        let failed: Vec<&str> = check(&st, &bad)
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            failed,
            ["builder-id", "source-uri", "workflow", "source-tag"]
        );
    }
}
