//! One domain error, two renderings: JSON `{"error": {"code", "message"}}` for the API and a
//! Chinese page for people. Internal details are logged where they happen, never shown.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use jianfu_domain::{Error, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

fn status(e: &Error) -> StatusCode {
    match e.kind() {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Refused => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The body of every API error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `region_not_found`.
    #[schema(example = "region_not_found")]
    pub code: String,
    /// What went wrong, in Chinese, for people.
    #[schema(example = "未找到区划代码为 120199000000 的单位")]
    pub message: String,
    /// Each problem, when there are several (a file's bad rows, with row and column).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// For `wrong_stage`: the stage the object is in, e.g. `draft`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "draft")]
    pub stage: Option<&'static str>,
    /// For `certificate_not_allowed`: where to send the resident instead (the department that
    /// handles it, data sharing, or a written commitment 告知承诺).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<String>,
}

/// An error answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code().to_owned(),
                message: self.0.to_string(),
                details: match &self.0 {
                    Error::Refused { details, .. } => details.clone(),
                    _ => Vec::new(),
                },
                stage: match &self.0 {
                    Error::WrongStage { stage, .. } => Some(*stage),
                    _ => None,
                },
                guidance: match &self.0 {
                    Error::CertificateNotAllowed { guidance, .. } => Some(guidance.clone()),
                    _ => None,
                },
            },
        };
        (status(&self.0), Json(body)).into_response()
    }
}

/// An error answered as a page.
#[derive(Debug)]
pub struct PageError(pub Error);

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError(e)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: crate::views::Nav,
    status: u16,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = status(&self.0);
        let page = ErrorPage {
            nav: crate::views::Nav::new(None),
            status: status.as_u16(),
            message: self.0.to_string(),
        };
        (status, page).into_response()
    }
}

/// Unknown addresses: JSON under `/api/`, a page elsewhere.
pub async fn not_found(uri: Uri) -> Response {
    let e = Error::RouteNotFound(uri.path().to_owned());
    if uri.path().starts_with("/api/") {
        ApiError(e).into_response()
    } else {
        PageError(e).into_response()
    }
}
