//! Server-rendered pages. A handler answers the partial an htmx request asks for and the whole
//! page otherwise, so every page also works without JavaScript and can be bookmarked.

mod adjustments;
mod admin;
mod admissions;
mod admitted;
mod calendar;
mod campaign;
mod catalog;
mod certificates;
mod dispatches;
mod home;
mod inspections;
mod notices;
mod notifications;
mod rectifications;
mod regions;
mod reports;
mod session;
mod signage;
mod units;
mod violations;
mod work_methods;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::{MethodRouter, get, post};
use jianfu_domain::account::{Perm, Role};
use jianfu_store::auth::Principal;

use crate::AppState;

/// Who may reach a route. Every page is registered with one (see [`pages`]), and the route
/// coverage test checks that each is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    LoggedIn,
    Perm(Perm),
}

/// Every page route with its access rule; the router is built from this list only.
pub fn pages() -> Vec<(&'static str, Access, MethodRouter<AppState>)> {
    use Access::{LoggedIn, Public};
    use jianfu_domain::account::Perm as P;
    vec![
        ("/", Public, get(home::page)),
        ("/regions", Public, get(regions::index)),
        ("/regions/{code}", Public, get(regions::show)),
        ("/directories", Public, get(catalog::index)),
        ("/directories/{kind}", Public, get(catalog::show)),
        (
            "/directories/{kind}/versions",
            Public,
            get(catalog::versions),
        ),
        ("/directories/{kind}/export", Public, get(catalog::export)),
        (
            "/directories/{kind}/template",
            Public,
            get(adjustments::template),
        ),
        (
            "/directories/{kind}/refinement-template",
            Public,
            get(adjustments::refinement_template),
        ),
        (
            "/adjustments",
            Access::Perm(P::HandleAdjustments),
            get(adjustments::list).post(adjustments::create),
        ),
        (
            "/adjustments/{id}",
            Access::Perm(P::HandleAdjustments),
            get(adjustments::show),
        ),
        (
            "/adjustments/{id}/import",
            Access::Perm(P::HandleAdjustments),
            post(adjustments::import),
        ),
        ("/admitted-tasks", Public, get(admitted::list)),
        ("/admitted-tasks/export", Public, get(admitted::export)),
        ("/admitted-tasks/{code}", Public, get(admitted::show)),
        (
            "/admitted-tasks/{code}/form.pdf",
            Public,
            get(admitted::form_pdf),
        ),
        (
            "/admissions",
            Access::Perm(P::HandleAdmissions),
            get(admissions::list).post(admissions::create),
        ),
        (
            "/admissions/new",
            Access::Perm(P::HandleAdmissions),
            get(admissions::new_form),
        ),
        (
            "/admissions/settings",
            Access::Perm(P::HandleAdmissions),
            post(admissions::set_deadlines),
        ),
        (
            "/admissions/webhook",
            Access::Perm(P::HandleAdmissions),
            post(admissions::set_webhook),
        ),
        (
            "/admissions/{id}",
            Access::Perm(P::HandleAdmissions),
            get(admissions::show),
        ),
        (
            "/admissions/{id}/edit",
            Access::Perm(P::HandleAdmissions),
            get(admissions::edit_form).post(admissions::update),
        ),
        (
            "/admissions/{id}/act",
            Access::Perm(P::HandleAdmissions),
            post(admissions::act),
        ),
        (
            "/admissions/{id}/reviewer",
            Access::Perm(P::HandleAdmissions),
            post(admissions::delegate),
        ),
        (
            "/admissions/{id}/attachments",
            Access::Perm(P::HandleAdmissions),
            post(admissions::attach),
        ),
        (
            "/admissions/{id}/attachments/{file}",
            Access::Perm(P::HandleAdmissions),
            get(admissions::attachment),
        ),
        (
            "/dispatches",
            Access::Perm(P::Dispatch),
            post(dispatches::submit),
        ),
        (
            "/dispatches/new",
            Access::Perm(P::Dispatch),
            get(dispatches::new_form),
        ),
        (
            "/dispatches/{id}",
            Access::Perm(P::Dispatch),
            get(dispatches::show),
        ),
        (
            "/inbox",
            Access::Perm(P::ReceiveTasks),
            get(dispatches::inbox),
        ),
        (
            "/inbox/{id}/act",
            Access::Perm(P::ReceiveTasks),
            post(dispatches::act),
        ),
        (
            "/reports",
            Access::Perm(P::ReceiveTasks),
            get(reports::list).post(reports::submit),
        ),
        // A report is read by the unit that filed it and by civil affairs above it.
        ("/reports/{id}", LoggedIn, get(reports::show)),
        (
            "/reports/{id}/evidence/{file}",
            LoggedIn,
            get(reports::evidence),
        ),
        (
            "/violations",
            Access::Perm(P::Supervise),
            get(violations::ledger),
        ),
        (
            "/violations/mine",
            Access::Perm(P::Dispatch),
            get(violations::mine),
        ),
        (
            "/disputes",
            Access::Perm(P::Supervise),
            get(violations::disputes),
        ),
        (
            "/disputes/{id}/ruling",
            Access::Perm(P::Supervise),
            post(violations::rule),
        ),
        (
            "/referrals",
            Access::Perm(P::Supervise),
            get(violations::referrals).post(violations::refer),
        ),
        (
            "/referrals/{id}/conclude",
            Access::Perm(P::Supervise),
            post(violations::conclude),
        ),
        (
            "/notice-drafts",
            Access::Perm(P::HandleNotices),
            get(notices::drafts).post(notices::create),
        ),
        ("/notices", Public, get(notices::published)),
        // Published notices are public; a draft is its level's staff's (checked inside).
        ("/notices/{id}", Public, get(notices::show)),
        ("/notices/{id}/pdf", Public, get(notices::pdf)),
        (
            "/notices/{id}/edit",
            Access::Perm(P::HandleNotices),
            post(notices::edit),
        ),
        (
            "/notices/{id}/act",
            Access::Perm(P::HandleNotices),
            post(notices::act),
        ),
        (
            "/certificates",
            Access::Perm(P::IssueCertificates),
            get(certificates::desk).post(certificates::submit),
        ),
        (
            "/certificates/oversight",
            Access::Perm(P::OverseeCertificates),
            get(certificates::oversight),
        ),
        (
            "/certificates/settings",
            Access::Perm(P::OverseeCertificates),
            get(certificates::settings).post(certificates::save_settings),
        ),
        (
            "/certificates/{no}",
            Access::Perm(P::IssueCertificates),
            get(certificates::show),
        ),
        (
            "/certificates/{no}/pdf",
            Access::Perm(P::IssueCertificates),
            get(certificates::pdf),
        ),
        (
            "/certificates/{no}/id",
            Access::Perm(P::IssueCertificates),
            post(certificates::reveal),
        ),
        (
            "/certificates/{no}/revoke",
            Access::Perm(P::IssueCertificates),
            post(certificates::revoke),
        ),
        (
            "/certificates/{no}/reissue",
            Access::Perm(P::IssueCertificates),
            post(certificates::reissue),
        ),
        (
            "/seal-uses",
            Access::Perm(P::IssueCertificates),
            get(certificates::seals).post(certificates::record_seal),
        ),
        // A unit's own accounts record its self-check; those overseeing its region read it
        // (the handlers check permission and scope).
        (
            "/signage",
            LoggedIn,
            get(signage::show).post(signage::submit),
        ),
        (
            "/signage/photos",
            Access::Perm(P::RecordSignage),
            post(signage::upload_photo),
        ),
        // Read by whoever may read the unit's self-check (checked inside).
        ("/signage/photos/{id}", LoggedIn, get(signage::photo)),
        (
            "/signage/progress",
            Access::Perm(P::OverseeSignage),
            get(signage::progress),
        ),
        (
            "/signage/rules",
            Access::Perm(P::OverseeSignage),
            get(signage::rules),
        ),
        (
            "/signage/rules/import",
            Access::Perm(P::OverseeSignage),
            post(signage::import_rules),
        ),
        (
            "/signage/rules/share",
            Access::Perm(P::OverseeSignage),
            post(signage::set_share),
        ),
        // A unit's accounts and those above it read; recording is checked inside.
        (
            "/work-methods",
            LoggedIn,
            get(work_methods::show).post(work_methods::add),
        ),
        ("/work-methods/{id}/end", LoggedIn, post(work_methods::end)),
        (
            "/inspections",
            Access::Perm(P::FollowCampaign),
            get(inspections::index),
        ),
        (
            "/inspections/groups",
            Access::Perm(P::Inspect),
            post(inspections::create_group),
        ),
        (
            "/inspections/plans",
            Access::Perm(P::Inspect),
            post(inspections::create_plan),
        ),
        // The plan's group, or those following the campaign once it is disclosed (checked inside).
        (
            "/inspections/plans/{id}",
            LoggedIn,
            get(inspections::show_plan),
        ),
        (
            "/inspections/plans/{id}/act",
            Access::Perm(P::Inspect),
            post(inspections::act_plan),
        ),
        (
            "/inspections/plans/{id}/redraw",
            Access::Perm(P::Inspect),
            post(inspections::redraw),
        ),
        (
            "/inspections/plans/{id}/findings",
            Access::Perm(P::Inspect),
            post(inspections::add_finding),
        ),
        (
            "/inspections/findings/{id}/rectification",
            Access::Perm(P::Inspect),
            post(inspections::issue),
        ),
        // Whoever may read the finding's plan or its rectification (checked inside).
        ("/inspections/files/{id}", LoggedIn, get(inspections::file)),
        // The responsible unit and those above it, and the group's inspectors (checked inside).
        ("/rectifications", LoggedIn, get(rectifications::list)),
        ("/rectifications/{id}", LoggedIn, get(rectifications::show)),
        (
            "/rectifications/{id}/act",
            LoggedIn,
            post(rectifications::act),
        ),
        (
            "/campaign",
            Access::Perm(P::FollowCampaign),
            get(campaign::show).post(campaign::set),
        ),
        ("/verify", Public, get(certificates::verify_form)),
        ("/verify/{no}", Public, get(certificates::verify)),
        ("/notifications", LoggedIn, get(notifications::list)),
        ("/notifications/read", LoggedIn, post(notifications::read)),
        (
            "/admin/calendar",
            Access::Perm(P::ManageCalendar),
            get(calendar::show),
        ),
        (
            "/admin/calendar/import",
            Access::Perm(P::ManageCalendar),
            post(calendar::import),
        ),
        (
            "/adjustments/{id}/refine",
            Access::Perm(P::HandleAdjustments),
            post(adjustments::refine),
        ),
        (
            "/adjustments/{id}/act",
            Access::Perm(P::HandleAdjustments),
            post(adjustments::act),
        ),
        (
            "/directories/{kind}/items/{item}",
            Public,
            get(catalog::item),
        ),
        (
            "/login",
            Public,
            get(session::login_form).post(session::login),
        ),
        ("/logout", LoggedIn, post(session::logout)),
        ("/me", LoggedIn, get(session::workbench)),
        (
            "/units/{code}",
            Access::Perm(P::ViewUnits),
            get(units::show),
        ),
        (
            "/account/password",
            LoggedIn,
            get(session::password_form).post(session::change_password),
        ),
        (
            "/account/totp",
            LoggedIn,
            get(session::totp_form).post(session::enroll_totp),
        ),
        (
            "/admin/accounts",
            Access::Perm(P::ManageAccounts),
            get(admin::accounts).post(admin::create_account),
        ),
        (
            "/admin/accounts/{username}/{action}",
            Access::Perm(P::ManageAccounts),
            post(admin::account_action),
        ),
        (
            "/admin/roles",
            Access::Perm(P::ManageRoles),
            get(admin::roles).post(admin::assign_roles),
        ),
        (
            "/admin/audit",
            Access::Perm(P::ReadAudit),
            get(admin::audit),
        ),
        (
            "/admin/audit/export",
            Access::Perm(P::ReadAudit),
            get(admin::audit_export),
        ),
    ]
}

pub fn router() -> Router<AppState> {
    pages()
        .into_iter()
        .fold(Router::new(), |r, (path, _, method)| r.route(path, method))
}

/// The header menu: public entries, then what the caller's roles open.
pub struct Nav {
    pub user: Option<NavUser>,
    pub menu: Vec<(&'static str, String)>,
}

pub struct NavUser {
    pub name: String,
    pub csrf: String,
}

impl Nav {
    pub fn new(user: Option<&Principal>) -> Nav {
        let mut menu = vec![
            ("首页", "/".into()),
            ("指导目录", "/directories".into()),
            ("准入事项", "/admitted-tasks".into()),
            ("通报公开", "/notices".into()),
            ("证明核验", "/verify".into()),
            ("行政区划", "/regions".into()),
        ];
        if let Some(p) = user {
            menu.push(("工作台", "/me".into()));
            if p.roles.iter().any(|r| r.has(Perm::ViewUnits)) {
                menu.push(("辖区单位", format!("/units/{}", p.region)));
            }
            // The city adjusts its directories; a district refines them.
            if p.roles.iter().any(|r| r.has(Perm::HandleAdjustments))
                && matches!(
                    p.region.level(),
                    jianfu_domain::Level::Province | jianfu_domain::Level::County
                )
            {
                menu.push(("目录调整", "/adjustments".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::HandleAdmissions))
                && matches!(
                    p.region.level(),
                    jianfu_domain::Level::Province | jianfu_domain::Level::County
                )
            {
                menu.push(("准入管理", "/admissions".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::Dispatch)) {
                menu.push(("任务派发", "/dispatches/new".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::Dispatch)) {
                menu.push(("本单位违规记录", "/violations/mine".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::ReceiveTasks)) {
                menu.push(("收到的任务", "/inbox".into()));
                if p.region.level() == jianfu_domain::Level::Village {
                    menu.push(("报告场外任务", "/reports".into()));
                }
            }
            if p.roles.iter().any(|r| r.has(Perm::IssueCertificates))
                && p.region.level() == jianfu_domain::Level::Village
            {
                menu.push(("证明开具", "/certificates".into()));
                menu.push(("用章登记", "/seal-uses".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::OverseeCertificates)) {
                menu.push(("证明事项统计", "/certificates/oversight".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::RecordSignage))
                && p.region.level() == jianfu_domain::Level::Village
            {
                menu.push(("机制牌子自查", "/signage".into()));
                menu.push(("工作方式", "/work-methods".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::OverseeSignage)) {
                menu.push(("机制牌子整改进度", "/signage/progress".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::FollowCampaign)) {
                menu.push(("检查评估", "/inspections".into()));
            }
            if p.roles
                .iter()
                .any(|r| r.has(Perm::FollowCampaign) || r.has(Perm::Rectify))
            {
                menu.push(("整改", "/rectifications".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::FollowCampaign)) {
                menu.push(("时间安排", "/campaign".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::Supervise)) {
                menu.push(("异议处理", "/disputes".into()));
                menu.push(("违规台账", "/violations".into()));
            }
            if p.roles.iter().any(|r| r.has(Perm::HandleNotices))
                && matches!(
                    p.region.level(),
                    jianfu_domain::Level::Province | jianfu_domain::Level::County
                )
            {
                menu.push(("通报", "/notice-drafts".into()));
            }
            menu.push(("消息", "/notifications".into()));
            for (role, label, href) in [
                (Role::SystemAdmin, "账号管理", "/admin/accounts"),
                (Role::SystemAdmin, "节假日安排", "/admin/calendar"),
                (Role::SecurityAdmin, "角色权限", "/admin/roles"),
                (Role::AuditAdmin, "审计日志", "/admin/audit"),
            ] {
                if p.roles.contains(&role) {
                    menu.push((label, href.into()));
                }
            }
        }
        menu.push(("接口文档", "/api/docs/".into()));
        Nav {
            user: user.map(|p| NavUser {
                name: p.display_name.clone(),
                csrf: p.csrf.clone().unwrap_or_default(),
            }),
            menu,
        }
    }
}

/// A breadcrumb: the last one has no link.
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

impl Crumb {
    pub fn link(label: impl Into<String>, href: impl Into<String>) -> Crumb {
        Crumb {
            label: label.into(),
            href: Some(href.into()),
        }
    }

    pub fn here(label: impl Into<String>) -> Crumb {
        Crumb {
            label: label.into(),
            href: None,
        }
    }
}

/// True for htmx requests that swap part of a page (not for boosted navigation).
fn wants_partial(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request") && !headers.contains_key("hx-boosted")
}

/// Percent-encodes a query value (names are Chinese, so this matters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The MIME type of .xlsx files.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file form as the import pages send it: its anti-forgery token and one file.
pub struct Upload {
    pub csrf: String,
    /// The file's name, lowercased (its ending tells how to read it); empty when none chosen.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads a `multipart/form-data` body with a `csrf` field and a `file` field. Call it only
/// once the caller may upload here: the body is read now.
pub async fn upload(
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Upload, jianfu_domain::Error> {
    let unreadable =
        |e: String| jianfu_domain::Error::InvalidQuery(format!("上传的表单无法读取：{e}"));
    let mut form = form.map_err(|e| unreadable(e.to_string()))?;
    let mut upload = Upload {
        csrf: String::new(),
        name: String::new(),
        bytes: Vec::new(),
    };
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| unreadable(e.to_string()))?
    {
        match field.name() {
            Some("csrf") => upload.csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                upload.name = field.file_name().unwrap_or_default().to_lowercase();
                upload.bytes = field
                    .bytes()
                    .await
                    .map_err(|e| {
                        jianfu_domain::Error::InvalidQuery(format!("文件上传未完成：{e}"))
                    })?
                    .to_vec();
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// The value of `name` in a posted form, empty when absent.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A posted form's fields, once its anti-forgery token is checked.
pub fn posted(
    user: &crate::auth::CurrentUser,
    body: &[u8],
) -> Result<Vec<(String, String)>, jianfu_domain::Error> {
    let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    user.check_csrf(field(&form, "csrf"))?;
    Ok(form)
}

/// A form with text fields and any number of files (`multipart/form-data`): the fields as
/// (name, value) and the files chosen as (field name, file name, bytes); a file input left
/// empty sends no file. Call it only once the caller may post here: the body is read now.
pub async fn multipart(
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(Vec<(String, String)>, Vec<(String, String, Vec<u8>)>), jianfu_domain::Error> {
    let unreadable =
        |e: String| jianfu_domain::Error::InvalidQuery(format!("上传的表单无法读取：{e}"));
    let mut form = form.map_err(|e| unreadable(e.to_string()))?;
    let (mut fields, mut files) = (Vec::new(), Vec::new());
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| unreadable(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file) => {
                let bytes = field.bytes().await.map_err(|e| {
                    jianfu_domain::Error::InvalidQuery(format!("文件上传未完成：{e}"))
                })?;
                if !file.is_empty() && !bytes.is_empty() {
                    files.push((name, file, bytes.to_vec()));
                }
            }
            None => fields.push((name, field.text().await.unwrap_or_default())),
        }
    }
    Ok((fields, files))
}

/// A file to download: `ascii` for old clients, `name` (Chinese) for every current browser.
pub fn attachment(bytes: Vec<u8>, mime: &str, ascii: &str, name: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        encode(name)
    );
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// A moment as officials read it: Beijing time to the minute.
pub fn beijing(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// 5617 → "5,617": officials read large counts with separators.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(5617), "5,617");
        assert_eq!(super::thousands(620573), "620,573");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
