//! 单位概况: a unit of the caller's own region subtree — where it sits, who works there, the
//! units below it. The first region-scoped page: anything outside the caller's subtree is
//! refused (403) and audited. Later capabilities add their figures for the unit here.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use jianfu_domain::account::Perm;
use jianfu_domain::{PageRequest, Region, RegionCode};
use jianfu_store::account::AccountSummary;
use jianfu_store::region;
use serde::Deserialize;

use super::regions::RegionTable;
use super::{Crumb, Nav};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;

#[derive(Template, WebTemplate)]
#[template(path = "unit.html")]
pub struct UnitPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    unit: Region,
    /// Where the unit sits: the part inside the caller's subtree links to its own page.
    chain: Vec<(String, Option<String>)>,
    accounts: Vec<AccountSummary>,
    children: Option<RegionTable>,
}

#[derive(Deserialize, Default)]
pub struct UnitParams {
    page: Option<u64>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
    Query(params): Query<UnitParams>,
) -> Result<UnitPage, PageError> {
    let unit = region::require(&state.db, &RegionCode::parse(&code)?).await?;
    let object = format!("/units/{}", unit.code);
    user.require_within(&state, Perm::ViewUnits, &unit, &object)
        .await?;
    let scope = &user.principal.region;
    let chain = region::ancestors(&state.db, &unit)
        .await?
        .into_iter()
        .map(|r| {
            let link = scope
                .contains(&r.code)
                .then(|| format!("/units/{}", r.code));
            (r.name, link)
        })
        .collect();
    let children = if unit.children_count > 0 {
        let page = region::children(
            &state.db,
            &unit.code,
            PageRequest::new(params.page, Some(50)),
        )
        .await?;
        Some(RegionTable::new(&page, object).linking_to("/units/"))
    } else {
        None
    };
    Ok(UnitPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("工作台", "/me"),
            Crumb::here(unit.name.clone()),
        ],
        accounts: jianfu_store::account::in_unit(&state.db, &unit.code).await?,
        chain,
        children,
        unit,
    })
}
