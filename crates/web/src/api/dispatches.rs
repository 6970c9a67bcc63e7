//! The dispatch check through the API: a department's system asks, before sending, what the
//! platform would decide for every unit a task reaches, and why. Nothing is delivered.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use jianfu_domain::account::Perm;
use jianfu_domain::delivery::DeliveryAction;
use jianfu_domain::verdict::{Outcome, Reason};
use jianfu_domain::{Error, RegionCode};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::adjustments::check_csrf;
use super::{ApiJson, ApiQuery};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::dispatch::{self, TaskFields};
use crate::error::{ApiError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct ReasonDto {
    /// Stable code, e.g. `item.allows`, `basis.missing`, `sender.not_responsible`.
    #[schema(example = "basis.missing")]
    rule: &'static str,
    /// basis (what it rests on), flag (delivered, to be looked at) or block (not delivered).
    severity: &'static str,
    /// In Chinese.
    message: String,
    item_code: Option<String>,
    directory_version: Option<u32>,
}

impl From<Reason> for ReasonDto {
    fn from(r: Reason) -> Self {
        ReasonDto {
            rule: r.rule,
            severity: match r.severity {
                jianfu_domain::verdict::Severity::Basis => "basis",
                jianfu_domain::verdict::Severity::Flag => "flag",
                jianfu_domain::verdict::Severity::Block => "block",
            },
            message: r.message,
            item_code: r.item_code,
            directory_version: r.directory_version,
        }
    }
}

pub(super) fn outcome_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Allowed => "allowed",
        Outcome::Flagged => "flagged",
        Outcome::Blocked => "blocked",
    }
}

#[derive(Serialize, ToSchema)]
pub struct TargetVerdictDto {
    /// The village or community (12 digits).
    unit: String,
    name: String,
    /// allowed, flagged or blocked.
    #[schema(example = "allowed")]
    outcome: &'static str,
    reasons: Vec<ReasonDto>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckDto {
    /// The day judged (Beijing).
    day: NaiveDate,
    /// Units reached: allowed, flagged, blocked.
    allowed: usize,
    flagged: usize,
    blocked: usize,
    targets: Vec<TargetVerdictDto>,
}

/// Judges a task for every village and community its targets reach, as of today, without
/// delivering anything: the verdict per unit (allowed / flagged / blocked) with every rule that
/// applied and why, in Chinese.
#[utoipa::path(post, path = "/api/v1/dispatches/check", tag = "任务派发",
    security(("bearer" = [])), request_body = TaskFields,
    responses((status = 200, body = CheckDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "无派发权限，或派发对象不在本单位辖区 (outside_scope)"),
        (status = 404, body = ErrorBody, description = "派发对象不存在"),
        (status = 422, body = ErrorBody, description = "任务内容不完整 (refused)")))]
pub async fn check(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<ApiJson<TaskFields>, ApiError>,
) -> Result<Json<CheckDto>, ApiError> {
    user.require(
        &state,
        jianfu_domain::account::Perm::Dispatch,
        "/api/v1/dispatches/check",
    )
    .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(task) = body?;
    let checked = dispatch::check(&state, &user, &task).await?;
    let count = |o: Outcome| checked.iter().filter(|c| c.verdict.outcome == o).count();
    Ok(Json(CheckDto {
        day: today(),
        allowed: count(Outcome::Allowed),
        flagged: count(Outcome::Flagged),
        blocked: count(Outcome::Blocked),
        targets: checked
            .into_iter()
            .map(|c| TargetVerdictDto {
                unit: c.unit.code.as_str().to_owned(),
                name: c.unit.name,
                outcome: outcome_code(c.verdict.outcome),
                reasons: c.verdict.reasons.into_iter().map(Into::into).collect(),
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryDto {
    id: i64,
    unit: String,
    name: String,
    /// allowed, flagged or blocked.
    outcome: String,
    /// blocked (never delivered), delivered (waiting), accepted, refused, disputed.
    state: String,
    /// The verdict's reasons: rule, severity, message, item_code, directory_version.
    #[schema(value_type = Vec<Object>)]
    reasons: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct DispatchDto {
    id: i64,
    title: String,
    day: NaiveDate,
    allowed: i32,
    flagged: i32,
    blocked: i32,
    deliveries: Vec<DeliveryDto>,
}

#[derive(serde::Deserialize, ToSchema)]
pub struct DispatchFields {
    #[serde(flatten)]
    task: TaskFields,
    /// A repeated request with the same key delivers nothing again.
    #[serde(default)]
    idempotency_key: Option<String>,
}

/// Sends a task: judges it for every village and community its targets reach and delivers it
/// to those it is allowed or flagged for, all in one transaction. The same `idempotency_key`
/// (or `Idempotency-Key` header) again returns the first dispatch and delivers nothing more.
#[utoipa::path(post, path = "/api/v1/dispatches", tag = "任务派发",
    security(("bearer" = [])), request_body = DispatchFields,
    params(("Idempotency-Key" = Option<String>, Header, description = "重复提交时返回同一派发")),
    responses((status = 201, body = DispatchDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<ApiJson<DispatchFields>, ApiError>,
) -> Result<(StatusCode, Json<DispatchDto>), ApiError> {
    user.require(&state, Perm::Dispatch, "/api/v1/dispatches")
        .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(fields) = body?;
    let key = fields.idempotency_key.clone().or_else(|| {
        headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let id = dispatch::send(&state, &user, &fields.task, key).await?;
    let (d, rows) = jianfu_store::dispatch::get(&state.db, id).await?;
    let codes: Vec<RegionCode> = rows
        .iter()
        .filter_map(|r| RegionCode::parse(&r.unit).ok())
        .collect();
    let names = jianfu_store::region::get_many(&state.db, &codes).await?;
    let name_of = |unit: &str| {
        names
            .iter()
            .find(|r| r.code.as_str() == unit)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    Ok((
        StatusCode::CREATED,
        Json(DispatchDto {
            id: d.id,
            title: d.title,
            day: d.day,
            allowed: d.allowed,
            flagged: d.flagged,
            blocked: d.blocked,
            deliveries: rows
                .into_iter()
                .map(|r| DeliveryDto {
                    name: name_of(&r.unit),
                    reasons: serde_json::from_str(&r.reasons).unwrap_or_default(),
                    id: r.id,
                    unit: r.unit,
                    outcome: r.outcome,
                    state: r.state,
                })
                .collect(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct InboxItemDto {
    /// The delivery's id, for its actions.
    id: i64,
    dispatch: i64,
    title: String,
    body: String,
    /// The sending department or township.
    sender: String,
    cites_item: Option<String>,
    cites_admission: Option<String>,
    due_date: Option<NaiveDate>,
    outcome: String,
    state: String,
    state_note: Option<String>,
    #[schema(value_type = Vec<Object>)]
    reasons: serde_json::Value,
    received_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct InboxPage {
    items: Vec<InboxItemDto>,
    total: u64,
    page: u64,
    per_page: u64,
}

#[derive(serde::Deserialize, IntoParams)]
pub struct InboxParams {
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The tasks that reached the caller's village or community, newest first, each with its
/// verdict and basis.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "任务派发",
    security(("bearer" = [])), params(InboxParams),
    responses((status = 200, body = InboxPage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    params: Result<ApiQuery<InboxParams>, ApiError>,
) -> Result<Json<InboxPage>, ApiError> {
    user.require(&state, Perm::ReceiveTasks, "/api/v1/inbox")
        .await?;
    let ApiQuery(params) = params?;
    let paging = jianfu_domain::PageRequest::new(params.page, params.per_page);
    let found = jianfu_store::dispatch::inbox(&state.db, &user.principal.region, paging).await?;
    Ok(Json(InboxPage {
        total: found.total,
        page: found.page,
        per_page: found.per_page,
        items: found
            .items
            .into_iter()
            .map(|i| InboxItemDto {
                id: i.delivery.id,
                dispatch: i.dispatch.id,
                title: i.dispatch.title,
                body: i.dispatch.body,
                sender: i.dispatch.sender_name,
                cites_item: i.dispatch.cites_item,
                cites_admission: i.dispatch.cites_admission,
                due_date: i.dispatch.due_date,
                outcome: i.delivery.outcome,
                state: i.delivery.state,
                state_note: i.delivery.state_note,
                reasons: serde_json::from_str(&i.delivery.reasons).unwrap_or_default(),
                received_at: i.received_at,
            })
            .collect(),
    }))
}

#[derive(serde::Deserialize, ToSchema, Default)]
pub struct DeliveryStep {
    /// Required to refuse or dispute.
    #[serde(default)]
    comment: String,
}

/// The village or community acts on a task that reached it: accept, refuse (with a reason)
/// or dispute its verdict (with a reason). Another unit's task is 404.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/actions/{action}", tag = "任务派发",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "任务（送达）编号"),
        ("action" = String, Path, description = "accept、refuse 或 dispute")),
    request_body = DeliveryStep,
    responses((status = 200, body = InboxItemDto, description = "新状态"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "任务已办理 (wrong_stage)"),
        (status = 422, body = ErrorBody, description = "缺少理由 (refused)")))]
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, action)): Path<(i64, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    user.require(&state, Perm::ReceiveTasks, "/api/v1/deliveries")
        .await?;
    check_csrf(&user, &headers)?;
    let step: DeliveryStep = super::optional_json(&body)?;
    let action = DeliveryAction::parse(&action).ok_or_else(|| {
        Error::refused(format!(
            "未知的操作“{action}”：应为 accept、refuse 或 dispute"
        ))
    })?;
    let audit = user.audit_entry("delivery.act", &format!("delivery/{id}"));
    let next = jianfu_store::dispatch::act(
        &state.db,
        id,
        &user.principal.region,
        action,
        &step.comment,
        &audit,
    )
    .await?;
    Ok(Json(serde_json::json!({ "id": id, "state": next.code() })))
}
