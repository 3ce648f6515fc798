//! The hub's own Prometheus metrics (`GET /metrics`) and structured logs.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

fn latency() -> Histogram {
    // 0.25 ms … 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

fn lag() -> Histogram {
    // 1 s … ~9 h: how long after a run ended its record arrived.
    Histogram::new(exponential_buckets(1.0, 2.0, 16))
}

#[derive(Debug)]
pub struct Telemetry {
    registry: Registry,
    pub requests: Family<Labels, Histogram, fn() -> Histogram>,
    pub ingested: Family<Labels, Counter>,
    pub ingest_lag: Histogram,
    pub queue_depth: Gauge,
    pub webhooks: Family<Labels, Counter>,
}

impl Default for Telemetry {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ci_intel_hub");
        let requests = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route and status",
            requests.clone(),
        );
        let ingested = Family::<Labels, Counter>::default();
        registry.register(
            "ingested_records",
            "Records ingested, by outcome (inserted, updated, unchanged, rejected, queued)",
            ingested.clone(),
        );
        let ingest_lag = lag();
        registry.register(
            "ingest_lag_seconds",
            "Time from a run's end to its record's arrival",
            ingest_lag.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "ingest_queue_depth",
            "Records accepted and waiting to be written",
            queue_depth.clone(),
        );
        let webhooks = Family::<Labels, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "GitHub webhook deliveries by event and result",
            webhooks.clone(),
        );
        Telemetry {
            registry,
            requests,
            ingested,
            ingest_lag,
            queue_depth,
            webhooks,
        }
    }
}

impl Telemetry {
    pub fn count(&self, outcome: &str, n: u64) {
        self.ingested
            .get_or_create(&vec![("outcome", outcome.to_owned())])
            .inc_by(n);
    }

    pub fn webhook(&self, event: &str, result: &str) {
        self.webhooks
            .get_or_create(&vec![
                ("event", event.to_owned()),
                ("result", result.to_owned()),
            ])
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Structured logs on stderr: JSON lines when `json`, else human text; level from
/// `CI_INTEL_LOG` (default `info`).
pub fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CI_INTEL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) keeps the first subscriber.
    let _ = if json {
        b.json().try_init()
    } else {
        b.try_init()
    };
}
