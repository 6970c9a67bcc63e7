//! Certificates through the API (a village's app or service-hall system): the types a unit may
//! issue on a day, issuing (or the recorded refusal with its guidance), revoking.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use jianfu_domain::account::Perm;
use jianfu_domain::{Error, RegionCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::adjustments::check_csrf;
use super::{ApiJson, ApiQuery};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::certificate::{self, CertificateFields};
use crate::error::{ApiError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct IssuedDto {
    #[schema(example = "120101001001-2026-000001")]
    cert_no: String,
    /// What the QR code on the printout opens (public, no login).
    verify_url: String,
    /// The printout (A4 PDF), for the issuing unit's accounts.
    pdf_url: String,
    type_name: String,
    /// may_issue, or consulted (unlisted, after a residents' consultation).
    listing: String,
    issued_on: NaiveDate,
    /// The identity number as screens show it.
    id_number: String,
}

impl IssuedDto {
    fn of(state: &AppState, c: jianfu_store::certificate::Certificate) -> IssuedDto {
        IssuedDto {
            verify_url: state.certificates.verify_url(&c.cert_no, &c.tag),
            pdf_url: format!("/certificates/{}/pdf", c.cert_no),
            cert_no: c.cert_no,
            type_name: c.type_name,
            listing: c.listing,
            issued_on: c.issued_on,
            id_number: c.id_masked,
        }
    }
}

fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.trim().chars().take(64).collect::<String>())
        .filter(|k| !k.is_empty())
}

/// Issues a certificate for the caller's village or community, if the lists in force today
/// let it: a type on the must-not list, or on neither (unless the region allows a recorded
/// residents' consultation), is refused with 422 `certificate_not_allowed` and `guidance`;
/// the refusal is recorded with the demanding agency all the same. The same `Idempotency-Key`
/// again returns the first outcome.
#[utoipa::path(post, path = "/api/v1/certificates", tag = "证明事项",
    security(("bearer" = [])), request_body = CertificateFields,
    params(("Idempotency-Key" = Option<String>, Header, description = "重复提交时返回第一次的结果")),
    responses((status = 201, body = IssuedDto),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "不予出具 (certificate_not_allowed，附 guidance)，或内容不正确 (refused)，如身份证号校验位不符")))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<ApiJson<CertificateFields>, ApiError>,
) -> Result<(StatusCode, Json<IssuedDto>), ApiError> {
    user.require(&state, Perm::IssueCertificates, "/api/v1/certificates")
        .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(fields) = body?;
    let c = certificate::request(&state, &user, &fields, idempotency_key(&headers), None).await?;
    Ok((StatusCode::CREATED, Json(IssuedDto::of(&state, c))))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct RevokeFields {
    #[serde(default)]
    #[schema(example = "申请人提供的信息有误")]
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct StatusDto {
    cert_no: String,
    /// valid, revoked or superseded.
    status: String,
    reason: Option<String>,
}

/// Revokes a valid certificate of the caller's unit, with the reason; the verifier says so
/// from then on. Revoking again is 409 (`wrong_stage`, stage `revoked`).
#[utoipa::path(post, path = "/api/v1/certificates/{cert_no}/revoke", tag = "证明事项",
    security(("bearer" = [])), request_body = RevokeFields,
    params(("cert_no" = String, Path, description = "证明编号")),
    responses((status = 200, body = StatusDto),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "未填写撤销原因")))]
pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(cert_no): Path<String>,
    body: Result<ApiJson<RevokeFields>, ApiError>,
) -> Result<Json<StatusDto>, ApiError> {
    user.require(
        &state,
        Perm::IssueCertificates,
        "/api/v1/certificates/revoke",
    )
    .await?;
    check_csrf(&user, &headers)?;
    let ApiJson(fields) = body?;
    let c = certificate::revoke(&state, &user, &cert_no, &fields.reason).await?;
    Ok(Json(StatusDto {
        cert_no: c.cert_no,
        status: c.status,
        reason: c.reason,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct TypesParams {
    /// The village or community (12 digits).
    region: String,
    /// YYYY-MM-DD; today when left out.
    at: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct TypeDto {
    code: String,
    name: String,
    basis: String,
    /// For may-issue types: materials, conditions, steps, time limit (working days).
    materials: String,
    conditions: String,
    steps: String,
    time_limit_days: Option<u32>,
    /// For must-not types: where the resident goes instead.
    guidance: String,
    is_demo: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TypesDto {
    region: String,
    name: String,
    at: NaiveDate,
    may_issue_version: Option<u32>,
    must_not_version: Option<u32>,
    /// 可出具证明事项 in force for the unit that day.
    may_issue: Vec<TypeDto>,
    /// 不应出具证明事项 in force that day.
    must_not_issue: Vec<TypeDto>,
    /// Whether a type on neither list may be issued after a recorded residents' consultation
    /// and the director's signature (the region's rule).
    unlisted_by_consultation: bool,
}

/// The certificate types a village or community may and must not issue on a day, with
/// service guides and refusal guidance: the city lists in force with the district's
/// refinement. Public: residents and agencies may look before they ask.
#[utoipa::path(get, path = "/api/v1/certificate-types", tag = "证明事项",
    params(TypesParams),
    responses((status = 200, body = TypesDto),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "不是村（社区）")))]
pub async fn types(
    State(state): State<AppState>,
    params: Result<ApiQuery<TypesParams>, ApiError>,
) -> Result<Json<TypesDto>, ApiError> {
    let ApiQuery(p) = params?;
    let code = RegionCode::parse(p.region.trim())?;
    let unit = jianfu_store::region::require(&state.db, &code).await?;
    if unit.level != jianfu_domain::Level::Village {
        return Err(
            Error::refused(format!("{}不是村（社区）：证明由村（社区）开具", unit.name)).into(),
        );
    }
    let at = p.at.unwrap_or_else(today);
    let allow = jianfu_store::certificate::allows_consulted(&state.db, &unit.code).await?;
    let snapshot = state.catalog.snapshot(&state.db, today()).await?;
    let lists = certificate::lists(&snapshot, &unit, at, allow);
    let dto = |e: &jianfu_domain::catalog::EffectiveItem<'_>| {
        let g = e.item.guide.clone().unwrap_or_default();
        TypeDto {
            code: e.item.code.as_str().to_owned(),
            name: e.item.name.clone(),
            basis: e.item.basis.clone(),
            materials: g.materials,
            conditions: g.conditions,
            steps: g.steps,
            time_limit_days: g.time_limit_days,
            guidance: e.item.refusal_guidance.clone().unwrap_or_default(),
            is_demo: e.item.is_demo,
        }
    };
    Ok(Json(TypesDto {
        region: unit.code.as_str().to_owned(),
        name: unit.name.clone(),
        at,
        may_issue_version: lists.may_issue_version,
        must_not_version: lists.must_not_version,
        may_issue: lists.may_issue.iter().map(dto).collect(),
        must_not_issue: lists.must_not.iter().map(dto).collect(),
        unlisted_by_consultation: allow,
    }))
}
