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
}

pub async fn accounts(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<AccountsPage, PageError> {
    user.require(&state, Perm::ManageAccounts, "/admin/accounts")
        .await?;
    Ok(AccountsPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: crumbs("账号管理"),
        accounts: jianfu_store::account::list(&state.db).await?,
    })
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
}

impl AuditPage {
    pub fn link(&self, page: &u64) -> String {
        format!("{}&page={page}", self.base)
    }

    /// Results in words.
    pub fn result_label(&self, result: &str) -> &'static str {
        match result {
            "ok" => "成功",
            "failed" => "失败",
            "denied" => "拒绝",
            _ => "其他",
        }
    }

    /// Records keep UTC; people read Beijing time.
    pub fn beijing(&self, at: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(at).map_or_else(
            |_| at.to_owned(),
            |t| {
                t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset"))
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            },
        )
    }
}

pub async fn audit(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, PageError> {
    user.require(&state, Perm::ReadAudit, "/admin/audit")
        .await?;
    let filter = AuditFilter {
        actor: q.actor.clone(),
        event: q.event.clone(),
        result: q.result.clone(),
    };
    // Searching the audit log is itself a security event.
    let p = &user.principal;
    let search = AuditEntry {
        actor: p.username.clone(),
        role: roles_text(&p.roles),
        source_ip: user.source_ip.clone(),
        event: "audit.search".into(),
        object: "audit_log".into(),
        result: "ok".into(),
        before: None,
        after: Some(format!("{filter:?}")),
    };
    jianfu_store::audit::append(&state.db, &search)
        .await
        .map_err(|_| jianfu_domain::Error::Internal)?;
    let found =
        jianfu_store::audit::search(&state.db, &filter, PageRequest::new(q.page, Some(50))).await?;
    let text = |v: Option<String>| v.unwrap_or_default();
    let (actor, event, result) = (text(q.actor), text(q.event), text(q.result));
    Ok(AuditPage {
        nav: Nav::new(Some(p)),
        crumbs: crumbs("审计日志"),
        base: format!(
            "/admin/audit?actor={}&event={}&result={}",
            encode(&actor),
            encode(&event),
            encode(&result)
        ),
        actor,
        event,
        result,
        total: thousands(found.total),
        page: found.page,
        pages: found.pages(),
        records: found.items,
    })
}
