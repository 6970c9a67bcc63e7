//! Liveness and readiness for load balancers: answers 200 only when the database answers.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiError;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

/// Health check: the server runs and its database answers.
#[utoipa::path(get, path = "/healthz", tag = "系统",
    responses((status = 200, body = Health), (status = 503, body = crate::error::ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    jianfu_store::db::ping(&state.db).await?;
    Ok(Json(Health { status: "ok" }))
}
