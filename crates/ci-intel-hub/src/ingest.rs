//! Ingest: from a request body to acknowledged records.
//!
//! Embedded, records go to one writer thread that commits whatever is waiting in one
//! transaction (group commit): a thousand concurrent single-record requests cost a handful of
//! fsyncs, not a thousand, and each request is answered only after its records are on disk.
//! Scaled out, records go to a JetStream stream instead and workers write them ([`crate::nats`]).

use std::io::Read as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use ci_intel_core::pipeline_run::PipelineRun;
use ci_intel_store::{Store, StoreError, Upsert};
use tokio::sync::{mpsc, oneshot};

/// The most records one transaction takes.
const MAX_BATCH: usize = 4096;

/// Decodes a request body (gzip when `Content-Encoding: gzip`) into text, refusing more than
/// `limit` bytes after decompression: a small gzip bomb must not become a large allocation.
pub fn body_text(body: &[u8], gzip: bool, limit: usize) -> Result<String, BodyError> {
    let bytes = if gzip {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(body)
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(BodyError::NotGzip)?;
        if out.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        out
    } else {
        body.to_vec()
    };
    String::from_utf8(bytes).map_err(BodyError::NotUtf8)
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("body is not valid gzip")]
    NotGzip(#[source] std::io::Error),
    #[error("body is larger than {limit} bytes once decompressed")]
    TooLarge { limit: usize },
    #[error("body is not UTF-8")]
    NotUtf8(#[source] std::string::FromUtf8Error),
}

struct Job {
    runs: Vec<PipelineRun>,
    done: oneshot::Sender<Result<Vec<Upsert>, StoreError>>,
}

/// The group-commit writer in front of a store.
#[derive(Clone, Debug)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
    depth: Arc<AtomicI64>,
}

impl Writer {
    /// Starts the writer thread; it ends when every `Writer` clone is dropped.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(1024);
        let depth = Arc::new(AtomicI64::new(0));
        let d = depth.clone();
        std::thread::Builder::new()
            .name("ci-intel-writer".into())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    let mut jobs = vec![first];
                    let mut n = jobs[0].runs.len();
                    while n < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(j) => {
                                n += j.runs.len();
                                jobs.push(j);
                            }
                            Err(_) => break,
                        }
                    }
                    commit(store.as_ref(), jobs);
                    d.fetch_sub(n as i64, Ordering::Relaxed);
                }
            })
            .unwrap_or_else(|e| {
                #[expect(
                    clippy::panic,
                    reason = "a process that cannot start a thread cannot serve; as std::thread::spawn"
                )]
                {
                    panic!("cannot start the writer thread: {e}")
                }
            });
        Writer { tx, depth }
    }

    /// Stores records; returns once they are committed.
    pub async fn write(&self, runs: Vec<PipelineRun>) -> Result<Vec<Upsert>, StoreError> {
        let (done, wait) = oneshot::channel();
        let n = runs.len() as i64;
        self.depth.fetch_add(n, Ordering::Relaxed);
        if self.tx.send(Job { runs, done }).await.is_err() {
            self.depth.fetch_sub(n, Ordering::Relaxed);
            return Err(StoreError::Unavailable("the writer has stopped".into()));
        }
        wait.await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("the writer has stopped".into())))
    }

    /// Records waiting to be written.
    pub fn queue_depth(&self) -> i64 {
        self.depth.load(Ordering::Relaxed)
    }
}

/// Commits several requests' records in one transaction. If it fails, each request is retried
/// alone, so one bad request cannot fail its neighbours. The records move into one batch (no
/// copies); each request gets back the outcomes of its own slice.
fn commit(store: &dyn Store, jobs: Vec<Job>) {
    let mut all = Vec::with_capacity(jobs.iter().map(|j| j.runs.len()).sum());
    let mut requests = Vec::with_capacity(jobs.len());
    for j in jobs {
        requests.push((j.runs.len(), j.done));
        all.extend(j.runs);
    }
    if requests.len() > 1
        && let Ok(outcomes) = store.upsert_runs(&all)
    {
        let mut rest = outcomes.into_iter();
        for (n, done) in requests {
            let _ = done.send(Ok(rest.by_ref().take(n).collect()));
        }
        return;
    }
    let mut start = 0;
    for (n, done) in requests {
        let r = store.upsert_runs(&all[start..start + n]);
        start += n;
        // The requester may have gone away (client disconnected); the records are stored anyway.
        let _ = done.send(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn gzip_bodies_are_bounded_after_decompression() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&vec![b'a'; 10_000]).unwrap();
        let body = gz.finish().unwrap();
        assert_eq!(body_text(&body, true, 10_000).unwrap().len(), 10_000);
        assert!(matches!(
            body_text(&body, true, 9_999),
            Err(BodyError::TooLarge { limit: 9_999 })
        ));
        assert!(matches!(
            body_text(b"not gzip", true, 100),
            Err(BodyError::NotGzip(_))
        ));
        assert!(matches!(
            body_text(&[0xff, 0xfe], false, 100),
            Err(BodyError::NotUtf8(_))
        ));
    }

    /// Requests committed together each get their own outcomes; when one request's records
    /// fail the shared transaction, the others are still stored and only it gets the error.
    #[test]
    fn a_group_commit_answers_each_request_and_isolates_a_bad_one() {
        use ci_intel_core::pipeline_run::RunStatus;
        use ci_intel_store::contract::run;
        let dir = tempfile::tempdir().unwrap();
        let store =
            crate::open_store(&format!("sqlite://{}", dir.path().join("h.db").display())).unwrap();
        let job = |runs| {
            let (done, wait) = oneshot::channel();
            (Job { runs, done }, wait)
        };
        let at = "2026-11-01T10:00:00Z";
        let (a, wa) = job(vec![
            run("a1", "o/r", at, RunStatus::Success),
            run("a2", "o/r", at, RunStatus::Success),
        ]);
        let (b, wb) = job(vec![run("a1", "o/r", at, RunStatus::Success)]);
        commit(store.as_ref(), vec![a, b]);
        assert_eq!(
            wa.blocking_recv().unwrap().unwrap(),
            vec![Upsert::Inserted, Upsert::Inserted]
        );
        assert_eq!(
            wb.blocking_recv().unwrap().unwrap(),
            vec![Upsert::Unchanged]
        );

        // A local time cannot be stored: that request alone fails.
        let (good, wg) = job(vec![run("c1", "o/r", at, RunStatus::Success)]);
        let (bad, wbad) = job(vec![run(
            "c2",
            "o/r",
            "2026-11-01T10:00:00+02:00",
            RunStatus::Success,
        )]);
        commit(store.as_ref(), vec![good, bad]);
        assert_eq!(wg.blocking_recv().unwrap().unwrap(), vec![Upsert::Inserted]);
        assert!(wbad.blocking_recv().unwrap().is_err());
        assert!(store.get_run("c1").unwrap().is_some());
        assert!(store.get_run("c2").unwrap().is_none());
    }

    proptest::proptest! {
        /// Any bytes, gzip or not, give text or an error, never a panic, and never more than
        /// the limit.
        #[test]
        fn any_body_is_read_or_refused(body in proptest::collection::vec(proptest::num::u8::ANY, 0..400), gzip: bool) {
            if let Ok(text) = body_text(&body, gzip, 256) {
                proptest::prop_assert!(text.len() <= 256);
            }
        }
    }
}
