//! The holiday calendar (节假日安排) for the system administrator: which years' State Council
//! notices are loaded, the days of one year, and the import of a new year's notice (a whole
//! year replaced at once; any bad row and nothing changes). Deadlines in working days are
//! counted from it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use jianfu_domain::Error;
use jianfu_domain::account::Perm;
use jianfu_domain::workday::DayKind;
use serde::Deserialize;

use super::{Crumb, Nav};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::PageError;

const OBJECT: &str = "/admin/calendar";

pub struct DayRow {
    pub date: String,
    pub weekday: &'static str,
    pub kind: &'static str,
    pub name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_calendar.html")]
pub struct CalendarPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    years: Vec<i32>,
    year: i32,
    covered: bool,
    rows: Vec<DayRow>,
    notice: Option<String>,
    error: Option<String>,
    row_errors: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct CalendarParams {
    year: Option<i32>,
    imported: Option<String>,
}

fn weekday(d: chrono::NaiveDate) -> &'static str {
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
        [d.weekday().num_days_from_monday() as usize]
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    year: Option<i32>,
    messages: (Option<String>, Option<String>, Vec<String>),
) -> Result<CalendarPage, Error> {
    let calendar = jianfu_store::calendar::load(&state.db).await?;
    let year = year.unwrap_or_else(|| today().year());
    let first = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| Error::InvalidQuery(format!("年份“{year}”不正确")))?;
    let rows = first
        .iter_days()
        .take_while(|d| d.year() == year)
        .filter_map(|d| {
            let (kind, name) = calendar.official(d)?;
            Some(DayRow {
                date: d.to_string(),
                weekday: weekday(d),
                kind: match kind {
                    DayKind::Holiday => "放假",
                    DayKind::Workday => "调休上班",
                },
                name: name.to_owned(),
            })
        })
        .collect();
    let (notice, error, row_errors) = messages;
    Ok(CalendarPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("节假日安排")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        years: calendar.years().collect(),
        covered: calendar.covers(year),
        year,
        rows,
        notice,
        error,
        row_errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<CalendarParams>,
) -> Result<CalendarPage, PageError> {
    user.require(&state, Perm::ManageCalendar, OBJECT).await?;
    // The notice only repeats digits and commas: the address is anyone's to write.
    let notice = params
        .imported
        .filter(|y| y.chars().all(|c| c.is_ascii_digit() || c == ','))
        .map(|y| format!("已导入 {} 年的节假日安排。", y.replace(',', "、")));
    Ok(page(&state, &user, params.year, (notice, None, Vec::new())).await?)
}

/// Imports an uploaded notice table; the years it names are replaced whole.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::ManageCalendar, OBJECT).await?;
    let upload = super::upload(form).await?;
    user.check_csrf(&upload.csrf)?;
    let refuse = |error: String, rows: Vec<String>| async {
        let page = page(&state, &user, None, (None, Some(error), rows)).await?;
        Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if upload.name.is_empty() || upload.bytes.is_empty() {
        return refuse("请选择要导入的文件".into(), Vec::new()).await;
    }
    let table = match jianfu_docs::table::table_from_bytes(&upload.name, upload.bytes) {
        Ok(t) => t,
        Err(e) => return refuse(e.to_string(), Vec::new()).await,
    };
    let days = match jianfu_docs::calendar::official_days(&table) {
        Ok(days) if days.is_empty() => return refuse("文件中没有日期".into(), Vec::new()).await,
        Ok(days) => days,
        Err(errors) => {
            let message = format!("文件有 {} 处错误，未导入任何内容：", errors.len());
            return refuse(message, errors.iter().map(ToString::to_string).collect()).await;
        }
    };
    let audit = user.audit_entry("calendar.import", "calendar");
    let years = jianfu_store::calendar::import(&state.db, &days, &audit).await?;
    let listed: Vec<String> = years.iter().map(ToString::to_string).collect();
    Ok(Redirect::to(&format!(
        "{OBJECT}?year={}&imported={}",
        years.last().copied().unwrap_or_default(),
        listed.join(",")
    ))
    .into_response())
}
