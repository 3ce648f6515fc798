//! The HTTP surface put together: the API's and the pages' routes in one router, the probes and
//! metrics, request telemetry, and serving with a graceful drain.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use crate::state::{ApiError, ChartParams, Hub, Options};
use crate::{api, pages};

/// The router, without a socket (tests drive it directly).
pub fn router(hub: Arc<Hub>) -> Router {
    let max_body = hub.options.max_body;
    Router::new()
        .route("/health/live", get(|| async { "ok\n" }))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
        .merge(api::routes())
        .merge(pages::routes(hub.clone()))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(hub.clone(), observe))
        .with_state(hub)
}

/// Records every request's latency by route and status, and logs it.
async fn observe(State(hub): State<Arc<Hub>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    hub.telemetry
        .requests
        .get_or_create(&vec![
            ("method", method.clone()),
            ("route", route.clone()),
            ("status", status.to_string()),
        ])
        .observe(secs);
    tracing::info!(%method, %route, status, ms = secs * 1000.0, "request");
    resp
}

async fn ready(State(hub): State<Arc<Hub>>) -> Response {
    let store = hub.with_store(|s| s.token("readiness-probe")).await;
    let queue = match &hub.queue {
        Some(q) => q.ready(),
        None => Ok(()),
    };
    match (store, queue) {
        (Ok(_), Ok(())) => (StatusCode::OK, "ready\n").into_response(),
        (Err(e), _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store: {}\n", e.message),
        )
            .into_response(),
        (_, Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("nats: {e}\n")).into_response(),
    }
}

async fn metrics(State(hub): State<Arc<Hub>>) -> Response {
    hub.telemetry.queue_depth.set(hub.writer.queue_depth());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        hub.telemetry.render(),
    )
        .into_response()
}

/// Serves until SIGINT or SIGTERM, then stops accepting and drains in-flight requests.
pub async fn serve(hub: Arc<Hub>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "hub listening");
    axum::serve(listener, router(hub))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}
