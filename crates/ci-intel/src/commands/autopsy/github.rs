//! Downloading a GitHub Actions run's logs: `GET /repos/{repo}/actions/runs/{id}/logs`
//! answers with a redirect to a short-lived archive URL. ureq follows it without the
//! Authorization header (its default never forwards credentials on a redirect), so the token
//! stays with GitHub. GITHUB_API_URL points at GitHub Enterprise (or a test server).

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Downloads the run's log zip to a temporary file.
pub fn download_run_logs(repo: &str, run: u64) -> Result<tempfile::NamedTempFile> {
    if !repo.contains('/') || repo.contains("..") || repo.contains(char::is_whitespace) {
        bail!("--repo: expected OWNER/NAME, found `{repo}`");
    }
    let token = std::env::var("GITHUB_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .context(
            "--github-run needs GITHUB_TOKEN (a token with `actions: read` on the repository)",
        )?;
    let api = std::env::var("GITHUB_API_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "https://api.github.com".to_owned());
    let url = format!(
        "{}/repos/{repo}/actions/runs/{run}/logs",
        api.trim_end_matches('/')
    );
    let agent = crate::context::http_agent(Duration::from_mins(10));
    let mut resp = agent
        .get(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .call()
        .with_context(|| format!("GET {url}"))?;
    let status = resp.status().as_u16();
    if status != 200 {
        let body = resp.body_mut().read_to_string().unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| body.chars().take(200).collect());
        let why = match status {
            401 => "the token was refused",
            403 => "the token lacks `actions: read` on the repository (or a rate limit was hit)",
            404 => "no such run in this repository, or the token cannot see it",
            410 => "the run's logs have expired or were deleted",
            _ => "GitHub refused the request",
        };
        bail!("GET {url}: HTTP {status}: {why}: {message}");
    }
    let mut file = tempfile::Builder::new()
        .prefix("ci-intel-run-")
        .suffix(".zip")
        .tempfile()
        .context("cannot create a temporary file for the logs")?;
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    std::io::copy(&mut reader, &mut file)
        .with_context(|| format!("reading the logs of run {run}"))?;
    file.flush()?;
    Ok(file)
}
