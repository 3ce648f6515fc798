//! Scale-out ingest through NATS JetStream.
//!
//! A hub started with `--nats-url` publishes each accepted record to the `CI_INTEL_RUNS`
//! stream and answers only once JetStream has stored it (the publish acknowledgement), so an
//! acknowledged record survives the hub. Workers (`ci-intel hub worker`, any number, anywhere)
//! pull batches from one durable consumer, write them to the store in one transaction and
//! acknowledge them after the commit: a worker killed mid-batch leaves its messages
//! unacknowledged and JetStream redelivers them to another. Writes are idempotent by `run_id`,
//! so at-least-once delivery never duplicates a run. Each message carries a `Nats-Msg-Id` of
//! the run id and the record's digest, so a re-sent identical record within the stream's
//! duplicate window is not even queued twice, while a changed one is.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull, stream};
use ci_intel_core::pipeline_run::PipelineRun;

use crate::error::HubError;
use ci_intel_store::Store;
use futures_util::StreamExt as _;
use sha2::{Digest as _, Sha256};

pub const STREAM: &str = "CI_INTEL_RUNS";
pub const SUBJECT: &str = "ci-intel.runs";
pub const CONSUMER: &str = "ci-intel-workers";

/// Where the queue lives on the NATS server: the defaults above, or a prefixed set so that
/// several hubs (or test runs) can share one server without taking each other's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub stream: String,
    pub subject: String,
    pub consumer: String,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            stream: STREAM.into(),
            subject: SUBJECT.into(),
            consumer: CONSUMER.into(),
        }
    }
}

impl Names {
    /// `PREFIX_CI_INTEL_RUNS`, `PREFIX.ci-intel.runs`, `PREFIX-ci-intel-workers`. The prefix
    /// keeps to letters, digits, `-` and `_` (what stream names allow).
    pub fn prefixed(prefix: &str) -> Result<Self, HubError> {
        if prefix.is_empty()
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(HubError::Prefix(prefix.to_owned()));
        }
        Ok(Names {
            stream: format!("{prefix}_{STREAM}"),
            subject: format!("{prefix}.{SUBJECT}"),
            consumer: format!("{prefix}-{CONSUMER}"),
        })
    }
}

async fn connect(
    url: &str,
    names: &Names,
) -> Result<(async_nats::Client, jetstream::Context), HubError> {
    let client = async_nats::connect(url)
        .await
        .map_err(|e| HubError::NatsConnect {
            url: url.to_owned(),
            source: e.into(),
        })?;
    let js = jetstream::new(client.clone());
    js.get_or_create_stream(stream::Config {
        name: names.stream.clone(),
        subjects: vec![names.subject.clone()],
        storage: stream::StorageType::File,
        duplicate_window: Duration::from_mins(2),
        // Work queue: a message is gone once a worker acknowledged it.
        retention: stream::RetentionPolicy::WorkQueue,
        ..Default::default()
    })
    .await
    .map_err(|e| HubError::JetStream {
        context: format!("cannot create the stream {}", names.stream),
        source: e.into(),
    })?;
    Ok((client, js))
}

/// The hub's side: publishes records and waits for JetStream to store them.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: async_nats::Client,
    js: jetstream::Context,
    subject: String,
}

impl Publisher {
    pub async fn connect(url: &str, names: &Names) -> Result<Self, HubError> {
        let (client, js) = connect(url, names).await?;
        Ok(Publisher {
            client,
            js,
            subject: names.subject.clone(),
        })
    }

    /// Publishes every record, then waits for all acknowledgements.
    pub async fn publish(&self, runs: &[PipelineRun]) -> Result<(), HubError> {
        let mut acks = Vec::with_capacity(runs.len());
        for run in runs {
            let payload = serde_json::to_vec(run)?;
            let digest = hex::encode(&Sha256::digest(&payload)[..12]);
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", format!("{}:{digest}", run.run_id).as_str());
            acks.push(
                self.js
                    .publish_with_headers(self.subject.clone(), headers, payload.into())
                    .await
                    .map_err(HubError::jetstream("publishing a record"))?,
            );
        }
        for ack in acks {
            ack.await
                .map_err(HubError::jetstream("waiting for the acknowledgement"))?;
        }
        Ok(())
    }

    pub fn ready(&self) -> Result<(), HubError> {
        match self.client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            other => Err(HubError::NotConnected(format!("{other:?}").to_lowercase())),
        }
    }
}

/// What a worker did, for logs and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Worked {
    pub stored: u64,
    pub rejected: u64,
}

/// Consumes the stream until `stop` resolves (or, with `until_idle`, until a fetch comes back
/// empty: tests and one-shot drains).
pub async fn work(
    store: Arc<dyn Store>,
    url: &str,
    names: &Names,
    batch: usize,
    until_idle: bool,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Worked, HubError> {
    let (_client, js) = connect(url, names).await?;
    let stream = js
        .get_stream(&names.stream)
        .await
        .map_err(HubError::jetstream("reading the stream"))?;
    let consumer = stream
        .get_or_create_consumer(
            &names.consumer,
            pull::Config {
                durable_name: Some(names.consumer.clone()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                max_ack_pending: 20_000,
                ..Default::default()
            },
        )
        .await
        .map_err(HubError::jetstream("creating the consumer"))?;
    let mut done = Worked::default();
    tokio::pin!(stop);
    loop {
        let fetch = consumer
            .batch()
            .max_messages(batch)
            .expires(Duration::from_millis(if until_idle { 200 } else { 2000 }))
            .messages();
        let mut messages = tokio::select! {
            () = &mut stop => return Ok(done),
            m = fetch => m.map_err(HubError::jetstream("fetching messages"))?,
        };
        let mut got = Vec::new();
        while let Some(m) = messages.next().await {
            got.push(m.map_err(HubError::jetstream("receiving a message"))?);
        }
        if got.is_empty() {
            if until_idle {
                return Ok(done);
            }
            continue;
        }
        let mut runs = Vec::with_capacity(got.len());
        let mut good = Vec::with_capacity(got.len());
        for m in got {
            match serde_json::from_slice::<PipelineRun>(&m.payload) {
                Ok(r) => {
                    runs.push(r);
                    good.push(m);
                }
                Err(e) => {
                    // The hub validated it; a message that does not decode never will.
                    tracing::error!(error = %e, "dropping an undecodable message");
                    done.rejected += 1;
                    m.ack_with(AckKind::Term)
                        .await
                        .map_err(HubError::jetstream("terminating a message"))?;
                }
            }
        }
        let n = runs.len() as u64;
        let st = store.clone();
        let written = tokio::task::spawn_blocking(move || st.upsert_runs(&runs)).await?;
        match written {
            Ok(_) => {
                for m in good {
                    m.ack()
                        .await
                        .map_err(HubError::jetstream("acknowledging a message"))?;
                }
                done.stored += n;
            }
            Err(e) => {
                tracing::error!(error = %e, "store refused a batch; it will be redelivered");
                for m in good {
                    let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(2)))).await;
                }
            }
        }
    }
}
