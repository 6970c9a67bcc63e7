//! The HTTP face of jianfu: server-rendered Chinese pages (askama + htmx, one handler answers a
//! partial to htmx and the whole page otherwise) and the JSON API documented by OpenAPI.

pub mod adjustment;
pub mod admission;
pub mod api;
mod assets;
pub mod auth;
pub mod certificate;
pub mod dispatch;
pub mod error;
pub mod inspection;
mod limit;
pub mod regions;
pub mod report;
pub mod search;
pub mod signage;
pub mod views;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use jianfu_store::DatabaseConnection;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// What every handler can reach. Nothing here is per-node state: sessions, counters and
/// numbering live in the database so several app nodes can serve one deployment.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// The key file's keys: the field cipher seals second-factor secrets.
    pub keys: std::sync::Arc<jianfu_seal::KeyRing>,
    /// In production, demo accounts cannot log in.
    pub production: bool,
    /// The directories held in process, with their Chinese search index.
    pub catalog: std::sync::Arc<search::CatalogCache>,
    /// The public address certificates' QR codes open, the verification limiter and log.
    pub certificates: std::sync::Arc<certificate::Desk>,
    /// Units read in the last seconds (the dispatch check's targets).
    pub regions: std::sync::Arc<regions::RegionCache>,
}

/// Largest request body accepted; a directory spreadsheet of thousands of items fits.
const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    // Headers that guard documents (framing, scripts, referrers) go on pages only; JSON answers
    // do not need them, and the API is the hot path.
    let documents = Router::new()
        .merge(views::router())
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .route("/assets/{*path}", axum::routing::get(assets::serve))
        .fallback(error::not_found)
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::REFERRER_POLICY, "same-origin"))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api)
        .merge(documents)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            limit::RateLimiter::per_minute(limit::LOGINS_PER_MINUTE),
            limit::limit_logins,
        ))
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, NodeRequestId::new()))
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Request ids `<node>-<n>`: a per-process random prefix and a counter. As unique as a UUID
/// across nodes for log correlation, without asking the kernel for randomness per request.
#[derive(Clone)]
struct NodeRequestId {
    node: std::sync::Arc<str>,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl NodeRequestId {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let node = format!("{:x}{:x}", std::process::id(), seed & 0xffff_ffff);
        NodeRequestId {
            node: node.into(),
            next: Default::default(),
        }
    }
}

impl MakeRequestId for NodeRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.node))
            .ok()
            .map(RequestId::new)
    }
}
