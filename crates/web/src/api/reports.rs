//! Off-platform tasks reported through the API (a village's app), and the oversight civil
//! affairs reads: the violation ledger, a department's own ledger (reporters protected), dispute
//! rulings, and the public list of notices.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use jianfu_domain::account::Perm;
use jianfu_domain::delivery::Ruling;
use jianfu_domain::violation::{self, ViolationSource};
use jianfu_domain::{Error, PageRequest};
use jianfu_store::violation::{Violation, ViolationFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::adjustments::check_csrf;
use super::dispatches::{ReasonDto, outcome_code};
use super::{ApiJson, ApiQuery};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::report::ReportFields;

#[derive(Serialize, ToSchema)]
pub struct ReportDto {
    id: i64,
    /// allowed, flagged or blocked; blocked is recorded as the sender's violation.
    #[schema(example = "blocked")]
    outcome: &'static str,
    reasons: Vec<ReasonDto>,
    /// Whether it was recorded in the violation ledger.
    violation: bool,
}

/// A village or community reports a task that reached it outside the platform (a work group,
/// a phone call, a paper notice). The verdict engine judges it as if it had been dispatched to
/// the unit; a blocked verdict is recorded as the sender's violation. The sender never learns
/// which unit reported. Evidence files are attached on the page (`/reports`).
#[utoipa::path(post, path = "/api/v1/reports", tag = "任务派发",
    security(("bearer" = [])), request_body = ReportFields,
    responses((status = 201, body = ReportDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "内容不完整或不是村（社区）账号 (refused)")))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<ApiJson<ReportFields>, ApiError>,
) -> Result<(StatusCode, Json<ReportDto>), ApiError> {
    user.require(&state, Perm::ReceiveTasks, "/api/v1/reports")
        .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(fields) = body?;
    let (id, verdict) = crate::report::file(&state, &user, &fields, Vec::new()).await?;
    Ok((
        StatusCode::CREATED,
        Json(ReportDto {
            id,
            outcome: outcome_code(verdict.outcome),
            violation: violation::ground(verdict.outcome, &verdict.reasons).is_some(),
            reasons: verdict.reasons.into_iter().map(Into::into).collect(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ViolationDto {
    id: i64,
    /// dispatch (blocked by the gateway), report (off-platform, reported) or dispute (upheld).
    source: String,
    department: String,
    department_name: String,
    /// Where it happened: the reporting or disputing unit, or the sender's region.
    region: String,
    units: i32,
    title: String,
    rule: String,
    ground: String,
    message: String,
    item_code: Option<String>,
    day: NaiveDate,
}

fn dto(v: Violation) -> ViolationDto {
    ViolationDto {
        ground: violation::ground_label(&v.rule).to_owned(),
        id: v.id,
        source: v.source,
        department: v.department,
        department_name: v.department_name,
        region: v.region,
        units: v.units,
        title: v.title,
        rule: v.rule,
        message: v.message,
        item_code: v.item_code,
        day: v.day,
    }
}

#[derive(Deserialize, IntoParams)]
pub struct LedgerParams {
    department: Option<String>,
    /// dispatch, report or dispute.
    source: Option<String>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    page: Option<u64>,
    per_page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerPage {
    items: Vec<ViolationDto>,
    total: u64,
    page: u64,
    per_page: u64,
}

/// The violation ledger of the caller's region (civil affairs), newest first.
#[utoipa::path(get, path = "/api/v1/violations", tag = "任务派发",
    security(("bearer" = [])), params(LedgerParams),
    responses((status = 200, body = LedgerPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn ledger(
    State(state): State<AppState>,
    user: CurrentUser,
    params: Result<ApiQuery<LedgerParams>, ApiError>,
) -> Result<Json<LedgerPage>, ApiError> {
    user.require(&state, Perm::Supervise, "/api/v1/violations")
        .await?;
    let ApiQuery(p) = params?;
    let source = match p.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(ViolationSource::from_code(s).ok_or_else(|| {
            Error::InvalidQuery(format!("来源“{s}”应为 dispatch、report 或 dispute"))
        })?),
    };
    let filter = ViolationFilter {
        within: Some(user.principal.region),
        department: p.department.filter(|d| !d.trim().is_empty()),
        source,
        from: p.from,
        to: p.to,
    };
    let found =
        jianfu_store::violation::list(&state.db, &filter, PageRequest::new(p.page, p.per_page))
            .await?;
    Ok(Json(LedgerPage {
        total: found.total,
        page: found.page,
        per_page: found.per_page,
        items: found.items.into_iter().map(dto).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SenderLedgerDto {
    /// Its blocked dispatches and upheld disputes.
    entries: Vec<ViolationDto>,
    /// Units that reported off-platform tasks of this department; null when fewer than 3.
    reported_units: Option<usize>,
    reports: Option<usize>,
}

/// The caller's department's own ledger. Reports of off-platform tasks appear only as a
/// count of units, and only from 3 units on: never which unit reported.
#[utoipa::path(get, path = "/api/v1/violations/mine", tag = "任务派发",
    security(("bearer" = [])),
    responses((status = 200, body = SenderLedgerDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<SenderLedgerDto>, ApiError> {
    user.require(&state, Perm::Dispatch, "/api/v1/violations/mine")
        .await?;
    let department = user.principal.department.clone().unwrap_or_default();
    let l = jianfu_store::violation::of_sender(&state.db, &department, None, None).await?;
    Ok(Json(SenderLedgerDto {
        entries: l.entries.into_iter().map(dto).collect(),
        reported_units: l.reported_units,
        reports: l.reports,
    }))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct RulingFields {
    /// uphold or reject.
    #[schema(example = "uphold")]
    #[serde(default)]
    ruling: String,
    /// The answer the unit reads (required).
    #[serde(default)]
    answer: String,
}

/// Civil affairs rules on a disputed delivery in its region: upheld, the task is withdrawn and
/// recorded as the sender's violation; rejected, it is back in the unit's inbox.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/ruling", tag = "任务派发",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "任务（送达）编号")),
    request_body = RulingFields,
    responses((status = 200, description = "新状态"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "没有待处理的异议 (wrong_stage)"),
        (status = 422, body = ErrorBody, description = "缺少答复 (refused)")))]
pub async fn rule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<ApiJson<RulingFields>, ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    user.require(&state, Perm::Supervise, "/api/v1/disputes")
        .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(f) = body?;
    let ruling = Ruling::parse(f.ruling.trim())
        .ok_or_else(|| Error::refused("裁定应为 uphold（异议成立）或 reject（异议不成立）"))?;
    let audit = user.audit_entry("delivery.rule", &format!("delivery/{id}"));
    let next = jianfu_store::dispatch::rule(
        &state.db,
        id,
        &user.principal.region,
        ruling,
        &f.answer,
        &audit,
    )
    .await?;
    Ok(Json(serde_json::json!({ "id": id, "state": next.code() })))
}

#[derive(Serialize, ToSchema)]
pub struct NoticeDto {
    id: i64,
    document_number: String,
    title: String,
    issuer: String,
    signed_on: Option<NaiveDate>,
    /// The page and the PDF.
    url: String,
    pdf_url: String,
}

#[derive(Deserialize, IntoParams)]
pub struct NoticeParams {
    page: Option<u64>,
    per_page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct NoticePage {
    items: Vec<NoticeDto>,
    total: u64,
    page: u64,
    per_page: u64,
}

/// The published notices (通报) of every level, newest first.
#[utoipa::path(get, path = "/api/v1/notices", tag = "任务派发", params(NoticeParams),
    responses((status = 200, body = NoticePage), (status = 400, body = ErrorBody)))]
pub async fn notices(
    State(state): State<AppState>,
    params: Result<ApiQuery<NoticeParams>, ApiError>,
) -> Result<Json<NoticePage>, ApiError> {
    let ApiQuery(p) = params?;
    let found =
        jianfu_store::notice::published(&state.db, PageRequest::new(p.page, p.per_page)).await?;
    Ok(Json(NoticePage {
        total: found.total,
        page: found.page,
        per_page: found.per_page,
        items: found
            .items
            .into_iter()
            .map(|n| NoticeDto {
                document_number: jianfu_store::notice::document_number(&n).unwrap_or_default(),
                url: format!("/notices/{}", n.id),
                pdf_url: format!("/notices/{}/pdf", n.id),
                id: n.id,
                title: n.title,
                issuer: n.issuer,
                signed_on: n.signed_on,
            })
            .collect(),
    }))
}
