//! The JSON API (`/api/v1`), registered together with its OpenAPI description so the two cannot
//! drift apart. Errors are `{"error": {"code", "message"}}` with a 4xx/5xx status.

mod health;
pub(crate) mod regions;

use axum::extract::FromRequestParts;
use jianfu_domain::Error;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "jianfu 减负平台接口",
        description = "天津市规范村（社区）组织工作事务、机制牌子和证明事项平台的 JSON 接口。错误统一返回 `{\"error\": {\"code\", \"message\"}}`，code 为稳定的英文代码，message 为中文说明。",
        version = "1"
    ),
    tags(
        (name = "系统", description = "运行状态"),
        (name = "区划", description = "行政区划树：省、市、区（县）、街道（乡镇）、村（社区），国家统计局 12 位统计用区划代码")
    ),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(regions::search))
        .routes(routes!(regions::get_region))
        .routes(routes!(regions::children))
}

/// `Query` whose rejection is our JSON error (`invalid_query`) instead of axum's plain text.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        ApiError(Error::InvalidQuery(r.body_text()))
    }
}
