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
use crate::auth::{CurrentUser, roles_text};
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
    csrf: String,
    roles: Vec<(&'static str, &'static str)>,
    form: NewAccountForm,
    error: Option<String>,
    /// The one-time password of the account just opened, shown this once.
    created: Option<(String, String)>,
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
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        form,
        error,
        created,
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
    let p = &user.principal;
    let audit = AuditEntry {
        actor: p.username.clone(),
        role: roles_text(&p.roles),
        source_ip: user.source_ip.clone(),
        event: "account.create".into(),
        object: username.clone(),
        result: "ok".into(),
        before: None,
        after: Some(format!(
            "{{\"region\":\"{region}\",\"roles\":[\"{}\"]}}",
            role.as_str()
        )),
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
}

const PERMS: [(Perm, &str); 3] = [
    (Perm::ManageAccounts, "账号管理"),
    (Perm::ManageRoles, "角色与安全设置"),
    (Perm::ReadAudit, "审计日志查阅"),
];

pub async fn roles(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<RolesPage, PageError> {
    user.require(&state, Perm::ManageRoles, "/admin/roles")
        .await?;
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
    })
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    event: Option<String>,
    result: Option<String>,
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
    fn to_filter(&self) -> AuditFilter {
        AuditFilter {
            actor: self.actor.clone(),
            event: self.event.clone(),
            result: self.result.clone(),
        }
    }
}

/// The filter of a search or export as the JSON an audit record's `after` holds.
fn filter_json(filter: &AuditFilter, rows: Option<usize>) -> String {
    serde_json::json!({
        "actor": filter.actor,
        "event": filter.event,
        "result": filter.result,
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
    let p = &user.principal;
    let entry = AuditEntry {
        actor: p.username.clone(),
        role: roles_text(&p.roles),
        source_ip: user.source_ip.clone(),
        event: event.into(),
        object: "audit_log".into(),
        result: "ok".into(),
        before: None,
        after: Some(detail),
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
    let filter = q.to_filter();
    record_reading(&state, &user, "audit.search", filter_json(&filter, None)).await?;
    let p = &user.principal;
    let found =
        jianfu_store::audit::search(&state.db, &filter, PageRequest::new(q.page, Some(50))).await?;
    let text = |v: Option<String>| v.unwrap_or_default();
    let (actor, event, result) = (text(q.actor), text(q.event), text(q.result));
    let query = format!(
        "actor={}&event={}&result={}",
        encode(&actor),
        encode(&event),
        encode(&result)
    );
    Ok(AuditPage {
        nav: Nav::new(Some(p)),
        crumbs: crumbs("审计日志"),
        base: format!("/admin/audit?{query}"),
        export_link: format!("/admin/audit/export?{query}"),
        actor,
        event,
        result,
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
    use axum::http::header;
    use axum::response::IntoResponse;
    user.require(&state, Perm::ReadAudit, "/admin/audit/export")
        .await?;
    let filter = q.to_filter();
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
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"audit.xlsx\"; filename*=UTF-8''{}",
                    super::encode(&name)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
