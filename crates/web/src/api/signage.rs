//! Mechanisms, signs and service centres through the API: a unit's self-check submitted whole
//! (`PUT`), read back, and its compliance under the rules in force.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use jianfu_domain::Error;
use jianfu_domain::signage::{Mechanism, NonCompliance, Registry, ServiceCentre, Sign};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use super::adjustments::check_csrf;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::signage;

#[derive(Deserialize, Serialize, ToSchema)]
pub struct MechanismDto {
    #[schema(example = "人民调解委员会")]
    name: String,
    /// The body that asked for it (设立单位).
    #[serde(default)]
    #[schema(example = "区司法局")]
    set_up_by: String,
    /// Whether it demands dedicated staff (专人专岗).
    #[serde(default)]
    dedicated_staff: bool,
    /// A mechanism-sign item code (JP-001) or an admitted task's code, if known.
    #[serde(default)]
    #[schema(example = "JP-001")]
    basis: Option<String>,
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct SignDto {
    #[schema(example = "小王庄村党群服务中心")]
    name: String,
    /// outside or inside (外部 / 内部).
    #[schema(example = "outside")]
    position: String,
    /// The body or mechanism it stands for.
    #[serde(default)]
    represents: String,
}

/// Areas in square metres (two decimals kept).
#[derive(Deserialize, Serialize, ToSchema)]
pub struct CentreDto {
    #[schema(example = 400.0)]
    total_area: f64,
    /// 村（居）民活动区域.
    #[schema(example = 260.0)]
    activity_area: f64,
    #[schema(example = 80.0)]
    office_area: f64,
}

/// What a unit has: its mechanisms, its signs and its party-mass service centre.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct RegistryDto {
    #[serde(default)]
    mechanisms: Vec<MechanismDto>,
    #[serde(default)]
    signs: Vec<SignDto>,
    #[serde(default)]
    centre: Option<CentreDto>,
}

impl RegistryDto {
    fn parse(self) -> Result<Registry, Error> {
        let signs = self
            .signs
            .into_iter()
            .enumerate()
            .map(|(n, s)| {
                let position = signage::position_of(n, &s.position)?;
                Ok(Sign {
                    name: s.name.trim().to_owned(),
                    position,
                    represents: s.represents.trim().to_owned(),
                })
            })
            .collect::<Result<_, Error>>()?;
        let centre = self
            .centre
            .map(|c| {
                Ok::<_, Error>(ServiceCentre {
                    total_area: signage::area_of("总建筑面积", c.total_area)?,
                    activity_area: signage::area_of("活动区域面积", c.activity_area)?,
                    office_area: signage::area_of("办公区域面积", c.office_area)?,
                })
            })
            .transpose()?;
        Ok(Registry {
            mechanisms: self
                .mechanisms
                .into_iter()
                .map(|m| Mechanism {
                    name: m.name.trim().to_owned(),
                    set_up_by: m.set_up_by.trim().to_owned(),
                    dedicated_staff: m.dedicated_staff,
                    basis: m
                        .basis
                        .map(|b| b.trim().to_owned())
                        .filter(|b| !b.is_empty()),
                })
                .collect(),
            signs,
            centre,
        })
    }

    fn of(r: Registry) -> RegistryDto {
        RegistryDto {
            mechanisms: r
                .mechanisms
                .into_iter()
                .map(|m| MechanismDto {
                    name: m.name,
                    set_up_by: m.set_up_by,
                    dedicated_staff: m.dedicated_staff,
                    basis: m.basis,
                })
                .collect(),
            signs: r
                .signs
                .into_iter()
                .map(|s| SignDto {
                    name: s.name,
                    position: s.position.as_str().to_owned(),
                    represents: s.represents,
                })
                .collect(),
            centre: r.centre.map(|c| CentreDto {
                total_area: c.total_area as f64 / 100.0,
                activity_area: c.activity_area as f64 / 100.0,
                office_area: c.office_area as f64 / 100.0,
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NonComplianceDto {
    /// The check's stable code, e.g. sign.outside_not_allowed, centre.activity_share.
    #[schema(example = "sign.outside_not_allowed")]
    rule: &'static str,
    #[schema(example = "外部标牌超出规定")]
    label: &'static str,
    /// What it concerns, as recorded.
    #[schema(example = "外部标牌“综治中心”")]
    object: String,
    reason: String,
}

impl From<NonCompliance> for NonComplianceDto {
    fn from(n: NonCompliance) -> Self {
        NonComplianceDto {
            rule: n.check.code(),
            label: n.check.label(),
            object: n.object,
            reason: n.reason,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SubmittedDto {
    region: String,
    name: String,
    compliant: bool,
    non_compliances: Vec<NonComplianceDto>,
    /// Items added to the unit's clean-up list, and items closed because they are gone.
    cleanup_opened: u32,
    cleanup_closed: u32,
}

/// Records a village's or community's mechanisms, signs and service centre (摸排自查), replacing
/// what it recorded before, and answers with what the rules find. Each new finding becomes an
/// item of the unit's clean-up list, due in 20 working days; findings that are gone close
/// theirs. For the unit's own workers and the officers of its township.
#[utoipa::path(put, path = "/api/v1/regions/{code}/signage", tag = "机制牌子",
    security(("bearer" = [])), request_body = RegistryDto,
    params(("code" = String, Path, description = "村（社区）的 12 位区划代码")),
    responses((status = 200, body = SubmittedDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "内容不正确（指明第几项、哪个字段），或不是村（社区）")))]
pub async fn put(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<ApiJson<RegistryDto>, ApiError>,
) -> Result<Json<SubmittedDto>, ApiError> {
    check_csrf(&user, &headers)?;
    let ApiJson(dto) = body?;
    let registry = dto.parse()?;
    let done = signage::submit(&state, &user, &code, &registry).await?;
    Ok(Json(SubmittedDto {
        region: done.unit.code.as_str().to_owned(),
        name: done.unit.name,
        compliant: done.found.is_empty(),
        non_compliances: done.found.into_iter().map(Into::into).collect(),
        cleanup_opened: done.cleanup.opened,
        cleanup_closed: done.cleanup.closed,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RegistryAnswer {
    region: String,
    name: String,
    /// Null when the unit has not submitted yet.
    registry: Option<RegistryDto>,
    submitted_at: Option<DateTime<Utc>>,
}

/// A unit's mechanisms, signs and service centre as last submitted.
#[utoipa::path(get, path = "/api/v1/regions/{code}/signage", tag = "机制牌子",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "村（社区）的 12 位区划代码")),
    responses((status = 200, body = RegistryAnswer),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<RegistryAnswer>, ApiError> {
    let s = signage::standing(&state, &user, &code).await?;
    let submitted_at = s.submitted.as_ref().map(|r| r.submitted_at);
    Ok(Json(RegistryAnswer {
        region: s.unit.code.as_str().to_owned(),
        name: s.unit.name,
        registry: s.submitted.map(|r| RegistryDto::of(r.registry)),
        submitted_at,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceDto {
    region: String,
    name: String,
    /// Whether the unit has submitted its self-check; without one nothing is judged.
    submitted: bool,
    submitted_at: Option<DateTime<Utc>>,
    /// The region whose rule set applies; null for Tianjin's default (一横四竖两标识).
    rules_from: Option<String>,
    compliant: bool,
    /// Every non-compliance under the rules in force now; empty when compliant.
    non_compliances: Vec<NonComplianceDto>,
}

/// What the rules in force find in a unit's registry: each non-compliance with its rule, the
/// object and the reason in Chinese; empty when the unit complies.
#[utoipa::path(get, path = "/api/v1/regions/{code}/compliance", tag = "机制牌子",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "村（社区）的 12 位区划代码")),
    responses((status = 200, body = ComplianceDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn compliance(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<ComplianceDto>, ApiError> {
    let s = signage::standing(&state, &user, &code).await?;
    Ok(Json(ComplianceDto {
        region: s.unit.code.as_str().to_owned(),
        name: s.unit.name,
        submitted: s.submitted.is_some(),
        submitted_at: s.submitted.as_ref().map(|r| r.submitted_at),
        rules_from: s.rules_from.map(|r| r.as_str().to_owned()),
        compliant: s.found.is_empty(),
        non_compliances: s.found.into_iter().map(Into::into).collect(),
    }))
}
