//! Inspections, rectifications and the campaign through the API: a plan drawn by a recorded
//! seed, its seal and its steps, findings, the rectifications of the caller's region with what
//! is overdue and escalated, and the campaign's phases with their measured exit criteria.
//! Photos and evidence files are uploaded on the pages.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use jianfu_domain::account::Perm;
use jianfu_domain::campaign::{self, Phase};
use jianfu_domain::inspection::{PlanAction, Topic, Visibility};
use jianfu_domain::rectification::RectAction;
use jianfu_domain::{Error, RegionCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use super::adjustments::check_csrf;
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::inspection as desk;

#[derive(Deserialize, ToSchema)]
pub struct NewPlanDto {
    group_id: i64,
    #[schema(example = "2026年第四季度减负暗访")]
    title: String,
    /// announced (明察) or unannounced (暗访).
    #[schema(example = "unannounced")]
    visibility: String,
    /// tasks, signage, certificates, forms_channels.
    #[schema(example = json!(["signage", "tasks"]))]
    topics: Vec<String>,
    /// The region sampled (the group's or one below it).
    #[schema(example = "120101000000")]
    within: String,
    /// Omitted: drawn from the system's random source, and recorded.
    #[serde(default)]
    #[schema(example = "20261208")]
    seed: Option<String>,
    #[schema(example = 2)]
    per_district: u32,
    #[schema(example = "2026-12-14")]
    first_day: NaiveDate,
    #[serde(default = "three")]
    #[schema(example = 3)]
    per_day: u32,
}

fn three() -> u32 {
    3
}

#[derive(Serialize, ToSchema)]
pub struct VisitDto {
    unit: String,
    on: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct PlanDto {
    id: i64,
    group_id: i64,
    title: String,
    visibility: &'static str,
    /// draft, sealed, announced or completed.
    stage: &'static str,
    topics: Vec<&'static str>,
    /// The sampling seed as decimal digits (u64), for drawing the same sample again.
    seed: String,
    per_district: u32,
    /// SM3 of the sealed text, hex (unannounced plans, once sealed).
    seal: Option<String>,
    /// The text the seal was taken of: only once the plan is complete.
    sealed_text: Option<String>,
    /// Whether the revealed text matches the seal and the visits made.
    seal_holds: Option<bool>,
    visits: Vec<VisitDto>,
}

fn plan_dto(p: jianfu_store::inspection::Plan, group: &str) -> PlanDto {
    let seal_holds = desk::seal_holds(&p, group);
    let complete = p.stage == jianfu_domain::inspection::PlanStage::Completed;
    PlanDto {
        id: p.id,
        group_id: p.group_id,
        title: p.title,
        visibility: p.visibility.code(),
        stage: p.stage.code(),
        topics: p.topics.iter().map(|t| t.code()).collect(),
        seed: p.seed.to_string(),
        per_district: p.per_district,
        seal: p.seal,
        sealed_text: p.sealed_text.filter(|_| complete),
        seal_holds,
        visits: p
            .visits
            .into_iter()
            .map(|v| VisitDto {
                unit: v.unit.to_string(),
                on: v.on,
            })
            .collect(),
    }
}

/// Draws a plan's sample (stratified by district; SplitMix64 from the seed, so the same seed
/// draws the same units) and keeps it as a draft of the group. For the group's inspectors.
#[utoipa::path(post, path = "/api/v1/inspections/plans", tag = "检查评估",
    security(("bearer" = [])), request_body = NewPlanDto,
    responses((status = 201, body = PlanDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "内容不完整，或不是该检查组成员 (refused)")))]
pub async fn create_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<ApiJson<NewPlanDto>, ApiError>,
) -> Result<(StatusCode, Json<PlanDto>), ApiError> {
    user.require(&state, Perm::Inspect, "/api/v1/inspections/plans")
        .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(dto) = body?;
    let request = desk::PlanRequest {
        group_id: dto.group_id,
        title: dto.title,
        visibility: Visibility::from_code(&dto.visibility).ok_or_else(|| {
            Error::refused(format!(
                "visibility“{}”应为 announced 或 unannounced",
                dto.visibility
            ))
        })?,
        topics: dto
            .topics
            .iter()
            .map(|t| {
                Topic::from_code(t).ok_or_else(|| Error::refused(format!("未知的检查内容“{t}”")))
            })
            .collect::<Result<_, _>>()?,
        within: RegionCode::parse(&dto.within)?,
        seed: dto
            .seed
            .map(|s| {
                s.trim()
                    .parse()
                    .map_err(|_| Error::refused(format!("随机种子“{s}”应为无符号整数")))
            })
            .transpose()?,
        per_district: dto.per_district,
        first_day: dto.first_day,
        per_day: dto.per_day,
    };
    let id = desk::create_plan(&state, &user, request).await?;
    let (plan, group) = desk::readable(&state, &user, id).await?;
    Ok((StatusCode::CREATED, Json(plan_dto(plan, &group.name))))
}

/// One plan: to its group always; to those following the campaign over its region once it is
/// disclosed (announced or complete). A sealed plan is not found by anyone else.
#[utoipa::path(get, path = "/api/v1/inspections/plans/{id}", tag = "检查评估",
    security(("bearer" = [])), params(("id" = i64, Path, description = "计划编号")),
    responses((status = 200, body = PlanDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn plan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<PlanDto>, ApiError> {
    let (plan, group) = desk::readable(&state, &user, id).await?;
    Ok(Json(plan_dto(plan, &group.name)))
}

/// seal (unannounced: the SM3 digest of the plan and a random nonce is registered in the audit
/// chain, the plan hidden), announce (announced), complete (the visits are over; a sealed plan
/// is revealed).
#[utoipa::path(post, path = "/api/v1/inspections/plans/{id}/actions/{action}", tag = "检查评估",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "计划编号"),
        ("action" = String, Path, description = "seal、announce 或 complete")),
    responses((status = 200, body = PlanDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act_on_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Json<PlanDto>, ApiError> {
    user.require(&state, Perm::Inspect, &format!("inspection/plan/{id}"))
        .await?;
    check_csrf(&user, &headers)?;
    let action = PlanAction::parse(&action).ok_or_else(|| {
        Error::RouteNotFound(format!("/api/v1/inspections/plans/{id}/actions/{action}"))
    })?;
    desk::act_on_plan(&state, &user, id, action).await?;
    let (plan, group) = desk::readable(&state, &user, id).await?;
    Ok(Json(plan_dto(plan, &group.name)))
}

#[derive(Deserialize, ToSchema)]
pub struct FindingDto {
    #[schema(example = "120101001001")]
    unit: String,
    /// A checklist item's code of one of the plan's topics.
    #[schema(example = "signage.outside_signs")]
    item: String,
    #[schema(example = "服务中心外墙挂有综治中心等 3 块规定以外的牌子")]
    description: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedDto {
    id: i64,
}

/// Records what a visit found at one of the plan's units (photos are added on the page).
#[utoipa::path(post, path = "/api/v1/inspections/plans/{id}/findings", tag = "检查评估",
    security(("bearer" = [])), request_body = FindingDto,
    params(("id" = i64, Path, description = "计划编号")),
    responses((status = 201, body = CreatedDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_finding(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<ApiJson<FindingDto>, ApiError>,
) -> Result<(StatusCode, Json<CreatedDto>), ApiError> {
    user.require(&state, Perm::Inspect, &format!("inspection/plan/{id}"))
        .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(f) = body?;
    let id = desk::record_finding(
        &state,
        &user,
        id,
        &f.unit,
        &f.item,
        &f.description,
        Vec::new(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })))
}

#[derive(Deserialize, ToSchema)]
pub struct IssueDto {
    #[schema(example = "摘除规定以外的外部标牌")]
    measures: String,
    /// Working days.
    #[schema(example = 15)]
    days: u32,
}

/// Issues the rectification of a finding to its unit, due in `days` working days (not while
/// the plan is sealed: the notice would tell the unit the group had come).
#[utoipa::path(post, path = "/api/v1/inspections/findings/{id}/rectification", tag = "检查评估",
    security(("bearer" = [])), request_body = IssueDto,
    params(("id" = i64, Path, description = "检查发现编号")),
    responses((status = 201, body = CreatedDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<ApiJson<IssueDto>, ApiError>,
) -> Result<(StatusCode, Json<CreatedDto>), ApiError> {
    user.require(&state, Perm::Inspect, &format!("inspection/finding/{id}"))
        .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(i) = body?;
    let id = desk::issue(&state, &user, id, &i.measures, i.days).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })))
}

#[derive(Serialize, ToSchema)]
pub struct RectificationDto {
    id: i64,
    finding_id: i64,
    unit: String,
    measures: String,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    /// open, submitted, closed or reopened.
    stage: &'static str,
    report: Option<String>,
    /// Working days past the deadline while the unit owes it.
    overdue_days: u32,
    /// The authorities it has been escalated to, nearest first.
    escalated_to: Vec<String>,
}

/// The rectifications of units in the caller's region, newest first.
#[utoipa::path(get, path = "/api/v1/rectifications", tag = "检查评估",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<RectificationDto>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn rectifications(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<RectificationDto>>, ApiError> {
    if !user
        .principal
        .roles
        .iter()
        .any(|r| r.has(Perm::Rectify) || r.has(Perm::FollowCampaign))
    {
        user.require(&state, Perm::FollowCampaign, "/api/v1/rectifications")
            .await?;
    }
    let calendar = jianfu_store::calendar::load(&state.db).await?;
    let day = today();
    let all = jianfu_store::inspection::rectifications(&state.db, &user.principal.region).await?;
    Ok(Json(
        all.into_iter()
            .map(|r| {
                let (overdue_days, up) = desk::standing(&r, &calendar, day);
                RectificationDto {
                    id: r.id,
                    finding_id: r.finding_id,
                    unit: r.unit.to_string(),
                    measures: r.measures,
                    issued_on: r.issued_on,
                    due_on: r.due_on,
                    stage: r.stage.code(),
                    report: r.report,
                    overdue_days,
                    escalated_to: up.iter().map(ToString::to_string).collect(),
                }
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct StepDto {
    /// The reason for reopening; optional on accepting.
    #[serde(default)]
    note: String,
}

#[derive(Serialize, ToSchema)]
pub struct StageDto {
    stage: &'static str,
}

/// accept or reopen a submitted rectification (the group's inspectors). Reports with their
/// evidence files are sent from the page.
#[utoipa::path(post, path = "/api/v1/rectifications/{id}/actions/{action}", tag = "检查评估",
    security(("bearer" = [])), request_body = StepDto,
    params(("id" = i64, Path, description = "整改编号"),
        ("action" = String, Path, description = "accept 或 reopen")),
    responses((status = 200, body = StageDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act_on_rectification(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    body: Result<ApiJson<StepDto>, ApiError>,
) -> Result<Json<StageDto>, ApiError> {
    check_csrf(&user, &headers)?;
    let action = RectAction::parse(&action)
        .filter(|a| *a != RectAction::Submit)
        .ok_or_else(|| {
            Error::RouteNotFound(format!("/api/v1/rectifications/{id}/actions/{action}"))
        })?;
    let ApiJson(step) = body?;
    let stage = desk::act(&state, &user, id, action, &step.note, Vec::new()).await?;
    Ok(Json(StageDto {
        stage: stage.code(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CriterionDto {
    code: &'static str,
    label: &'static str,
    measured: String,
    met: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PhaseDto {
    code: &'static str,
    label: &'static str,
    start: NaiveDate,
    /// None for the last phase.
    end: Option<NaiveDate>,
    criteria: Vec<CriterionDto>,
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentDto {
    department: String,
    name: String,
    dispatches: u64,
    /// Deliveries that reached units (allowed or flagged).
    delivered: u64,
    blocked: u64,
    /// Entries of the violation ledger.
    violations: u64,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignDto {
    region: String,
    /// The phase in force today (an override's when one is set).
    current: Option<&'static str>,
    override_reason: Option<String>,
    phases: Vec<PhaseDto>,
    /// Each department's tasks and violations since implementation began, most violations first.
    departments: Vec<DepartmentDto>,
}

/// The campaign of the caller's region: the five phases, the one in force and each phase's
/// exit criteria measured on the region's records.
#[utoipa::path(get, path = "/api/v1/campaign", tag = "检查评估",
    security(("bearer" = [])),
    responses((status = 200, body = CampaignDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn campaign(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<CampaignDto>, ApiError> {
    user.require(&state, Perm::FollowCampaign, "/api/v1/campaign")
        .await?;
    let region = user.principal.region;
    let setting = jianfu_store::campaign::setting_for(&state.db, &region).await?;
    let day = today();
    let since = setting.timeline.start(Phase::Implementation);
    let facts = jianfu_store::campaign::facts(&state.db, &region, since, day).await?;
    let departments = jianfu_store::campaign::departments(&state.db, &region, since, day).await?;
    Ok(Json(CampaignDto {
        departments: departments
            .into_iter()
            .map(|d| DepartmentDto {
                department: d.department,
                name: d.name,
                dispatches: d.dispatches,
                delivered: d.delivered,
                blocked: d.blocked,
                violations: d.violations,
            })
            .collect(),
        region: region.to_string(),
        current: campaign::current(&setting.timeline, setting.over.as_ref(), day).map(Phase::code),
        override_reason: setting.over.map(|o| o.reason),
        phases: Phase::ALL
            .into_iter()
            .map(|p| PhaseDto {
                code: p.code(),
                label: p.label(),
                start: setting.timeline.start(p),
                end: setting.timeline.end(p),
                criteria: campaign::criteria(p, &facts)
                    .into_iter()
                    .map(|c| CriterionDto {
                        code: c.code,
                        label: c.label,
                        measured: c.measured,
                        met: c.met,
                    })
                    .collect(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct MemberDto {
    /// The member's platform account (they run the group's plans).
    #[schema(example = "insp.wang")]
    username: String,
    #[schema(example = "王检查")]
    name: String,
    /// civil_affairs, organisation or rural_work (民政、组织、农村工作部门).
    #[schema(example = "civil_affairs")]
    body: String,
}

#[derive(Deserialize, ToSchema)]
pub struct GroupDto {
    #[schema(example = "市减负联合检查第一组")]
    name: String,
    members: Vec<MemberDto>,
}

/// Forms a joint inspection group of the caller's city or district: members from civil
/// affairs, the organisation department and the rural-work office.
#[utoipa::path(post, path = "/api/v1/inspections/groups", tag = "检查评估",
    security(("bearer" = [])), request_body = GroupDto,
    responses((status = 201, body = CreatedDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_group(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<ApiJson<GroupDto>, ApiError>,
) -> Result<(StatusCode, Json<CreatedDto>), ApiError> {
    user.require(&state, Perm::Inspect, "/api/v1/inspections/groups")
        .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(g) = body?;
    let members = g
        .members
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            Ok(jianfu_domain::inspection::Member {
                body: jianfu_domain::inspection::MemberBody::parse(&m.body).ok_or_else(|| {
                    Error::refused(format!("第 {} 位成员的部门“{}”不正确", i + 1, m.body))
                })?,
                username: m.username,
                name: m.name,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let id = desk::form_group(&state, &user, &g.name, members).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })))
}
