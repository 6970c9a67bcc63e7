//! Public pages of the guidance directories: every directory with the version in force, the
//! items of a version (filtered by category or words), one item with its history across
//! versions, the versions with the difference between any two, and downloads in Excel and CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};

use axum::response::{IntoResponse, Response};
use jianfu_domain::Error;
use jianfu_domain::catalog::{DirectoryItem, DirectoryKind, DirectoryVersion, diff};
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
    pub is_demo: bool,
    pub href: String,
}

fn item_row(kind: DirectoryKind, i: &DirectoryItem) -> ItemRow {
    ItemRow {
        code: i.code.to_string(),
        name: i.name.clone(),
        category: i.category.clone(),
        department: i.department.clone(),
        applicability: i.applicability.label(),
        valid: match i.valid_to {
            Some(end) => format!("{} 至 {end}", i.valid_from),
            None => format!("{} 起", i.valid_from),
        },
        is_demo: i.is_demo,
        href: format!("/directories/{}/items/{}", kind.as_str(), i.code),
    }
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
}

#[derive(Deserialize, Default)]
pub struct DirectoryParams {
    version: Option<String>,
    category: Option<String>,
    q: Option<String>,
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
        .map(|i| item_row(kind, i))
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

/// A published version as an Excel workbook (the import template's columns) or CSV.
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
        other => {
            return Err(
                Error::InvalidQuery(format!("格式“{other}”不支持：应为 xlsx 或 csv")).into(),
            );
        }
    };
    let ascii = format!("{}-v{}.{ext}", kind.as_str(), version.number);
    let name = format!("{}-第{}版.{ext}", kind.label(), version.number);
    Ok(super::attachment(bytes, mime, &ascii, &name))
}
