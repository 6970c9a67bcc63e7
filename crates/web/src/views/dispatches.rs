//! Dispatch in the browser. A department (or a township) writes a task, has it checked for
//! every unit it reaches — the verdict and reasons per unit before anything is sent — and
//! sends it; a village or community sees what reached it on its phone and accepts, refuses
//! or disputes each task.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::account::Perm;
use jianfu_domain::delivery::{DeliveryAction, DeliveryState};
use jianfu_domain::verdict::Outcome;
use jianfu_domain::{Error, PageRequest, RegionCode};
use serde::Deserialize;

use super::{Crumb, Nav, field};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::dispatch::{self, CitesFields, TaskFields};
use crate::error::PageError;

pub(super) fn outcome_label(code: &str) -> &'static str {
    match code {
        "allowed" => Outcome::Allowed.label(),
        "flagged" => Outcome::Flagged.label(),
        _ => Outcome::Blocked.label(),
    }
}

/// The messages of a verdict's reasons as stored (JSON), in order.
pub(super) fn reason_messages(stored: &str) -> Vec<String> {
    let reasons: Vec<serde_json::Value> = serde_json::from_str(stored).unwrap_or_default();
    reasons
        .iter()
        .filter_map(|v| v["message"].as_str().map(str::to_owned))
        .collect()
}

/// One unit's verdict as the pages show it.
pub struct VerdictRow {
    pub unit: String,
    pub name: String,
    pub outcome: &'static str,
    pub blocked: bool,
    pub reasons: Vec<String>,
}

/// Shown rows at most; the counts always cover every unit.
const SHOWN: usize = 200;

#[derive(Template, WebTemplate)]
#[template(path = "dispatch_form.html")]
pub struct FormPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    title: String,
    body: String,
    item_code: String,
    admission_id: String,
    targets: String,
    due_date: String,
    idempotency_key: String,
    /// After a check: counts and the rows (blocked first).
    checked: Option<(usize, usize, usize)>,
    rows: Vec<VerdictRow>,
    error: Option<String>,
}

fn task_of(form: &[(String, String)]) -> TaskFields {
    let text = |n: &str| Some(field(form, n).trim().to_owned()).filter(|v| !v.is_empty());
    TaskFields {
        sender_department: None,
        cites: CitesFields {
            item_code: text("item_code"),
            admission_id: text("admission_id"),
        },
        title: field(form, "title").to_owned(),
        body: field(form, "body").to_owned(),
        targets: field(form, "targets")
            .split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        due_date: text("due_date"),
    }
}

fn form_page(user: &CurrentUser, form: &[(String, String)]) -> FormPage {
    FormPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("任务派发")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        title: field(form, "title").to_owned(),
        body: field(form, "body").to_owned(),
        item_code: field(form, "item_code").to_owned(),
        admission_id: field(form, "admission_id").to_owned(),
        targets: field(form, "targets").to_owned(),
        due_date: field(form, "due_date").to_owned(),
        idempotency_key: match field(form, "idempotency_key") {
            "" => jianfu_store::auth::random_secret()[..32].to_owned(),
            k => k.to_owned(),
        },
        checked: None,
        rows: Vec::new(),
        error: None,
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<FormPage, PageError> {
    user.require(&state, Perm::Dispatch, "/dispatches/new")
        .await?;
    Ok(form_page(&user, &[]))
}

/// "审查" shows every unit's verdict without sending; "派发" sends and goes to the dispatch.
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Dispatch, "/dispatches").await?;
    let form = super::posted(&user, &body)?;
    let task = task_of(&form);
    let mut page = form_page(&user, &form);
    let result = if field(&form, "send") == "1" {
        let key = Some(page.idempotency_key.clone());
        match dispatch::send(&state, &user, &task, key).await {
            Ok(id) => return Ok(Redirect::to(&format!("/dispatches/{id}")).into_response()),
            Err(e) => Err(e),
        }
    } else {
        dispatch::check(&state, &user, &task).await
    };
    match result {
        Ok(checked) => {
            let count = |o: Outcome| checked.iter().filter(|c| c.verdict.outcome == o).count();
            page.checked = Some((
                count(Outcome::Allowed),
                count(Outcome::Flagged),
                count(Outcome::Blocked),
            ));
            let mut rows: Vec<VerdictRow> = checked
                .into_iter()
                .map(|c| VerdictRow {
                    unit: c.unit.code.as_str().to_owned(),
                    name: c.unit.name,
                    outcome: c.verdict.outcome.label(),
                    blocked: c.verdict.outcome == Outcome::Blocked,
                    reasons: c.verdict.reasons.into_iter().map(|r| r.message).collect(),
                })
                .collect();
            rows.sort_by_key(|r| !r.blocked);
            rows.truncate(SHOWN);
            page.rows = rows;
            Ok(page.into_response())
        }
        Err(
            e @ (Error::Refused { .. }
            | Error::RegionNotFound(_)
            | Error::InvalidRegionCode(_)
            | Error::OutsideScope(_)),
        ) => {
            page.error = Some(e.to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dispatch.html")]
pub struct DetailPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    dispatch: jianfu_store::dispatch::Dispatch,
    rows: Vec<VerdictRow>,
    /// How many rows are left out of the table.
    more: usize,
}

/// The sender's view of a dispatch: the counts and each unit's verdict (blocked first).
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<DetailPage, PageError> {
    user.require(&state, Perm::Dispatch, &format!("dispatch/{id}"))
        .await?;
    let (d, deliveries) = jianfu_store::dispatch::get(&state.db, id).await?;
    if d.sender != user.principal.username {
        // A dispatch is its sender's; others learn nothing of it here.
        return Err(Error::CatalogNotFound(format!("派发任务 {id}")).into());
    }
    let codes: Vec<RegionCode> = deliveries
        .iter()
        .filter_map(|r| RegionCode::parse(&r.unit).ok())
        .collect();
    let names = jianfu_store::region::get_many(&state.db, &codes).await?;
    let mut rows: Vec<VerdictRow> = deliveries
        .into_iter()
        .map(|r| VerdictRow {
            name: names
                .iter()
                .find(|n| n.code.as_str() == r.unit)
                .map(|n| n.name.clone())
                .unwrap_or_default(),
            outcome: outcome_label(&r.outcome),
            blocked: r.outcome == "blocked",
            reasons: reason_messages(&r.reasons)
                .into_iter()
                .chain(r.state_note.clone().map(|n| {
                    let state = DeliveryState::from_code(&r.state).map_or("", |s| s.label());
                    format!("{state}：{n}")
                }))
                .collect(),
            unit: r.unit,
        })
        .collect();
    rows.sort_by_key(|r| !r.blocked);
    let more = rows.len().saturating_sub(SHOWN);
    rows.truncate(SHOWN);
    Ok(DetailPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("任务派发", "/dispatches/new"),
            Crumb::here(d.title.clone()),
        ],
        dispatch: d,
        rows,
        more,
    })
}

pub struct InboxRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub sender: String,
    pub basis: String,
    pub due_date: String,
    pub outcome: &'static str,
    pub flagged: bool,
    pub reasons: Vec<String>,
    pub state: &'static str,
    pub waiting: bool,
    pub note: String,
    pub received: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    rows: Vec<InboxRow>,
    total: u64,
    page: u64,
    pages: u64,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct InboxParams {
    page: Option<u64>,
    #[serde(default)]
    notice: String,
}

async fn inbox_page(
    state: &AppState,
    user: &CurrentUser,
    params: InboxParams,
    error: Option<String>,
) -> Result<InboxPage, Error> {
    let found = jianfu_store::dispatch::inbox(
        &state.db,
        &user.principal.region,
        PageRequest::new(params.page, None),
    )
    .await?;
    let pages = found.pages();
    let rows = found
        .items
        .into_iter()
        .map(|i| {
            let state =
                DeliveryState::from_code(&i.delivery.state).unwrap_or(DeliveryState::Delivered);
            InboxRow {
                id: i.delivery.id,
                title: i.dispatch.title,
                body: i.dispatch.body,
                sender: i.dispatch.sender_name,
                basis: i
                    .dispatch
                    .cites_item
                    .or(i.dispatch.cites_admission)
                    .unwrap_or_else(|| "—".into()),
                due_date: i
                    .dispatch
                    .due_date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "—".into()),
                outcome: outcome_label(&i.delivery.outcome),
                flagged: i.delivery.outcome == "flagged",
                reasons: reason_messages(&i.delivery.reasons),
                state: state.label(),
                waiting: state == DeliveryState::Delivered,
                note: i.delivery.state_note.unwrap_or_default(),
                received: super::beijing(i.received_at),
            }
        })
        .collect();
    Ok(InboxPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("收到的任务")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        rows,
        total: found.total,
        page: found.page,
        pages,
        notice: Some(params.notice).filter(|n| !n.is_empty()),
        error,
    })
}

pub async fn inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<InboxParams>,
) -> Result<InboxPage, PageError> {
    user.require(&state, Perm::ReceiveTasks, "/inbox").await?;
    Ok(inbox_page(&state, &user, params, None).await?)
}

/// Accept, refuse or dispute a task from the inbox.
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::ReceiveTasks, &format!("delivery/{id}"))
        .await?;
    let form = super::posted(&user, &body)?;
    let action = DeliveryAction::parse(field(&form, "action"))
        .ok_or_else(|| Error::InvalidQuery("未知的操作".into()))?;
    let audit = user.audit_entry("delivery.act", &format!("delivery/{id}"));
    let result = jianfu_store::dispatch::act(
        &state.db,
        id,
        &user.principal.region,
        action,
        field(&form, "comment"),
        &audit,
    )
    .await;
    match result {
        Ok(next) => {
            let notice = format!("已{}：{}", action.label(), next.label());
            let to = format!("/inbox?notice={}", super::encode(&notice));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e @ (Error::Refused { .. } | Error::WrongStage { .. })) => {
            let page =
                inbox_page(&state, &user, InboxParams::default(), Some(e.to_string())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
