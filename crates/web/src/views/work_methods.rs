//! 工作方式: a unit's public-service items in force (公共服务事项清单) and the providers that take
//! work off it — services bought by government, community social organisations, volunteers —
//! recorded for the unit or for a township, district or the city above it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::catalog::DirectoryKind;
use jianfu_domain::work_method::{ProviderFields, ProviderKind};
use jianfu_domain::{Error, Region, RegionCode};
use jianfu_store::work_method::Provider;
use serde::Deserialize;

use super::{Crumb, Nav, field, posted};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::PageError;

pub struct ProviderRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub provides: String,
    pub contact: String,
    pub scope: String,
    pub period: String,
}

pub struct ItemRow {
    pub code: String,
    pub name: String,
    pub department: String,
    pub providers: Vec<ProviderRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "work_methods.html")]
pub struct WorkMethodsPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    unit: Region,
    items: Vec<ItemRow>,
    /// Providers that deliver no listed item.
    others: Vec<ProviderRow>,
    can_manage: bool,
    kinds: Vec<(&'static str, &'static str)>,
    /// (code, name) of the regions a new provider may serve: the unit, and the caller's region.
    scopes: Vec<(String, String)>,
    today: NaiveDate,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Params {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    notice: String,
}

/// Who may record providers: the unit's own accounts, its township, civil affairs above it.
fn manages(user: &CurrentUser) -> bool {
    user.principal
        .roles
        .iter()
        .any(|r| r.has(Perm::RecordSignage))
        || user.principal.roles.contains(&Role::CivilAffairs)
}

/// The unit asked for (the caller's own when none is), once the caller may see it: as for its
/// self-check.
async fn unit_for(state: &AppState, user: &CurrentUser, asked: &str) -> Result<Region, Error> {
    match asked.trim() {
        "" => crate::signage::readable(state, user, user.principal.region.as_str()).await,
        code => crate::signage::readable(state, user, code).await,
    }
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    unit: Region,
    notice: Option<String>,
    error: Option<String>,
) -> Result<WorkMethodsPage, Error> {
    let day = today();
    let snapshot = state.catalog.snapshot(&state.db, day).await?;
    let listed = snapshot.effective_for(DirectoryKind::PublicService, &unit, day);
    let providers = jianfu_store::work_method::serving(&state.db, &unit.code, day).await?;
    // The names of the regions they serve, in one read.
    let mut served: Vec<RegionCode> = providers.iter().map(|p| p.region).collect();
    served.sort();
    served.dedup();
    let names: std::collections::BTreeMap<RegionCode, String> =
        jianfu_store::region::get_many(&state.db, &served)
            .await?
            .into_iter()
            .map(|r| (r.code, r.name))
            .collect();
    let row = |p: &Provider| ProviderRow {
        id: p.id,
        name: p.fields.name.clone(),
        kind: p.fields.kind.label(),
        provides: p.fields.provides.clone(),
        contact: p.fields.contact.clone(),
        scope: names
            .get(&p.region)
            .cloned()
            .unwrap_or_else(|| p.region.to_string()),
        period: match p.fields.ends_on {
            Some(end) => format!("{} 至 {end}", p.fields.starts_on),
            None => format!("{} 起", p.fields.starts_on),
        },
    };
    let delivers = |p: &Provider, code: &str| {
        p.fields
            .item_code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(code))
    };
    let items: Vec<ItemRow> = listed
        .iter()
        .map(|i| ItemRow {
            code: i.item.code.to_string(),
            name: i.item.name.clone(),
            department: i.item.department.clone(),
            providers: providers
                .iter()
                .filter(|p| delivers(p, i.item.code.as_str()))
                .map(row)
                .collect(),
        })
        .collect();
    let others = providers
        .iter()
        .filter(|p| !listed.iter().any(|i| delivers(p, i.item.code.as_str())))
        .map(row)
        .collect();
    let mut scopes = vec![(unit.code.to_string(), unit.name.clone())];
    let own = user.principal.region;
    if own != unit.code && own.contains(&unit.code) {
        let region = jianfu_store::region::require(&state.db, &own).await?;
        scopes.push((own.to_string(), format!("{}的全部村（社区）", region.name)));
    }
    Ok(WorkMethodsPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::here(format!("工作方式 · {}", unit.name)),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        items,
        others,
        can_manage: manages(user),
        kinds: ProviderKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        scopes,
        today: day,
        unit,
        notice,
        error,
    })
}

/// The unit's public-service items and providers.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let unit = unit_for(&state, &user, &p.unit).await?;
    let notice = Some(p.notice).filter(|n| !n.is_empty());
    Ok(page(&state, &user, unit, notice, None)
        .await?
        .into_response())
}

fn date(label: &str, raw: &str) -> Result<Option<NaiveDate>, Error> {
    match raw.trim() {
        "" => Ok(None),
        raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                Error::refused(format!("{label}“{raw}”不是有效的日期：应写作 2026-12-01"))
            }),
    }
}

fn fields_of(form: &[(String, String)]) -> Result<ProviderFields, Error> {
    let kind = ProviderKind::parse(field(form, "kind"))
        .ok_or_else(|| Error::refused("请选择服务方式：政府购买服务、社区社会组织或志愿服务"))?;
    let fields = ProviderFields {
        name: field(form, "name").trim().to_owned(),
        kind,
        provides: field(form, "provides").trim().to_owned(),
        item_code: Some(field(form, "item_code").trim().to_owned()).filter(|c| !c.is_empty()),
        contact: field(form, "contact").trim().to_owned(),
        starts_on: date("开始日期", field(form, "starts_on"))?.unwrap_or_else(today),
        ends_on: date("结束日期", field(form, "ends_on"))?,
    };
    fields.validate().map_err(Error::refused)?;
    Ok(fields)
}

/// Records a provider for the unit, or for the caller's region above it.
pub async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let form = posted(&user, &body)?;
    let unit = unit_for(&state, &user, field(&form, "unit")).await?;
    if !manages(&user) {
        return Err(Error::Forbidden.into());
    }
    let scope = match field(&form, "scope").trim() {
        "" => unit.code,
        raw => RegionCode::parse(raw)?,
    };
    let outcome = match fields_of(&form) {
        // Only the unit itself, or the caller's own region above it.
        Ok(_) if scope != unit.code && scope != user.principal.region => {
            Err(Error::refused("服务范围只能是本村（社区）或本人所在地区"))
        }
        Ok(fields) => jianfu_store::work_method::add(
            &state.db,
            &scope,
            &fields,
            &user.principal.username,
            &user.audit_entry("provider.add", scope.as_str()),
        )
        .await
        .map(drop),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/work-methods?unit={}&notice={}",
            unit.code,
            super::encode("已登记服务提供方")
        ))
        .into_response()),
        Err(e @ Error::Refused { .. }) => {
            let page = page(&state, &user, unit, None, Some(e.to_string())).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Ends a provider's service today (it no longer takes the work off the unit).
pub async fn end(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let form = posted(&user, &body)?;
    let unit = unit_for(&state, &user, field(&form, "unit")).await?;
    let provider = jianfu_store::work_method::get(&state.db, id).await?;
    // Ended by whoever may record for the region it serves.
    let serves = jianfu_store::region::require(&state.db, &provider.region).await?;
    if !manages(&user) || !user.principal.region.contains(&serves.code) {
        return Err(Error::Forbidden.into());
    }
    jianfu_store::work_method::end(
        &state.db,
        id,
        today(),
        &user.audit_entry("provider.end", &format!("provider/{id}")),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/work-methods?unit={}&notice={}",
        unit.code,
        super::encode("已结束该服务")
    ))
    .into_response())
}
