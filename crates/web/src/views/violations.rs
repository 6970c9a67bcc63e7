//! Oversight by civil affairs: the violation ledger of its region (filter, page, Excel), the
//! disputed deliveries it rules on, and referrals for accountability (追责问责移交). A sending
//! department sees its own ledger, with reports only as a count of at least three units.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use jianfu_domain::account::Perm;
use jianfu_domain::delivery::Ruling;
use jianfu_domain::violation::{self, ViolationSource};
use jianfu_domain::{Error, PageRequest, RegionCode};
use jianfu_store::violation::{NewReferral, Violation, ViolationFilter};
use serde::Deserialize;

use super::dispatches::reason_messages;
use super::field;
use super::{Crumb, Nav};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::PageError;

/// One ledger entry as the tables show it.
pub struct LedgerRow {
    pub id: i64,
    pub day: String,
    pub department: String,
    pub department_code: String,
    pub source: &'static str,
    pub title: String,
    pub ground: String,
    pub message: String,
    pub units: i32,
    pub region: String,
    pub report: Option<i64>,
}

pub fn ledger_row(v: Violation) -> LedgerRow {
    let source = ViolationSource::from_code(&v.source);
    LedgerRow {
        id: v.id,
        day: v.day.to_string(),
        department: v.department_name,
        department_code: v.department,
        source: source.map_or("", ViolationSource::label),
        ground: violation::ground_label(&v.rule).to_owned(),
        title: v.title,
        message: v.message,
        units: v.units,
        region: v.region,
        report: (source == Some(ViolationSource::Report)).then_some(v.source_id),
    }
}

#[derive(Deserialize, Default)]
pub struct LedgerParams {
    #[serde(default)]
    department: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<u64>,
    #[serde(default)]
    format: String,
    #[serde(default)]
    notice: String,
}

fn day(raw: &str, what: &str) -> Result<Option<NaiveDate>, Error> {
    match raw.trim() {
        "" => Ok(None),
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::InvalidQuery(format!("{what}“{d}”格式不正确，应为 YYYY-MM-DD"))),
    }
}

fn filter_of(user: &CurrentUser, p: &LedgerParams) -> Result<ViolationFilter, Error> {
    Ok(ViolationFilter {
        within: Some(user.principal.region),
        department: Some(p.department.trim().to_owned()).filter(|d| !d.is_empty()),
        source: ViolationSource::from_code(p.source.trim()),
        from: day(&p.from, "开始日期")?,
        to: day(&p.to, "结束日期")?,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "violations.html")]
pub struct LedgerPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    department: String,
    source: String,
    from: String,
    to: String,
    sources: Vec<(&'static str, &'static str)>,
    query: String,
    rows: Vec<LedgerRow>,
    total: u64,
    page: u64,
    pages: u64,
    notice: Option<String>,
    error: Option<String>,
}

const HEADERS: [&str; 9] = [
    "编号",
    "日期",
    "派发单位",
    "来源",
    "任务",
    "违规情形",
    "说明",
    "涉及单位数",
    "发生地",
];

/// The ledger of the caller's region; `format=xlsx` downloads every entry the filter selects.
pub async fn ledger(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<LedgerParams>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Supervise, "/violations").await?;
    let filter = filter_of(&user, &params)?;
    if params.format == "xlsx" {
        let rows = jianfu_store::violation::all(&state.db, &filter).await?;
        let bytes = jianfu_docs::xlsx::workbook(
            "违规台账",
            &HEADERS,
            rows.into_iter().map(|v| {
                let r = ledger_row(v);
                vec![
                    r.id.to_string(),
                    r.day,
                    r.department,
                    r.source.to_owned(),
                    r.title,
                    r.ground,
                    r.message,
                    r.units.to_string(),
                    r.region,
                ]
            }),
        )
        .map_err(|e| {
            tracing::error!(error = %e, "violation export failed");
            Error::Internal
        })?;
        let name = format!("违规台账-{}.xlsx", today());
        return Ok(super::attachment(
            bytes,
            super::XLSX,
            "violations.xlsx",
            &name,
        ));
    }
    let found =
        jianfu_store::violation::list(&state.db, &filter, PageRequest::new(params.page, None))
            .await?;
    let query = format!(
        "department={}&source={}&from={}&to={}",
        super::encode(&params.department),
        super::encode(&params.source),
        super::encode(&params.from),
        super::encode(&params.to)
    );
    Ok(LedgerPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("违规台账")],
        department: params.department,
        source: params.source,
        from: params.from,
        to: params.to,
        sources: ViolationSource::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        query,
        pages: found.pages(),
        total: found.total,
        page: found.page,
        rows: found.items.into_iter().map(ledger_row).collect(),
        notice: Some(params.notice).filter(|n| !n.is_empty()),
        error: None,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "violations_mine.html")]
pub struct MinePage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    rows: Vec<LedgerRow>,
    reported_units: Option<usize>,
    reports: Option<usize>,
    protected_below: usize,
}

/// A sending department's (or township's) own ledger.
pub async fn mine(State(state): State<AppState>, user: CurrentUser) -> Result<MinePage, PageError> {
    user.require(&state, Perm::Dispatch, "/violations/mine")
        .await?;
    let department = user.principal.department.clone().unwrap_or_default();
    let ledger = jianfu_store::violation::of_sender(&state.db, &department, None, None).await?;
    Ok(MinePage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("本单位违规记录")],
        rows: ledger.entries.into_iter().map(ledger_row).collect(),
        reported_units: ledger.reported_units,
        reports: ledger.reports,
        protected_below: violation::PROTECTED_BELOW,
    })
}

pub struct DisputeRow {
    pub id: i64,
    pub unit: String,
    pub unit_name: String,
    pub title: String,
    pub sender: String,
    pub basis: String,
    pub reason: String,
    pub outcome: &'static str,
    pub verdict: Vec<String>,
    pub since: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "disputes.html")]
pub struct DisputesPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    rows: Vec<DisputeRow>,
    total: u64,
    page: u64,
    pages: u64,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DisputeParams {
    page: Option<u64>,
    #[serde(default)]
    notice: String,
}

async fn disputes_page(
    state: &AppState,
    user: &CurrentUser,
    params: DisputeParams,
    error: Option<String>,
) -> Result<DisputesPage, Error> {
    let found = jianfu_store::dispatch::disputes(
        &state.db,
        &user.principal.region,
        PageRequest::new(params.page, None),
    )
    .await?;
    let codes: Vec<RegionCode> = found
        .items
        .iter()
        .filter_map(|i| RegionCode::parse(&i.delivery.unit).ok())
        .collect();
    let names = jianfu_store::region::get_many(&state.db, &codes).await?;
    let pages = found.pages();
    let rows = found
        .items
        .into_iter()
        .map(|i| DisputeRow {
            id: i.delivery.id,
            unit_name: names
                .iter()
                .find(|n| n.code.as_str() == i.delivery.unit)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            unit: i.delivery.unit,
            title: i.dispatch.title,
            sender: i.dispatch.sender_name,
            basis: i
                .dispatch
                .cites_item
                .or(i.dispatch.cites_admission)
                .unwrap_or_else(|| "—".into()),
            reason: i.delivery.state_note.unwrap_or_default(),
            outcome: super::dispatches::outcome_label(&i.delivery.outcome),
            verdict: reason_messages(&i.delivery.reasons),
            since: super::beijing(i.delivery.updated_at),
        })
        .collect();
    Ok(DisputesPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("异议处理")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        rows,
        total: found.total,
        page: found.page,
        pages,
        notice: Some(params.notice).filter(|n| !n.is_empty()),
        error,
    })
}

/// The disputed deliveries of the caller's region, oldest first.
pub async fn disputes(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<DisputeParams>,
) -> Result<DisputesPage, PageError> {
    user.require(&state, Perm::Supervise, "/disputes").await?;
    Ok(disputes_page(&state, &user, params, None).await?)
}

/// Upholds or rejects a dispute, with the answer the unit will read.
pub async fn rule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Supervise, &format!("delivery/{id}"))
        .await?;
    let form = super::posted(&user, &body)?;
    let ruling = Ruling::parse(field(&form, "ruling"))
        .ok_or_else(|| Error::InvalidQuery("未知的裁定".into()))?;
    let audit = user.audit_entry("delivery.rule", &format!("delivery/{id}"));
    let result = jianfu_store::dispatch::rule(
        &state.db,
        id,
        &user.principal.region,
        ruling,
        field(&form, "answer"),
        &audit,
    )
    .await;
    match result {
        Ok(next) => {
            let notice = format!("已裁定{}：任务{}", ruling.label(), next.label());
            let to = format!("/disputes?notice={}", super::encode(&notice));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e @ (Error::Refused { .. } | Error::WrongStage { .. })) => {
            let page =
                disputes_page(&state, &user, DisputeParams::default(), Some(e.to_string())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub struct ReferralRow {
    pub id: i64,
    pub department: String,
    pub receiving_body: String,
    pub reason: String,
    pub violations: String,
    pub open: bool,
    pub outcome: String,
    pub referred_at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "referrals.html")]
pub struct ReferralsPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    rows: Vec<ReferralRow>,
    /// When creating: the department and its entries to choose from.
    department: String,
    candidates: Vec<LedgerRow>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ReferralParams {
    #[serde(default)]
    department: String,
    #[serde(default)]
    notice: String,
}

async fn referrals_page(
    state: &AppState,
    user: &CurrentUser,
    params: ReferralParams,
    error: Option<String>,
) -> Result<ReferralsPage, Error> {
    let region = user.principal.region;
    let rows = jianfu_store::violation::referrals(&state.db, &region)
        .await?
        .into_iter()
        .map(|(r, ids)| ReferralRow {
            id: r.id,
            department: r.department_name,
            receiving_body: r.receiving_body,
            reason: r.reason,
            violations: ids
                .iter()
                .map(|i| format!("#{i}"))
                .collect::<Vec<_>>()
                .join("、"),
            open: r.state == "referred",
            outcome: r.outcome.unwrap_or_default(),
            referred_at: super::beijing(r.referred_at),
        })
        .collect();
    let department = params.department.trim().to_owned();
    let candidates = if department.is_empty() {
        Vec::new()
    } else {
        jianfu_store::violation::all(
            &state.db,
            &ViolationFilter {
                within: Some(region),
                department: Some(department.clone()),
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .map(ledger_row)
        .collect()
    };
    Ok(ReferralsPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("违规台账", "/violations"),
            Crumb::here("追责问责移交"),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        rows,
        department,
        candidates,
        notice: Some(params.notice).filter(|n| !n.is_empty()),
        error,
    })
}

pub async fn referrals(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<ReferralParams>,
) -> Result<ReferralsPage, PageError> {
    user.require(&state, Perm::Supervise, "/referrals").await?;
    Ok(referrals_page(&state, &user, params, None).await?)
}

/// Refers the chosen entries of one department to the receiving body.
pub async fn refer(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Supervise, "/referrals").await?;
    let form = super::posted(&user, &body)?;
    let new = NewReferral {
        region: user.principal.region,
        department: field(&form, "department").trim().to_owned(),
        receiving_body: field(&form, "receiving_body").to_owned(),
        reason: field(&form, "reason").to_owned(),
        violations: form
            .iter()
            .filter(|(n, _)| n == "violation")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
        referred_by: user.principal.username.clone(),
    };
    let audit = user.audit_entry("referral.create", "referral");
    match jianfu_store::violation::refer(&state.db, &new, &audit).await {
        Ok(id) => {
            let notice = format!("已移交（第 {id} 号）");
            Ok(
                Redirect::to(&format!("/referrals?notice={}", super::encode(&notice)))
                    .into_response(),
            )
        }
        Err(e @ Error::Refused { .. }) => {
            let params = ReferralParams {
                department: new.department,
                notice: String::new(),
            };
            let page = referrals_page(&state, &user, params, Some(e.to_string())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Records the outcome the receiving body reported.
pub async fn conclude(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Supervise, &format!("referral/{id}"))
        .await?;
    let form = super::posted(&user, &body)?;
    let audit = user.audit_entry("referral.conclude", &format!("referral/{id}"));
    let result = jianfu_store::violation::conclude(
        &state.db,
        id,
        &user.principal.region,
        field(&form, "outcome"),
        &user.principal.username,
        &audit,
    )
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/referrals?notice={}",
            super::encode("已记录处理结果")
        ))
        .into_response()),
        Err(e @ Error::Refused { .. }) => {
            let page = referrals_page(
                &state,
                &user,
                ReferralParams::default(),
                Some(e.to_string()),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
