//! Admissions (准入) in the browser. A department officer writes an application (scope by
//! township or unit, period, workload, support, co-departments, attachments) and submits it;
//! the co-departments countersign; civil affairs of the level passes or returns it (or hands
//! the review to a colleague); the approver of the level approves, rejects or returns it.
//! Lists show what waits for the caller and what is overdue in working days. Which buttons a
//! user sees is asked of the procedure itself.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::account::Role;
use jianfu_domain::admission::{self as rules, Deadlines, Stage};
use jianfu_domain::catalog::Applicability;
use jianfu_domain::{Error, Level, PageRequest};
use jianfu_store::admission::{self as store, AdmissionView, By};
use serde::Deserialize;

use super::{Crumb, Nav};
use crate::AppState;
use crate::admission::{
    self as procedure, ApplicationFields, ListView, ScopeFields, StepFields, admission_for,
    current_round, open_actions, require_admissions, signing_body,
};
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::PageError;

/// A form body as name–value pairs: multi-selects repeat their name.
fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

fn values(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(n, v)| n == name && !v.trim().is_empty())
        .map(|(_, v)| v.clone())
        .collect()
}

/// The application form as the fields the procedure reads: townships (or the whole level)
/// for all their units of one kind, plus single units by code.
fn fields_of(pairs: &[(String, String)]) -> Result<ApplicationFields, Error> {
    let applies = value(pairs, "applies").to_owned();
    let mut scope: Vec<ScopeFields> = values(pairs, "scope_units")
        .into_iter()
        .map(|unit| ScopeFields {
            unit,
            applies: applies.clone(),
        })
        .collect();
    scope.extend(
        value(pairs, "scope_codes")
            .split(|c: char| c.is_whitespace() || ",，、;；".contains(c))
            .filter(|c| !c.is_empty())
            .map(|unit| ScopeFields {
                unit: unit.to_owned(),
                applies: String::new(),
            }),
    );
    let hours = value(pairs, "workload_hours").trim();
    let workload_hours = if hours.is_empty() {
        0.0
    } else {
        hours
            .parse()
            .map_err(|_| Error::refused(format!("预计工作量“{hours}”不是数字（单位：小时）")))?
    };
    Ok(ApplicationFields {
        title: value(pairs, "title").to_owned(),
        content: value(pairs, "content").to_owned(),
        basis: value(pairs, "basis").to_owned(),
        scope,
        starts_on: value(pairs, "starts_on").to_owned(),
        ends_on: value(pairs, "ends_on").to_owned(),
        workload_hours,
        support: value(pairs, "support").to_owned(),
        permanent: value(pairs, "permanent") == "on",
        co_departments: values(pairs, "co_departments"),
        idempotency_key: Some(value(pairs, "idempotency_key").to_owned()),
    })
}

pub struct Row {
    pub id: i64,
    pub title: String,
    pub department: String,
    pub stage: &'static str,
    pub starts_on: String,
    /// The day the current step must be decided by, for waiting stages.
    pub decide_by: String,
    pub overdue: bool,
    pub updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admissions.html")]
pub struct ListPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    level_name: String,
    may_apply: bool,
    may_set_deadlines: bool,
    deadlines: Deadlines,
    view: &'static str,
    stage: String,
    stages: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    notice: Option<String>,
    error: Option<String>,
    /// A department officer's webhook: its address and latest deliveries.
    webhook: Option<WebhookPanel>,
    /// A new webhook secret, shown once.
    secret: Option<String>,
}

pub struct WebhookPanel {
    pub url: String,
    pub deliveries: Vec<DeliveryRow>,
}

pub struct DeliveryRow {
    pub at: String,
    pub event: String,
    pub state: String,
}

impl ListPage {
    pub fn link(&self, page: &u64) -> String {
        format!(
            "/admissions?view={}&stage={}&page={page}",
            self.view,
            super::encode(&self.stage)
        )
    }
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    view: String,
    #[serde(default)]
    stage: String,
    page: Option<u64>,
    #[serde(default)]
    notice: String,
}

pub(super) async fn department_names(
    state: &AppState,
    codes: &[String],
) -> Result<Vec<(String, String)>, Error> {
    Ok(jianfu_store::department::get_many(&state.db, codes)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect())
}

pub(super) fn name_in(names: &[(String, String)], code: &str) -> String {
    names
        .iter()
        .find(|(c, _)| c == code)
        .map_or_else(|| code.to_owned(), |(_, n)| n.clone())
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    params: ListParams,
    error: Option<String>,
) -> Result<ListPage, Error> {
    let level = require_admissions(state, user, "/admissions").await?;
    let view = ListView::parse(&params.view)?;
    let filter = procedure::filter_for(state, user, level, view, &params.stage).await?;
    let found = store::list(&state.db, &filter, PageRequest::new(params.page, None)).await?;
    let deadlines = store::deadlines(&state.db, &level).await?;
    let calendar = procedure::calendar(state).await?;
    let codes: Vec<String> = found.items.iter().map(|a| a.department.clone()).collect();
    let names = department_names(state, &codes).await?;
    let day = today();
    let pages = found.pages();
    let rows = found
        .items
        .into_iter()
        .map(|a| {
            let due = procedure::WAITING
                .contains(&a.stage.code())
                .then(|| rules::decide_by(&calendar, a.step_since, deadlines.review_days));
            Row {
                id: a.id,
                department: name_in(&names, &a.department),
                stage: a.stage.label(),
                starts_on: a.starts_on.to_string(),
                decide_by: due.map(|d| d.to_string()).unwrap_or_default(),
                overdue: due.is_some_and(|d| d < day),
                updated: super::beijing(a.updated_at),
                title: a.title,
            }
        })
        .collect();
    let level_name = jianfu_store::region::require(&state.db, &level).await?.name;
    let roles = &user.principal.roles;
    let webhook = match &user.principal.department {
        Some(d) if roles.contains(&Role::DepartmentOfficer) => Some(webhook_panel(state, d).await?),
        _ => None,
    };
    Ok(ListPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("准入管理")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        level_name,
        may_apply: roles.contains(&Role::DepartmentOfficer),
        may_set_deadlines: roles.contains(&Role::CivilAffairs),
        deadlines,
        view: view.code(),
        stage: params.stage,
        stages: procedure::stages(),
        rows,
        total: found.total,
        page: found.page,
        pages,
        notice: Some(params.notice).filter(|n| !n.is_empty()),
        error,
        webhook,
        secret: None,
    })
}

async fn webhook_panel(state: &AppState, department: &str) -> Result<WebhookPanel, Error> {
    let url = jianfu_store::webhook::get(&state.db, department)
        .await?
        .map(|h| h.url)
        .unwrap_or_default();
    let deliveries = jianfu_store::webhook::recent(&state.db, department, 10)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            at: super::beijing(d.created_at),
            state: match (&d.delivered_at, &d.last_error) {
                (Some(_), _) => "已送达".to_owned(),
                (None, Some(e)) if d.attempts >= jianfu_store::webhook::MAX_ATTEMPTS => {
                    format!("已放弃：{e}")
                }
                (None, Some(e)) => format!("第 {} 次失败，稍后重试：{e}", d.attempts),
                (None, None) => "待发送".to_owned(),
            },
            event: d.event,
        })
        .collect();
    Ok(WebhookPanel { url, deliveries })
}

/// A department officer sets the address its own system hears of the department's
/// applications at (or clears it); a new signing secret is issued and shown once.
pub async fn set_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, PageError> {
    require_admissions(&state, &user, "/admissions/webhook").await?;
    let form = pairs(&body);
    user.check_csrf(value(&form, "csrf"))?;
    let department = match &user.principal.department {
        Some(d) if user.principal.roles.contains(&Role::DepartmentOfficer) => d.clone(),
        _ => {
            let message = format!("接收地址由{}设置", Role::DepartmentOfficer);
            let page = list_page(&state, &user, ListParams::default(), Some(message)).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let url = value(&form, "url").trim();
    let valid = url.is_empty()
        || (url.len() <= 500
            && url
                .parse::<axum::http::Uri>()
                .is_ok_and(|u| u.scheme_str() == Some("http") && u.host().is_some()));
    if !valid {
        let message =
            format!("接收地址“{url}”不正确：应为 http:// 开头的完整地址，不超过 500 个字符");
        let page = list_page(&state, &user, ListParams::default(), Some(message)).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let secret = jianfu_store::auth::random_secret();
    let sealed = jianfu_store::webhook::seal(state.keys.field_cipher(), &secret, &department);
    let audit = user.audit_entry("department.webhook", &format!("department/{department}"));
    let url = Some(url).filter(|u| !u.is_empty());
    jianfu_store::webhook::set(
        &state.db,
        &department,
        url,
        &sealed,
        &user.principal.username,
        &audit,
    )
    .await?;
    let mut page = list_page(&state, &user, ListParams::default(), None).await?;
    if url.is_some() {
        page.secret = Some(secret);
    } else {
        page.notice = Some("已删除接收地址，不再推送".to_owned());
    }
    Ok(page.into_response())
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<ListParams>,
) -> Result<ListPage, PageError> {
    Ok(list_page(&state, &user, params, None).await?)
}

/// Civil affairs sets the level's deadlines in working days.
pub async fn set_deadlines(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, PageError> {
    let level = require_admissions(&state, &user, "/admissions/settings").await?;
    let form = pairs(&body);
    user.check_csrf(value(&form, "csrf"))?;
    let number = |name: &str, what: &str| {
        let raw = value(&form, name).trim();
        raw.parse::<u32>()
            .map_err(|_| Error::refused(format!("{what}“{raw}”应为整数")))
    };
    let result = async {
        if !user.principal.roles.contains(&Role::CivilAffairs) {
            return Err(Error::refused(format!(
                "办理时限由本级{}设定",
                Role::CivilAffairs
            )));
        }
        let new = Deadlines {
            notice_days: number("notice_days", "提前申请的工作日数")?,
            review_days: number("review_days", "各环节办理时限")?,
        };
        let audit = user.audit_entry("admission.deadlines", "admission-deadlines");
        store::set_deadlines(&state.db, &level, new, &user.principal.username, &audit)
            .await
            .map_err(|e| match e {
                Error::InvalidQuery(m) => Error::refused(m),
                e => e,
            })
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/admissions?view=all&notice=办理时限已保存").into_response()),
        Err(Error::Refused { message, .. }) => {
            let params = ListParams {
                view: "all".into(),
                ..ListParams::default()
            };
            let page = list_page(&state, &user, params, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admission_form.html")]
pub struct FormPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    /// The application edited; none for a new one.
    id: Option<i64>,
    level_name: String,
    /// The level itself and its townships (or, for the city, its districts).
    areas: Vec<(String, String)>,
    applicabilities: Vec<(&'static str, &'static str)>,
    departments: Vec<(String, String)>,
    notice_days: u32,
    first_start: String,
    /// Holidays not yet imported for the years the notice period reaches.
    calendar_warning: Option<String>,
    idempotency_key: String,
    form: FormValues,
    error: Option<String>,
}

/// What the form shows: empty, an application's, or what was sent back with an error.
#[derive(Default)]
pub struct FormValues {
    title: String,
    content: String,
    basis: String,
    areas: Vec<String>,
    applies: String,
    codes: String,
    starts_on: String,
    ends_on: String,
    workload_hours: String,
    support: String,
    permanent: bool,
    co_departments: Vec<String>,
}

impl FormValues {
    fn of(view: &AdmissionView) -> FormValues {
        FormValues {
            title: view.title.clone(),
            content: view.content.clone(),
            basis: view.basis.clone(),
            areas: view
                .scope
                .iter()
                .filter(|s| s.subtree)
                .map(|s| s.unit.as_str().to_owned())
                .collect(),
            applies: view
                .scope
                .iter()
                .find(|s| s.subtree)
                .map_or("both", |s| s.applies.as_str())
                .to_owned(),
            codes: view
                .scope
                .iter()
                .filter(|s| !s.subtree)
                .map(|s| s.unit.as_str().to_owned())
                .collect::<Vec<_>>()
                .join("\n"),
            starts_on: view.starts_on.to_string(),
            ends_on: view.ends_on.to_string(),
            workload_hours: format!("{}", f64::from(view.workload_minutes) / 60.0),
            support: view.support.clone(),
            permanent: view.permanent,
            co_departments: view.co_departments.clone(),
        }
    }

    fn sent(pairs: &[(String, String)]) -> FormValues {
        FormValues {
            title: value(pairs, "title").to_owned(),
            content: value(pairs, "content").to_owned(),
            basis: value(pairs, "basis").to_owned(),
            areas: values(pairs, "scope_units"),
            applies: value(pairs, "applies").to_owned(),
            codes: value(pairs, "scope_codes").to_owned(),
            starts_on: value(pairs, "starts_on").to_owned(),
            ends_on: value(pairs, "ends_on").to_owned(),
            workload_hours: value(pairs, "workload_hours").to_owned(),
            support: value(pairs, "support").to_owned(),
            permanent: value(pairs, "permanent") == "on",
            co_departments: values(pairs, "co_departments"),
        }
    }
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    id: Option<i64>,
    form: FormValues,
    error: Option<String>,
) -> Result<FormPage, Error> {
    let level = require_admissions(state, user, "/admissions/new").await?;
    let unit = jianfu_store::region::require(&state.db, &level).await?;
    let mut areas = vec![(level.as_str().to_owned(), format!("{}（全部）", unit.name))];
    areas.extend(
        procedure::areas_below(state, &level)
            .await?
            .into_iter()
            .map(|r| (r.code.as_str().to_owned(), r.name)),
    );
    let own = user.principal.department.clone().unwrap_or_default();
    let departments = jianfu_store::department::list_for_region(&state.db, &level)
        .await?
        .into_iter()
        .filter(|d| d.code != own)
        .map(|d| (d.code, d.name))
        .collect();
    let deadlines = store::deadlines(&state.db, &level).await?;
    let calendar = procedure::calendar(state).await?;
    let first_start = calendar.add_working_days(today(), deadlines.notice_days);
    let title = if id.is_some() {
        "修改准入申请"
    } else {
        "新建准入申请"
    };
    Ok(FormPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("准入管理", "/admissions"),
            Crumb::here(title),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        id,
        level_name: unit.name,
        areas,
        applicabilities: Applicability::ALL
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        departments,
        notice_days: deadlines.notice_days,
        first_start: first_start.to_string(),
        calendar_warning: procedure::uncovered_warning(&calendar, first_start),
        idempotency_key: jianfu_store::auth::random_secret()[..32].to_owned(),
        form,
        error,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<FormPage, PageError> {
    let form = FormValues {
        applies: "both".into(),
        ..FormValues::default()
    };
    Ok(form_page(&state, &user, None, form, None).await?)
}

/// Opens the application and goes to it; a refusal shows the form again with what was sent.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, PageError> {
    require_admissions(&state, &user, "/admissions").await?;
    let form = pairs(&body);
    user.check_csrf(value(&form, "csrf"))?;
    let result = match fields_of(&form) {
        Ok(fields) => procedure::create(&state, &user, fields).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/admissions/{id}")).into_response()),
        Err(e) => refused_form(&state, &user, None, &form, e).await,
    }
}

/// The form again with the refusal, or the error as a page when it is not a rule's.
async fn refused_form(
    state: &AppState,
    user: &CurrentUser,
    id: Option<i64>,
    form: &[(String, String)],
    e: Error,
) -> Result<Response, PageError> {
    let message = match &e {
        Error::Refused { .. } | Error::RegionNotFound(_) | Error::InvalidRegionCode(_) => {
            e.to_string()
        }
        _ => return Err(e.into()),
    };
    let page = form_page(state, user, id, FormValues::sent(form), Some(message)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<FormPage, PageError> {
    let view = admission_for(&state, &user, id).await?;
    Ok(form_page(&state, &user, Some(id), FormValues::of(&view), None).await?)
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    let view = admission_for(&state, &user, id).await?;
    let form = pairs(&body);
    user.check_csrf(value(&form, "csrf"))?;
    let result = match fields_of(&form) {
        Ok(fields) => procedure::update(&state, &user, &view, fields).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/admissions/{id}?notice=申请内容已保存")).into_response())
        }
        Err(e) => refused_form(&state, &user, Some(id), &form, e).await,
    }
}

pub struct EventRow {
    pub at: String,
    pub body: String,
    pub actor: String,
    pub action: &'static str,
    pub note: String,
}

pub struct SignRow {
    pub department: String,
    pub state: String,
    pub comment: String,
}

/// A step the procedure allows this user now, with what its form asks.
pub struct Button {
    pub action: &'static str,
    pub label: &'static str,
    pub needs_comment: bool,
    /// A return by the approver may go back to the review.
    pub may_return_to_review: bool,
    pub is_countersign: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admission.html")]
pub struct DetailPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    view: AdmissionView,
    level_name: String,
    department: String,
    co_departments: String,
    scope: String,
    workload: String,
    stage_note: String,
    decide_by: String,
    overdue: bool,
    calendar_warning: Option<String>,
    editable: bool,
    buttons: Vec<Button>,
    /// Civil-affairs colleagues the review may be handed to.
    colleagues: Vec<String>,
    signs: Vec<SignRow>,
    events: Vec<EventRow>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DetailParams {
    #[serde(default)]
    notice: String,
}

/// Who signed each step of an application, under which body, as the page and the approval
/// form show them.
pub struct Signed {
    pub level_name: String,
    pub department: String,
    pub co_departments: Vec<String>,
    pub events: Vec<EventRow>,
}

pub async fn signed(state: &AppState, view: &AdmissionView) -> Result<Signed, Error> {
    let unit = jianfu_store::region::require(&state.db, &view.region).await?;
    let is_city = view.region.level() == Level::Province;
    let mut codes = view.co_departments.clone();
    codes.push(view.department.clone());
    codes.extend(
        view.events
            .iter()
            .filter_map(|e| e.actor_department.clone()),
    );
    let names = department_names(state, &codes).await?;
    let events = view
        .events
        .iter()
        .map(|e| EventRow {
            at: super::beijing(e.at),
            body: signing_body(
                &unit.name,
                is_city,
                &e.role,
                e.actor_department
                    .as_deref()
                    .map(|d| name_in(&names, d))
                    .as_deref(),
            ),
            actor: e.actor_name.clone().unwrap_or_else(|| e.actor.clone()),
            action: event_label(e),
            note: e.note.clone().unwrap_or_default(),
        })
        .collect();
    Ok(Signed {
        level_name: unit.name,
        department: name_in(&names, &view.department),
        co_departments: view
            .co_departments
            .iter()
            .map(|c| name_in(&names, c))
            .collect(),
        events,
    })
}

/// The words for a recorded step; a countersignature that disagreed returned the application.
fn event_label(e: &store::Event) -> &'static str {
    if e.action == "countersign" && e.stage == "returned" {
        "会签不同意"
    } else {
        action_label(&e.action)
    }
}

fn action_label(code: &str) -> &'static str {
    let fields = StepFields::default();
    procedure::action_of(code, &fields).map_or("其他", |a| a.label())
}

async fn detail_page(
    state: &AppState,
    user: &CurrentUser,
    view: AdmissionView,
    notice: Option<String>,
    error: Option<String>,
) -> Result<DetailPage, Error> {
    let Signed {
        level_name,
        department,
        co_departments,
        events,
    } = signed(state, &view).await?;
    let names = department_names(state, &view.co_departments).await?;
    let deadlines = store::deadlines(&state.db, &view.region).await?;
    let calendar = procedure::calendar(state).await?;
    let due = procedure::WAITING
        .contains(&view.stage.code())
        .then(|| rules::decide_by(&calendar, view.step_since, deadlines.review_days));
    let round = current_round(&view);
    let signs = view
        .co_departments
        .iter()
        .map(|c| {
            let signed = round.iter().find(|s| s.department == *c);
            SignRow {
                department: name_in(&names, c),
                state: match signed {
                    Some(s) if s.agree => "同意".into(),
                    Some(_) => "不同意".into(),
                    None if view.stage == Stage::Countersigning => "待会签".into(),
                    None => "—".into(),
                },
                comment: signed.map(|s| s.comment.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let buttons = open_actions(user, &view)
        .into_iter()
        .map(|code| Button {
            action: code,
            label: action_label(code),
            needs_comment: matches!(code, "return" | "reject" | "revoke"),
            may_return_to_review: code == "return" && view.stage == Stage::Passed,
            is_countersign: code == "countersign",
        })
        .collect();
    let may_delegate = view.stage == Stage::Submitted
        && user.principal.roles.contains(&Role::CivilAffairs)
        && view
            .reviewer
            .as_deref()
            .is_none_or(|r| r == user.principal.username);
    let colleagues = if may_delegate {
        jianfu_store::notification::holders(&state.db, &view.region, Role::CivilAffairs, None)
            .await?
            .into_iter()
            .filter(|c| *c != user.principal.username)
            .collect()
    } else {
        Vec::new()
    };
    let own = user.principal.department.as_deref() == Some(view.department.as_str());
    Ok(DetailPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("准入管理", "/admissions"),
            Crumb::here(view.title.clone()),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        level_name,
        department,
        co_departments: if co_departments.is_empty() {
            "无".into()
        } else {
            co_departments.join("、")
        },
        scope: procedure::describe_scope(state, &view.scope).await?,
        workload: format!(
            "每个村（社区）约 {} 小时",
            f64::from(view.workload_minutes) / 60.0
        ),
        stage_note: view.stage.note().unwrap_or_default().to_owned(),
        decide_by: due.map(|d| d.to_string()).unwrap_or_default(),
        overdue: due.is_some_and(|d| d < today()),
        calendar_warning: due.and_then(|d| procedure::uncovered_warning(&calendar, d)),
        editable: own && view.stage.editable(),
        buttons,
        colleagues,
        signs,
        events,
        notice,
        error,
        view,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(params): Query<DetailParams>,
) -> Result<DetailPage, PageError> {
    let view = admission_for(&state, &user, id).await?;
    let notice = Some(params.notice).filter(|n| !n.is_empty());
    Ok(detail_page(&state, &user, view, notice, None).await?)
}

/// The page again with a rule's refusal (422 or 409), or the error as a page.
async fn refused_detail(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    e: Error,
) -> Result<Response, PageError> {
    let status = match &e {
        Error::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::WrongStage { .. } => StatusCode::CONFLICT,
        _ => return Err(e.into()),
    };
    let view = store::get(&state.db, id).await?;
    let page = detail_page(state, user, view, None, Some(e.to_string())).await?;
    Ok((status, page).into_response())
}

/// One step of the procedure from the page's buttons.
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    let view = admission_for(&state, &user, id).await?;
    let form = pairs(&body);
    user.check_csrf(value(&form, "csrf"))?;
    let fields = StepFields {
        comment: value(&form, "comment").to_owned(),
        to: value(&form, "to").to_owned(),
        agree: Some(value(&form, "agree") != "no"),
    };
    let code = value(&form, "action");
    match procedure::act(&state, &user, &view, code, &fields).await {
        Ok(stage) => {
            let notice = format!("已{}，申请现为“{}”", action_label(code), stage.label());
            let to = format!("/admissions/{id}?notice={}", super::encode(&notice));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => refused_detail(&state, &user, id, e).await,
    }
}

/// Hands the review to a colleague (委托初审), or back to all of civil affairs.
pub async fn delegate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    admission_for(&state, &user, id).await?;
    let form = pairs(&body);
    user.check_csrf(value(&form, "csrf"))?;
    let reviewer = Some(value(&form, "reviewer").trim()).filter(|r| !r.is_empty());
    let by = By {
        username: &user.principal.username,
        name: &user.principal.display_name,
        role: if user.principal.roles.contains(&Role::CivilAffairs) {
            Role::CivilAffairs
        } else {
            user.principal
                .roles
                .first()
                .copied()
                .unwrap_or(Role::CivilAffairs)
        },
        department: user.principal.department.as_deref(),
    };
    let audit = user.audit_entry("admission.delegate", &format!("admission/{id}"));
    match store::assign_reviewer(&state.db, id, reviewer, by, &audit).await {
        Ok(()) => {
            let notice = match reviewer {
                Some(r) => format!("初审已转交 {r}"),
                None => "初审已交回本级民政部门".to_owned(),
            };
            let to = format!("/admissions/{id}?notice={}", super::encode(&notice));
            Ok(Redirect::to(&to).into_response())
        }
        Err(Error::InvalidQuery(m)) => refused_detail(&state, &user, id, Error::refused(m)).await,
        Err(e) => refused_detail(&state, &user, id, e).await,
    }
}

/// Uploads an attachment to a draft or returned application.
pub async fn attach(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    admission_for(&state, &user, id).await?;
    let upload = super::upload(form).await?;
    user.check_csrf(&upload.csrf)?;
    let by = By {
        username: &user.principal.username,
        name: &user.principal.display_name,
        role: Role::DepartmentOfficer,
        department: user.principal.department.as_deref(),
    };
    let mime = mime_guess::from_path(&upload.name)
        .first_or_octet_stream()
        .to_string();
    let audit = user.audit_entry("admission.attach", &format!("admission/{id}"));
    match store::attach(
        &state.db,
        id,
        &upload.name,
        &mime,
        &upload.bytes,
        by,
        &audit,
    )
    .await
    {
        Ok(_) => {
            let to = format!("/admissions/{id}?notice={}", super::encode("附件已上传"));
            Ok(Redirect::to(&to).into_response())
        }
        Err(Error::InvalidQuery(m)) => refused_detail(&state, &user, id, Error::refused(m)).await,
        Err(e) => refused_detail(&state, &user, id, e).await,
    }
}

/// An attachment, to those who may see its application.
pub async fn attachment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    admission_for(&state, &user, id).await?;
    let (name, mime, bytes) = store::attachment(&state.db, id, file).await?;
    Ok(super::attachment(
        bytes,
        &mime,
        &format!("attachment-{file}"),
        &name,
    ))
}
