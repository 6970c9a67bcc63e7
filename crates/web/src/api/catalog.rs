//! Guidance directories, public: the directories with their versions, the items in force for a
//! unit on a day, versions, the difference between two versions, and search.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{NaiveDate, Utc};
use jianfu_domain::catalog::{self, DirectoryItem, DirectoryKind, DirectoryVersion};
use jianfu_domain::{Error, RegionCode, RegionKind};
use jianfu_store::catalog as store;
use jianfu_store::region;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiQuery;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};

/// Today in Beijing: directories take effect by the officials' calendar.
pub fn today() -> NaiveDate {
    jianfu_domain::beijing_date(Utc::now())
}

pub fn parse_kind(raw: &str) -> Result<DirectoryKind, Error> {
    DirectoryKind::parse(raw).ok_or_else(|| Error::UnknownDirectory(raw.to_owned()))
}

/// A published version, or the error naming it.
pub async fn version_or_404(
    db: &jianfu_store::DatabaseConnection,
    kind: DirectoryKind,
    number: u32,
) -> Result<DirectoryVersion, Error> {
    store::version(db, kind, number)
        .await?
        .ok_or_else(|| Error::CatalogNotFound(format!("{}第 {number} 版", kind.label())))
}

#[derive(Serialize, ToSchema)]
pub struct DirectoryDto {
    #[schema(example = "certificate_may_issue")]
    kind: &'static str,
    #[schema(example = "可出具证明事项")]
    name: &'static str,
    /// The version in force today (null before the first takes effect).
    version: Option<u32>,
    effective_from: Option<NaiveDate>,
    /// The newest version, which may take effect later.
    latest_version: Option<u32>,
    items: usize,
    /// Items made up to show the platform, not published by any authority.
    demo_items: usize,
}

/// Every directory with the version in force today.
#[utoipa::path(get, path = "/api/v1/directories", tag = "指导目录",
    responses((status = 200, body = [DirectoryDto])))]
pub async fn directories(
    State(state): State<AppState>,
) -> Result<Json<Vec<DirectoryDto>>, ApiError> {
    let mut out = Vec::new();
    for kind in DirectoryKind::ALL {
        let current = store::version_at(&state.db, kind, today()).await?;
        let latest = store::versions(&state.db, kind)
            .await?
            .first()
            .map(|v| v.number);
        let items = current.as_ref().map_or(&[][..], |v| &v.items);
        out.push(DirectoryDto {
            kind: kind.as_str(),
            name: kind.label(),
            version: current.as_ref().map(|v| v.number),
            effective_from: current.as_ref().map(|v| v.effective_from),
            latest_version: latest,
            items: items.len(),
            demo_items: items.iter().filter(|i| i.is_demo).count(),
        });
    }
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct GuideDto {
    materials: String,
    conditions: String,
    steps: String,
    /// Working days.
    time_limit_days: Option<u32>,
    demanding_agency: String,
    template: String,
}

#[derive(Serialize, ToSchema)]
pub struct ItemDto {
    #[schema(example = "KC-001")]
    pub(crate) code: String,
    #[schema(example = "居民在社区居住证明")]
    pub(crate) name: String,
    pub(crate) category: String,
    /// 法律政策依据
    pub(crate) basis: String,
    /// 责任部门
    pub(crate) department: String,
    /// What the village or community does.
    pub(crate) village_role: String,
    /// What the department provides (费随事转).
    pub(crate) support: String,
    /// village / community / both, as it applies (a district may narrow it).
    #[schema(example = "both")]
    pub(crate) applicability: &'static str,
    pub(crate) valid_from: NaiveDate,
    pub(crate) valid_to: Option<NaiveDate>,
    pub(crate) guide: Option<GuideDto>,
    pub(crate) refusal_guidance: Option<String>,
    pub(crate) source: String,
    pub(crate) is_demo: bool,
    /// The unit's district's detail of the item (区级细化), in the effective items only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refinement: Option<RefinementDto>,
}

/// What a district added to a city item: applicability and validity above are already
/// narrowed by it.
#[derive(Serialize, ToSchema)]
pub struct RefinementDto {
    note: Option<String>,
    /// 本区制度依据
    local_basis: Option<String>,
    /// 职责范围
    scope: Option<String>,
    /// 运行流程
    process: Option<String>,
}

impl From<&DirectoryItem> for ItemDto {
    fn from(i: &DirectoryItem) -> Self {
        ItemDto {
            code: i.code.to_string(),
            name: i.name.clone(),
            category: i.category.clone(),
            basis: i.basis.clone(),
            department: i.department.clone(),
            village_role: i.village_role.clone(),
            support: i.support.clone(),
            applicability: i.applicability.as_str(),
            valid_from: i.valid_from,
            valid_to: i.valid_to,
            guide: i.guide.as_ref().map(|g| GuideDto {
                materials: g.materials.clone(),
                conditions: g.conditions.clone(),
                steps: g.steps.clone(),
                time_limit_days: g.time_limit_days,
                demanding_agency: g.demanding_agency.clone(),
                template: g.template.clone(),
            }),
            refusal_guidance: i.refusal_guidance.clone(),
            source: i.source.clone(),
            is_demo: i.is_demo,
            refinement: None,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ItemsParams {
    /// The unit whose effective items are wanted (its kind, village or community, decides
    /// which items apply); all items when absent.
    region: Option<String>,
    /// The day, YYYY-MM-DD (Beijing); today when absent.
    at: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct EffectiveItems {
    kind: &'static str,
    /// The version in force on `at`: every record made from this list stores it.
    version: u32,
    effective_from: NaiveDate,
    at: NaiveDate,
    region: Option<String>,
    /// The unit's district (6 digits), when the unit lies in one.
    district: Option<String>,
    /// The district's refinement in force on `at`, if it has one: stored with the version.
    refinement: Option<u32>,
    items: Vec<ItemDto>,
}

/// The items in force for a unit on a day: the city version in force then with the unit's
/// district's refinement in force then (区级细化, which only narrows), only items valid that
/// day and applicable to the unit's kind.
#[utoipa::path(get, path = "/api/v1/directories/{kind}/items", tag = "指导目录",
    params(("kind" = String, Path, description = "目录，如 certificate_may_issue"), ItemsParams),
    responses(
        (status = 200, body = EffectiveItems),
        (status = 400, body = ErrorBody, description = "参数不正确 (invalid_query, invalid_region_code)"),
        (status = 404, body = ErrorBody, description = "目录、单位或当日版本不存在")))]
pub async fn items(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    ApiQuery(params): ApiQuery<ItemsParams>,
) -> Result<Json<EffectiveItems>, ApiError> {
    let kind = parse_kind(&kind)?;
    let at = params.at.unwrap_or_else(today);
    let unit = match params.region.as_deref() {
        Some(code) => Some(region::require(&state.db, &RegionCode::parse(code)?).await?),
        None => None,
    };
    let snapshot = state.catalog.snapshot(&state.db, today()).await?;
    let version = snapshot
        .in_force(kind, at)
        .ok_or_else(|| Error::CatalogNotFound(format!("{} {at} 施行的版本", kind.label())))?;
    // Without a unit every item valid that day counts: "other" kinds match both lists.
    let unit_kind = unit.as_ref().map_or(RegionKind::Other, |u| u.kind);
    let district = unit.as_ref().and_then(|u| u.code.county());
    let refinement = district
        .as_ref()
        .and_then(|d| snapshot.refinement(kind, d, at));
    let items = catalog::effective(version, refinement, unit_kind, at)
        .into_iter()
        .map(|e| {
            let mut dto = ItemDto::from(e.item);
            dto.applicability = e.applicability.map_or(dto.applicability, |a| a.as_str());
            dto.valid_from = e.valid_from;
            dto.valid_to = e.valid_to;
            dto.refinement = e.refinement.map(|r| RefinementDto {
                note: r.note.clone(),
                local_basis: r.local_basis.clone(),
                scope: r.scope.clone(),
                process: r.process.clone(),
            });
            dto
        })
        .collect();
    Ok(Json(EffectiveItems {
        kind: kind.as_str(),
        version: version.number,
        effective_from: version.effective_from,
        at,
        region: unit.map(|u| u.code.to_string()),
        district: district.map(|d| d.short().to_owned()),
        refinement: refinement.map(|r| r.number),
        items,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct VersionDto {
    number: u32,
    effective_from: NaiveDate,
    published_by: String,
    items: u64,
}

/// Every published version of a directory, newest first.
#[utoipa::path(get, path = "/api/v1/directories/{kind}/versions", tag = "指导目录",
    params(("kind" = String, Path, description = "目录")),
    responses((status = 200, body = [VersionDto]), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    Path(kind): Path<String>,
) -> Result<Json<Vec<VersionDto>>, ApiError> {
    let kind = parse_kind(&kind)?;
    let list = store::versions(&state.db, kind).await?;
    Ok(Json(
        list.into_iter()
            .map(|v| VersionDto {
                number: v.number,
                effective_from: v.effective_from,
                published_by: v.published_by,
                items: v.items,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct DiffParams {
    /// The earlier version.
    from: u32,
    /// The later version.
    to: u32,
}

#[derive(Serialize, ToSchema)]
pub struct FieldChangeDto {
    #[schema(example = "名称")]
    pub(crate) field: &'static str,
    pub(crate) before: String,
    pub(crate) after: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChangedItemDto {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) fields: Vec<FieldChangeDto>,
}

#[derive(Serialize, ToSchema)]
pub struct DiffDto {
    pub(crate) kind: &'static str,
    pub(crate) from: u32,
    pub(crate) to: u32,
    pub(crate) added: Vec<ItemDto>,
    pub(crate) retired: Vec<ItemDto>,
    pub(crate) changed: Vec<ChangedItemDto>,
}

/// What changed between two versions, by item code.
#[utoipa::path(get, path = "/api/v1/directories/{kind}/diff", tag = "指导目录",
    params(("kind" = String, Path, description = "目录"), DiffParams),
    responses((status = 200, body = DiffDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn diff(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    ApiQuery(params): ApiQuery<DiffParams>,
) -> Result<Json<DiffDto>, ApiError> {
    let kind = parse_kind(&kind)?;
    let from = version_or_404(&state.db, kind, params.from).await?;
    let to = version_or_404(&state.db, kind, params.to).await?;
    Ok(Json(diff_dto(&from, &to)))
}

pub fn diff_dto(from: &DirectoryVersion, to: &DirectoryVersion) -> DiffDto {
    let d = catalog::diff(from, to);
    let find = |v: &DirectoryVersion, code: &catalog::ItemCode| {
        v.items.iter().find(|i| &i.code == code).map(ItemDto::from)
    };
    DiffDto {
        kind: to.kind.as_str(),
        from: from.number,
        to: to.number,
        added: d.added.iter().filter_map(|c| find(to, c)).collect(),
        retired: d.retired.iter().filter_map(|c| find(from, c)).collect(),
        changed: d
            .changed
            .into_iter()
            .map(|(code, fields)| ChangedItemDto {
                name: find(to, &code).map(|i| i.name).unwrap_or_default(),
                code: code.to_string(),
                fields: fields
                    .into_iter()
                    .map(|f| FieldChangeDto {
                        field: f.field,
                        before: f.before,
                        after: f.after,
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// Free text in Chinese, or an item code (KC-001); no hits when empty.
    q: Option<String>,
    /// Only this directory.
    kind: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HitDto {
    pub(crate) kind: &'static str,
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) snippet: Option<String>,
}

/// Search the directories in force today (Chinese word segmentation; best first, at most 20).
#[utoipa::path(get, path = "/api/v1/directories/search", tag = "指导目录",
    params(SearchParams),
    responses((status = 200, body = [HitDto]), (status = 404, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<Vec<HitDto>>, ApiError> {
    let kind = params.kind.as_deref().map(parse_kind).transpose()?;
    let q = params.q.unwrap_or_default();
    Ok(Json(hits(&state, &q, kind, 20).await?))
}

/// Search hits with their item names, from the versions in force today.
pub async fn hits(
    state: &AppState,
    q: &str,
    kind: Option<DirectoryKind>,
    limit: usize,
) -> Result<Vec<HitDto>, Error> {
    let day = today();
    let snapshot = state.catalog.snapshot(&state.db, day).await?;
    Ok(snapshot
        .index
        .search(q, kind, limit)
        .into_iter()
        .map(|hit| HitDto {
            kind: hit.kind.as_str(),
            name: snapshot
                .in_force(hit.kind, day)
                .and_then(|v| v.items.iter().find(|i| i.code == hit.code))
                .map(|i| i.name.clone())
                .unwrap_or_default(),
            code: hit.code.to_string(),
            snippet: hit.snippet,
        })
        .collect())
}
