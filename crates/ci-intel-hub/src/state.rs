//! What every request shares: the hub's state and options, the error answer, the query every
//! chart takes, and the authentication checks both the JSON API and the pages apply.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ci_intel_core::pipeline_run::RecordError;
use ci_intel_store::{Store, StoreError};
use serde::Deserialize;
use serde_json::json;

use crate::analytics::{self, Window, dora::Bands};
use crate::auth::{self, Principal};
use crate::ingest::{BodyError, Writer, body_text};
use crate::telemetry::Telemetry;

/// How the hub is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// Largest request body, compressed or not (bytes).
    pub max_body: usize,
    /// `CI_INTEL_WEBHOOK_SECRET`: without it, webhooks are refused.
    pub webhook_secret: Option<String>,
    /// Reads (`GET /api/v1/…`) need a token too.
    pub read_token_required: bool,
    pub dora_bands: Bands,
    /// A test is quarantined after this many flaky runs in 30 days.
    pub quarantine_after: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_body: 16 * 1024 * 1024,
            webhook_secret: None,
            read_token_required: false,
            dora_bands: Bands::default(),
            quarantine_after: 2,
        }
    }
}

/// Shared by every request.
pub struct Hub {
    pub store: Arc<dyn Store>,
    pub writer: Writer,
    /// Set when ingest goes through JetStream.
    pub queue: Option<crate::nats::Publisher>,
    pub telemetry: Telemetry,
    pub options: Options,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("queue", &self.queue.is_some())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Hub {
    pub fn new(
        store: Arc<dyn Store>,
        queue: Option<crate::nats::Publisher>,
        options: Options,
    ) -> Arc<Self> {
        Arc::new(Hub {
            writer: Writer::start(store.clone()),
            store,
            queue,
            telemetry: Telemetry::default(),
            options,
        })
    }

    /// Runs a store call off the async threads.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| ApiError::internal(format!("store task failed: {e}")))?
            .map_err(ApiError::from)
    }
}

/// An error answer: a status and a JSON body `{"error": …, "errors": [...]}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub errors: Vec<RecordError>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let why = e.chain();
        tracing::error!(error = %why, "store");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, why)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.message});
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        (self.status, axum::Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Authenticates the request's bearer token.
pub async fn principal(hub: &Arc<Hub>, headers: &HeaderMap) -> ApiResult<Principal> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match hub
        .with_store(move |s| auth::authenticate(s, value.as_deref()))
        .await?
    {
        Ok(p) => Ok(p),
        Err(r) => Err(ApiError::new(StatusCode::UNAUTHORIZED, r.message())),
    }
}

/// Reads need a token only when the hub was told so; then it must cover the repository asked
/// for (or every repository, when none is named).
pub async fn may_read(hub: &Arc<Hub>, headers: &HeaderMap, repo: Option<&str>) -> ApiResult<()> {
    if !hub.options.read_token_required {
        return Ok(());
    }
    let p = principal(hub, headers).await?;
    let ok = match repo {
        Some(r) => p.covers(r),
        None => p.repo_pattern == "*",
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("token covers `{}` only", p.repo_pattern),
        ))
    }
}

/// The request body as text, gunzipped when `Content-Encoding: gzip` (bounded after
/// decompression too).
pub fn request_text(hub: &Hub, headers: &HeaderMap, body: &[u8]) -> ApiResult<String> {
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    body_text(body, gzip, hub.options.max_body).map_err(|e| match e {
        BodyError::TooLarge { .. } => too_large(hub.options.max_body),
        other => ApiError::bad_request(ci_intel_core::error::chain(&other)),
    })
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("body is larger than {limit} bytes"),
    )
}

/// The query every chart endpoint takes.
#[derive(Debug, Deserialize, Default)]
pub struct ChartParams {
    pub repo: Option<String>,
    /// Days in the window (default 30, at most 400).
    pub days: Option<u32>,
    /// The window's last day (default today, UTC).
    pub until: Option<String>,
    /// DORA's environment (default `prod`).
    pub environment: Option<String>,
}

impl ChartParams {
    pub fn window(&self) -> ApiResult<Window> {
        let days = self.days.unwrap_or(30).clamp(1, 400);
        let repo = self.repo.clone().filter(|r| !r.is_empty());
        match &self.until {
            Some(u) => analytics::parse_day(u)
                .map(|d| Window::ending(repo, days, d))
                .map_err(|e| ApiError::bad_request(e.to_string())),
            None => Ok(Window::today(repo, days)),
        }
    }
}
