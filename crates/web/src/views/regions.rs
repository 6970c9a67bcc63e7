//! The region browser: drill down province → city → district → township → village/community,
//! with counts at each level, and search by name or code.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use jianfu_domain::{Department, Error, Level, Page, PageRequest, Region, RegionCode, RegionKind};
use jianfu_store::department;
use jianfu_store::region::{self, RegionFilter};
use serde::Deserialize;

use super::{Crumb, Nav, encode, thousands, wants_partial};
use crate::AppState;
use crate::api::regions::parse_opt;
use crate::auth::MaybeUser;
use crate::error::PageError;

/// Children per page on a unit's page: a township rarely has more than 50 villages.
const CHILDREN_PER_PAGE: u64 = 50;

pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub level: &'static str,
    pub kind: &'static str,
    pub children: String,
    pub href: String,
}

impl From<&Region> for RegionRow {
    fn from(r: &Region) -> Self {
        RegionRow {
            code: r.code.to_string(),
            name: r.name.clone(),
            level: r.level.label(),
            kind: r.kind.label(),
            children: thousands(u64::from(r.children_count)),
            href: format!("/regions/{}", r.code),
        }
    }
}

/// A paged table of units; `link` builds the address of another page with the same filters.
pub struct RegionTable {
    pub rows: Vec<RegionRow>,
    pub total: String,
    pub page: u64,
    pub pages: u64,
    base: String,
}

impl RegionTable {
    /// The same table with each unit linking to its page at `prefix` + code (e.g. `/units/`).
    pub(super) fn linking_to(mut self, prefix: &str) -> Self {
        for row in &mut self.rows {
            row.href = format!("{prefix}{}", row.code);
        }
        self
    }

    pub(super) fn new(page: &Page<Region>, base: String) -> Self {
        RegionTable {
            rows: page.items.iter().map(RegionRow::from).collect(),
            total: thousands(page.total),
            page: page.page,
            pages: page.pages(),
            base,
        }
    }

    pub fn link(&self, page: &u64) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}page={page}", self.base)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "region_table.html")]
pub struct RegionTablePartial {
    table: RegionTable,
}

#[derive(Deserialize, Default)]
pub struct IndexParams {
    q: Option<String>,
    level: Option<String>,
    kind: Option<String>,
    within: Option<String>,
    page: Option<u64>,
}

pub struct SelectOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "regions.html")]
pub struct RegionsPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    q: String,
    within: String,
    within_name: Option<String>,
    levels: Vec<SelectOption>,
    kinds: Vec<SelectOption>,
    searching: bool,
    table: RegionTable,
}

/// The options of a select, with the chosen one marked.
fn options<T: Copy + PartialEq>(
    items: impl IntoIterator<Item = T>,
    chosen: Option<T>,
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<SelectOption> {
    items
        .into_iter()
        .map(|item| SelectOption {
            value: value(item),
            label: label(item),
            selected: Some(item) == chosen,
        })
        .collect()
}

pub async fn index(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Query(params): Query<IndexParams>,
) -> Result<Response, PageError> {
    let level = parse_opt(params.level.clone(), Level::parse, "级别")?;
    let kind = parse_opt(params.kind.clone(), RegionKind::parse, "类型")?;
    let within = match params
        .within
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(raw) => Some(region::require(&state.db, &RegionCode::parse(raw)?).await?),
        None => None,
    };
    let q = params.q.clone().unwrap_or_default().trim().to_owned();
    let searching = !q.is_empty() || level.is_some() || kind.is_some() || within.is_some();
    let page = if searching {
        let filter = RegionFilter {
            q: Some(q.clone()),
            level,
            kind,
            within: within.as_ref().map(|r| r.code),
        };
        region::search(&state.db, &filter, PageRequest::new(params.page, None)).await?
    } else {
        let roots = region::roots(&state.db).await?;
        Page {
            total: roots.len() as u64,
            per_page: roots.len().max(1) as u64,
            page: 1,
            items: roots,
        }
    };
    let base = format!(
        "/regions?q={}&level={}&kind={}&within={}",
        encode(&q),
        level.map_or("", Level::as_str),
        kind.map_or("", RegionKind::as_str),
        within
            .as_ref()
            .map_or(String::new(), |r| r.code.to_string()),
    );
    let table = RegionTable::new(&page, base);
    if wants_partial(&headers) {
        return Ok(RegionTablePartial { table }.into_response());
    }
    let mut crumbs = vec![
        Crumb::link("首页", "/"),
        Crumb::link("行政区划", "/regions"),
    ];
    crumbs.push(Crumb::here(if searching {
        "查询结果"
    } else {
        "全部省级单位"
    }));
    Ok(RegionsPage {
        nav: Nav::new(user.as_ref()),
        crumbs,
        q,
        within: within
            .as_ref()
            .map_or(String::new(), |r| r.code.to_string()),
        within_name: within.map(|r| r.name),
        levels: options(Level::ALL, level, Level::as_str, Level::units_label),
        kinds: options(
            RegionKind::ALL.into_iter().filter(|k| k.distinguishes()),
            kind,
            RegionKind::as_str,
            RegionKind::label,
        ),
        searching,
        table,
    }
    .into_response())
}

pub struct Summary {
    pub label: &'static str,
    pub count: String,
}

pub struct Version {
    pub name: String,
    pub valid_from: String,
    pub valid_to: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "region.html")]
pub struct RegionPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    region: Region,
    parent_href: Option<String>,
    summary: Vec<Summary>,
    child_label: &'static str,
    departments: Vec<Department>,
    history: Vec<Version>,
    table: RegionTable,
}

#[derive(Deserialize)]
pub struct ShowParams {
    page: Option<u64>,
}

pub async fn show(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(params): Query<ShowParams>,
) -> Result<Response, PageError> {
    let code = RegionCode::parse(&code)?;
    let region = region::get(&state.db, &code)
        .await?
        .ok_or_else(|| Error::RegionNotFound(code.to_string()))?;
    let page = PageRequest::new(params.page, Some(CHILDREN_PER_PAGE));
    let children = region::children(&state.db, &code, page).await?;
    let table = RegionTable::new(&children, format!("/regions/{code}"));
    if wants_partial(&headers) {
        return Ok(RegionTablePartial { table }.into_response());
    }
    let chain = region::ancestors(&state.db, &region).await?;
    let mut crumbs = vec![
        Crumb::link("首页", "/"),
        Crumb::link("行政区划", "/regions"),
    ];
    for r in &chain[..chain.len() - 1] {
        crumbs.push(Crumb::link(r.name.clone(), format!("/regions/{}", r.code)));
    }
    crumbs.push(Crumb::here(region.name.clone()));
    let summary = region::count_by_level(&state.db, Some(&code))
        .await?
        .into_iter()
        .map(|(level, n)| Summary {
            label: level.units_label(),
            count: thousands(n),
        })
        .collect();
    let history = region::history(&state.db, &code).await?;
    Ok(RegionPage {
        nav: Nav::new(user.as_ref()),
        crumbs,
        parent_href: region.parent_code.as_ref().map(|p| format!("/regions/{p}")),
        summary,
        child_label: region.level.below().map_or("下级单位", Level::units_label),
        departments: department::list_for_region(&state.db, &code).await?,
        history: if history.len() > 1 {
            history
                .into_iter()
                .map(|v| Version {
                    name: v.name,
                    valid_from: v.valid_from.to_string(),
                    valid_to: v.valid_to.map_or("至今".to_owned(), |d| d.to_string()),
                })
                .collect()
        } else {
            Vec::new()
        },
        region,
        table,
    }
    .into_response())
}
