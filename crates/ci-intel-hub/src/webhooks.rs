//! GitHub webhooks: the signature is checked (HMAC-SHA256, constant time) before a byte of the
//! payload is parsed; then each event becomes what DORA and run health need.
//!
//! - `push`: commit times (lead time starts at the commit).
//! - `pull_request` (merged): the merge commit, dated when the pull request was opened.
//! - `deployment_status` (success, failure, error): a deployment, failed or not.
//! - `workflow_run` (completed): a run record; `workflow_job` (completed): that run's jobs.
//! - `deployment`, `check_run`, `ping`: acknowledged; nothing to keep.

use ci_intel_core::pipeline_run::{Job, PipelineRun, RunStatus};
use ci_intel_store::{Commit, Deployment};
use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

/// Checks `X-Hub-Signature-256: sha256=<hex>` against the body.
pub fn verify_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_sig = header
        .strip_prefix("sha256=")
        .ok_or(SignatureError::NotSha256)?;
    let sig = hex::decode(hex_sig).map_err(|_| SignatureError::NotHex)?;
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
}

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    #[error("X-Hub-Signature-256 must start with `sha256=`")]
    NotSha256,
    #[error("X-Hub-Signature-256 is not hex")]
    NotHex,
    #[error("signature does not match the payload")]
    Mismatch,
}

/// What an event's payload lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("{event} payload has no {field}")]
    Missing { event: String, field: &'static str },
    #[error("{0} does not make a valid record")]
    NotARecord(&'static str),
}

/// What one event asks the hub to store.
#[derive(Debug, Default, PartialEq)]
pub struct Effects {
    pub commits: Vec<Commit>,
    pub deployments: Vec<Deployment>,
    /// A completed workflow run (its jobs are merged with those already known).
    pub run: Option<PipelineRun>,
    /// A completed job of a run: `(run record as known from the job, job)`.
    pub job: Option<(PipelineRun, Job)>,
}

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

/// GitHub's times (any offset) in the stores' canonical UTC form.
fn canonical(t: &str) -> Option<String> {
    ci_intel_store::rollup::parse_time(t).map(ci_intel_store::rollup::format_time)
}

fn millis_between(a: Option<&str>, b: Option<&str>) -> Option<u64> {
    ci_intel_store::rollup::millis_between(a?, b?)
}

fn conclusion(c: Option<&str>) -> RunStatus {
    match c {
        Some("success") => RunStatus::Success,
        Some("cancelled") => RunStatus::Canceled,
        Some("skipped" | "neutral") => RunStatus::Skipped,
        _ => RunStatus::Failed,
    }
}

/// The record's `run_id` for a GitHub workflow run attempt: a UUID (as the schema requires)
/// derived from the repository, run id and attempt, so every event of one attempt lands on the
/// same record.
pub fn run_id(repo: &str, id: u64, attempt: u64) -> String {
    ci_intel_core::pipeline_run::stable_run_id(&format!("github:{repo}:{id}:{attempt}"))
}

fn environment(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "production" | "prod" => "prod".into(),
        "staging" | "stage" => "staging".into(),
        other => other.to_owned(),
    }
}

/// The job id that stands for a whole workflow run until its jobs are known.
pub const WORKFLOW_JOB: &str = "workflow";

/// A minimal run record (no tests or costs: GitHub does not know them).
fn record(
    repo: &str,
    id: &str,
    sha: &str,
    branch: &str,
    started: &str,
    ended: &str,
) -> Option<PipelineRun> {
    serde_json::from_value(json!({
        "schema": "pipeline_run.v1.2",
        "run_id": id,
        "repo": repo,
        "commit_sha": sha,
        "branch": branch,
        "started_at": started,
        "ended_at": ended,
        "status": "success",
        "jobs": [],
        "tests": {"total": 0, "failed": 0, "duration_ms": 0},
        "cost": {}
    }))
    .ok()
}

/// Reads one event. `Err` names what the payload lacks.
pub fn effects(event: &str, payload: &Value) -> Result<Effects, PayloadError> {
    let ev = Event {
        name: event,
        payload,
    };
    let mut fx = Effects::default();
    match event {
        "push" => push(&ev, &mut fx)?,
        "pull_request" => pull_request(&ev, &mut fx)?,
        "deployment_status" => deployment_status(&ev, &mut fx)?,
        "workflow_run" => workflow_run(&ev, &mut fx)?,
        "workflow_job" => workflow_job(&ev, &mut fx)?,
        _ => {}
    }
    Ok(fx)
}

/// An event's name and payload, and what every reader asks of them.
struct Event<'a> {
    name: &'a str,
    payload: &'a Value,
}

impl Event<'_> {
    fn missing(&self, field: &'static str) -> PayloadError {
        PayloadError::Missing {
            event: self.name.to_owned(),
            field,
        }
    }

    fn repo(&self) -> Result<String, PayloadError> {
        s(self.payload, "/repository/full_name")
            .map(str::to_owned)
            .ok_or_else(|| self.missing("repository.full_name"))
    }
}

/// A push: the time of every commit it carries (for lead times).
fn push(ev: &Event<'_>, fx: &mut Effects) -> Result<(), PayloadError> {
    let repo = ev.repo()?;
    for c in ev
        .payload
        .get("commits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(sha), Some(at)) = (s(c, "/id"), s(c, "/timestamp").and_then(canonical)) {
            fx.commits.push(Commit {
                repo: repo.clone(),
                sha: sha.to_owned(),
                committed_at: at,
            });
        }
    }
    Ok(())
}

/// A merged pull request: its merge commit, dated when the pull request was opened.
fn pull_request(ev: &Event<'_>, fx: &mut Effects) -> Result<(), PayloadError> {
    let merged = ev
        .payload
        .pointer("/pull_request/merged")
        .and_then(Value::as_bool)
        == Some(true);
    if s(ev.payload, "/action") == Some("closed") && merged {
        let repo = ev.repo()?;
        if let (Some(sha), Some(at)) = (
            s(ev.payload, "/pull_request/merge_commit_sha"),
            s(ev.payload, "/pull_request/created_at").and_then(canonical),
        ) {
            fx.commits.push(Commit {
                repo,
                sha: sha.to_owned(),
                committed_at: at,
            });
        }
    }
    Ok(())
}

/// A deployment that finished, successfully or not.
fn deployment_status(ev: &Event<'_>, fx: &mut Effects) -> Result<(), PayloadError> {
    let failed = match s(ev.payload, "/deployment_status/state") {
        Some("success") => false,
        Some("failure" | "error") => true,
        _ => return Ok(()),
    };
    let repo = ev.repo()?;
    let id = ev
        .payload
        .pointer("/deployment/id")
        .and_then(Value::as_u64)
        .ok_or_else(|| ev.missing("deployment.id"))?;
    let at = s(ev.payload, "/deployment_status/updated_at")
        .or_else(|| s(ev.payload, "/deployment_status/created_at"))
        .and_then(canonical)
        .ok_or_else(|| ev.missing("deployment_status.updated_at"))?;
    fx.deployments.push(Deployment {
        repo,
        id: format!("github:{id}"),
        environment: environment(s(ev.payload, "/deployment/environment").unwrap_or("production")),
        commit_sha: s(ev.payload, "/deployment/sha")
            .unwrap_or_default()
            .to_owned(),
        deployed_at: at,
        failed,
        source: "github".into(),
    });
    Ok(())
}

/// A completed workflow run, as a run record (jobs merged later).
fn workflow_run(ev: &Event<'_>, fx: &mut Effects) -> Result<(), PayloadError> {
    if s(ev.payload, "/action") != Some("completed") {
        return Ok(());
    }
    let repo = ev.repo()?;
    let w = ev
        .payload
        .get("workflow_run")
        .ok_or_else(|| ev.missing("workflow_run"))?;
    let id = w
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| ev.missing("workflow_run.id"))?;
    let attempt = w.get("run_attempt").and_then(Value::as_u64).unwrap_or(1);
    let started = s(w, "/run_started_at")
        .or_else(|| s(w, "/created_at"))
        .and_then(canonical)
        .ok_or_else(|| ev.missing("workflow_run.run_started_at"))?;
    let ended = s(w, "/updated_at")
        .and_then(canonical)
        .unwrap_or(started.clone());
    let mut run = record(
        &repo,
        &run_id(&repo, id, attempt),
        s(w, "/head_sha").unwrap_or_default(),
        s(w, "/head_branch").unwrap_or("HEAD"),
        &started,
        &ended,
    )
    .ok_or(PayloadError::NotARecord("workflow_run"))?;
    run.status = conclusion(s(w, "/conclusion"));
    run.pr = w.pointer("/pull_requests/0/number").and_then(Value::as_u64);
    // A record has at least one job; until `workflow_job` events tell the real ones,
    // the workflow stands for itself.
    run.jobs = vec![Job {
        id: WORKFLOW_JOB.into(),
        name: s(w, "/name").unwrap_or("workflow").to_owned(),
        status: run.status,
        attempt: Some(attempt),
        duration_ms: millis_between(Some(&started), Some(&ended)).unwrap_or(0),
        queue_ms: millis_between(s(w, "/created_at"), Some(&started)),
        cache: None,
        machine: None,
        matrix: None,
        logs_uri: s(w, "/html_url").map(str::to_owned),
    }];
    fx.run = Some(run);
    Ok(())
}

/// A completed job, with the shell of the run record it belongs to.
fn workflow_job(ev: &Event<'_>, fx: &mut Effects) -> Result<(), PayloadError> {
    if s(ev.payload, "/action") != Some("completed") {
        return Ok(());
    }
    let repo = ev.repo()?;
    let j = ev
        .payload
        .get("workflow_job")
        .ok_or_else(|| ev.missing("workflow_job"))?;
    let run = j
        .get("run_id")
        .and_then(Value::as_u64)
        .ok_or_else(|| ev.missing("workflow_job.run_id"))?;
    let attempt = j.get("run_attempt").and_then(Value::as_u64).unwrap_or(1);
    let started = s(j, "/started_at")
        .and_then(canonical)
        .ok_or_else(|| ev.missing("workflow_job.started_at"))?;
    let ended = s(j, "/completed_at")
        .and_then(canonical)
        .unwrap_or(started.clone());
    let job = Job {
        id: j
            .get("id")
            .and_then(Value::as_u64)
            .unwrap_or_default()
            .to_string(),
        name: s(j, "/name").unwrap_or("job").to_owned(),
        status: conclusion(s(j, "/conclusion")),
        attempt: Some(attempt),
        duration_ms: millis_between(Some(&started), Some(&ended)).unwrap_or(0),
        queue_ms: millis_between(s(j, "/created_at"), Some(&started)),
        cache: None,
        machine: None,
        matrix: None,
        logs_uri: s(j, "/html_url").map(str::to_owned),
    };
    let shell = record(
        &repo,
        &run_id(&repo, run, attempt),
        s(j, "/head_sha").unwrap_or_default(),
        s(j, "/head_branch").unwrap_or("HEAD"),
        &started,
        &ended,
    )
    .ok_or(PayloadError::NotARecord("workflow_job"))?;
    fx.job = Some((shell, job));
    Ok(())
}

/// Merges a completed job into the run it belongs to (`known`, if the hub has it): the job
/// replaces an earlier report of the same job id, the run's window grows to cover it.
pub fn merge_job(known: Option<PipelineRun>, shell: PipelineRun, job: Job) -> PipelineRun {
    let mut run = known.unwrap_or(shell.clone());
    run.jobs.retain(|j| j.id != job.id && j.id != WORKFLOW_JOB);
    run.jobs.push(job);
    run.jobs.sort_by(|a, b| a.id.cmp(&b.id));
    if shell.started_at < run.started_at {
        run.started_at = shell.started_at;
    }
    if shell.ended_at > run.ended_at {
        run.ended_at = shell.ended_at;
    }
    run
}

/// Merges a completed workflow run with what job events already told (their jobs are kept).
pub fn merge_run(known: Option<PipelineRun>, mut run: PipelineRun) -> PipelineRun {
    if let Some(k) = known {
        let real: Vec<Job> = k
            .jobs
            .into_iter()
            .filter(|j| j.id != WORKFLOW_JOB)
            .collect();
        if !real.is_empty() {
            run.jobs = real;
        }
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures() {
        let body = br#"{"zen":"hi"}"#;
        let good = sign(b"s3cret", body);
        assert!(verify_signature(b"s3cret", body, Some(&good)).is_ok());
        assert!(verify_signature(b"other", body, Some(&good)).is_err());
        assert!(verify_signature(b"s3cret", b"{}", Some(&good)).is_err());
        assert!(verify_signature(b"s3cret", body, None).is_err());
        assert!(verify_signature(b"s3cret", body, Some("sha1=00")).is_err());
        assert!(verify_signature(b"s3cret", body, Some("sha256=zz")).is_err());
    }

    #[test]
    fn deployment_status_becomes_a_deployment() {
        let p = json!({
            "deployment_status": {"state": "failure", "updated_at": "2026-11-20T10:00:00+01:00"},
            "deployment": {"id": 7, "sha": "abc", "environment": "production"},
            "repository": {"full_name": "org/app"}
        });
        let fx = effects("deployment_status", &p).unwrap();
        assert_eq!(fx.deployments.len(), 1);
        let d = &fx.deployments[0];
        assert!(d.failed);
        assert_eq!(d.environment, "prod");
        assert_eq!(d.deployed_at, "2026-11-20T09:00:00Z");
        let pending = json!({"deployment_status": {"state": "pending"}});
        assert_eq!(
            effects("deployment_status", &pending).unwrap(),
            Effects::default()
        );
        assert!(effects("push", &json!({})).is_err());
    }

    /// JSON trees of any shape, with the keys the events read scattered in them.
    fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just("repository".to_owned()),
            Just("full_name".to_owned()),
            Just("workflow_run".to_owned()),
            Just("workflow_job".to_owned()),
            Just("deployment".to_owned()),
            Just("deployment_status".to_owned()),
            Just("pull_request".to_owned()),
            Just("commits".to_owned()),
            Just("id".to_owned()),
            Just("action".to_owned()),
            Just("state".to_owned()),
            Just("run_started_at".to_owned()),
            Just("started_at".to_owned()),
            Just("completed_at".to_owned()),
            "[a-z_]{1,8}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            "\\PC{0,20}".prop_map(Value::from),
            Just(json!("completed")),
            Just(json!("2026-11-20T09:00:00Z")),
            Just(json!("org/app")),
        ];
        leaf.prop_recursive(4, 64, 8, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Any payload for any event is read or refused, never a panic; what it makes is
        /// well-formed (a run record with at least one job when it names a run).
        #[test]
        fn any_payload_is_read_or_refused(
            event in proptest::sample::select(vec![
                "push", "pull_request", "deployment_status", "workflow_run", "workflow_job",
                "deployment", "check_run", "ping",
            ]),
            payload in arbitrary_json(),
        ) {
            if let Ok(Effects { run: Some(run), .. }) = effects(event, &payload) {
                proptest::prop_assert!(!run.jobs.is_empty());
            }
        }

        /// Signatures of any shape are checked without a panic, and only the right one passes.
        #[test]
        fn any_signature_header_is_checked(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200), header in "\\PC{0,80}") {
            proptest::prop_assert!(verify_signature(b"s3cret", &body, Some(&header)).is_err() || header == sign(b"s3cret", &body));
            proptest::prop_assert!(verify_signature(b"s3cret", &body, Some(&sign(b"s3cret", &body))).is_ok());
        }
    }
}
