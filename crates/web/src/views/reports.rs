//! 报告场外任务 on a phone: a village reports a task that reached it outside the platform,
//! with screenshots or photos, and sees at once what the verdict engine makes of it; its own
//! reports are listed under the form. Nobody but the unit reads a report's sender side back
//! with the unit's name on it (`jianfu_store::violation::of_sender`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::account::Perm;
use jianfu_domain::violation::Channel;
use jianfu_domain::{Error, Level, PageRequest};
use jianfu_store::report::EvidenceFile;
use serde::Deserialize;

use super::dispatches::reason_messages;
use super::{Crumb, Nav};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::report::ReportFields;

pub struct ReportRow {
    pub id: i64,
    pub title: String,
    pub sender: String,
    pub channel: &'static str,
    pub received_on: String,
    pub outcome: &'static str,
    pub blocked: bool,
    pub reasons: Vec<String>,
    pub files: Vec<(i64, String)>,
}

fn row_of(r: jianfu_store::report::Report, files: Vec<(i64, String)>) -> ReportRow {
    ReportRow {
        id: r.id,
        title: r.title,
        sender: r.sender_name,
        channel: Channel::parse(&r.channel).map_or("其他", Channel::label),
        received_on: r.received_on.to_string(),
        outcome: super::dispatches::outcome_label(&r.outcome),
        blocked: r.outcome == "blocked",
        reasons: reason_messages(&r.reasons),
        files,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "reports.html")]
pub struct ReportsPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    /// (code, name) of the departments a unit may name: its district's and the city's.
    departments: Vec<(String, String)>,
    channels: Vec<(&'static str, &'static str)>,
    fields: Vec<(String, String)>,
    rows: Vec<ReportRow>,
    total: u64,
    page: u64,
    pages: u64,
    notice: Option<String>,
    error: Option<String>,
}

impl ReportsPage {
    fn value(&self, name: &str) -> &str {
        super::field(&self.fields, name)
    }
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    page: Option<u64>,
    #[serde(default)]
    notice: String,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    params: ListParams,
    fields: Vec<(String, String)>,
    error: Option<String>,
) -> Result<ReportsPage, Error> {
    let unit = user.principal.region;
    let mut departments = Vec::new();
    for level in [unit.county(), Some(unit.province())].into_iter().flatten() {
        departments.extend(
            jianfu_store::department::list_for_region(&state.db, &level)
                .await?
                .into_iter()
                .map(|d| (d.code, d.name)),
        );
    }
    let found =
        jianfu_store::report::of_unit(&state.db, &unit, PageRequest::new(params.page, None))
            .await?;
    let pages = found.pages();
    let rows = found
        .items
        .into_iter()
        .map(|(r, files)| row_of(r, files))
        .collect();
    Ok(ReportsPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("报告场外任务")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        departments,
        channels: Channel::ALL.iter().map(|c| (c.code(), c.label())).collect(),
        fields,
        rows,
        total: found.total,
        page: found.page,
        pages,
        notice: Some(params.notice).filter(|n| !n.is_empty()),
        error,
    })
}

async fn require_village(state: &AppState, user: &CurrentUser, object: &str) -> Result<(), Error> {
    user.require(state, Perm::ReceiveTasks, object).await?;
    if user.principal.region.level() != Level::Village {
        return Err(Error::refused("场外派发由收到任务的村（社区）报告"));
    }
    Ok(())
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<ListParams>,
) -> Result<ReportsPage, PageError> {
    require_village(&state, &user, "/reports").await?;
    Ok(page(&state, &user, params, Vec::new(), None).await?)
}

fn fields_of(form: &[(String, String)]) -> ReportFields {
    let f = |n: &str| super::field(form, n).trim().to_owned();
    let sender = f("sender");
    ReportFields {
        sender_department: sender.strip_prefix("dept:").map(str::to_owned),
        sender_is_township: sender == "township",
        sender_name: f("sender_name"),
        channel: f("channel"),
        title: f("title"),
        body: f("body"),
        received_on: Some(f("received_on")),
        cites_item: Some(f("cites_item")),
    }
}

/// Files the report with its evidence; the verdict is shown on the list it returns to.
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    require_village(&state, &user, "/reports").await?;
    let (fields, files) = super::multipart(form).await?;
    user.check_csrf(super::field(&fields, "csrf"))?;
    let evidence = files
        .into_iter()
        .map(|(_, name, bytes)| EvidenceFile {
            mime: mime_guess::from_path(&name)
                .first_or_octet_stream()
                .to_string(),
            name,
            bytes,
        })
        .collect();
    match crate::report::file(&state, &user, &fields_of(&fields), evidence).await {
        Ok((_, verdict)) => {
            let notice = if verdict.outcome == jianfu_domain::verdict::Outcome::Blocked {
                "已报告。该任务不符合指导目录和准入规定，已记入派发单位的违规台账；报告单位不会告知派发单位"
            } else {
                "已报告。审查结论见下方列表"
            };
            let to = format!("/reports?notice={}", super::encode(notice));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e @ (Error::Refused { .. } | Error::InvalidQuery(_))) => {
            let page = page(
                &state,
                &user,
                ListParams::default(),
                fields,
                Some(e.to_string()),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Reports are read by the unit that filed them and by civil affairs above it (the store
/// keeps each to its region); returns whether the caller reads as civil affairs.
async fn read_reports(state: &AppState, user: &CurrentUser, id: i64) -> Result<bool, Error> {
    if user.principal.roles.iter().any(|r| r.has(Perm::Supervise)) {
        return Ok(true);
    }
    user.require(state, Perm::ReceiveTasks, &format!("report/{id}"))
        .await?;
    Ok(false)
}

/// An evidence file, to the unit that filed it and to civil affairs above it.
pub async fn evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    read_reports(&state, &user, id).await?;
    let f = jianfu_store::report::evidence(&state.db, &user.principal.region, id, file).await?;
    Ok(super::attachment(
        f.content,
        &f.mime,
        &format!("evidence-{file}"),
        &f.name,
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "report.html")]
pub struct DetailPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    report: ReportRow,
    unit: String,
    body: String,
    cites: String,
}

/// One report with its evidence: for the unit that filed it and civil affairs above it.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<DetailPage, PageError> {
    let supervisor = read_reports(&state, &user, id).await?;
    let (r, files) = jianfu_store::report::get(&state.db, &user.principal.region, id).await?;
    let unit = match jianfu_domain::RegionCode::parse(&r.unit) {
        Ok(code) => jianfu_store::region::require(&state.db, &code)
            .await
            .map_or_else(|_| r.unit.clone(), |u| format!("{}（{}）", u.name, r.unit)),
        Err(_) => r.unit.clone(),
    };
    Ok(DetailPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            if supervisor {
                Crumb::link("违规台账", "/violations")
            } else {
                Crumb::link("报告场外任务", "/reports")
            },
            Crumb::here(r.title.clone()),
        ],
        unit,
        body: r.body.clone(),
        cites: r.cites_item.clone().unwrap_or_else(|| "—".into()),
        report: row_of(r, files),
    })
}
