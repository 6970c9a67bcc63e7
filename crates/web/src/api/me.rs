//! `GET /api/v1/me`: who the caller is, for departments' systems checking their token.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::error::ErrorBody;

#[derive(Serialize, ToSchema)]
pub struct Me {
    #[schema(example = "mzj.wang")]
    username: String,
    /// Role codes, e.g. `department_officer`.
    roles: Vec<&'static str>,
    /// 12-digit code of the caller's region.
    #[schema(example = "120000000000")]
    region: String,
    /// Department code, if the caller acts for one.
    department: Option<String>,
}

/// The caller: the account behind the session cookie or the bearer token.
#[utoipa::path(get, path = "/api/v1/me", tag = "账号",
    security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody, description = "未登录或令牌无效 (unauthenticated)")))]
pub async fn me(user: CurrentUser) -> Json<Me> {
    let p = user.principal;
    Json(Me {
        username: p.username,
        roles: p.roles.iter().map(|r| r.as_str()).collect(),
        region: p.region.to_string(),
        department: p.department,
    })
}
