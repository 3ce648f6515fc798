//! What can stop the hub or a worker, with the cause kept as the error's source.

use ci_intel_store::StoreError;

/// A driver's own error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("cannot connect to NATS at {url}")]
    NatsConnect {
        url: String,
        #[source]
        source: BoxError,
    },
    /// A JetStream operation failed (`context` says which).
    #[error("JetStream: {context}")]
    JetStream {
        context: String,
        #[source]
        source: BoxError,
    },
    #[error("the NATS connection is {0}")]
    NotConnected(String),
    #[error("NATS prefix `{0}`: expected letters, digits, `-` or `_`")]
    Prefix(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot encode a record")]
    Encode(#[from] serde_json::Error),
    #[error("a store task stopped")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl HubError {
    /// `map_err(HubError::jetstream("fetching messages"))`.
    pub fn jetstream<E: Into<BoxError>>(context: &str) -> impl FnOnce(E) -> Self + '_ {
        move |e| HubError::JetStream {
            context: context.to_owned(),
            source: e.into(),
        }
    }
}
