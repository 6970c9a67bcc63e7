//! Directory adjustments (动态调整) in the browser: civil affairs opens a draft and imports a
//! spreadsheet into it (a bad file is refused whole, every bad row shown), submits it; another
//! civil-affairs officer reviews it, the approver approves it, civil affairs publishes it with an
//! effective day. Which buttons a user sees is asked of the procedure itself.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use jianfu_docs::directory::{self, ImportDefaults};
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::catalog::DirectoryKind;
use jianfu_domain::catalog::adjustment::{self, Action, Actor, Change, Stage};
use jianfu_domain::{Error, RegionCode};
use jianfu_store::catalog::{self, ActError, AdjustmentView, NewAdjustment};
use serde::Deserialize;

use super::{Crumb, Nav};
use crate::AppState;
use crate::api::catalog::{parse_kind, today};
use crate::auth::CurrentUser;
use crate::error::PageError;

/// City directories are adjusted at the city level only: the caller's region must be Tianjin's.
async fn require_city(state: &AppState, user: &CurrentUser, object: &str) -> Result<(), Error> {
    let city = jianfu_store::region::require(&state.db, &RegionCode::parse("12")?).await?;
    user.require_within(state, Perm::HandleAdjustments, &city, object)
        .await
}

pub struct Row {
    pub id: i64,
    pub kind: &'static str,
    pub title: String,
    pub stage: &'static str,
    pub drafter: String,
    pub updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "adjustments.html")]
pub struct ListPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    may_draft: bool,
    kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    error: Option<String>,
}

fn beijing(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<ListPage, Error> {
    let rows = catalog::adjustments(&state.db, 200)
        .await?
        .into_iter()
        .map(|a| Row {
            id: a.id,
            kind: a.kind.label(),
            title: a.title,
            stage: a.stage.label(),
            drafter: a.drafter,
            updated: beijing(a.updated_at),
        })
        .collect();
    Ok(ListPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("目录调整")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        may_draft: user.principal.roles.contains(&Role::CivilAffairs),
        kinds: DirectoryKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        rows,
        error,
    })
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<ListPage, PageError> {
    require_city(&state, &user, "/adjustments").await?;
    Ok(list_page(&state, &user, None).await?)
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    basis: String,
}

/// Opens a draft (civil affairs) and goes to it.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::Form(form): axum::Form<NewForm>,
) -> Result<Response, PageError> {
    require_city(&state, &user, "/adjustments").await?;
    user.check_csrf(&form.csrf)?;
    let refuse = |message: String| async {
        let page = list_page(&state, &user, Some(message)).await?;
        Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if !user.principal.roles.contains(&Role::CivilAffairs) {
        return refuse(format!("起草调整须由{}办理", Role::CivilAffairs)).await;
    }
    let Some(kind) = DirectoryKind::parse(&form.kind) else {
        return refuse("请选择目录".into()).await;
    };
    let new = NewAdjustment {
        kind,
        title: form.title,
        reason: form.reason,
        basis: form.basis,
    };
    let audit = user.audit_entry("adjustment.create", "adjustment");
    match catalog::create_adjustment(&state.db, &new, &user.principal.username, &audit).await {
        Ok(id) => Ok(Redirect::to(&format!("/adjustments/{id}")).into_response()),
        Err(Error::InvalidQuery(message)) => refuse(message).await,
        Err(e) => Err(e.into()),
    }
}

pub struct ChangeRow {
    pub op: &'static str,
    pub code: String,
    pub name: String,
    pub row: String,
}

pub struct EventRow {
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub note: String,
}

/// A button the procedure allows this user now.
pub struct Button {
    pub action: &'static str,
    pub label: &'static str,
    /// Returns and rejections ask for a reason; publication for a day.
    pub needs_reason: bool,
    pub needs_day: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "adjustment.html")]
pub struct DetailPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    view: AdjustmentView,
    kind_label: &'static str,
    stage_note: String,
    editable: bool,
    changes: Vec<ChangeRow>,
    events: Vec<EventRow>,
    buttons: Vec<Button>,
    today: String,
    row_errors: Vec<String>,
    error: Option<String>,
    notice: Option<String>,
    impact: Impact,
}

/// What publishing the draft would do: how many items it adds, changes and retires, and the
/// other drafts in progress that touch the same items.
pub struct Impact {
    pub added: usize,
    pub modified: usize,
    pub retired: usize,
    pub overlaps: Vec<OverlapRow>,
}

pub struct OverlapRow {
    pub id: i64,
    pub title: String,
    pub stage: &'static str,
    pub codes: String,
}

const ACTIONS: [(&str, &str); 6] = [
    ("submit", "提交审核"),
    ("review", "审核通过"),
    ("approve", "批准"),
    ("return", "退回修改"),
    ("reject", "不予批准"),
    ("publish", "发布"),
];

fn action_of(code: &str, reason: &str, day: NaiveDate) -> Option<Action> {
    Some(match code {
        "submit" => Action::Submit,
        "review" => Action::Review,
        "approve" => Action::Approve,
        "return" => Action::Return {
            reason: reason.to_owned(),
        },
        "reject" => Action::Reject {
            reason: reason.to_owned(),
        },
        "publish" => Action::Publish {
            version: 0,
            effective_from: day,
        },
        _ => return None,
    })
}

/// The role the user acts in for `action` at `stage`: the one the step needs, if held,
/// otherwise any business role the user holds (which the procedure then refuses).
fn acting_role(roles: &[Role], stage: &Stage, action: &Action) -> Option<Role> {
    let needed = match (stage, action) {
        (_, Action::Approve | Action::Reject { .. }) => Role::Approver,
        (Stage::Reviewed, Action::Return { .. }) => Role::Approver,
        _ => Role::CivilAffairs,
    };
    if roles.contains(&needed) {
        Some(needed)
    } else {
        roles.first().copied()
    }
}

fn op_label(change: &Change) -> &'static str {
    match change {
        Change::Add(_) => "新增",
        Change::Modify(_) => "修改",
        Change::Retire(_) => "取消",
    }
}

fn event_label(action: &str) -> &'static str {
    match action {
        "submitted" => "提交审核",
        "reviewed" => "审核通过",
        "approved" => "批准",
        "published" => "发布",
        "returned" => "退回",
        "rejected" => "不予批准",
        _ => "其他",
    }
}

struct Messages {
    row_errors: Vec<String>,
    error: Option<String>,
    notice: Option<String>,
}

async fn detail_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    messages: Messages,
) -> Result<DetailPage, Error> {
    let view = catalog::adjustment(&state.db, id).await?;
    let day = today();
    let buttons = ACTIONS
        .iter()
        .filter_map(|(code, label)| {
            let action = action_of(code, "理由", day)?;
            let actor = Actor {
                role: acting_role(&user.principal.roles, &view.stage, &action)?,
                is_drafter: view.drafter == user.principal.username,
                is_reviewer: catalog::reviewed_since_submission(
                    &view.events,
                    &user.principal.username,
                ),
            };
            adjustment::step(&view.stage, &action, actor, view.changes.len(), day)
                .ok()
                .map(|_| Button {
                    action: code,
                    label,
                    needs_reason: matches!(action, Action::Return { .. } | Action::Reject { .. }),
                    needs_day: matches!(action, Action::Publish { .. }),
                })
        })
        .collect();
    let changes = view
        .changes
        .iter()
        .map(|(c, row)| ChangeRow {
            op: op_label(c),
            code: c.code().to_string(),
            name: match c {
                Change::Add(i) | Change::Modify(i) => i.name.clone(),
                Change::Retire(_) => String::new(),
            },
            row: row.map(|r| r.to_string()).unwrap_or_default(),
        })
        .collect();
    let events = view
        .events
        .iter()
        .map(|e| EventRow {
            at: beijing(e.at),
            actor: e.actor.clone(),
            action: event_label(&e.action),
            note: e.note.clone().unwrap_or_default(),
        })
        .collect();
    let count = |f: fn(&Change) -> bool| view.changes.iter().filter(|(c, _)| f(c)).count();
    let touched: Vec<String> = view
        .changes
        .iter()
        .filter(|(c, _)| !matches!(c, Change::Add(_)))
        .map(|(c, _)| c.code().to_string())
        .collect();
    let impact = Impact {
        added: count(|c| matches!(c, Change::Add(_))),
        modified: count(|c| matches!(c, Change::Modify(_))),
        retired: count(|c| matches!(c, Change::Retire(_))),
        overlaps: catalog::overlapping(&state.db, view.kind, view.id, &touched)
            .await?
            .into_iter()
            .map(|o| OverlapRow {
                id: o.id,
                title: o.title,
                stage: o.stage.label(),
                codes: o.codes.join("、"),
            })
            .collect(),
    };
    let stage_note = match &view.stage {
        Stage::Returned { reason } | Stage::Rejected { reason } => reason.clone(),
        Stage::Published {
            version,
            effective_from,
        } => format!("第 {version} 版，{effective_from} 起施行"),
        _ => String::new(),
    };
    Ok(DetailPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("目录调整", "/adjustments"),
            Crumb::here(view.title.clone()),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        kind_label: view.kind.label(),
        // Only the drafter edits: the reviewer must not review content it wrote.
        editable: view.stage.editable() && view.drafter == user.principal.username,
        stage_note,
        changes,
        events,
        buttons,
        today: day.to_string(),
        row_errors: messages.row_errors,
        error: messages.error,
        notice: messages.notice,
        impact,
        view,
    })
}

#[derive(Deserialize, Default)]
pub struct DetailParams {
    imported: Option<usize>,
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    axum::extract::Query(params): axum::extract::Query<DetailParams>,
) -> Result<DetailPage, PageError> {
    require_city(&state, &user, &format!("adjustment/{id}")).await?;
    // The notice names a known step only: the address is anyone's to write.
    let done = params
        .done
        .and_then(|d| ACTIONS.iter().find(|(code, _)| *code == d))
        .map(|(_, label)| *label);
    let notice = match (params.imported, done) {
        (Some(n), _) => Some(format!("已导入 {n} 项调整内容。")),
        (None, Some(label)) => Some(format!("已{label}。")),
        _ => None,
    };
    let messages = Messages {
        row_errors: Vec::new(),
        error: None,
        notice,
    };
    Ok(detail_page(&state, &user, id, messages).await?)
}

/// A refusal shown on the adjustment's page (422), what was there kept.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    error: String,
    row_errors: Vec<String>,
) -> Result<Response, PageError> {
    let messages = Messages {
        row_errors,
        error: Some(error),
        notice: None,
    };
    let page = detail_page(state, user, id, messages).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Imports an uploaded spreadsheet into the draft, replacing its changes; any bad row and
/// nothing changes.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    // Who may import is settled before the body is looked at.
    require_city(&state, &user, &format!("adjustment/{id}")).await?;
    let mut form = form.map_err(|e| Error::InvalidQuery(format!("上传的表单无法读取：{e}")))?;
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Error::InvalidQuery(format!("上传的表单无法读取：{e}")))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_lowercase();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| Error::InvalidQuery(format!("文件上传未完成：{e}")))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    let view = catalog::adjustment(&state.db, id).await?;
    let Some((name, bytes)) = file.filter(|(n, b)| !n.is_empty() && !b.is_empty()) else {
        return refused(&state, &user, id, "请选择要导入的文件".into(), Vec::new()).await;
    };
    if view.drafter != user.principal.username {
        let message = "只有起草人可以导入调整内容".to_owned();
        return refused(&state, &user, id, message, Vec::new()).await;
    }
    let table = match jianfu_docs::table::table_from_bytes(&name, bytes) {
        Ok(t) => t,
        Err(e) => return refused(&state, &user, id, e.to_string(), Vec::new()).await,
    };
    let defaults = ImportDefaults {
        valid_from: today(),
        source: name.clone(),
        is_demo: false,
    };
    let current = catalog::latest(&state.db, view.kind).await?;
    let changes = directory::directory_rows(&table, view.kind, &defaults)
        .and_then(|rows| directory::changes(rows, current.as_ref().map_or(&[][..], |v| &v.items)));
    let changes = match changes {
        Ok(c) if c.is_empty() => {
            let message = "文件中的事项与现行目录相同，没有需要调整的内容".to_owned();
            return refused(&state, &user, id, message, Vec::new()).await;
        }
        Ok(c) => c,
        Err(errors) => {
            let message = format!("文件有 {} 处错误，未导入任何内容：", errors.len());
            let rows = errors.iter().map(ToString::to_string).collect();
            return refused(&state, &user, id, message, rows).await;
        }
    };
    let changes: Vec<_> = changes
        .into_iter()
        .map(|(c, row)| (c, u32::try_from(row).ok()))
        .collect();
    let audit = jianfu_domain::audit::AuditEntry {
        after: Some(serde_json::json!({ "file": name, "changes": changes.len() }).to_string()),
        ..user.audit_entry("adjustment.import", &format!("adjustment/{id}"))
    };
    match catalog::set_changes(&state.db, id, &changes, &audit).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/adjustments/{id}?imported={}", changes.len())).into_response(),
        ),
        Err(Error::InvalidQuery(message)) => refused(&state, &user, id, message, Vec::new()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    effective_from: String,
}

/// One step of the procedure; a refusal comes back on the page with the rule's reason.
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ActForm>,
) -> Result<Response, PageError> {
    require_city(&state, &user, &format!("adjustment/{id}")).await?;
    user.check_csrf(&form.csrf)?;
    let day = match form.effective_from.trim() {
        "" => today(),
        raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                let message = format!("施行日期“{raw}”格式不正确，应为 YYYY-MM-DD");
                return refused(&state, &user, id, message, Vec::new()).await;
            }
        },
    };
    let Some(action) = action_of(&form.action, &form.reason, day) else {
        return refused(&state, &user, id, "未知的操作".into(), Vec::new()).await;
    };
    let view = catalog::adjustment(&state.db, id).await?;
    let Some(role) = acting_role(&user.principal.roles, &view.stage, &action) else {
        return Err(Error::Forbidden.into());
    };
    let audit = user.audit_entry("adjustment.act", &format!("adjustment/{id}"));
    match catalog::act(
        &state.db,
        id,
        &action,
        (&user.principal.username, role),
        &audit,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/adjustments/{id}?done={}",
            super::encode(&form.action)
        ))
        .into_response()),
        Err(ActError::Store(e)) => Err(e.into()),
        Err(e) => refused(&state, &user, id, e.to_string(), Vec::new()).await,
    }
}

/// The empty import template of a directory (public: departments prepare files offline).
pub async fn template(Path(kind): Path<String>) -> Result<Response, PageError> {
    let kind = parse_kind(&kind)?;
    let bytes = directory::template_xlsx(kind).map_err(|e| {
        tracing::error!(error = %e, "template");
        Error::Internal
    })?;
    let ascii = format!("{}-template.xlsx", kind.as_str());
    let name = format!("{}导入模板.xlsx", kind.label());
    Ok(super::attachment(bytes, super::XLSX, &ascii, &name))
}
