//! Merging `<testcase>` entries from many reports into one result per test.
//!
//! Runners that retry a test record its attempts in one of three ways, and all mean the same:
//! - child elements: `flakyFailure`/`flakyError` (failed, then passed) and
//!   `rerunFailure`/`rerunError` (failed every time) — Surefire, Gradle, nextest;
//! - repeated entries in one report: pytest-rerunfailures and gotestsum write one `<testcase>`
//!   per attempt, and the last entry holds the final outcome (pytest-rerunfailures writes the
//!   earlier, failed attempts as empty elements, so an earlier entry counts as a failed attempt
//!   whatever it looks like);
//! - the same test in several reports (a re-run job, a retry step): a test that failed in one
//!   and passed in another failed and passed on the same commit.
//!
//! A test whose attempts include both a failure and a pass is **flaky** and counts as passed;
//! one whose every attempt failed is failed.
//!
//! Memory stays small on huge inputs: each test is a 128-bit hash of its id plus a few counters,
//! and names and messages are kept only for the tests a report shows (failed, flaky, slowest).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use xxhash_rust::xxh3::xxh3_128;

use crate::junit::{CaseRecord, FailureDetail, Outcome};

/// A test's identity: 96 bits of a hash of its id (a collision among a million tests has a
/// probability near 10⁻¹⁷), 4-byte aligned so a map slot is 24 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key([u32; 3]);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already a good hash: hand 64 bits of it to the table as they are.
        state.write_u64(u64::from(self.0[0]) | (u64::from(self.0[1]) << 32));
    }
}

/// A hasher that passes an already-hashed key through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type Map<V> = HashMap<Key, V, BuildHasherDefault<PassThrough>>;

/// Per-test counters, 12 bytes: the table of a million tests stays near 24 MB.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// Index of the report the last entry came from.
    report: u32,
    passed: u16,
    failed: u16,
    skipped: u16,
    /// Outcome of the last entry, to reinterpret it if a later entry of the same report repeats
    /// the test.
    last: Option<Outcome>,
    /// Final failing outcome kind (failure vs error).
    last_failure: Option<Outcome>,
}

fn count(n: u32) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// A test that failed on its last attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedTest {
    pub id: String,
    pub detail: FailureDetail,
    pub attempts: u32,
}

/// A test that failed and passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlakyTest {
    pub id: String,
    pub attempts: u32,
    /// Why an attempt failed, when the report says.
    pub message: Option<String>,
}

/// A slow test.
#[derive(Clone, Debug, PartialEq)]
pub struct SlowTest {
    pub id: String,
    pub duration_ms: f64,
}

/// Totals over unique tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub passed: u64,
    pub failures: u64,
    pub errors: u64,
    pub skipped: u64,
    pub flaky: u64,
    /// Every `<testcase>` entry and retry child read (attempts, not tests).
    pub entries: u64,
}

impl Counts {
    /// Failures plus errors: the contract's `tests.failed`.
    pub fn failed(&self) -> u64 {
        self.failures + self.errors
    }
}

/// The merged result of every report read.
#[derive(Debug, Default)]
pub struct TestRun {
    entries: Map<Entry>,
    names: Map<String>,
    failures: Map<FailureDetail>,
    flaky_messages: Map<String>,
    /// Min-heap of the slowest attempts seen (duration in µs, id).
    slowest: BinaryHeap<Reverse<(u64, String)>>,
    slowest_keep: usize,
    reports: u32,
    duration_ms: f64,
    attempts: u64,
}

impl TestRun {
    /// A run that keeps the `slowest` slowest tests.
    pub fn new(slowest: usize) -> Self {
        Self {
            slowest_keep: slowest,
            ..Self::default()
        }
    }

    /// Starts a new report: repeated ids after this are attempts from another report.
    pub fn begin_report(&mut self) {
        self.reports += 1;
    }

    /// Adds one `<testcase>` entry of the current report.
    pub fn add(&mut self, case: &CaseRecord) {
        // Suites distinguish tests only when the class does not (generic xUnit).
        let key = if case.classname.is_empty() {
            hash3(&case.suite, "", &case.name)
        } else {
            hash3("", &case.classname, &case.name)
        };
        let outcome = case.outcome();
        let report = self.reports;
        self.duration_ms += case.duration_ms;
        self.attempts += 1 + u64::from(case.flaky_failures) + u64::from(case.rerun_failures);

        let e = self.entries.entry(key).or_default();
        let repeated_in_report = e.last.is_some() && e.report == report;
        if repeated_in_report && e.last == Some(Outcome::Passed) {
            // An earlier entry of this report was an attempt that did not stand: a failure.
            e.passed -= 1;
            e.failed = e.failed.saturating_add(1);
        }
        e.report = report;
        e.last = Some(outcome);
        match outcome {
            Outcome::Passed => e.passed = e.passed.saturating_add(1),
            Outcome::Failed | Outcome::Errored => {
                e.failed = e.failed.saturating_add(1);
                e.last_failure = Some(outcome);
            }
            Outcome::Skipped => e.skipped = e.skipped.saturating_add(1),
        }
        e.failed = e.failed.saturating_add(count(
            case.flaky_failures.saturating_add(case.rerun_failures),
        ));
        let interesting = e.failed > 0;
        let entry_failed_now = outcome.is_failure();

        if interesting || entry_failed_now {
            self.names.entry(key).or_insert_with(|| case.id());
        }
        if let Some(f) = &case.failure {
            self.failures.insert(key, f.clone());
        }
        if let Some(m) = &case.flaky_message {
            self.flaky_messages.entry(key).or_insert_with(|| m.clone());
        }
        if self.slowest_keep > 0 && case.duration_ms > 0.0 {
            let micros = (case.duration_ms * 1000.0) as u64;
            let full = self.slowest.len() >= self.slowest_keep * 2;
            if !full
                || self
                    .slowest
                    .peek()
                    .is_some_and(|Reverse((d, _))| micros > *d)
            {
                self.slowest.push(Reverse((micros, case.id())));
                if self.slowest.len() > self.slowest_keep * 2 {
                    self.slowest.pop();
                }
            }
        }
    }

    /// Folds in a run read independently (another report, parsed in parallel): its tests are
    /// attempts from a different report, so a test failing there and passing here is flaky.
    pub fn merge(&mut self, mut other: TestRun) {
        if self.entries.is_empty() && self.reports == 0 {
            // The first run merged in: take it whole instead of copying every entry.
            other.slowest_keep = other.slowest_keep.max(self.slowest_keep);
            for e in other.entries.values_mut() {
                e.report = u32::MAX;
            }
            *self = other;
            return;
        }
        for (k, e) in other.entries {
            let mine = self.entries.entry(k).or_default();
            mine.passed = mine.passed.saturating_add(e.passed);
            mine.failed = mine.failed.saturating_add(e.failed);
            mine.skipped = mine.skipped.saturating_add(e.skipped);
            if e.last_failure.is_some() {
                mine.last_failure = e.last_failure;
            }
            mine.last = e.last;
            // No later `add` may treat these as repeats within its own report.
            mine.report = u32::MAX;
        }
        for (k, n) in other.names {
            self.names.entry(k).or_insert(n);
        }
        self.failures.extend(other.failures);
        for (k, m) in other.flaky_messages {
            self.flaky_messages.entry(k).or_insert(m);
        }
        let keep = self.slowest_keep.max(other.slowest_keep) * 2;
        for item in other.slowest {
            self.slowest.push(item);
            if self.slowest.len() > keep {
                self.slowest.pop();
            }
        }
        self.reports += other.reports;
        self.duration_ms += other.duration_ms;
        self.attempts += other.attempts;
    }

    /// Sum of every attempt's duration.
    pub fn duration_ms(&self) -> f64 {
        self.duration_ms
    }

    pub fn report_count(&self) -> u32 {
        self.reports
    }

    /// Totals over unique tests.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            entries: self.attempts,
            ..Counts::default()
        };
        for e in self.entries.values() {
            c.total += 1;
            match classify(e) {
                Final::Passed => c.passed += 1,
                Final::Flaky => {
                    c.passed += 1;
                    c.flaky += 1;
                }
                Final::Failed(Outcome::Errored) => c.errors += 1,
                Final::Failed(_) => c.failures += 1,
                Final::Skipped => c.skipped += 1,
            }
        }
        c
    }

    /// Tests that failed on their last attempt, sorted by id.
    pub fn failed(&self) -> Vec<FailedTest> {
        let mut out: Vec<FailedTest> = self
            .entries
            .iter()
            .filter_map(|(k, e)| match classify(e) {
                Final::Failed(kind) => Some(FailedTest {
                    id: self.name(k),
                    detail: self.failures.get(k).cloned().unwrap_or(FailureDetail {
                        outcome: kind,
                        message: String::new(),
                        kind: None,
                        file: None,
                        line: None,
                    }),
                    attempts: u32::from(e.failed) + u32::from(e.passed),
                }),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Tests that failed and passed, sorted by id.
    pub fn flaky(&self) -> Vec<FlakyTest> {
        let mut out: Vec<FlakyTest> = self
            .entries
            .iter()
            .filter(|(_, e)| classify(e) == Final::Flaky)
            .map(|(k, e)| FlakyTest {
                id: self.name(k),
                attempts: u32::from(e.failed) + u32::from(e.passed),
                message: self
                    .flaky_messages
                    .get(k)
                    .cloned()
                    .or_else(|| self.failures.get(k).map(|f| f.message.clone()))
                    .filter(|m| !m.is_empty()),
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// The slowest tests, slowest first (one entry per test: its slowest attempt).
    pub fn slowest(&self) -> Vec<SlowTest> {
        let mut all: Vec<(u64, String)> = self.slowest.iter().map(|Reverse(x)| x.clone()).collect();
        all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut seen = std::collections::HashSet::new();
        all.into_iter()
            .filter(|(_, id)| seen.insert(id.clone()))
            .take(self.slowest_keep)
            .map(|(us, id)| SlowTest {
                id,
                duration_ms: us as f64 / 1000.0,
            })
            .collect()
    }

    fn name(&self, key: &Key) -> String {
        self.names
            .get(key)
            .cloned()
            .unwrap_or_else(|| format!("<test {:08x}{:08x}{:08x}>", key.0[0], key.0[1], key.0[2]))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Final {
    Passed,
    Flaky,
    Failed(Outcome),
    Skipped,
}

fn classify(e: &Entry) -> Final {
    match (e.passed > 0, e.failed > 0) {
        (true, true) => Final::Flaky,
        (true, false) => Final::Passed,
        (false, true) => Final::Failed(e.last_failure.unwrap_or(Outcome::Failed)),
        (false, false) => Final::Skipped,
    }
}

fn hash3(a: &str, b: &str, c: &str) -> Key {
    // Length-prefixing keeps ("ab","c") and ("a","bc") apart without copying into a buffer.
    let mut h = xxh3_128(a.as_bytes());
    h = h.rotate_left(7) ^ (a.len() as u128) ^ xxh3_128(b.as_bytes()).rotate_left(31);
    h ^= (b.len() as u128) << 64;
    let h = h.rotate_left(13) ^ xxh3_128(c.as_bytes());
    Key([h as u32, (h >> 32) as u32, (h >> 64) as u32])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(class: &str, name: &str, outcome: Outcome) -> CaseRecord {
        let mut c = CaseRecord {
            classname: class.into(),
            name: name.into(),
            duration_ms: 10.0,
            ..CaseRecord::default()
        };
        if outcome != Outcome::Passed {
            c.outcome = Some(outcome);
        }
        if outcome.is_failure() {
            c.failure = Some(FailureDetail {
                outcome,
                message: "boom".into(),
                kind: None,
                file: None,
                line: None,
            });
        }
        c
    }

    #[test]
    fn repeated_entries_in_one_report_are_attempts_and_the_last_decides() {
        let mut r = TestRun::new(5);
        r.begin_report();
        // pytest-rerunfailures: two empty (failed) attempts, then the final failure.
        r.add(&case("c", "a", Outcome::Passed));
        r.add(&case("c", "a", Outcome::Passed));
        r.add(&case("c", "a", Outcome::Failed));
        // a test that passed on its second attempt
        r.add(&case("c", "b", Outcome::Passed));
        r.add(&case("c", "b", Outcome::Passed));
        // gotestsum: failure entries first, then the final pass
        r.add(&case("c", "g", Outcome::Failed));
        r.add(&case("c", "g", Outcome::Passed));
        r.add(&case("c", "ok", Outcome::Passed));
        let c = r.counts();
        assert_eq!((c.total, c.passed, c.failures, c.flaky), (4, 3, 1, 2));
        let failed = r.failed();
        assert_eq!(failed.len(), 1);
        assert_eq!((failed[0].id.as_str(), failed[0].attempts), ("c::a", 3));
        let flaky = r.flaky();
        assert_eq!(
            flaky
                .iter()
                .map(|f| (f.id.as_str(), f.attempts))
                .collect::<Vec<_>>(),
            vec![("c::b", 2), ("c::g", 2)]
        );
    }

    #[test]
    fn a_test_failing_in_one_report_and_passing_in_another_is_flaky() {
        let mut r = TestRun::new(5);
        r.begin_report();
        r.add(&case("c", "t", Outcome::Failed));
        r.add(&case("c", "u", Outcome::Failed));
        r.begin_report();
        r.add(&case("c", "t", Outcome::Passed));
        r.add(&case("c", "u", Outcome::Errored));
        let c = r.counts();
        assert_eq!((c.total, c.flaky, c.failures, c.errors), (2, 1, 0, 1));
        assert_eq!(r.flaky()[0].message.as_deref(), Some("boom"));
    }

    #[test]
    fn retry_children_count_as_failed_attempts() {
        let mut r = TestRun::new(5);
        r.begin_report();
        let mut flaky = case("c", "f", Outcome::Passed);
        flaky.flaky_failures = 1;
        flaky.flaky_message = Some("first attempt".into());
        let mut rerun = case("c", "r", Outcome::Failed);
        rerun.rerun_failures = 2;
        r.add(&flaky);
        r.add(&rerun);
        assert_eq!(r.flaky()[0].attempts, 2);
        assert_eq!(r.flaky()[0].message.as_deref(), Some("first attempt"));
        assert_eq!(r.failed()[0].attempts, 3);
        assert_eq!(r.counts().entries, 5);
    }

    #[test]
    fn skipped_and_same_name_in_other_classes() {
        let mut r = TestRun::new(5);
        r.begin_report();
        r.add(&case("A", "t", Outcome::Skipped));
        r.add(&case("B", "t", Outcome::Passed));
        let c = r.counts();
        assert_eq!((c.total, c.skipped, c.passed), (2, 1, 1));
    }

    #[test]
    fn slowest_are_sorted_and_unique() {
        let mut r = TestRun::new(2);
        r.begin_report();
        for (n, d) in [("a", 5.0), ("b", 50.0), ("c", 20.0), ("d", 1.0)] {
            let mut c = case("k", n, Outcome::Passed);
            c.duration_ms = d;
            r.add(&c);
        }
        let s = r.slowest();
        assert_eq!(
            s.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            vec!["k::b", "k::c"]
        );
        assert_eq!(s[0].duration_ms, 50.0);
    }

    #[test]
    fn merging_runs_read_in_parallel_equals_reading_in_sequence() {
        let mut a = TestRun::new(3);
        a.begin_report();
        a.add(&case("c", "t", Outcome::Failed));
        a.add(&case("c", "u", Outcome::Passed));
        let mut b = TestRun::new(3);
        b.begin_report();
        b.add(&case("c", "t", Outcome::Passed));
        b.add(&case("c", "v", Outcome::Errored));
        a.merge(b);
        let c = a.counts();
        assert_eq!((c.total, c.flaky, c.errors, c.passed), (3, 1, 1, 2));
        assert_eq!(a.report_count(), 2);
        assert_eq!(a.failed()[0].id, "c::v");
    }

    #[test]
    fn hash_keeps_boundaries() {
        assert_ne!(hash3("", "ab", "c"), hash3("", "a", "bc"));
        assert_ne!(hash3("s", "", "t"), hash3("", "s", "t"));
    }
}
