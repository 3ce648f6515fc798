//! `hub --demo`: a deterministic, realistic synthetic history so a fresh hub opens on a
//! populated dashboard. The same seed and end day always give the same data: four
//! repositories with different habits over 90 days (runs, jobs, caches, tests with flaky ones,
//! nightly mutation runs with one regression, deployments with failures and restores, commit
//! times for lead time, costs and carbon).

use ci_intel_core::pipeline_run::PipelineRun;
use ci_intel_store::rollup::format_time as at;
use ci_intel_store::{Commit, Store, StoreError, TestOutcome, TestReport, TestResult};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use time::{Date, Duration, OffsetDateTime};

use crate::analytics::ymd;

/// How one synthetic repository behaves.
struct Profile {
    repo: &'static str,
    runs_per_day: u32,
    /// Typical run length in minutes.
    minutes: f64,
    failure_rate: f64,
    deploys_per_day: f64,
    /// Typical hours from commit to deployment.
    lead_hours: f64,
    deploy_failure_rate: f64,
    /// Tests that sometimes fail and pass on retry.
    flaky: &'static [&'static str],
    tests: &'static [&'static str],
    /// The mutation score dips from day 55 to day 70 (a regression the EWMA catches).
    regression: bool,
}

const PROFILES: &[Profile] = &[
    Profile {
        repo: "acme/web",
        runs_per_day: 30,
        minutes: 9.0,
        failure_rate: 0.07,
        deploys_per_day: 3.0,
        lead_hours: 5.0,
        deploy_failure_rate: 0.06,
        flaky: &[
            "web.checkout::test_payment_timeout",
            "web.search::test_autocomplete_debounce",
        ],
        tests: &[
            "web.cart::test_add_item",
            "web.cart::test_remove_item",
            "web.auth::test_login",
            "web.auth::test_logout",
            "web.search::test_query",
        ],
        regression: true,
    },
    Profile {
        repo: "acme/api",
        runs_per_day: 20,
        minutes: 14.0,
        failure_rate: 0.05,
        deploys_per_day: 1.0,
        lead_hours: 30.0,
        deploy_failure_rate: 0.12,
        flaky: &["api.orders::test_concurrent_update"],
        tests: &[
            "api.orders::test_create",
            "api.orders::test_cancel",
            "api.users::test_signup",
            "api.billing::test_invoice",
            "api.health::test_ready",
        ],
        regression: false,
    },
    Profile {
        repo: "acme/mobile",
        runs_per_day: 8,
        minutes: 26.0,
        failure_rate: 0.12,
        deploys_per_day: 0.15,
        lead_hours: 120.0,
        deploy_failure_rate: 0.2,
        flaky: &[
            "mobile.sync::test_offline_queue",
            "mobile.ui::test_scroll_snapshot",
            "mobile.push::test_token_refresh",
        ],
        tests: &[
            "mobile.sync::test_merge",
            "mobile.ui::test_render_home",
            "mobile.auth::test_biometric",
        ],
        regression: false,
    },
    Profile {
        repo: "acme/platform",
        runs_per_day: 12,
        minutes: 6.0,
        failure_rate: 0.03,
        deploys_per_day: 0.5,
        lead_hours: 14.0,
        deploy_failure_rate: 0.04,
        flaky: &[],
        tests: &[
            "platform.terraform::test_plan",
            "platform.k8s::test_manifests",
            "platform.policy::test_opa",
        ],
        regression: false,
    },
];

/// What `--demo` wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Filled {
    pub runs: usize,
    pub test_reports: usize,
    pub commits: usize,
}

fn sha(s: &str) -> String {
    hex::encode(&Sha256::digest(s.as_bytes())[..20])
}

/// Run ids are UUIDs (the schema says so); the demo derives them from a readable name so the
/// same seed gives the same ids.
fn run_uuid(name: &str) -> String {
    ci_intel_core::pipeline_run::stable_run_id(&format!("ci-intel-demo:{name}"))
}

/// The synthetic history of the `days` complete UTC days before `now`'s day: the same day
/// gives the same history at any hour (what `docs/hub.md` promises). Test reports are kept for
/// the last 30 days (the retention of raw events).
pub fn generate(
    seed: u64,
    now: OffsetDateTime,
    days: u32,
) -> (Vec<PipelineRun>, Vec<TestReport>, Vec<Commit>) {
    let last_day = now.date() - Duration::days(1);
    let mut history = History {
        runs: Vec::new(),
        reports: Vec::new(),
        commits: Vec::new(),
        reports_from: now.date().midnight().assume_utc() - Duration::days(30),
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let first = last_day - Duration::days(i64::from(days) - 1);
    for profile in PROFILES {
        let mut deploy_debt = 0.0;
        for day_index in 0..days {
            let day = first + Duration::days(i64::from(day_index));
            let n = runs_on(profile, day, &mut rng);
            deploy_debt += profile.deploys_per_day * (0.5 + rng.f64());
            let deploys = deploy_debt.floor() as u32;
            deploy_debt -= f64::from(deploys);
            for index in 0..=n {
                let nightly = index == n;
                let slot = Slot {
                    profile,
                    day,
                    day_index,
                    index,
                    nightly,
                    deploying: !nightly && index < deploys,
                };
                history.add(&slot, &mut rng);
            }
        }
    }
    (history.runs, history.reports, history.commits)
}

/// How many runs a repository has on `day`, the nightly one aside: weekends are quiet.
fn runs_on(profile: &Profile, day: Date, rng: &mut fastrand::Rng) -> u32 {
    let n = profile.runs_per_day / 2 + rng.u32(0..=profile.runs_per_day);
    if matches!(
        day.weekday(),
        time::Weekday::Saturday | time::Weekday::Sunday
    ) {
        n / 4
    } else {
        n
    }
}

/// Where one run falls: its repository, its day and its place in that day.
struct Slot<'a> {
    profile: &'a Profile,
    day: Date,
    /// Days since the first day of the history (the mutation regression is placed by it).
    day_index: u32,
    index: u32,
    /// The last run of the day: the 02:00 nightly on `main` with a mutation run.
    nightly: bool,
    deploying: bool,
}

/// What the generator has made so far.
struct History {
    runs: Vec<PipelineRun>,
    reports: Vec<TestReport>,
    commits: Vec<Commit>,
    /// Raw test reports older than this are past retention and not kept.
    reports_from: OffsetDateTime,
}

/// One run's timing, as the record and its re-run need it.
struct Timing {
    name: String,
    id: String,
    start: OffsetDateTime,
    end: OffsetDateTime,
    minutes: f64,
}

/// Which tests failed, flaked or failed the run and passed on a re-run.
struct Outcomes {
    total: u64,
    failures: Vec<&'static str>,
    /// Failed then passed on a retry in the same run.
    flaky: Vec<&'static str>,
    /// Failed the run; a re-run of the same commit passes.
    flaky_failed: Option<&'static str>,
}

impl History {
    fn add(&mut self, slot: &Slot<'_>, rng: &mut fastrand::Rng) {
        let p = slot.profile;
        let timing = Timing::draw(slot, rng);
        let failed = rng.f64() < p.failure_rate;
        let (jobs, deploy_failed) = self.jobs(slot, &timing, failed, rng);
        let outcomes = Outcomes::draw(p, failed, rng);
        let run = record(slot, &timing, &outcomes, &jobs, deploy_failed, rng);
        let tests = outcomes.results(p, rng);
        if timing.start >= timing.end {
            return;
        }
        let report = TestReport {
            run_id: run.run_id.clone(),
            repo: run.repo.clone(),
            commit_sha: run.commit_sha.clone(),
            started_at: run.started_at.clone(),
            total: outcomes.total,
            tests,
        };
        if let Some(test) = outcomes.flaky_failed {
            self.rerun(&run, &report, test, &timing);
        }
        if timing.start >= self.reports_from {
            self.reports.push(report);
        }
        self.runs.push(run);
    }

    /// The run's jobs (a deploy job when it deploys, whose commit is recorded for lead time),
    /// and whether the deployment failed.
    fn jobs(
        &mut self,
        slot: &Slot<'_>,
        timing: &Timing,
        failed: bool,
        rng: &mut fastrand::Rng,
    ) -> (Vec<Value>, bool) {
        let p = slot.profile;
        let cache_hit = rng.f64() < 0.88;
        let job = |name: &str, share: f64, failed: bool, rng: &mut fastrand::Rng| {
            let slow_queue = rng.f64() < 0.05;
            json!({
                "id": format!("{}-{name}", timing.id),
                "name": name,
                "status": if failed { "failed" } else { "success" },
                "duration_ms": (timing.minutes * 60_000.0 * share) as u64,
                "queue_ms": u64::from(rng.u32(1_000..if slow_queue { 300_000 } else { 40_000 })),
                "cache": {"hit": cache_hit, "key": format!("{}-deps", p.repo)}
            })
        };
        let mut jobs = vec![
            job("build", 0.35, false, rng),
            job("test", 0.5, failed, rng),
            job("lint", 0.15, false, rng),
        ];
        let mut deploy_failed = false;
        if slot.deploying {
            deploy_failed = !failed && rng.f64() < p.deploy_failure_rate;
            jobs.push(job("deploy", 0.2, deploy_failed, rng));
            let lead = p.lead_hours * (0.3 + 1.4 * rng.f64());
            self.commits.push(Commit {
                repo: p.repo.into(),
                sha: sha(&timing.name),
                committed_at: at(timing.start - Duration::seconds((lead * 3600.0) as i64)),
            });
        }
        (jobs, deploy_failed)
    }

    /// The re-run of a commit whose flaky test failed it: a quarter of an hour later, it passes.
    fn rerun(&mut self, run: &PipelineRun, report: &TestReport, test: &str, timing: &Timing) {
        let later = timing.start + Duration::minutes(15);
        if later >= timing.end {
            return;
        }
        let mut again = run.clone();
        again.run_id = run_uuid(&format!("{}-rerun", timing.name));
        again.status = ci_intel_core::pipeline_run::RunStatus::Success;
        again.started_at = at(later);
        again.ended_at = at(timing.end + Duration::minutes(15));
        again.tests.failed = 0;
        again.autopsy = None;
        if timing.start >= self.reports_from {
            let mut rerun_report = report.clone();
            rerun_report.run_id.clone_from(&again.run_id);
            rerun_report.started_at.clone_from(&again.started_at);
            rerun_report.tests = vec![TestResult {
                id: test.into(),
                outcome: TestOutcome::Passed,
                attempts: 1,
                duration_ms: Some(900.0),
            }];
            self.reports.push(rerun_report);
        }
        self.runs.push(again);
    }
}

impl Timing {
    fn draw(slot: &Slot<'_>, rng: &mut fastrand::Rng) -> Self {
        let midnight = slot.day.midnight().assume_utc();
        let start = midnight
            + Duration::seconds(if slot.nightly {
                2 * 3600
            } else {
                8 * 3600 + i64::from(rng.u32(0..12 * 3600))
            });
        let name = format!(
            "demo-{}-{}-{}",
            slot.profile.repo.replace('/', "-"),
            ymd(slot.day),
            slot.index
        );
        let id = run_uuid(&name);
        // One run in thirty takes three times as long.
        let minutes = slot.profile.minutes
            * (0.7 + 0.6 * rng.f64())
            * if rng.f64() < 0.03 { 3.0 } else { 1.0 };
        let end = start + Duration::seconds((minutes * 60.0) as i64);
        Self {
            name,
            id,
            start,
            end,
            minutes,
        }
    }
}

impl Outcomes {
    fn draw(p: &Profile, failed: bool, rng: &mut fastrand::Rng) -> Self {
        let total = 300 + rng.u64(0..1500);
        let mut failures: Vec<&'static str> = Vec::new();
        if failed {
            failures.push(p.tests[rng.usize(0..p.tests.len())]);
        }
        // A flaky test either passes on a retry, or fails the run and passes on a re-run
        // of the same commit.
        let mut flaky = Vec::new();
        let mut flaky_failed = None;
        for t in p.flaky {
            if rng.f64() < 0.04 {
                if !failed && flaky_failed.is_none() && rng.bool() {
                    flaky_failed = Some(*t);
                } else {
                    flaky.push(*t);
                }
            }
        }
        failures.extend(flaky_failed);
        Self {
            total,
            failures,
            flaky,
            flaky_failed,
        }
    }

    fn failed(&self) -> bool {
        !self.failures.is_empty()
    }

    /// Every test of the run with its outcome and duration.
    fn results(&self, p: &Profile, rng: &mut fastrand::Rng) -> Vec<TestResult> {
        let mut tests: Vec<TestResult> = self
            .failures
            .iter()
            .map(|t| TestResult {
                id: (*t).into(),
                outcome: TestOutcome::Failed,
                attempts: 2,
                duration_ms: Some(100.0 + rng.f64() * 900.0),
            })
            .collect();
        tests.extend(self.flaky.iter().map(|t| TestResult {
            id: (*t).into(),
            outcome: TestOutcome::Flaky,
            attempts: 2,
            duration_ms: Some(500.0 + rng.f64() * 4000.0),
        }));
        for t in p.tests {
            if !self.failures.contains(t) {
                tests.push(TestResult {
                    id: (*t).into(),
                    outcome: TestOutcome::Passed,
                    attempts: 1,
                    duration_ms: Some(50.0 + rng.f64() * 2000.0),
                });
            }
        }
        tests
    }
}

/// The run's `pipeline_run.v1.2` record.
fn record(
    slot: &Slot<'_>,
    timing: &Timing,
    outcomes: &Outcomes,
    jobs: &[Value],
    deploy_failed: bool,
    rng: &mut fastrand::Rng,
) -> PipelineRun {
    let p = slot.profile;
    let failed = outcomes.failed();
    let score = if p.regression && (55..70).contains(&slot.day_index) {
        0.66
    } else {
        0.78
    } + 0.03 * (rng.f64() - 0.5);
    let minutes = timing.minutes;
    let cpu = minutes * 60.0 * 2.0;
    let mut r = json!({
        "schema": "pipeline_run.v1.2",
        "run_id": timing.id,
        "repo": p.repo,
        "commit_sha": sha(&timing.name),
        "branch": if slot.deploying || slot.nightly { "main".to_owned() } else { format!("feature/{}", rng.u32(100..999)) },
        "started_at": at(timing.start),
        "ended_at": at(timing.end),
        "status": if failed || deploy_failed { "failed" } else { "success" },
        "queue_ms": u64::from(rng.u32(1_000..60_000)),
        "runner_os": "linux",
        "runner_type": "hosted",
        "region": "eu-west-1",
        "carbon_g_co2e": (cpu * 0.045 * 100.0).round() / 100.0,
        "jobs": jobs,
        "tests": {
            "total": outcomes.total,
            "failed": outcomes.failures.len(),
            "skipped": rng.u64(0..20),
            "duration_ms": (minutes * 60_000.0 * 0.4) as u64,
            "coverage": {"lines_pct": ((0.72 + 0.1 * rng.f64()) * 10_000.0).round() / 10_000.0}
        },
        "cost": {"usd": (minutes * 0.008 * 4.0 * 100.0).round() / 100.0, "cpu_seconds": cpu.round()}
    });
    if slot.nightly {
        let mutants = 400 + rng.u64(0..200);
        let killed = (mutants as f64 * score) as u64;
        r["tests"]["resilience"] = json!({"mutants_total": mutants, "killed": killed, "equiv": 0, "timeout": 0, "score": (score * 10_000.0).round() / 10_000.0});
    }
    if slot.deploying {
        r["environment"] = json!("prod");
        r["deployment_id"] = json!(format!("{}-deploy", timing.id));
        r["strategy"] = json!("rolling");
        if deploy_failed {
            r["rollback_reason"] = json!("error rate above budget after rollout");
        }
    }
    if let Some(first) = outcomes.failures.first() {
        r["autopsy"] = json!({"root_causes": [{
            "tool": "pytest", "pattern": "pytest/assertion",
            "file": format!("tests/{}.py", first.split("::").next().unwrap_or("test").replace('.', "/")),
            "line": rng.u64(10..400),
            "message": format!("{}: AssertionError: expected 200, got 500", first),
            "suggestion": "Look at the handler's error log for this request."
        }]});
    }
    r["policies"] =
        json!([{"id": "tests.failures", "result": if failed { "deny" } else { "allow" }}]);
    #[expect(
        clippy::unreachable,
        reason = "the generator's own records; the demo tests validate every one"
    )]
    match serde_json::from_value::<PipelineRun>(r) {
        Ok(run) => run,
        Err(e) => unreachable!("the demo generator builds valid records: {e}"),
    }
}

/// Fills an empty store with the demo history ending today; a store with runs is left alone.
pub fn fill_if_empty(store: &dyn Store, seed: u64) -> Result<Option<Filled>, StoreError> {
    if !store.repos()?.is_empty() {
        return Ok(None);
    }
    let (runs, reports, commits) = generate(seed, OffsetDateTime::now_utc(), 90);
    for chunk in runs.chunks(2000) {
        store.upsert_runs(chunk)?;
    }
    for chunk in reports.chunks(2000) {
        store.put_test_reports(chunk)?;
    }
    store.record_commits(&commits)?;
    Ok(Some(Filled {
        runs: runs.len(),
        test_reports: reports.len(),
        commits: commits.len(),
    }))
}

/// Used by tests and benchmarks: a record shaped like the demo's, for ingest load.
pub fn sample_record(i: u64, repo: &str, day: Date) -> Value {
    let start = day.midnight().assume_utc() + Duration::seconds((i % 86_000) as i64);
    let failed = i.is_multiple_of(17);
    json!({
        "schema": "pipeline_run.v1.2",
        "run_id": run_uuid(&format!("load-{repo}-{}-{i}", ymd(day))),
        "repo": repo,
        "commit_sha": sha(&i.to_string()),
        "branch": "main",
        "started_at": at(start),
        "ended_at": at(start + Duration::seconds(300 + (i % 600) as i64)),
        "status": if failed { "failed" } else { "success" },
        "queue_ms": 1000 + i % 30_000,
        "jobs": [
            {"id": "build", "name": "build", "status": "success", "duration_ms": 120_000 + i % 60_000, "cache": {"hit": !i.is_multiple_of(9)}},
            {"id": "test", "name": "test", "status": if failed { "failed" } else { "success" }, "duration_ms": 180_000 + i % 90_000}
        ],
        "tests": {"total": 1200, "failed": u64::from(failed), "duration_ms": 170_000},
        "cost": {"usd": 0.12, "cpu_seconds": 600.0},
        "carbon_g_co2e": 27.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_history() {
        let day = time::macros::datetime!(2026-11-23 12:00 UTC);
        let (a, ra, ca) = generate(7, day, 10);
        let (b, rb, cb) = generate(7, day, 10);
        assert_eq!(a, b);
        assert_eq!(ra, rb);
        assert_eq!(ca, cb);
        assert!(a.len() > 300, "{}", a.len());
        assert!(a.iter().any(|r| r.environment.is_some()), "deployments");
        assert!(
            ra.iter()
                .any(|r| r.tests.iter().any(|t| t.outcome == TestOutcome::Flaky))
        );
        assert!(
            a.iter()
                .all(|r| r.started_at.as_str() < "2026-11-23T00:00:00Z"),
            "complete days only: nothing from the day of `now`"
        );
        // Any hour of the same day gives the same history.
        for hour in [
            time::macros::datetime!(2026-11-23 00:00 UTC),
            time::macros::datetime!(2026-11-23 23:59:59 UTC),
        ] {
            let (h, rh, ch) = generate(7, hour, 10);
            assert_eq!((&h, &rh, &ch), (&a, &ra, &ca));
        }
        let rerun = a.iter().any(|r| {
            r.status == ci_intel_core::pipeline_run::RunStatus::Success
                && a.iter().any(|f| {
                    f.commit_sha == r.commit_sha
                        && f.status == ci_intel_core::pipeline_run::RunStatus::Failed
                })
        });
        assert!(rerun, "re-runs of flaky failures pass on the same commit");
        for r in &a {
            let v = serde_json::to_value(r).unwrap();
            let violations = ci_intel_core::pipeline_run::validate(&v);
            assert!(violations.is_empty(), "{}: {violations:?}", r.run_id);
        }
        let (c, _, _) = generate(8, day, 10);
        assert_ne!(a, c);
    }
}
