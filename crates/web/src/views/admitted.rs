//! The public list of admitted tasks (准入事项): what villages and communities may be asked to
//! do beyond the directories, in force on a day and for a unit, with each task's approval form
//! (审批表) as PDF. No personal data on the list; the form carries the officials' signatures.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use jianfu_domain::{Error, RegionCode};
use jianfu_print::{ApprovalForm, FormStep};
use serde::Deserialize;

use super::admissions::{Signed, signed};
use super::{Crumb, Nav};
use crate::AppState;
use crate::admission as procedure;
use crate::api::admissions::{AdmittedTaskDto, task_dtos};
use crate::api::catalog::today;
use crate::auth::MaybeUser;
use crate::error::PageError;

#[derive(Deserialize, Default)]
pub struct ListParams {
    /// A unit's code: tasks concerning it.
    #[serde(default)]
    region: String,
    /// In force on this day (default today); empty `status=all` lists every task.
    #[serde(default)]
    at: String,
    #[serde(default)]
    status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admitted_tasks.html")]
pub struct ListPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    districts: Vec<(String, String)>,
    region: String,
    at: String,
    all: bool,
    /// Each task with its state on the day asked.
    rows: Vec<(String, AdmittedTaskDto)>,
    query: String,
}

/// The tasks the filters ask for, each judged on the day asked (today when listing all).
async fn tasks(
    state: &AppState,
    params: &ListParams,
) -> Result<(Vec<AdmittedTaskDto>, NaiveDate), Error> {
    let region = match params.region.trim() {
        "" => None,
        raw => Some(RegionCode::parse(raw)?),
    };
    let at = match (params.status.as_str(), params.at.trim()) {
        ("all", _) => None,
        (_, "") => Some(today()),
        (_, raw) => Some(
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| Error::InvalidQuery(format!("日期“{raw}”应为 YYYY-MM-DD")))?,
        ),
    };
    let found = procedure::admitted(state, region.as_ref(), at).await?;
    let day = at.unwrap_or_else(today);
    Ok((task_dtos(state, found, day).await?, day))
}

pub async fn list(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(params): Query<ListParams>,
) -> Result<ListPage, PageError> {
    let (rows, day) = tasks(&state, &params).await?;
    let rows = rows.into_iter().map(|t| (status_of(&t, day), t)).collect();
    let districts = procedure::areas_below(&state, &RegionCode::parse("12")?)
        .await?
        .into_iter()
        .map(|r| (r.code.as_str().to_owned(), r.name))
        .collect();
    let query = format!(
        "region={}&at={}&status={}",
        super::encode(&params.region),
        super::encode(&params.at),
        super::encode(&params.status)
    );
    Ok(ListPage {
        nav: Nav::new(user.as_ref()),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("准入事项")],
        districts,
        all: params.status == "all",
        at: if params.at.is_empty() {
            today().to_string()
        } else {
            params.at
        },
        region: params.region,
        rows,
        query,
    })
}

/// The list as a spreadsheet, with the same filters.
pub async fn export(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Response, PageError> {
    let (rows, day) = tasks(&state, &params).await?;
    let headers = [
        "准入事项编号",
        "事项名称",
        "申请部门",
        "实施范围",
        "开始日期",
        "结束日期",
        "每个村（社区）预计工作量（小时）",
        "费随事转",
        "批准日期",
        "状态",
    ];
    let bytes = jianfu_docs::xlsx::workbook(
        "准入事项",
        &headers,
        rows.into_iter().map(|t| {
            vec![
                t.code.clone(),
                t.title.clone(),
                t.department_name.clone(),
                t.scope_text.clone(),
                t.starts_on.to_string(),
                t.ends_on.to_string(),
                t.workload_hours.to_string(),
                t.support.clone(),
                t.approved_on.to_string(),
                status_of(&t, day),
            ]
        }),
    )
    .map_err(|e| {
        tracing::error!(error = %e, "admitted tasks export failed");
        Error::Internal
    })?;
    let name = format!("准入事项-{}.xlsx", today());
    Ok(super::attachment(
        bytes,
        super::XLSX,
        "admitted-tasks.xlsx",
        &name,
    ))
}

/// "有效", "已撤销：…", "未开始" or "已到期", on `day`.
pub fn status_of(t: &AdmittedTaskDto, day: NaiveDate) -> String {
    match (&t.revoked_on, &t.revoke_reason) {
        (Some(_), reason) => format!("已撤销：{}", reason.as_deref().unwrap_or_default()),
        _ if t.in_force => "有效".into(),
        _ if day < t.starts_on => "未开始".into(),
        _ => "已到期".into(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admitted_task.html")]
pub struct DetailPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    task: AdmittedTaskDto,
    status: String,
    level_name: String,
}

pub async fn show(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
) -> Result<DetailPage, PageError> {
    let task = jianfu_store::admission::admitted_task(&state.db, &code).await?;
    let level_name = jianfu_store::region::require(&state.db, &task.region)
        .await?
        .name;
    let task = task_dtos(&state, vec![task], today()).await?.remove(0);
    Ok(DetailPage {
        nav: Nav::new(user.as_ref()),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("准入事项", "/admitted-tasks"),
            Crumb::here(task.code.clone()),
        ],
        status: status_of(&task, today()),
        task,
        level_name,
    })
}

/// The approval form (审批表) with every step's body, signer, opinion and time, and an SM3
/// fingerprint of its content so a paper copy can be checked against the system.
pub async fn form_pdf(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let task = jianfu_store::admission::admitted_task(&state.db, &code).await?;
    let view = jianfu_store::admission::get(&state.db, task.admission_id).await?;
    let scope = procedure::describe_scope(&state, &view.scope).await?;
    let dto = task_dtos(&state, vec![task], today()).await?.remove(0);
    let Signed {
        level_name,
        department,
        co_departments,
        events,
    } = signed(&state, &view).await?;
    let mut form = ApprovalForm {
        task_code: dto.code.clone(),
        application_id: view.id,
        level: level_name,
        title: view.title.clone(),
        department,
        co_departments,
        content: view.content.clone(),
        basis: view.basis.clone(),
        scope,
        period: format!("{} 至 {}", view.starts_on, view.ends_on),
        workload: format!(
            "每个村（社区）约 {} 小时",
            f64::from(view.workload_minutes) / 60.0
        ),
        support: view.support.clone(),
        permanent: view.permanent,
        steps: events
            .into_iter()
            .map(|e| FormStep {
                step: e.action.to_owned(),
                body: e.body,
                signer: e.actor,
                opinion: e.note,
                at: e.at,
            })
            .collect(),
        status: status_of(&dto, today()),
        digest: String::new(),
    };
    let canonical = serde_json::to_vec(&form).map_err(|_| Error::Internal)?;
    form.digest = jianfu_seal::sm3(&canonical)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let pdf = jianfu_print::approval_form_pdf(&form, today()).map_err(|e| {
        tracing::error!(error = %e, "approval form failed to print");
        Error::Internal
    })?;
    Ok(super::attachment(
        pdf,
        "application/pdf",
        &format!("{code}.pdf"),
        &format!("准入事项审批表-{code}.pdf"),
    ))
}
