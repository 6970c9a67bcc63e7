//! The three administrators' work in the browser beyond opening accounts: the system
//! administrator disables, re-enables and resets accounts; the security administrator assigns
//! roles under the 三员分立 rules; the audit administrator filters by date.

use axum::http::StatusCode;
use jianfu_domain::account::Role;

use crate::support::{PASSWORD, Session, TestApp};

/// The one-time password a page shows once.
fn shown_password(body: &str) -> String {
    let marker = r#"一次性密码 <b class="code">"#;
    let start = body.find(marker).expect("a one-time password is shown") + marker.len();
    body[start..]
        .split('<')
        .next()
        .unwrap()
        .replace("&#43;", "+")
        .replace("&#35;", "#")
        .replace("&amp;", "&")
}

async fn act(app: &TestApp, admin: &Session, username: &str, action: &str) -> (StatusCode, String) {
    let uri = format!("/admin/accounts/{username}/{action}");
    let r = app
        .post_form(&uri, &format!("csrf={}", admin.csrf), Some(admin))
        .await;
    (r.status, r.body)
}

#[tokio::test]
async fn the_system_administrator_disables_enables_and_resets_accounts() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("sys.wang", "12", &[Role::SystemAdmin], None)
        .await;
    app.account("sq.he", "120101001001", &[Role::VillageWorker], None)
        .await;
    let admin = app.login("sys.wang", PASSWORD).await.unwrap();
    let worker = app.login("sq.he", PASSWORD).await.unwrap();
    assert_eq!(app.get_as("/me", &worker).await.status, 200);

    // Disabling ends the worker's session at once and refuses new logins.
    let (status, body) = act(&app, &admin, "sq.he", "disable").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("已停用账号 sq.he"));
    assert_eq!(
        app.get_as("/me", &worker).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(app.login("sq.he", PASSWORD).await.is_none());
    let (status, _) = act(&app, &admin, "sq.he", "enable").await;
    assert_eq!(status, 200);
    let worker = app.login("sq.he", PASSWORD).await.expect("enabled again");

    // A reset gives a one-time password shown once, ends sessions and forces a change.
    let (status, body) = act(&app, &admin, "sq.he", "reset-password").await;
    assert_eq!(status, 200, "{body}");
    let password = shown_password(&body);
    assert_eq!(
        app.get_as("/me", &worker).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        app.login("sq.he", PASSWORD).await.is_none(),
        "old password gone"
    );
    let again = app.login("sq.he", &password).await.unwrap();
    assert_eq!(again.landed, "/account/password");

    // Never on one's own account, nor on an account that does not exist.
    let (status, body) = act(&app, &admin, "sys.wang", "disable").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("不能对自己的账号执行此操作"));
    let (status, body) = act(&app, &admin, "nobody", "reset-password").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("账号“nobody”不存在"));
    // A forged form (no anti-forgery token) changes nothing.
    let r = app
        .post_form("/admin/accounts/sq.he/disable", "csrf=forged", Some(&admin))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.login("sq.he", &password).await.is_some());

    let log = app.audit_log().await;
    let events: Vec<(&str, &str)> = log
        .iter()
        .filter(|r| r.object == "sq.he" && r.event.starts_with("account."))
        .map(|r| (r.event.as_str(), r.actor.as_str()))
        .collect();
    assert_eq!(
        events[1..],
        [
            ("account.disable", "sys.wang"),
            ("account.enable", "sys.wang"),
            ("account.password_reset", "sys.wang"),
        ]
    );
    let disable = log.iter().find(|r| r.event == "account.disable").unwrap();
    assert_eq!(disable.before.as_deref(), Some(r#"{"disabled":false}"#));
    assert_eq!(disable.after.as_deref(), Some(r#"{"disabled":true}"#));
    app.finish().await;
}

#[tokio::test]
async fn the_security_administrator_assigns_roles_under_the_rules() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("sec.zhang", "12", &[Role::SecurityAdmin], None)
        .await;
    app.account("mz.liu", "120101", &[Role::CivilAffairs], None)
        .await;
    let sec = app.login("sec.zhang", PASSWORD).await.unwrap();
    let officer = app.login("mz.liu", PASSWORD).await.unwrap();
    let assign = |roles: &[&str]| {
        let ticks: String = roles.iter().map(|r| format!("&role.{r}=on")).collect();
        format!("csrf={}&username=mz.liu{ticks}", sec.csrf)
    };
    let page = app.get_as("/admin/roles", &sec).await;
    assert!(page.body.contains(r#"name="role.civil_affairs" checked"#));

    // An administrator role beside a business role breaks 三员分立: refused, ticks kept.
    let r = app
        .post_form(
            "/admin/roles",
            &assign(&["civil_affairs", "audit_admin"]),
            Some(&sec),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("mz.liu："), "{}", r.body);
    assert!(r.body.contains(r#"name="role.audit_admin" checked"#));
    // A role that does not fit a district-level unit.
    let r = app
        .post_form("/admin/roles", &assign(&["village_worker"]), Some(&sec))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("不能设在"));
    let r = app
        .post_form("/admin/roles", &assign(&[]), Some(&sec))
        .await;
    assert!(r.body.contains("至少要分配一个角色"));

    // Accepted: the officer's sessions end, the next login carries the new roles.
    let r = app
        .post_form(
            "/admin/roles",
            &assign(&["civil_affairs", "inspector"]),
            Some(&sec),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get_as("/me", &officer).await.status,
        StatusCode::SEE_OTHER
    );
    let officer = app.login("mz.liu", PASSWORD).await.unwrap();
    assert!(
        app.get_as("/me", &officer)
            .await
            .body
            .contains("联合检查组成员")
    );

    // Not one's own roles, and not the system administrator's work.
    let own = format!("csrf={}&username=sec.zhang&role.audit_admin=on", sec.csrf);
    let r = app.post_form("/admin/roles", &own, Some(&sec)).await;
    assert!(r.body.contains("不能对自己的账号执行此操作"));
    let r = app
        .post_form(
            "/admin/accounts/mz.liu/disable",
            &format!("csrf={}", sec.csrf),
            Some(&sec),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let log = app.audit_log().await;
    let change = log.iter().find(|r| r.event == "account.roles").unwrap();
    assert_eq!(change.actor, "sec.zhang");
    assert_eq!(
        change.before.as_deref(),
        Some(r#"{"roles":["civil_affairs"]}"#)
    );
    assert_eq!(
        change.after.as_deref(),
        Some(r#"{"roles":["civil_affairs","inspector"]}"#)
    );
    app.finish().await;
}

#[tokio::test]
async fn the_audit_log_is_filtered_by_beijing_dates() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("aud.li", "12", &[Role::AuditAdmin], None).await;
    let s = app.login("aud.li", PASSWORD).await.unwrap();
    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let yesterday = today.pred_opt().unwrap();
    let page = app
        .get_as(
            &format!("/admin/audit?event=auth.login&from={today}&to={today}"),
            &s,
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("auth.login"), "today's login is listed");
    let page = app
        .get_as(&format!("/admin/audit?event=auth.login&to={yesterday}"), &s)
        .await;
    assert!(
        page.body.contains("没有符合条件的记录"),
        "nothing before today"
    );
    let page = app.get_as("/admin/audit?from=2026-13-01", &s).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("起始日期“2026-13-01”不是有效日期"));
    app.finish().await;
}
