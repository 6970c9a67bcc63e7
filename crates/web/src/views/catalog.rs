//! Public pages of the guidance directories: every directory with the version in force, the
//! items of a version (filtered by category or words), one item with its history across
//! versions, the versions with the difference between any two, and downloads in Excel and CSV.
//! A district can be chosen to see the directory as it applies there, with the district's
//! refinements (区级细化).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};

use axum::response::{IntoResponse, Response};
use jianfu_domain::catalog::{
    DirectoryItem, DirectoryKind, DirectoryVersion, EffectiveItem, Refinement, diff, refined,
};
use jianfu_domain::{Error, RegionCode};
use jianfu_store::catalog as store;
use serde::Deserialize;

use super::{Crumb, Nav};
use crate::AppState;
use crate::api::catalog::{DiffDto, HitDto, diff_dto, hits, parse_kind, today, version_or_404};
use crate::auth::MaybeUser;
use crate::error::PageError;

pub struct DirectoryCard {
    pub kind: &'static str,
    pub label: &'static str,
    pub version: String,
    pub effective_from: String,
    pub items: usize,
    pub demo: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "directories.html")]
pub struct DirectoriesPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    cards: Vec<DirectoryCard>,
    q: String,
    hits: Option<Vec<HitRow>>,
}

pub struct HitRow {
    pub label: &'static str,
    pub code: String,
    pub name: String,
    pub snippet: String,
    pub href: String,
}

impl From<HitDto> for HitRow {
    fn from(h: HitDto) -> Self {
        let kind = parse_kind(h.kind).unwrap_or(DirectoryKind::Duty);
        HitRow {
            label: kind.label(),
            href: format!("/directories/{}/items/{}", h.kind, h.code),
            code: h.code,
            name: h.name,
            snippet: h.snippet.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct IndexParams {
    q: Option<String>,
}

pub async fn index(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(params): Query<IndexParams>,
) -> Result<Response, PageError> {
    let mut cards = Vec::new();
    for kind in DirectoryKind::ALL {
        let current = store::version_at(&state.db, kind, today()).await?;
        cards.push(DirectoryCard {
            kind: kind.as_str(),
            label: kind.label(),
            version: current
                .as_ref()
                .map_or("尚未发布".into(), |v| format!("第 {} 版", v.number)),
            effective_from: current
                .as_ref()
                .map_or(String::new(), |v| v.effective_from.to_string()),
            items: current.as_ref().map_or(0, |v| v.items.len()),
            demo: current
                .as_ref()
                .is_some_and(|v| v.items.iter().any(|i| i.is_demo)),
        });
    }
    let q = params.q.unwrap_or_default();
    let found = if q.trim().is_empty() {
        None
    } else {
        Some(
            hits(&state, &q, None, 50)
                .await?
                .into_iter()
                .map(HitRow::from)
                .collect(),
        )
    };
    Ok(DirectoriesPage {
        nav: Nav::new(user.as_ref()),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("指导目录")],
        cards,
        q,
        hits: found,
    }
    .into_response())
}

pub struct ItemRow {
    pub code: String,
    pub name: String,
    pub category: String,
    pub department: String,
    pub applicability: &'static str,
    pub valid: String,
    /// The chosen district's refinement of the item, in words; empty when none.
    pub refinement: String,
    pub is_demo: bool,
    pub href: String,
}

fn validity(from: chrono::NaiveDate, to: Option<chrono::NaiveDate>) -> String {
    match to {
        Some(end) => format!("{from} 至 {end}"),
        None => format!("{from} 起"),
    }
}

fn item_row(kind: DirectoryKind, e: &EffectiveItem) -> ItemRow {
    let i = e.item;
    ItemRow {
        code: i.code.to_string(),
        name: i.name.clone(),
        category: i.category.clone(),
        department: i.department.clone(),
        applicability: e.applicability.map_or("本区不适用", |a| a.label()),
        valid: validity(e.valid_from, e.valid_to),
        refinement: effective_text(e),
        is_demo: i.is_demo,
        href: format!("/directories/{}/items/{}", kind.as_str(), i.code),
    }
}

/// A refinement as it applies to the city's item now: its narrowing shown intersected with the
/// city's (which may have narrowed the item since the district refined it).
pub fn effective_text(e: &EffectiveItem) -> String {
    let Some(r) = e.refinement else {
        return String::new();
    };
    let shown = Refinement {
        applicability: r.applicability.and(e.applicability),
        valid_from: r.valid_from.map(|_| e.valid_from),
        valid_to: r.valid_to.and(e.valid_to),
        ..r.clone()
    };
    let text = refinement_text(&shown);
    if r.applicability.is_some() && e.applicability.is_none() {
        let gone = "本区细化的适用范围与市级现行适用范围不再重叠，本事项在本区不适用";
        return [gone, text.as_str()]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("；");
    }
    text
}

/// A refinement in words, field by field: what a district added to a city item.
pub fn refinement_text(r: &Refinement) -> String {
    let mut parts = Vec::new();
    if let Some(note) = &r.note {
        parts.push(format!("说明：{note}"));
    }
    if let Some(a) = r.applicability {
        parts.push(format!("仅适用于{}", a.label()));
    }
    match (r.valid_from, r.valid_to) {
        (None, None) => {}
        (Some(from), to) => parts.push(format!("本区有效期：{}", validity(from, to))),
        (None, Some(to)) => parts.push(format!("本区有效期：截至 {to}")),
    }
    for (label, text) in [
        ("制度依据", &r.local_basis),
        ("职责范围", &r.scope),
        ("运行流程", &r.process),
    ] {
        if let Some(t) = text {
            parts.push(format!("{label}：{t}"));
        }
    }
    parts.join("；")
}

pub struct VersionOption {
    pub number: u32,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "directory.html")]
pub struct DirectoryPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    kind: &'static str,
    label: &'static str,
    version: u32,
    effective_from: String,
    in_force: bool,
    versions: Vec<VersionOption>,
    categories: Vec<(String, bool)>,
    q: String,
    rows: Vec<ItemRow>,
    total: usize,
    demo: bool,
    /// Tianjin's districts, the chosen one marked.
    districts: Vec<(String, String, bool)>,
    /// The chosen district's name and the number of its refinement in force, if any.
    district: Option<(String, Option<u32>)>,
}

#[derive(Deserialize, Default)]
pub struct DirectoryParams {
    version: Option<String>,
    category: Option<String>,
    q: Option<String>,
    district: Option<String>,
}

/// The district a page is asked to show (6-digit code), or none.
fn district_param(raw: Option<&str>) -> Result<Option<RegionCode>, Error> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => {
            let code = RegionCode::parse(d)?;
            match code.level() {
                jianfu_domain::Level::County => Ok(Some(code)),
                _ => Err(Error::InvalidQuery(format!("“{d}”不是区级单位的代码"))),
            }
        }
    }
}

/// The version asked for by number, or the one in force today (the newest before any is).
async fn chosen(
    state: &AppState,
    kind: DirectoryKind,
    number: Option<&str>,
) -> Result<DirectoryVersion, Error> {
    if let Some(n) = number.map(str::trim).filter(|n| !n.is_empty()) {
        let n: u32 = n
            .parse()
            .map_err(|_| Error::InvalidQuery(format!("版本号“{n}”应为正整数")))?;
        return version_or_404(&state.db, kind, n).await;
    }
    if let Some(v) = store::version_at(&state.db, kind, today()).await? {
        return Ok(v);
    }
    let newest = store::versions(&state.db, kind).await?;
    let n = newest
        .first()
        .ok_or_else(|| Error::CatalogNotFound(format!("{}的已发布版本", kind.label())))?
        .number;
    version_or_404(&state.db, kind, n).await
}

/// The day closest to `today` on which `version` is in force, among `versions`.
fn day_in_force(
    versions: &[DirectoryVersion],
    version: &DirectoryVersion,
    today: chrono::NaiveDate,
) -> chrono::NaiveDate {
    let next = versions
        .iter()
        .filter(|v| (v.effective_from, v.number) > (version.effective_from, version.number))
        .map(|v| v.effective_from)
        .min();
    let last = next
        .and_then(|d| d.pred_opt())
        .filter(|d| *d >= version.effective_from);
    match last {
        Some(last) if today > last => last,
        _ => today.max(version.effective_from),
    }
}

pub async fn show(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(kind): Path<String>,
    Query(params): Query<DirectoryParams>,
) -> Result<Response, PageError> {
    let kind = parse_kind(&kind)?;
    let version = chosen(&state, kind, params.version.as_deref()).await?;
    let in_force = store::version_at(&state.db, kind, today())
        .await?
        .is_some_and(|v| v.number == version.number);
    let mut categories: Vec<String> = version.items.iter().map(|i| i.category.clone()).collect();
    categories.sort();
    categories.dedup();
    let category = params.category.unwrap_or_default();
    let q = params.q.unwrap_or_default();
    let words = q.trim();
    let district = district_param(params.district.as_deref())?;
    let snapshot = state.catalog.snapshot(&state.db, today()).await?;
    // The district's refinement in force while the version shown is (today, its first day if
    // it is still to come, or its last day if it has been replaced).
    let day = day_in_force(snapshot.versions(kind), &version, today());
    let refinement = district
        .as_ref()
        .and_then(|d| snapshot.refinement(kind, d, day));
    let all = jianfu_domain::PageRequest::new(None, Some(100));
    let districts = jianfu_store::region::children(&state.db, &RegionCode::parse("1201")?, all)
        .await?
        .items
        .into_iter()
        .map(|r| {
            let on = district.as_ref() == Some(&r.code);
            (r.code.short().to_owned(), r.name, on)
        })
        .collect::<Vec<_>>();
    let district_shown = districts
        .iter()
        .find(|(_, _, on)| *on)
        .map(|(_, name, _)| (name.clone(), refinement.map(|r| r.number)));
    let rows: Vec<ItemRow> = version
        .items
        .iter()
        .filter(|i| category.is_empty() || i.category == category)
        .filter(|i| {
            words.is_empty()
                || i.name.contains(words)
                || i.code.as_str().eq_ignore_ascii_case(words)
                || i.basis.contains(words)
        })
        .map(|i| {
            let r = refinement.and_then(|r| r.entries.get(&i.code));
            item_row(kind, &refined(kind, i, r))
        })
        .collect();
    let versions = store::versions(&state.db, kind)
        .await?
        .into_iter()
        .map(|v| VersionOption {
            number: v.number,
            label: format!("第 {} 版（{} 起）", v.number, v.effective_from),
            selected: v.number == version.number,
        })
        .collect();
    Ok(DirectoryPage {
        nav: Nav::new(user.as_ref()),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("指导目录", "/directories"),
            Crumb::here(kind.label()),
        ],
        kind: kind.as_str(),
        label: kind.label(),
        version: version.number,
        effective_from: version.effective_from.to_string(),
        in_force,
        versions,
        categories: categories
            .into_iter()
            .map(|c| {
                let on = c == category;
                (c, on)
            })
            .collect(),
        q,
        total: rows.len(),
        demo: version.items.iter().any(|i| i.is_demo),
        rows,
        districts,
        district: district_shown,
    }
    .into_response())
}

/// One version of an item, and what changed from the version before.
pub struct HistoryRow {
    pub version: u32,
    pub effective_from: String,
    pub change: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "directory_item.html")]
pub struct ItemPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    kind: &'static str,
    version: u32,
    fields: Vec<(&'static str, String)>,
    item: DirectoryItem,
    history: Vec<HistoryRow>,
    refinements: Vec<DistrictRow>,
}

/// A district's refinement in force of one item.
pub struct DistrictRow {
    pub district: String,
    pub code: String,
    pub number: u32,
    pub effective_from: String,
    pub text: String,
}

#[derive(Deserialize, Default)]
pub struct ItemParams {
    version: Option<String>,
}

pub async fn item(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path((kind, code)): Path<(String, String)>,
    Query(params): Query<ItemParams>,
) -> Result<Response, PageError> {
    let kind = parse_kind(&kind)?;
    let version = chosen(&state, kind, params.version.as_deref()).await?;
    let not_found = || Error::CatalogNotFound(format!("事项 {code}"));
    // History: every version, oldest first (held in process), with the item's changes from the
    // one before.
    let snapshot = state.catalog.snapshot(&state.db, today()).await?;
    let all = snapshot.versions(kind);
    let find = |v: &DirectoryVersion| v.items.iter().find(|i| i.code.as_str() == code).cloned();
    // An item retired before the version asked for is shown as its last version had it, under
    // that version's number.
    let (shown, item) = match find(&version) {
        Some(item) => (version.number, item),
        None => all
            .iter()
            .rev()
            .find_map(|v| find(v).map(|i| (v.number, i)))
            .ok_or_else(not_found)?,
    };
    let mut history = Vec::new();
    let mut before: Option<&DirectoryVersion> = None;
    for v in all {
        let here = find(v);
        let was = before.and_then(find);
        let change = match (&was, &here) {
            (None, Some(_)) => "列入目录".to_owned(),
            (Some(_), None) => "取消".to_owned(),
            (Some(_), Some(_)) => {
                let d = diff(before.expect("a version before"), v);
                match d.changed.iter().find(|(c, _)| c.as_str() == code) {
                    Some((_, fields)) => format!(
                        "修改：{}",
                        fields
                            .iter()
                            .map(|f| f.field)
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                    None => "未变".to_owned(),
                }
            }
            (None, None) => String::new(),
        };
        if !change.is_empty() {
            history.push(HistoryRow {
                version: v.number,
                effective_from: v.effective_from.to_string(),
                change,
            });
        }
        before = Some(v);
    }
    history.reverse();
    let mut refinements = Vec::new();
    for r in snapshot.refinements_in_force(kind, today()) {
        if let Some(entry) = r.entries.get(&item.code) {
            let e = refined(kind, &item, Some(entry));
            refinements.push(DistrictRow {
                district: jianfu_store::region::require(&state.db, &r.district)
                    .await?
                    .name,
                code: r.district.short().to_owned(),
                number: r.number,
                effective_from: r.effective_from.to_string(),
                text: effective_text(&e),
            });
        }
    }
    Ok(ItemPage {
        nav: Nav::new(user.as_ref()),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("指导目录", "/directories"),
            Crumb::link(kind.label(), format!("/directories/{}", kind.as_str())),
            Crumb::here(item.name.clone()),
        ],
        kind: kind.as_str(),
        version: shown,
        fields: item
            .fields()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect(),
        item,
        history,
        refinements,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "directory_versions.html")]
pub struct VersionsPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    kind: &'static str,
    label: &'static str,
    versions: Vec<store::VersionSummary>,
    from: u32,
    to: u32,
    diff: Option<DiffDto>,
}

#[derive(Deserialize, Default)]
pub struct VersionsParams {
    from: Option<u32>,
    to: Option<u32>,
}

pub async fn versions(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(kind): Path<String>,
    Query(params): Query<VersionsParams>,
) -> Result<Response, PageError> {
    let kind = parse_kind(&kind)?;
    let versions = store::versions(&state.db, kind).await?;
    let newest = versions.first().map_or(0, |v| v.number);
    let to = params.to.unwrap_or(newest);
    let from = params.from.unwrap_or(to.saturating_sub(1).max(1));
    let diff = if from >= 1 && to >= 1 && from != to {
        let a = version_or_404(&state.db, kind, from).await?;
        let b = version_or_404(&state.db, kind, to).await?;
        Some(diff_dto(&a, &b))
    } else {
        None
    };
    Ok(VersionsPage {
        nav: Nav::new(user.as_ref()),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("指导目录", "/directories"),
            Crumb::link(kind.label(), format!("/directories/{}", kind.as_str())),
            Crumb::here("版本与比较"),
        ],
        kind: kind.as_str(),
        label: kind.label(),
        versions,
        from,
        to,
        diff,
    }
    .into_response())
}

#[derive(Deserialize, Default)]
pub struct ExportParams {
    version: Option<String>,
    format: Option<String>,
}

/// A version typeset for print, off the async threads (tens of milliseconds in a release
/// build, more in a debug one).
async fn pdf(version: DirectoryVersion) -> Result<Vec<u8>, Error> {
    tokio::task::spawn_blocking(move || jianfu_print::directory_pdf(&version, today()))
        .await
        .map_err(|_| Error::Internal)?
        .map_err(|e| {
            tracing::error!(error = %e, "directory pdf");
            Error::Internal
        })
}

/// A published version as an Excel workbook (the import template's columns), CSV or PDF.
pub async fn export(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    Query(params): Query<ExportParams>,
) -> Result<Response, PageError> {
    let kind = parse_kind(&kind)?;
    let version = chosen(&state, kind, params.version.as_deref()).await?;
    let (bytes, ext, mime) = match params.format.as_deref().unwrap_or("xlsx") {
        "csv" => (
            jianfu_docs::directory::version_csv(&version),
            "csv",
            "text/csv; charset=utf-8",
        ),
        "xlsx" => (
            jianfu_docs::directory::version_xlsx(&version).map_err(|e| {
                tracing::error!(error = %e, "directory export");
                Error::Internal
            })?,
            "xlsx",
            super::XLSX,
        ),
        "pdf" => (pdf(version.clone()).await?, "pdf", "application/pdf"),
        other => {
            return Err(
                Error::InvalidQuery(format!("格式“{other}”不支持：应为 xlsx、csv 或 pdf")).into(),
            );
        }
    };
    let ascii = format!("{}-v{}.{ext}", kind.as_str(), version.number);
    let name = format!("{}-第{}版.{ext}", kind.label(), version.number);
    Ok(super::attachment(bytes, mime, &ascii, &name))
}
