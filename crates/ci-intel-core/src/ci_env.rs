//! What the CI system tells a job about itself, read from its environment variables.
//!
//! GitHub Actions first (`GITHUB_*`, `RUNNER_*`), GitLab CI (`CI_*`) second, and a plain shell
//! gives an empty context. The environment is passed in as a lookup function so tests never
//! touch the real process environment.

use std::path::PathBuf;

/// Which CI system runs us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    GitHubActions,
    GitLab,
}

/// The CI context of the current job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CiContext {
    pub provider: Option<Provider>,
    /// `owner/name`.
    pub repo: Option<String>,
    pub sha: Option<String>,
    /// Full ref, e.g. `refs/pull/12/merge` or `refs/heads/main`.
    pub git_ref: Option<String>,
    /// The branch a person would name: the PR head branch for pull requests.
    pub branch: Option<String>,
    /// The PR's target branch, when this is a pull request.
    pub base_branch: Option<String>,
    pub pr: Option<u64>,
    pub run_id: Option<String>,
    pub run_attempt: Option<u64>,
    pub workflow: Option<String>,
    pub workflow_ref: Option<String>,
    pub job: Option<String>,
    pub event_name: Option<String>,
    pub server_url: Option<String>,
    pub runner_os: Option<String>,
    /// `github-hosted` or `self-hosted`.
    pub runner_environment: Option<String>,
    pub step_summary: Option<PathBuf>,
    pub event_path: Option<PathBuf>,
}

impl CiContext {
    /// Reads the context from the real process environment.
    pub fn from_process_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the context through `get` (a variable name → value lookup).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        if get("GITHUB_ACTIONS").as_deref() == Some("true") {
            Self::github(&get)
        } else if get("GITLAB_CI").as_deref() == Some("true") {
            Self::gitlab(&get)
        } else {
            Self::default()
        }
    }

    fn github(get: &impl Fn(&str) -> Option<String>) -> Self {
        let git_ref = get("GITHUB_REF");
        let event_path = get("GITHUB_EVENT_PATH").map(PathBuf::from);
        let pr = git_ref
            .as_deref()
            .and_then(pr_from_ref)
            .or_else(|| event_path.as_deref().and_then(pr_from_event));
        let head = get("GITHUB_HEAD_REF");
        Self {
            provider: Some(Provider::GitHubActions),
            repo: get("GITHUB_REPOSITORY"),
            sha: get("GITHUB_SHA"),
            branch: head.or_else(|| get("GITHUB_REF_NAME")),
            base_branch: get("GITHUB_BASE_REF"),
            git_ref,
            pr,
            run_id: get("GITHUB_RUN_ID"),
            run_attempt: get("GITHUB_RUN_ATTEMPT").and_then(|v| v.parse().ok()),
            workflow: get("GITHUB_WORKFLOW"),
            workflow_ref: get("GITHUB_WORKFLOW_REF"),
            job: get("GITHUB_JOB"),
            event_name: get("GITHUB_EVENT_NAME"),
            server_url: get("GITHUB_SERVER_URL"),
            runner_os: get("RUNNER_OS"),
            runner_environment: get("RUNNER_ENVIRONMENT"),
            step_summary: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            event_path,
        }
    }

    fn gitlab(get: &impl Fn(&str) -> Option<String>) -> Self {
        Self {
            provider: Some(Provider::GitLab),
            repo: get("CI_PROJECT_PATH"),
            sha: get("CI_COMMIT_SHA"),
            git_ref: get("CI_COMMIT_REF_NAME").map(|r| format!("refs/heads/{r}")),
            branch: get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
                .or_else(|| get("CI_COMMIT_REF_NAME")),
            base_branch: get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
            pr: get("CI_MERGE_REQUEST_IID").and_then(|v| v.parse().ok()),
            run_id: get("CI_PIPELINE_ID"),
            run_attempt: None,
            workflow: get("CI_PIPELINE_NAME"),
            workflow_ref: None,
            job: get("CI_JOB_NAME"),
            event_name: get("CI_PIPELINE_SOURCE"),
            server_url: get("CI_SERVER_URL"),
            runner_os: None,
            runner_environment: None,
            step_summary: None,
            event_path: None,
        }
    }

    pub fn is_github_actions(&self) -> bool {
        self.provider == Some(Provider::GitHubActions)
    }
}

/// `refs/pull/123/merge` → 123.
pub fn pr_from_ref(r: &str) -> Option<u64> {
    let rest = r.strip_prefix("refs/pull/")?;
    rest.split('/').next()?.parse().ok().filter(|&n| n > 0)
}

/// The PR number from a GitHub event payload (`pull_request.number` or top-level `number`).
fn pr_from_event(path: &std::path::Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("pull_request")
        .and_then(|p| p.get("number"))
        .or_else(|| v.get("number"))
        .and_then(serde_json::Value::as_u64)
        .filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn ctx(vars: &[(&str, &str)]) -> CiContext {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        CiContext::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn github_pull_request() {
        let c = ctx(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "org/app"),
            ("GITHUB_SHA", "a".repeat(40).as_str()),
            ("GITHUB_REF", "refs/pull/123/merge"),
            ("GITHUB_REF_NAME", "123/merge"),
            ("GITHUB_HEAD_REF", "feature/x"),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_RUN_ID", "987"),
            ("GITHUB_RUN_ATTEMPT", "2"),
        ]);
        assert_eq!(c.provider, Some(Provider::GitHubActions));
        assert_eq!(c.pr, Some(123));
        assert_eq!(c.branch.as_deref(), Some("feature/x"));
        assert_eq!(c.base_branch.as_deref(), Some("main"));
        assert_eq!(c.run_attempt, Some(2));
    }

    #[test]
    fn github_push() {
        let c = ctx(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REF_NAME", "main"),
        ]);
        assert_eq!(c.pr, None);
        assert_eq!(c.branch.as_deref(), Some("main"));
    }

    #[test]
    fn plain_shell_is_empty() {
        assert_eq!(
            ctx(&[("GITHUB_REF", "refs/pull/1/merge")]),
            CiContext::default()
        );
    }

    #[test]
    fn gitlab_merge_request() {
        let c = ctx(&[
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "group/proj"),
            ("CI_MERGE_REQUEST_IID", "7"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "fix"),
        ]);
        assert_eq!(c.provider, Some(Provider::GitLab));
        assert_eq!(c.pr, Some(7));
        assert_eq!(c.branch.as_deref(), Some("fix"));
    }

    #[test]
    fn pr_refs() {
        assert_eq!(pr_from_ref("refs/pull/5/head"), Some(5));
        assert_eq!(pr_from_ref("refs/pull/0/merge"), None);
        assert_eq!(pr_from_ref("refs/heads/pull"), None);
    }
}
