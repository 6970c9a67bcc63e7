//! Regions: one unit, its children, and search.

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use jianfu_domain::{Error, Level, Page, PageRequest, Region, RegionCode, RegionKind};
use jianfu_store::region::{self, RegionFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiQuery};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};

/// One administrative unit as it is in force now.
#[derive(Serialize, ToSchema)]
pub struct RegionDto {
    /// 12-digit NBS statistical division code.
    #[schema(example = "120101001001")]
    code: String,
    #[schema(example = "福安社区居委会")]
    name: String,
    /// province / city / county / township / village
    #[schema(example = "village")]
    level: &'static str,
    #[schema(example = "120101001000")]
    parent_code: Option<String>,
    /// province / city / county / subdistrict / town / township / village (村委会) /
    /// community (居委会) / other, derived from the name.
    #[schema(example = "community")]
    kind: &'static str,
    /// Direct subordinate units in force.
    children_count: u32,
    /// Start of this version (a rename or a move opens a new version).
    valid_from: NaiveDate,
}

impl From<Region> for RegionDto {
    fn from(r: Region) -> Self {
        RegionDto {
            code: r.code.into(),
            name: r.name,
            level: r.level.as_str(),
            parent_code: r.parent_code.map(Into::into),
            kind: r.kind.as_str(),
            children_count: r.children_count,
            valid_from: r.valid_from,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RegionPage {
    items: Vec<RegionDto>,
    /// Rows matching, over all pages.
    total: u64,
    page: u64,
    per_page: u64,
}

impl From<Page<Region>> for RegionPage {
    fn from(p: Page<Region>) -> Self {
        RegionPage {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct Paging {
    /// Page number from 1.
    page: Option<u64>,
    /// Rows per page, 1–100 (default 20).
    per_page: Option<u64>,
}

#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// Part of a name, or the leading digits of a code.
    q: Option<String>,
    /// province / city / county / township / village
    level: Option<String>,
    /// village / community / subdistrict / town / township / other …
    kind: Option<String>,
    /// Only units below this code.
    within: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

fn parse_code(raw: &str) -> Result<RegionCode, ApiError> {
    Ok(RegionCode::parse(raw)?)
}

/// One unit by code (the 12-digit form or the short form of its level).
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "区划",
    params(("code" = String, Path, description = "区划代码，如 120101000000 或 120101")),
    responses(
        (status = 200, body = RegionDto),
        (status = 400, body = ErrorBody, description = "代码格式不正确 (invalid_region_code)"),
        (status = 404, body = ErrorBody, description = "没有该单位 (region_not_found)")))]
pub async fn get_region(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<RegionDto>, ApiError> {
    let code = parse_code(&code)?;
    Ok(Json(region::require(&state.db, &code).await?.into()))
}

/// The direct subordinate units, by code.
#[utoipa::path(get, path = "/api/v1/regions/{code}/children", tag = "区划",
    params(("code" = String, Path, description = "上级单位的区划代码"), Paging),
    responses(
        (status = 200, body = RegionPage),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn children(
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<RegionPage>, ApiError> {
    let code = parse_code(&code)?;
    region::require(&state.db, &code).await?;
    let page = PageRequest::new(paging.page, paging.per_page);
    Ok(Json(region::children(&state.db, &code, page).await?.into()))
}

/// Search units in force by name or code, optionally by level, kind and subtree.
#[utoipa::path(get, path = "/api/v1/regions", tag = "区划",
    params(SearchParams),
    responses((status = 200, body = RegionPage), (status = 400, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<RegionPage>, ApiError> {
    let filter = RegionFilter {
        q: params.q,
        level: parse_opt(params.level, Level::parse, "level")?,
        kind: parse_opt(params.kind, RegionKind::parse, "kind")?,
        within: params.within.as_deref().map(parse_code).transpose()?,
    };
    let page = PageRequest::new(params.page, params.per_page);
    Ok(Json(region::search(&state.db, &filter, page).await?.into()))
}

/// Codes one lookup may carry.
const LOOKUP_LIMIT: usize = 1000;

#[derive(Deserialize, ToSchema)]
pub struct LookupRequest {
    /// Region codes, 12-digit or short form, at most 1,000.
    #[schema(example = json!(["120101001001", "120225100201"]))]
    codes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LookupResult {
    /// Units in force among the codes, by code.
    found: Vec<RegionDto>,
    /// Codes that are not region codes at all, as sent.
    invalid: Vec<String>,
    /// Well-formed codes with no unit in force.
    missing: Vec<String>,
}

/// Checks many codes at once — e.g. a department's target list before it sends a task.
#[utoipa::path(post, path = "/api/v1/regions/lookup", tag = "区划",
    security(("bearer" = [])),
    request_body = LookupRequest,
    responses(
        (status = 200, body = LookupResult),
        (status = 400, body = ErrorBody, description = "正文不是有效的 JSON (invalid_json) 或代码过多 (invalid_query)"),
        (status = 401, body = ErrorBody, description = "未登录或令牌无效 (unauthenticated)")))]
pub async fn lookup(
    State(state): State<AppState>,
    _user: CurrentUser,
    ApiJson(request): ApiJson<LookupRequest>,
) -> Result<Json<LookupResult>, ApiError> {
    if request.codes.len() > LOOKUP_LIMIT {
        return Err(Error::InvalidQuery(format!(
            "一次最多查询 {LOOKUP_LIMIT} 个代码，本次 {} 个",
            request.codes.len()
        ))
        .into());
    }
    let (mut codes, mut invalid) = (Vec::new(), Vec::new());
    for raw in request.codes {
        match RegionCode::parse(&raw) {
            Ok(code) => codes.push(code),
            Err(_) => invalid.push(raw),
        }
    }
    let found = region::get_many(&state.db, &codes).await?;
    let missing = codes
        .iter()
        .filter(|c| !found.iter().any(|r| r.code == **c))
        .map(|c| c.to_string())
        .collect();
    Ok(Json(LookupResult {
        found: found.into_iter().map(Into::into).collect(),
        invalid,
        missing,
    }))
}

/// An optional enumerated parameter: empty means absent, an unknown word is refused.
pub(crate) fn parse_opt<T>(
    raw: Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    name: &str,
) -> Result<Option<T>, Error> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .ok_or_else(|| Error::InvalidQuery(format!("{name} 的取值“{s}”无法识别"))),
    }
}
