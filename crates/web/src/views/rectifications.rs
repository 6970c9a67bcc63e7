//! 整改: the rectifications of the caller's region with their deadlines, what is overdue and
//! whom it has been escalated to (filter, Excel); one rectification with its steps, where the
//! responsible unit reports what it did with its evidence (on a phone) and the inspector
//! accepts or reopens it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::rectification::{RectAction, RectStage, open_actions};
use jianfu_domain::{Error, RegionCode};
use jianfu_store::inspection::Rectification;
use serde::Deserialize;

use super::{Crumb, Nav, field, multipart};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::inspection as desk;

#[derive(Deserialize, Default)]
pub struct ListParams {
    /// A stage code, or `overdue`, or `escalated` (escalated to the caller's level).
    #[serde(default)]
    show: String,
    #[serde(default)]
    format: String,
}

pub struct RectRow {
    pub id: i64,
    pub unit: String,
    pub unit_name: String,
    pub measures: String,
    pub issued_on: String,
    pub due_on: String,
    pub stage: &'static str,
    pub overdue: u32,
    pub escalated: String,
}

impl RectRow {
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.unit.clone(),
            self.unit_name.clone(),
            self.measures.clone(),
            self.issued_on.clone(),
            self.due_on.clone(),
            self.stage.to_owned(),
            self.overdue.to_string(),
            self.escalated.clone(),
        ]
    }
}

const HEADERS: [&str; 9] = [
    "编号",
    "区划代码",
    "责任单位",
    "整改要求",
    "下达日期",
    "整改期限",
    "状态",
    "逾期工作日",
    "已升级至",
];

#[derive(Template, WebTemplate)]
#[template(path = "rectifications.html")]
pub struct ListPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    scope: String,
    show: String,
    query: String,
    filters: Vec<(&'static str, &'static str)>,
    rows: Vec<RectRow>,
    total: usize,
    closed: usize,
    overdue: usize,
}

fn may_list(user: &CurrentUser) -> bool {
    user.principal
        .roles
        .iter()
        .any(|r| r.has(Perm::Rectify) || r.has(Perm::FollowCampaign))
}

/// 整改: the rectifications of units in the caller's region.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageError> {
    if !may_list(&user) {
        user.require(&state, Perm::FollowCampaign, "/rectifications")
            .await?;
    }
    let region = user.principal.region;
    let scope = jianfu_store::region::require(&state.db, &region).await?;
    let all = jianfu_store::inspection::rectifications(&state.db, &region).await?;
    let calendar = jianfu_store::calendar::load(&state.db).await?;
    let day = today();
    let standings: Vec<(u32, Vec<RegionCode>)> = all
        .iter()
        .map(|r| desk::standing(r, &calendar, day))
        .collect();
    // Every name the table shows (units and the levels escalated to), in one read.
    let mut codes: Vec<RegionCode> = all.iter().map(|r| r.unit).collect();
    codes.extend(standings.iter().flat_map(|(_, up)| up.iter().copied()));
    codes.sort();
    codes.dedup();
    let names = desk::names(&state, &codes).await?;
    let name_of = |c: &RegionCode| {
        codes
            .binary_search(c)
            .map_or_else(|_| c.to_string(), |i| names[i].clone())
    };
    let mut rows = Vec::new();
    let (mut closed, mut overdue) = (0, 0);
    for (r, (late, up)) in all.iter().zip(standings) {
        closed += usize::from(r.stage == RectStage::Closed);
        overdue += usize::from(late > 0);
        let keep = match p.show.as_str() {
            "" => true,
            "overdue" => late > 0,
            "escalated" => up.contains(&region),
            code => r.stage.code() == code,
        };
        if !keep {
            continue;
        }
        rows.push(RectRow {
            id: r.id,
            unit: r.unit.to_string(),
            unit_name: name_of(&r.unit),
            measures: r.measures.clone(),
            issued_on: r.issued_on.to_string(),
            due_on: r.due_on.to_string(),
            stage: r.stage.label(),
            overdue: late,
            escalated: up.iter().map(name_of).collect::<Vec<_>>().join("、"),
        });
    }
    if p.format == "xlsx" {
        let bytes =
            jianfu_docs::xlsx::workbook("整改台账", &HEADERS, rows.iter().map(RectRow::cells))
                .map_err(|e| {
                    tracing::error!(error = %e, "rectification export failed");
                    Error::Internal
                })?;
        let name = format!("整改台账-{}-{}.xlsx", scope.name, day);
        return Ok(super::attachment(
            bytes,
            super::XLSX,
            "rectifications.xlsx",
            &name,
        ));
    }
    let mut filters = vec![("", "全部")];
    filters.extend(RectStage::ALL.iter().map(|s| (s.code(), s.label())));
    filters.push(("overdue", "逾期"));
    filters.push(("escalated", "升级至本级"));
    Ok(ListPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("整改")],
        query: format!("show={}", super::encode(&p.show)),
        scope: scope.name,
        show: p.show,
        filters,
        total: all.len(),
        closed,
        overdue,
        rows,
    }
    .into_response())
}

pub struct StepRow {
    pub action: String,
    pub actor: String,
    pub note: String,
    pub at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "rectification.html")]
pub struct ShowPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    r: Rectification,
    unit_name: String,
    stage: &'static str,
    finding: String,
    item: String,
    group: String,
    photos: Vec<(i64, String)>,
    evidence: Vec<(i64, String, String)>,
    steps: Vec<StepRow>,
    overdue: u32,
    escalated: String,
    actions: Vec<(&'static str, &'static str)>,
    submit: bool,
    notice: Option<String>,
    errors: Vec<String>,
}

fn step_label(code: &str) -> String {
    match code {
        "issue" => "下达整改".to_owned(),
        c => RectAction::parse(c).map_or_else(|| c.to_owned(), |a| a.label().to_owned()),
    }
}

async fn show_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: Option<String>,
    errors: Vec<String>,
) -> Result<ShowPage, Error> {
    let (r, finding, group) = desk::readable_rectification(state, user, id).await?;
    let (steps, evidence) = jianfu_store::inspection::history(&state.db, &r).await?;
    let calendar = jianfu_store::calendar::load(&state.db).await?;
    let (overdue, up) = desk::standing(&r, &calendar, today());
    let unit_name = desk::names(state, &[r.unit]).await?.remove(0);
    let runs = desk::runs(user, &group);
    let actions: Vec<(&'static str, &'static str)> = user
        .principal
        .roles
        .iter()
        .filter(|role| **role != Role::Inspector || runs)
        .flat_map(|role| open_actions(r.stage, *role))
        .map(|a| (a.code(), a.label()))
        .collect();
    Ok(ShowPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("整改", "/rectifications"),
            Crumb::here(format!("整改 {id}")),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        stage: r.stage.label(),
        unit_name,
        item: jianfu_domain::inspection::check_item(&finding.item_code)
            .map_or_else(|| finding.item_code.clone(), |i| i.question.to_owned()),
        finding: finding.description,
        group: group.name,
        photos: finding.photos.into_iter().map(|p| (p.id, p.name)).collect(),
        evidence: evidence
            .into_iter()
            .map(|f| (f.id, f.name, super::beijing(f.uploaded_at)))
            .collect(),
        steps: steps
            .into_iter()
            .map(|s| StepRow {
                action: step_label(&s.action),
                actor: s.actor,
                note: s.note,
                at: super::beijing(s.at),
            })
            .collect(),
        overdue,
        escalated: desk::names(state, &up).await?.join("、"),
        submit: actions.iter().any(|(c, _)| *c == RectAction::Submit.code()),
        actions: actions
            .into_iter()
            .filter(|(c, _)| *c != RectAction::Submit.code())
            .collect(),
        r,
        notice,
        errors,
    })
}

/// One rectification with its steps and the forms for the next one.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(p): Query<super::inspections::NoticeParams>,
) -> Result<Response, PageError> {
    let notice = p.notice().map(str::to_owned);
    Ok(show_page(&state, &user, id, notice, Vec::new())
        .await?
        .into_response())
}

/// Reports, accepts or reopens a rectification (a report carries its evidence files).
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let (_, _, _) = desk::readable_rectification(&state, &user, id).await?;
    let (fields, uploaded) = multipart(form).await?;
    user.check_csrf(field(&fields, "csrf"))?;
    let outcome = match (
        RectAction::parse(field(&fields, "action")),
        desk::files(uploaded.into_iter().map(|(_, n, b)| (n, b)).collect()),
    ) {
        (None, _) => Err(Error::refused("未知的操作")),
        (_, Err(e)) => Err(e),
        (Some(a), Ok(files)) => {
            desk::act(&state, &user, id, a, field(&fields, "note"), files).await
        }
    };
    match outcome {
        Ok(stage) => Ok(Redirect::to(&format!(
            "/rectifications/{id}?notice={}",
            super::encode(&format!("整改状态：{}", stage.label()))
        ))
        .into_response()),
        Err(e @ (Error::Refused { .. } | Error::WrongStage { .. })) => {
            let page = show_page(&state, &user, id, None, super::inspections::problems(&e)).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
