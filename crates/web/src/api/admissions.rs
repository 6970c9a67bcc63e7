//! Admissions (准入) through the API, for departments' own systems: apply, take each step,
//! read an application; and the public list of admitted tasks a dispatch cites. The rules are
//! the pages' (`crate::admission`). A step out of order is 409 `wrong_stage` with the `stage`;
//! another level's or department's application is 403 `outside_scope` (audited).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, NaiveDate, Utc};
use jianfu_domain::admission::{self as rules, ScopeEntry};
use jianfu_domain::{Error, RegionCode};
use jianfu_store::admission::{self as store, AdmissionView, AdmittedTask};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::adjustments::check_csrf;
use super::{ApiJson, ApiQuery};
use crate::AppState;
use crate::admission::{
    self as procedure, ApplicationFields, ListView, StepFields, admission_for, open_actions,
    require_admissions,
};
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct ScopeDto {
    /// 12 digits.
    #[schema(example = "120101000000")]
    unit: String,
    /// The unit's whole subtree (a township, district or the city) rather than one unit.
    subtree: bool,
    /// village, community or both.
    applies: &'static str,
}

fn scope_dto(scope: &[ScopeEntry]) -> Vec<ScopeDto> {
    scope
        .iter()
        .map(|s| ScopeDto {
            unit: s.unit.as_str().to_owned(),
            subtree: s.subtree,
            applies: s.applies.as_str(),
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct StepDto {
    at: DateTime<Utc>,
    actor: String,
    role: String,
    /// submit, countersign, return, resubmit, pass, approve, reject, withdraw, revoke.
    action: String,
    /// The stage it reached.
    stage: String,
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CountersignDto {
    round: i32,
    department: String,
    agree: bool,
    comment: String,
    actor: String,
    at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentDto {
    id: i64,
    name: String,
    size: u32,
    /// SM3 of the content, hex.
    sm3: String,
}

#[derive(Serialize, ToSchema)]
pub struct AdmissionDto {
    id: i64,
    /// The level it is applied at: 12 (Tianjin) or a district's 6 digits.
    #[schema(example = "120101")]
    level: String,
    /// The applying department's code.
    department: String,
    applicant: String,
    title: String,
    content: String,
    basis: String,
    scope: Vec<ScopeDto>,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    workload_hours: f64,
    support: String,
    permanent: bool,
    co_departments: Vec<String>,
    /// draft, countersigning, submitted, passed, returned, approved, rejected, withdrawn, revoked.
    #[schema(example = "submitted")]
    stage: &'static str,
    /// The reason of a return, rejection or revocation.
    stage_note: Option<String>,
    /// The civil-affairs officer the review is assigned to.
    reviewer: Option<String>,
    /// The day the current step arrived, and the day it must be decided by (waiting stages).
    step_since: NaiveDate,
    decide_by: Option<NaiveDate>,
    /// The steps the caller may take now.
    actions: Vec<&'static str>,
    events: Vec<StepDto>,
    countersigns: Vec<CountersignDto>,
    attachments: Vec<AttachmentDto>,
    /// The admitted task's code once approved, e.g. ZR-120101-2026-001.
    task: Option<String>,
}

async fn reply(
    state: &AppState,
    user: &CurrentUser,
    view: AdmissionView,
) -> Result<Json<AdmissionDto>, ApiError> {
    let decide_by = if procedure::WAITING.contains(&view.stage.code()) {
        let days = store::deadlines(&state.db, &view.region).await?.review_days;
        let calendar = procedure::calendar(state).await?;
        Some(rules::decide_by(&calendar, view.step_since, days))
    } else {
        None
    };
    let actions = open_actions(user, &view);
    Ok(Json(AdmissionDto {
        id: view.id,
        level: view.region.short().to_owned(),
        scope: scope_dto(&view.scope),
        stage: view.stage.code(),
        stage_note: view.stage.note().map(str::to_owned),
        workload_hours: f64::from(view.workload_minutes) / 60.0,
        task: view.task.map(|t| t.code),
        events: view
            .events
            .into_iter()
            .map(|e| StepDto {
                at: e.at,
                actor: e.actor,
                role: e.role,
                action: e.action,
                stage: e.stage,
                note: e.note,
            })
            .collect(),
        countersigns: view
            .countersigns
            .into_iter()
            .map(|s| CountersignDto {
                round: s.round,
                department: s.department,
                agree: s.agree,
                comment: s.comment,
                actor: s.actor,
                at: s.at,
            })
            .collect(),
        attachments: view
            .attachments
            .into_iter()
            .map(|a| AttachmentDto {
                id: a.id,
                name: a.name,
                size: a.size,
                sm3: a.digest,
            })
            .collect(),
        department: view.department,
        applicant: view.applicant,
        title: view.title,
        content: view.content,
        basis: view.basis,
        starts_on: view.starts_on,
        ends_on: view.ends_on,
        support: view.support,
        permanent: view.permanent,
        co_departments: view.co_departments,
        reviewer: view.reviewer,
        step_since: view.step_since,
        decide_by,
        actions,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// pending (default: what waits for the caller), overdue (past the level's deadline) or all.
    view: Option<String>,
    /// Only this stage.
    stage: Option<String>,
    /// Page number from 1.
    page: Option<u64>,
    /// Rows per page, 1–100 (default 20).
    per_page: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct AdmissionSummaryDto {
    id: i64,
    title: String,
    department: String,
    stage: &'static str,
    starts_on: NaiveDate,
    step_since: NaiveDate,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct AdmissionPage {
    items: Vec<AdmissionSummaryDto>,
    total: u64,
    page: u64,
    per_page: u64,
}

/// The applications of the caller's level it may see (a department: its own and those it
/// countersigns), most recently changed first.
#[utoipa::path(get, path = "/api/v1/admissions", tag = "准入",
    security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = AdmissionPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    params: Result<ApiQuery<ListParams>, ApiError>,
) -> Result<Json<AdmissionPage>, ApiError> {
    let level = require_admissions(&state, &user, "/api/v1/admissions").await?;
    let ApiQuery(params) = params?;
    let view = ListView::parse(params.view.as_deref().unwrap_or_default())?;
    let filter = procedure::filter_for(
        &state,
        &user,
        level,
        view,
        params.stage.as_deref().unwrap_or_default(),
    )
    .await?;
    let paging = jianfu_domain::PageRequest::new(params.page, params.per_page);
    let found = store::list(&state.db, &filter, paging).await?;
    Ok(Json(AdmissionPage {
        total: found.total,
        page: found.page,
        per_page: found.per_page,
        items: found
            .items
            .into_iter()
            .map(|a| AdmissionSummaryDto {
                id: a.id,
                stage: a.stage.code(),
                title: a.title,
                department: a.department,
                starts_on: a.starts_on,
                step_since: a.step_since,
                updated_at: a.updated_at,
            })
            .collect(),
    }))
}

/// Opens a draft application for the caller's department at its level. The same
/// `idempotency_key` (or `Idempotency-Key` header) again returns the application it opened.
#[utoipa::path(post, path = "/api/v1/admissions", tag = "准入",
    security(("bearer" = [])), request_body = ApplicationFields,
    params(("Idempotency-Key" = Option<String>, Header, description = "重复提交时返回同一申请")),
    responses((status = 201, body = AdmissionDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "范围中的单位不存在"),
        (status = 422, body = ErrorBody, description = "内容不符合要求 (refused)")))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<ApiJson<ApplicationFields>, ApiError>,
) -> Result<(StatusCode, Json<AdmissionDto>), ApiError> {
    require_admissions(&state, &user, "/api/v1/admissions").await?;
    check_csrf(&user, &headers)?;
    let ApiJson(mut fields) = body?;
    if fields.idempotency_key.is_none() {
        fields.idempotency_key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
    }
    let id = procedure::create(&state, &user, fields).await?;
    let view = store::get(&state.db, id).await?;
    Ok((StatusCode::CREATED, reply(&state, &user, view).await?))
}

/// One application with its procedure so far and the steps the caller may take.
#[utoipa::path(get, path = "/api/v1/admissions/{id}", tag = "准入",
    security(("bearer" = [])), params(("id" = i64, Path, description = "申请编号")),
    responses((status = 200, body = AdmissionDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<AdmissionDto>, ApiError> {
    let view = admission_for(&state, &user, id).await?;
    reply(&state, &user, view).await
}

/// One step with a comment: submit, resubmit, withdraw (the applying department), countersign
/// (a co-department, `agree`), pass or return (civil affairs of the level), approve, reject,
/// return (`to`: applicant or review) or revoke (the approver of the level). The body may be
/// empty for steps that need no comment.
#[utoipa::path(post, path = "/api/v1/admissions/{id}/actions/{action}", tag = "准入",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "申请编号"),
        ("action" = String, Path, description = "submit、countersign、return、resubmit、pass、approve、reject、withdraw 或 revoke")),
    request_body = StepFields,
    responses((status = 200, body = AdmissionDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "当前状态不允许此操作 (wrong_stage, 附 stage)"),
        (status = 422, body = ErrorBody, description = "不符合规则，如开始日期距申请不足规定的工作日 (refused)")))]
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, action)): Path<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AdmissionDto>, ApiError> {
    let view = admission_for(&state, &user, id).await?;
    check_csrf(&user, &headers)?;
    let fields: StepFields = super::optional_json(&body)?;
    procedure::act(&state, &user, &view, &action, &fields).await?;
    let view = store::get(&state.db, id).await?;
    reply(&state, &user, view).await
}

#[derive(Serialize, ToSchema)]
pub struct AdmittedTaskDto {
    /// What a dispatch cites, e.g. ZR-120101-2026-001.
    #[schema(example = "ZR-120101-2026-001")]
    pub code: String,
    /// The level that approved it: 12 (Tianjin) or a district's 6 digits.
    pub level: String,
    pub department: String,
    pub department_name: String,
    pub title: String,
    pub content: String,
    pub basis: String,
    pub scope: Vec<ScopeDto>,
    /// The scope in words.
    pub scope_text: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub workload_hours: f64,
    pub support: String,
    pub approved_on: NaiveDate,
    pub revoked_on: Option<NaiveDate>,
    pub revoke_reason: Option<String>,
    /// In force on the day asked for (`at`, default today).
    pub in_force: bool,
}

/// The public form of admitted tasks (no personal data: no applicant or signer), with
/// whether each is in force on `day`.
pub async fn task_dtos(
    state: &AppState,
    tasks: Vec<AdmittedTask>,
    day: NaiveDate,
) -> Result<Vec<AdmittedTaskDto>, Error> {
    let codes: Vec<String> = tasks.iter().map(|t| t.department.clone()).collect();
    let departments = jianfu_store::department::get_many(&state.db, &codes).await?;
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        let scope_text = procedure::describe_scope(state, &t.scope).await?;
        out.push(AdmittedTaskDto {
            in_force: t.in_force(day),
            level: t.region.short().to_owned(),
            department_name: departments
                .iter()
                .find(|d| d.code == t.department)
                .map_or_else(|| t.department.clone(), |d| d.name.clone()),
            scope: scope_dto(&t.scope),
            scope_text,
            workload_hours: f64::from(t.workload_minutes) / 60.0,
            approved_on: jianfu_domain::beijing_date(t.approved_at),
            revoked_on: t.revoked_at.map(jianfu_domain::beijing_date),
            code: t.code,
            department: t.department,
            title: t.title,
            content: t.content,
            basis: t.basis,
            starts_on: t.starts_on,
            ends_on: t.ends_on,
            support: t.support,
            revoke_reason: t.revoke_reason,
        });
    }
    Ok(out)
}

#[derive(Deserialize, IntoParams)]
pub struct TaskParams {
    /// Only tasks concerning this unit: a village or community it takes in, or a township,
    /// district or the city with units in its scope.
    region: Option<String>,
    /// In force on this day, YYYY-MM-DD (default today, Beijing).
    at: Option<NaiveDate>,
}

/// The admitted tasks in force on a day, optionally for one unit: what villages and
/// communities may be asked to do beyond the directories. Public, no login.
#[utoipa::path(get, path = "/api/v1/admitted-tasks", tag = "准入", params(TaskParams),
    responses((status = 200, body = Vec<AdmittedTaskDto>), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn admitted_tasks(
    State(state): State<AppState>,
    params: Result<ApiQuery<TaskParams>, ApiError>,
) -> Result<Json<Vec<AdmittedTaskDto>>, ApiError> {
    let ApiQuery(params) = params?;
    let region = params
        .region
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(RegionCode::parse)
        .transpose()?;
    let day = params.at.unwrap_or_else(today);
    let tasks = procedure::admitted(&state, region.as_ref(), Some(day)).await?;
    Ok(Json(task_dtos(&state, tasks, day).await?))
}

/// One admitted task by its code, in force or not. Public, no login.
#[utoipa::path(get, path = "/api/v1/admitted-tasks/{code}", tag = "准入",
    params(("code" = String, Path, description = "准入事项编号，如 ZR-120101-2026-001")),
    responses((status = 200, body = AdmittedTaskDto), (status = 404, body = ErrorBody)))]
pub async fn admitted_task(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<AdmittedTaskDto>, ApiError> {
    let task = store::admitted_task(&state.db, &code).await?;
    let mut dtos = task_dtos(&state, vec![task], today()).await?;
    Ok(Json(dtos.remove(0)))
}
