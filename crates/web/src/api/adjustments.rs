//! Adjustments through the API, for civil affairs' own systems: open a draft, import a file
//! into it (or, for a district, refine items), and take each step of the procedure. The rules
//! are the pages' (`crate::adjustment`); a refusal is 422 `refused` with every problem in
//! `details`. Calls with a session cookie send its anti-forgery token in `X-CSRF-Token`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::Error;
use jianfu_domain::catalog::adjustment::Stage;
use jianfu_store::catalog::{self as store, AdjustmentView, op_code, stage_code};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiQuery};
use crate::AppState;
use crate::adjustment::{
    self as procedure, DraftFields, RefinementEdit, StepFields, adjustment_for, level_of,
    require_level,
};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct ChangeDto {
    /// add, modify, retire (the city's); refine, unrefine (a district's).
    #[schema(example = "modify")]
    op: &'static str,
    #[schema(example = "KC-003")]
    code: String,
    /// The row of the imported file it came from.
    row: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct EventDto {
    at: DateTime<Utc>,
    actor: String,
    role: String,
    /// submitted, reviewed, approved, returned, rejected, published.
    action: String,
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AdjustmentDto {
    id: i64,
    kind: &'static str,
    /// The district refining the city's directory (6 digits); null for the city's own.
    district: Option<String>,
    title: String,
    reason: String,
    basis: String,
    /// draft, submitted, reviewed, approved, published, returned, rejected.
    #[schema(example = "submitted")]
    stage: &'static str,
    /// The reason of a return or rejection.
    stage_note: Option<String>,
    /// Once published: the version (or the district's refinement number) and its day.
    published: Option<u32>,
    effective_from: Option<NaiveDate>,
    drafter: String,
    /// The city version the draft was checked against when submitted.
    base_version: Option<u32>,
    changes: Vec<ChangeDto>,
    events: Vec<EventDto>,
}

impl From<AdjustmentView> for AdjustmentDto {
    fn from(v: AdjustmentView) -> Self {
        let (stage_note, published, effective_from) = match &v.stage {
            Stage::Returned { reason } | Stage::Rejected { reason } => {
                (Some(reason.clone()), None, None)
            }
            Stage::Published {
                version,
                effective_from,
            } => (None, Some(*version), Some(*effective_from)),
            _ => (None, None, None),
        };
        AdjustmentDto {
            id: v.id,
            kind: v.kind.as_str(),
            district: v.district.map(|d| d.short().to_owned()),
            stage: stage_code(&v.stage),
            stage_note,
            published,
            effective_from,
            title: v.title,
            reason: v.reason,
            basis: v.basis,
            drafter: v.drafter,
            base_version: v.base_version,
            changes: v
                .changes
                .iter()
                .map(|(c, row)| ChangeDto {
                    op: op_code(c),
                    code: c.code().to_string(),
                    row: *row,
                })
                .collect(),
            events: v
                .events
                .into_iter()
                .map(|e| EventDto {
                    at: e.at,
                    actor: e.actor,
                    role: e.role,
                    action: e.action,
                    note: e.note,
                })
                .collect(),
        }
    }
}

/// A session's state-changing call carries its anti-forgery token; tokens need none.
pub(crate) fn check_csrf(user: &CurrentUser, headers: &HeaderMap) -> Result<(), Error> {
    if user.principal.csrf.is_none() {
        return Ok(());
    }
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    user.check_csrf(sent)
}

async fn reply(state: &AppState, id: i64) -> Result<Json<AdjustmentDto>, ApiError> {
    Ok(Json(store::adjustment(&state.db, id).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct AdjustmentPage {
    items: Vec<AdjustmentSummaryDto>,
    /// Rows matching, over all pages.
    total: u64,
    page: u64,
    per_page: u64,
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// Only this directory.
    kind: Option<String>,
    /// Only this stage: draft, submitted, reviewed, approved, published, returned, rejected.
    stage: Option<String>,
    /// Page number from 1.
    page: Option<u64>,
    /// Rows per page, 1–100 (default 20).
    per_page: Option<u64>,
}

/// The filter a list's parameters describe; an unknown directory or stage is refused.
pub fn filter_of(
    kind: Option<&str>,
    stage: Option<&str>,
) -> Result<store::AdjustmentFilter, Error> {
    let kind = kind
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(crate::api::catalog::parse_kind)
        .transpose()?;
    let stage = match stage.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if store::stages().iter().any(|(code, _)| *code == s) => Some(s.to_owned()),
        Some(s) => return Err(Error::InvalidQuery(format!("状态“{s}”不存在"))),
    };
    Ok(store::AdjustmentFilter { kind, stage })
}

#[derive(Serialize, ToSchema)]
pub struct AdjustmentSummaryDto {
    id: i64,
    kind: &'static str,
    title: String,
    stage: &'static str,
    drafter: String,
    updated_at: DateTime<Utc>,
}

/// The adjustments of the caller's level (the city's, or the caller's district's
/// refinements), most recently changed first, one page of them.
#[utoipa::path(get, path = "/api/v1/adjustments", tag = "目录调整",
    security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = AdjustmentPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    params: Result<ApiQuery<ListParams>, ApiError>,
) -> Result<Json<AdjustmentPage>, ApiError> {
    let level = level_of(&user);
    require_level(&state, &user, level.as_ref(), "/api/v1/adjustments").await?;
    let ApiQuery(params) = params?;
    let filter = filter_of(params.kind.as_deref(), params.stage.as_deref())?;
    let paging = jianfu_domain::PageRequest::new(params.page, params.per_page);
    let found = store::adjustments(&state.db, level.as_ref(), &filter, paging).await?;
    Ok(Json(AdjustmentPage {
        total: found.total,
        page: found.page,
        per_page: found.per_page,
        items: found
            .items
            .into_iter()
            .map(|a| AdjustmentSummaryDto {
                id: a.id,
                kind: a.kind.as_str(),
                stage: stage_code(&a.stage),
                title: a.title,
                drafter: a.drafter,
                updated_at: a.updated_at,
            })
            .collect(),
    }))
}

/// Opens a draft at the caller's level (city civil affairs: an adjustment of the city's
/// directory; a district's civil affairs: the district's refinement of it).
#[utoipa::path(post, path = "/api/v1/adjustments", tag = "目录调整",
    security(("bearer" = [])), request_body = DraftFields,
    responses((status = 201, body = AdjustmentDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "规则不允许 (refused)")))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<ApiJson<DraftFields>, ApiError>,
) -> Result<(StatusCode, Json<AdjustmentDto>), ApiError> {
    require_level(
        &state,
        &user,
        level_of(&user).as_ref(),
        "/api/v1/adjustments",
    )
    .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(fields) = body?;
    let id = procedure::create(&state, &user, fields).await?;
    Ok((StatusCode::CREATED, reply(&state, id).await?))
}

/// One adjustment with its changes and procedure so far.
#[utoipa::path(get, path = "/api/v1/adjustments/{id}", tag = "目录调整",
    security(("bearer" = [])), params(("id" = i64, Path, description = "调整编号")),
    responses((status = 200, body = AdjustmentDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<AdjustmentDto>, ApiError> {
    Ok(Json(adjustment_for(&state, &user, id).await?.into()))
}

#[derive(Deserialize, IntoParams)]
pub struct ImportParams {
    /// The file's name: its ending (.xlsx, .xls, .csv, .tsv, .txt) tells how to read the body.
    filename: String,
}

/// Reads a file (the request body, at most 2 MB) into a draft, replacing its changes: for a
/// city draft the reference-list columns or the platform's template, for a district's the
/// refinement template (`/directories/{kind}/refinement-template`); Excel or CSV/TSV in UTF-8
/// or GB18030. Any bad row and nothing is written; every bad row is in `details` with its row
/// and column.
#[utoipa::path(post, path = "/api/v1/adjustments/{id}/import", tag = "目录调整",
    security(("bearer" = [])), params(("id" = i64, Path, description = "调整编号"), ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = AdjustmentDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "文件有误，逐行列出 (refused)")))]
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    params: Result<ApiQuery<ImportParams>, ApiError>,
    body: Body,
) -> Result<Json<AdjustmentDto>, ApiError> {
    let view = adjustment_for(&state, &user, id).await?;
    check_csrf(&user, &headers)?;
    let ApiQuery(params) = params?;
    let name = params.filename.to_lowercase();
    // Read only once the caller may import here; the router's limit still bounds it.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|_| Error::InvalidQuery("文件上传未完成或超过 2 MB".into()))?;
    procedure::import(&state, &user, &view, &name, bytes.to_vec()).await?;
    reply(&state, id).await
}

/// Refines one city item in a district's draft, withdraws the district's refinement of it, or
/// takes it out of the draft. Refused at once when the draft would widen the city's item.
#[utoipa::path(post, path = "/api/v1/adjustments/{id}/refinements", tag = "目录调整",
    security(("bearer" = [])), params(("id" = i64, Path, description = "调整编号")),
    request_body = RefinementEdit,
    responses((status = 200, body = AdjustmentDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "细化扩大了市级目录等 (refused)")))]
pub async fn refine(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<ApiJson<RefinementEdit>, ApiError>,
) -> Result<Json<AdjustmentDto>, ApiError> {
    let view = adjustment_for(&state, &user, id).await?;
    check_csrf(&user, &headers)?;
    let ApiJson(edit) = body?;
    procedure::edit_refinement(&state, &user, view, &edit).await?;
    reply(&state, id).await
}

/// One step: submit (the drafter), review or return (another civil-affairs officer of the
/// level), approve, return or reject (the approver of the level), publish with an effective
/// day (civil affairs). Forward steps re-check the changes against the newest version.
#[utoipa::path(post, path = "/api/v1/adjustments/{id}/actions", tag = "目录调整",
    security(("bearer" = [])), params(("id" = i64, Path, description = "调整编号")),
    request_body = StepFields,
    responses((status = 200, body = AdjustmentDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "程序不允许 (refused)")))]
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<ApiJson<StepFields>, ApiError>,
) -> Result<Json<AdjustmentDto>, ApiError> {
    let view = adjustment_for(&state, &user, id).await?;
    check_csrf(&user, &headers)?;
    let ApiJson(step) = body?;
    procedure::act(&state, &user, &view, &step).await?;
    reply(&state, id).await
}
