//! The HTTP face of jianfu: server-rendered Chinese pages (askama + htmx, one handler answers a
//! partial to htmx and the whole page otherwise) and the JSON API documented by OpenAPI.

pub mod api;
mod assets;
pub mod error;
mod views;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use jianfu_store::DatabaseConnection;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach. Nothing here is per-node state: sessions, counters and
/// numbering live in the database so several app nodes can serve one deployment.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
}

/// Largest request body accepted (imports through the web come later and get their own limit).
const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(views::router())
        .merge(api)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .route("/assets/{*path}", axum::routing::get(assets::serve))
        .fallback(error::not_found)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
