//! The dispatch check through the API: a department's system asks, before sending, what the
//! platform would decide for every unit a task reaches, and why. Nothing is delivered.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::NaiveDate;
use jianfu_domain::verdict::{Outcome, Reason};
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiJson;
use super::adjustments::check_csrf;
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

fn outcome_code(o: Outcome) -> &'static str {
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
