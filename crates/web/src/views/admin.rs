//! The three administrators' pages: accounts (system), roles and permissions (security), and
//! the audit log (audit). Each checks its permission first; a refusal is audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use jianfu_domain::PageRequest;
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::audit::{AuditEntry, AuditRecord};
use jianfu_store::account::AccountSummary;
use jianfu_store::audit::AuditFilter;
use serde::Deserialize;

use super::{Crumb, Nav, encode, thousands};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::PageError;

fn crumbs(here: &str) -> Vec<Crumb> {
    vec![
        Crumb::link("首页", "/"),
        Crumb::link("工作台", "/me"),
        Crumb::here(here),
    ]
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_accounts.html")]
pub struct AccountsPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    accounts: Vec<AccountSummary>,
    /// The administrator's own username: no actions on one's own account.
    me: String,
    csrf: String,
    roles: Vec<(&'static str, &'static str)>,
    form: NewAccountForm,
    error: Option<String>,
    /// The one-time password of the account just opened, shown this once.
    created: Option<(String, String)>,
    /// The one-time password of the account whose password was just reset, shown this once.
    reset: Option<(String, String)>,
    /// What the last action did, in words.
    done: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct NewAccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    department: String,
}

async fn accounts_page(
    state: &AppState,
    user: &CurrentUser,
    form: NewAccountForm,
    error: Option<String>,
    created: Option<(String, String)>,
) -> Result<AccountsPage, PageError> {
    Ok(AccountsPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: crumbs("账号管理"),
        accounts: jianfu_store::account::list(&state.db).await?,
        me: user.principal.username.clone(),
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        form,
        error,
        created,
        reset: None,
        done: None,
    })
}

pub async fn accounts(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<AccountsPage, PageError> {
    user.require(&state, Perm::ManageAccounts, "/admin/accounts")
        .await?;
    accounts_page(&state, &user, NewAccountForm::default(), None, None).await
}

/// Opens an account from the form; every rule is checked by the store, and a refusal comes
/// back beside the form with what was typed kept.
pub async fn create_account(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::Form(form): axum::Form<NewAccountForm>,
) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse;
    user.require(&state, Perm::ManageAccounts, "/admin/accounts")
        .await?;
    user.check_csrf(&form.csrf)?;
    let refuse = |message: String| async {
        let page = accounts_page(&state, &user, form.clone(), Some(message), None).await?;
        Ok::<_, PageError>((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let Some(role) = Role::parse(&form.role) else {
        return refuse("请选择角色".into()).await;
    };
    let Ok(region) = jianfu_domain::RegionCode::parse(&form.region) else {
        return refuse(format!("区划代码“{}”格式不正确", form.region.trim())).await;
    };
    let username = form.username.trim().to_lowercase();
    let new = jianfu_store::account::NewAccount {
        display_name: if form.display_name.trim().is_empty() {
            username.clone()
        } else {
            form.display_name.trim().to_owned()
        },
        username: username.clone(),
        region,
        department: Some(form.department.trim().to_owned()).filter(|d| !d.is_empty()),
        roles: vec![role],
        is_demo: false,
        must_change_password: true,
    };
    let audit = AuditEntry {
        after: Some(format!(
            "{{\"region\":\"{region}\",\"roles\":[\"{}\"]}}",
            role.as_str()
        )),
        ..user.audit_entry("account.create", &username)
    };
    let password = jianfu_store::auth::one_time_password();
    match jianfu_store::account::create(&state.db, &new, &password, &audit).await {
        Ok(()) => Ok(accounts_page(
            &state,
            &user,
            NewAccountForm::default(),
            None,
            Some((username, password)),
        )
        .await?
        .into_response()),
        Err(jianfu_store::account::AccountError::Store(e)) => Err(e.into()),
        Err(e) => refuse(e.to_string()).await,
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// 停用 / 启用 / 重置密码 on one account, from the buttons of the account list. The outcome
/// (or the reason for a refusal) is shown above the list; a new one-time password only once.
pub async fn account_action(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Path((username, action)): axum::extract::Path<(String, String)>,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse;
    use jianfu_store::account;
    user.require(&state, Perm::ManageAccounts, "/admin/accounts")
        .await?;
    user.check_csrf(&form.csrf)?;
    let mut created = None;
    let outcome = match action.as_str() {
        "disable" | "enable" => {
            let event = format!("account.{action}");
            let entry = user.audit_entry(&event, &username);
            account::set_disabled(&state.db, &username, action == "disable", &entry).await
        }
        "reset-password" => {
            let entry = user.audit_entry("account.password_reset", &username);
            let password = jianfu_store::auth::one_time_password();
            let done = account::reset_password(&state.db, &username, &password, &entry).await;
            if done.is_ok() {
                created = Some((username.clone(), password));
            }
            done
        }
        _ => return Err(jianfu_domain::Error::RouteNotFound(action).into()),
    };
    let (status, error) = match outcome {
        Ok(()) => (axum::http::StatusCode::OK, None),
        Err(account::AccountError::Store(e)) => return Err(e.into()),
        Err(e) => (
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            Some(e.to_string()),
        ),
    };
    let mut page = accounts_page(&state, &user, NewAccountForm::default(), error, None).await?;
    page.reset = created;
    page.done = (status.is_success() && page.reset.is_none()).then(|| {
        let verb = if action == "disable" {
            "停用"
        } else {
            "启用"
        };
        format!("已{verb}账号 {username}")
    });
    Ok((status, page).into_response())
}

pub struct RoleRow {
    pub label: &'static str,
    pub code: &'static str,
    pub grants: Vec<bool>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_roles.html")]
pub struct RolesPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    perms: Vec<&'static str>,
    rows: Vec<RoleRow>,
    accounts: Vec<AccountSummary>,
    me: String,
    csrf: String,
    /// The account being edited and the roles ticked, kept after a refusal.
    editing: String,
    ticked: Vec<Role>,
    error: Option<String>,
    done: Option<String>,
}

impl RolesPage {
    /// Whether `role` is ticked for `account` in the assignment form.
    pub fn holds(&self, account: &AccountSummary, role: &Role) -> bool {
        if account.username == self.editing {
            self.ticked.contains(role)
        } else {
            account.roles.contains(role)
        }
    }
}

const PERMS: [(Perm, &str); 11] = [
    (Perm::ManageAccounts, "账号管理"),
    (Perm::ManageRoles, "角色与安全设置"),
    (Perm::ReadAudit, "审计日志查阅"),
    (Perm::ViewUnits, "辖区单位查看"),
    (Perm::ManageCalendar, "节假日安排维护"),
    (
        Perm::HandleAdjustments,
        "指导目录调整（起草、审核、审批、发布）",
    ),
    (Perm::HandleAdmissions, "准入事项（申请、会签、初审、审批）"),
    (Perm::Dispatch, "任务派发"),
    (Perm::ReceiveTasks, "接收任务、报告场外派发"),
    (Perm::Supervise, "异议裁定、违规台账、追责问责移交"),
    (Perm::HandleNotices, "通报（起草、审批、发布）"),
];

async fn roles_page(state: &AppState, user: &CurrentUser) -> Result<RolesPage, PageError> {
    Ok(RolesPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: crumbs("角色权限"),
        perms: PERMS.iter().map(|(_, l)| *l).collect(),
        rows: Role::ALL
            .iter()
            .map(|r| RoleRow {
                label: r.label(),
                code: r.as_str(),
                grants: PERMS.iter().map(|(p, _)| r.has(*p)).collect(),
            })
            .collect(),
        accounts: jianfu_store::account::list(&state.db).await?,
        me: user.principal.username.clone(),
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        editing: String::new(),
        ticked: Vec::new(),
        error: None,
        done: None,
    })
}

pub async fn roles(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<RolesPage, PageError> {
    user.require(&state, Perm::ManageRoles, "/admin/roles")
        .await?;
    roles_page(&state, &user).await
}

/// Replaces one account's roles from the row's ticks (`csrf`, `username`, `role.<code>` fields).
/// The store checks 三员分立, levels and departments; a refusal keeps the ticks and says why.
pub async fn assign_roles(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse;
    user.require(&state, Perm::ManageRoles, "/admin/roles")
        .await?;
    user.check_csrf(form.get("csrf").map_or("", String::as_str))?;
    let username = form.get("username").cloned().unwrap_or_default();
    let ticked: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| form.contains_key(&format!("role.{}", r.as_str())))
        .collect();
    let entry = user.audit_entry("account.roles", &username);
    let outcome = jianfu_store::account::set_roles(&state.db, &username, &ticked, &entry).await;
    let mut page = roles_page(&state, &user).await?;
    match outcome {
        Ok(()) => {
            page.done = Some(format!(
                "已更新 {username} 的角色；其登录已全部退出，重新登录后生效"
            ));
            Ok(page.into_response())
        }
        Err(jianfu_store::account::AccountError::Store(e)) => Err(e.into()),
        Err(e) => {
            page.error = Some(format!("{username}：{e}"));
            page.editing = username;
            page.ticked = ticked;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    event: Option<String>,
    result: Option<String>,
    /// `YYYY-MM-DD` from the date inputs; empty means no bound.
    from: Option<String>,
    to: Option<String>,
    page: Option<u64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_audit.html")]
pub struct AuditPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    actor: String,
    event: String,
    result: String,
    from: String,
    to: String,
    records: Vec<AuditRecord>,
    total: String,
    page: u64,
    pages: u64,
    base: String,
    export_link: String,
}

impl AuditPage {
    pub fn link(&self, page: &u64) -> String {
        format!("{}&page={page}", self.base)
    }

    pub fn result_label(&self, result: &str) -> &'static str {
        result_label(result)
    }

    pub fn beijing(&self, at: &str) -> String {
        beijing_time(at)
    }
}

impl AuditQuery {
    /// The store's filter; a date that is not a date is refused with its field named.
    fn to_filter(&self) -> Result<AuditFilter, jianfu_domain::Error> {
        let day = |label: &str, v: &Option<String>| {
            let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty());
            v.map(|s| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                    jianfu_domain::Error::InvalidQuery(format!(
                        "{label}“{s}”不是有效日期，应为 年-月-日，例如 2026-11-28"
                    ))
                })
            })
            .transpose()
        };
        Ok(AuditFilter {
            actor: self.actor.clone(),
            event: self.event.clone(),
            result: self.result.clone(),
            from: day("起始日期", &self.from)?,
            to: day("截止日期", &self.to)?,
        })
    }
}

/// The filter of a search or export as the JSON an audit record's `after` holds.
fn filter_json(filter: &AuditFilter, rows: Option<usize>) -> String {
    serde_json::json!({
        "actor": filter.actor,
        "event": filter.event,
        "result": filter.result,
        "from": filter.from,
        "to": filter.to,
        "rows": rows,
    })
    .to_string()
}

/// Searching and exporting the audit log are security events themselves.
async fn record_reading(
    state: &AppState,
    user: &CurrentUser,
    event: &str,
    detail: String,
) -> Result<(), jianfu_domain::Error> {
    let entry = AuditEntry {
        after: Some(detail),
        ..user.audit_entry(event, "audit_log")
    };
    jianfu_store::audit::append(&state.db, &entry)
        .await
        .map(|_| ())
        .map_err(|_| jianfu_domain::Error::Internal)
}

pub async fn audit(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, PageError> {
    user.require(&state, Perm::ReadAudit, "/admin/audit")
        .await?;
    let filter = q.to_filter()?;
    record_reading(&state, &user, "audit.search", filter_json(&filter, None)).await?;
    let p = &user.principal;
    let found =
        jianfu_store::audit::search(&state.db, &filter, PageRequest::new(q.page, Some(50))).await?;
    let text = |v: Option<String>| v.unwrap_or_default();
    let (actor, event, result) = (text(q.actor), text(q.event), text(q.result));
    let (from, to) = (text(q.from), text(q.to));
    let query = format!(
        "actor={}&event={}&result={}&from={}&to={}",
        encode(&actor),
        encode(&event),
        encode(&result),
        encode(&from),
        encode(&to)
    );
    Ok(AuditPage {
        nav: Nav::new(Some(p)),
        crumbs: crumbs("审计日志"),
        base: format!("/admin/audit?{query}"),
        export_link: format!("/admin/audit/export?{query}"),
        actor,
        event,
        result,
        from,
        to,
        total: thousands(found.total),
        page: found.page,
        pages: found.pages(),
        records: found.items,
    })
}

/// Results in words.
fn result_label(result: &str) -> &'static str {
    match result {
        "ok" => "成功",
        "failed" => "失败",
        "denied" => "拒绝",
        _ => "其他",
    }
}

/// Records keep UTC; people read Beijing time.
fn beijing_time(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at).map_or_else(
        |_| at.to_owned(),
        |t| {
            t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset"))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    )
}

/// Rows one export may hold; narrow the filter for more.
const EXPORT_LIMIT: u64 = 100_000;

pub async fn audit_export(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<axum::response::Response, PageError> {
    user.require(&state, Perm::ReadAudit, "/admin/audit/export")
        .await?;
    let filter = q.to_filter()?;
    let records = jianfu_store::audit::export(&state.db, &filter, EXPORT_LIMIT).await?;
    record_reading(
        &state,
        &user,
        "audit.export",
        filter_json(&filter, Some(records.len())),
    )
    .await?;
    let rows = records.into_iter().map(|r| {
        vec![
            r.seq.to_string(),
            beijing_time(&r.at),
            r.entry.actor,
            r.entry.role,
            r.entry.source_ip,
            r.entry.event,
            r.entry.object,
            result_label(&r.entry.result).to_owned(),
            r.entry.before.unwrap_or_default(),
            r.entry.after.unwrap_or_default(),
            r.hash,
        ]
    });
    let headers = [
        "序号",
        "时间（北京时间）",
        "操作人",
        "角色",
        "来源",
        "事件",
        "对象",
        "结果",
        "变更前",
        "变更后",
        "哈希",
    ];
    let bytes = jianfu_docs::xlsx::workbook("审计日志", &headers, rows)
        .map_err(|_| jianfu_domain::Error::Internal)?;
    let name = format!("审计日志-{}.xlsx", chrono::Utc::now().format("%Y%m%d"));
    Ok(super::attachment(bytes, super::XLSX, "audit.xlsx", &name))
}
