//! Logging in and out, lockout across app nodes, idle timeouts, the password page, tokens, the
//! three-officer matrix, cross-site refusal and the route coverage of every page and API route.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use jianfu_domain::account::Role;
use jianfu_store::entity::{api_token, session};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;

use crate::support::{PASSWORD, TestApp, backends};

async fn audited(app: &TestApp, event: &str, result: &str) -> usize {
    app.audit_log()
        .await
        .into_iter()
        .filter(|r| r.event == event && r.result == result)
        .count()
}

#[tokio::test]
async fn login_workbench_and_logout() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("sq.zhao", "120101001001", &[Role::VillageWorker], None)
        .await;
    assert!(app.login("sq.zhao", "wrong-Password1").await.is_none());
    let s = app.login("sq.zhao", PASSWORD).await.unwrap();
    assert_eq!(s.landed, "/me");
    let me = app.get_as("/me", &s).await;
    assert_eq!(me.status, 200);
    for part in [
        "天津市",
        "和平区",
        "劝业场街道",
        "花园路社区居委会",
        "村（社区）工作人员",
    ] {
        assert!(me.body.contains(part), "workbench shows {part}");
    }
    assert!(
        !me.body.contains("/admin/"),
        "no administrator menu for a village worker"
    );

    let api = app
        .request(
            Request::get("/api/v1/me")
                .header("cookie", format!("jianfu_session={}", s.secret))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .json();
    assert_eq!(api["username"], "sq.zhao");
    assert_eq!(api["roles"][0], "village_worker");
    assert_eq!(api["region"], "120101001001");

    let forged = app.post_form("/logout", "csrf=0000", Some(&s)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let out = app
        .post_form("/logout", &format!("csrf={}", s.csrf), Some(&s))
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app.get_as("/me", &s).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(
        after.headers["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );
    assert_eq!(audited(&app, "auth.logout", "ok").await, 1);
    app.finish().await;
}

#[tokio::test]
async fn lockout_is_shared_by_app_nodes_and_messages_do_not_tell() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        app.account("jd.qian", "120101001", &[Role::TownshipOfficer], None)
            .await;
        // A second app node on the same database.
        let other = jianfu_web::router(jianfu_web::AppState {
            db: app.db.clone(),
            keys: app.keys.clone(),
            production: false,
            catalog: Default::default(),
            certificates: Default::default(),
            regions: Default::default(),
        });
        let unknown = app
            .post_form("/login", "username=nobody&password=x", None)
            .await;
        for attempt in 0..5 {
            let body = format!("username=jd.qian&password=Wrong-{attempt}x");
            let r = if attempt % 2 == 0 {
                app.post_form("/login", &body, None).await
            } else {
                use tower::ServiceExt;
                let req = Request::post("/login")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap();
                let res = other.clone().oneshot(req).await.unwrap();
                assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
                continue;
            };
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            assert!(r.body.contains("用户名、密码或动态口令不正确"));
        }
        let locked = app
            .post_form(
                "/login",
                &format!("username=jd.qian&password={PASSWORD}"),
                None,
            )
            .await;
        assert_eq!(
            locked.status,
            StatusCode::UNAUTHORIZED,
            "{backend:?}: locked after 5 failures on two nodes"
        );
        let message = |b: &str| {
            b[b.find("class=\"alert\"").unwrap()..]
                .split("</p>")
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            message(&locked.body),
            message(&unknown.body),
            "same words for locked and unknown"
        );
        assert_eq!(audited(&app, "auth.lockout", "ok").await, 1, "{backend:?}");
        assert_eq!(audited(&app, "auth.locked", "denied").await, 1);

        jianfu_store::entity::account::Entity::update_many()
            .col_expr(
                jianfu_store::entity::account::Column::LockedUntil,
                Expr::value(Some(Utc::now() - Duration::minutes(1))),
            )
            .exec(&app.db)
            .await
            .unwrap();
        assert!(
            app.login("jd.qian", PASSWORD).await.is_some(),
            "{backend:?}: unlocked after 15 minutes"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn idle_sessions_end_sooner_for_administrators() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("mz.sun", "12", &[Role::CivilAffairs], None)
        .await;
    app.account("audit.wu", "12", &[Role::AuditAdmin], None)
        .await;
    let officer = app.login("mz.sun", PASSWORD).await.unwrap();
    let admin = app.login("audit.wu", PASSWORD).await.unwrap();
    session::Entity::update_many()
        .col_expr(
            session::Column::LastSeenAt,
            Expr::value(Utc::now() - Duration::minutes(16)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.get_as("/me", &officer).await.status,
        200,
        "16 minutes idle: fine for an officer"
    );
    assert_eq!(
        app.get_as("/me", &admin).await.status,
        StatusCode::SEE_OTHER,
        "but not for an administrator"
    );
    session::Entity::update_many()
        .col_expr(
            session::Column::LastSeenAt,
            Expr::value(Utc::now() - Duration::minutes(31)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.get_as("/me", &officer).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(audited(&app, "auth.idle_timeout", "ok").await, 2);
    app.finish().await;
}

#[tokio::test]
async fn the_password_page_enforces_the_policy() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let created = jianfu::bootstrap::first_administrators(&app.db)
        .await
        .unwrap();
    let (user, one_time) = &created[0];
    let s = app.login(user, one_time).await.unwrap();
    assert_eq!(
        s.landed, "/account/password",
        "a one-time password must be changed first"
    );
    let change = |current: &str, new: &str, confirm: &str| {
        format!(
            "csrf={}&current={}&new_password={}&confirm={}",
            s.csrf,
            crate::support::form_encode(current),
            crate::support::form_encode(new),
            crate::support::form_encode(confirm)
        )
    };
    let r = app
        .post_form(
            "/account/password",
            &change(one_time, "short", "short"),
            Some(&s),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("至少 8 位"));
    let r = app
        .post_form(
            "/account/password",
            &change(one_time, "Beichen-2024", "Beichen-2025"),
            Some(&s),
        )
        .await;
    assert!(r.body.contains("两次输入的新密码不一致"));
    let r = app
        .post_form(
            "/account/password",
            &change(one_time, one_time, one_time),
            Some(&s),
        )
        .await;
    assert!(
        r.body.contains("最近 5 次"),
        "the current password counts as used"
    );
    let r = app
        .post_form(
            "/account/password",
            &change("Not-the-1", "Beichen-2024", "Beichen-2024"),
            Some(&s),
        )
        .await;
    assert!(r.body.contains("当前密码不正确"));
    let r = app
        .post_form(
            "/account/password",
            &change(one_time, "Beichen-2024", "Beichen-2024"),
            Some(&s),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("密码已修改"));
    assert_eq!(
        app.get_as("/admin/accounts", &s).await.headers["location"],
        "/account/totp",
        "an administrator enrols the second factor next"
    );
    let enrolled = app.login(user, "Beichen-2024").await.unwrap();
    assert_eq!(
        app.get_as("/admin/accounts", &enrolled).await.status,
        200,
        "then free to go"
    );
    let no_code = app
        .post_form("/login", "username=sysadmin&password=Beichen-2024", None)
        .await;
    assert_eq!(
        no_code.status,
        StatusCode::UNAUTHORIZED,
        "the code is required from now on"
    );
    assert_eq!(audited(&app, "auth.second_factor", "failed").await, 1);
    assert_eq!(audited(&app, "account.second_factor_enroll", "ok").await, 1);
    assert_eq!(audited(&app, "account.password_change", "ok").await, 1);

    // A password older than 90 days must be changed again.
    jianfu_store::entity::account::Entity::update_many()
        .col_expr(
            jianfu_store::entity::account::Column::PasswordChangedAt,
            Expr::value(Utc::now() - Duration::days(91)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.get_as("/me", &s).await.headers["location"],
        "/account/password"
    );
    app.finish().await;
}

#[tokio::test]
async fn tokens_identify_machine_clients() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        app.account(
            "mzj.api",
            "12",
            &[Role::DepartmentOfficer],
            Some("120000000000-018"),
        )
        .await;
        let audit = jianfu::bootstrap::system_entry("token.create", "mzj.api", None);
        let token = jianfu_store::auth::create_token(
            &app.db,
            "mzj.api",
            "民政业务系统",
            Some(Utc::now() + Duration::days(30)),
            &audit,
        )
        .await
        .unwrap()
        .unwrap();
        let call = |t: String| {
            let app = &app;
            async move {
                app.request(
                    Request::get("/api/v1/me")
                        .header("authorization", format!("Bearer {t}"))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
            }
        };
        let me = call(token.clone()).await;
        assert_eq!(me.status, 200, "{backend:?}: {}", me.body);
        let me = me.json();
        assert_eq!(me["username"], "mzj.api");
        assert_eq!(me["department"], "120000000000-018");
        assert_eq!(audited(&app, "auth.token", "ok").await, 1);
        call(token.clone()).await;
        assert_eq!(
            audited(&app, "auth.token", "ok").await,
            1,
            "use is recorded at most hourly"
        );

        let forged = call("jf_forged".into()).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        assert_eq!(forged.json()["error"]["code"], "unauthenticated");
        assert_eq!(audited(&app, "auth.token", "denied").await, 1);

        let audit = jianfu::bootstrap::system_entry("token.revoke", "mzj.api", None);
        let revoke = |name: &'static str| {
            let (db, audit) = (&app.db, &audit);
            async move {
                jianfu_store::auth::revoke_token(db, "mzj.api", name, audit)
                    .await
                    .unwrap()
            }
        };
        assert!(!revoke("另一个系统").await);
        assert!(revoke("民政业务系统").await);
        assert_eq!(
            call(token.clone()).await.status,
            StatusCode::UNAUTHORIZED,
            "{backend:?}: revoked"
        );
        assert!(!revoke("民政业务系统").await, "already revoked");
        api_token::Entity::update_many()
            .col_expr(
                api_token::Column::RevokedAt,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .col_expr(
                api_token::Column::ExpiresAt,
                Expr::value(Some(Utc::now() - Duration::days(1))),
            )
            .exec(&app.db)
            .await
            .unwrap();
        assert_eq!(
            call(token).await.status,
            StatusCode::UNAUTHORIZED,
            "{backend:?}: expired"
        );
        let anonymous = app.get("/api/v1/me").await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        app.finish().await;
    }
}

/// One account per role, at a level that role fits.
async fn everyone(app: &TestApp) -> Vec<(Role, crate::support::Session)> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let (region, department) = match role {
            Role::VillageWorker => ("120101001001", None),
            Role::TownshipOfficer => ("120101001", None),
            Role::DepartmentOfficer => ("12", Some("120000000000-018")),
            _ => ("12", None),
        };
        let name = format!("u.{}", role.as_str().replace('_', "-"));
        app.account(&name, region, &[role], department).await;
        out.push((role, app.login(&name, PASSWORD).await.unwrap()));
    }
    out
}

#[tokio::test]
async fn the_three_officer_matrix_holds_for_every_admin_route_and_role() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let people = everyone(&app).await;
    let routes = [
        ("/admin/accounts", Role::SystemAdmin),
        ("/admin/roles", Role::SecurityAdmin),
        ("/admin/audit", Role::AuditAdmin),
    ];
    let mut denied = 0;
    for (path, owner) in routes {
        for (role, s) in &people {
            let r = app.get_as(path, s).await;
            if *role == owner {
                assert_eq!(r.status, 200, "{path} for {role:?}");
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} for {role:?}");
                assert!(r.body.contains("没有权限"));
                denied += 1;
            }
        }
    }
    assert_eq!(audited(&app, "authz.denied", "denied").await, denied);
    assert_eq!(denied, 3 * 8);
    let audit_page = app.get_as("/admin/audit?event=authz", &people[8].1).await;
    assert!(audit_page.body.contains("authz.denied"));
    assert!(
        audited(&app, "audit.search", "ok").await >= 1,
        "searching the audit log is audited"
    );
    app.finish().await;
}

#[tokio::test]
async fn every_route_is_covered_by_an_enforced_access_rule() {
    use jianfu_web::views::Access;
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let people = everyone(&app).await;
    let village = &people
        .iter()
        .find(|(r, _)| *r == Role::VillageWorker)
        .unwrap()
        .1;
    let doc = app.get("/api/openapi.json").await.json();
    let documented: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let declared: Vec<&str> = jianfu_web::api::ACCESS.iter().map(|(p, _)| *p).collect();
    for path in &documented {
        assert!(
            declared.contains(&path.as_str()),
            "API route {path} has no access rule"
        );
    }
    let pages: Vec<(&str, Access)> = jianfu_web::views::pages()
        .into_iter()
        .map(|(p, a, _)| (p, a))
        .collect();
    let all = pages.iter().copied().chain(jianfu_web::api::ACCESS);
    for (path, access) in all {
        let uri = path
            .replace("{code}", "120101")
            .replace("{username}", "u.inspector")
            .replace("{action}", "disable")
            .replace("{kind}", "certificate_may_issue")
            .replace("{item}", "KC-001")
            .replace("{id}", "1")
            .replace("{file}", "1")
            .replace("{no}", "120101001001-2026-000001")
            .replace("{cert_no}", "120101001001-2026-000001")
            .replace(
                "/certificate-types",
                "/certificate-types?region=120101001001",
            )
            .replace("/diff", "/diff?from=1&to=1");
        // POST-only routes answer GET with 405 before any rule; ask them with a form instead.
        let post_only = app.get(&uri).await.status == StatusCode::METHOD_NOT_ALLOWED;
        let anonymous = if post_only {
            app.post_form(&uri, "csrf=x", None).await
        } else {
            app.get(&uri).await
        };
        match access {
            // A public record that does not exist (no admitted task yet) is 404, never a login.
            Access::Public => assert!(
                anonymous.status.is_success() || anonymous.status == StatusCode::NOT_FOUND,
                "{path} is public: {}",
                anonymous.status
            ),
            _ if uri.starts_with("/api/") => {
                assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}")
            }
            _ => {
                assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{path}");
                assert!(
                    anonymous.headers["location"]
                        .to_str()
                        .unwrap()
                        .starts_with("/login")
                );
            }
        }
        if let Access::Perm(perm) = access {
            // Someone whose role lacks it: the village worker, unless it is the village's.
            let outsider = if Role::VillageWorker.has(perm) {
                &people.iter().find(|(r, _)| !r.has(perm)).unwrap().1
            } else {
                village
            };
            let reply = if post_only {
                let body = format!("csrf={}", outsider.csrf);
                app.post_form(&uri, &body, Some(outsider)).await
            } else {
                app.get_as(&uri, outsider).await
            };
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        }
    }
    app.finish().await;
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_audited() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("mz.zhou", "12", &[Role::CivilAffairs], None)
        .await;
    let s = app.login("mz.zhou", PASSWORD).await.unwrap();
    let r = app
        .request(
            Request::post("/logout")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("host", "jianfu.test")
                .header("origin", "http://evil.example")
                .header("cookie", format!("jianfu_session={}", s.secret))
                .body(Body::from(format!("csrf={}", s.csrf)))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(audited(&app, "auth.cross_site", "denied").await, 1);
    assert_eq!(
        app.get_as("/me", &s).await.status,
        200,
        "the session survived"
    );
    app.finish().await;
}

#[tokio::test]
async fn login_attempts_are_limited_per_address_and_bodies_by_size() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let huge = format!("username=a&password={}", "x".repeat(3 * 1024 * 1024));
    let r = app.post_form("/login", &huge, None).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    for _ in 0..29 {
        let r = app
            .post_form("/login", "username=nobody&password=x", None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .post_form("/login", "username=nobody&password=x", None)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("尝试过于频繁"));
    assert_eq!(r.headers["retry-after"], "60");
    app.finish().await;
}

#[tokio::test]
async fn the_audit_administrator_exports_the_log_to_excel() {
    use calamine::Reader;
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("aud.li", "12", &[Role::AuditAdmin], None).await;
    let s = app.login("aud.li", PASSWORD).await.unwrap();
    let page = app.get_as("/admin/audit?event=auth", &s).await;
    let link = page
        .body
        .split("href=\"/admin/audit/export?")
        .nth(1)
        .map(|l| l.split('"').next().unwrap().to_owned());
    assert!(
        link.as_deref().is_some_and(|l| l.contains("event=auth")),
        "the export keeps the filter: {link:?}"
    );
    let uri = "/admin/audit/export?event=auth.login";
    let res = app
        .router
        .clone()
        .oneshot(
            Request::get(uri)
                .header("cookie", format!("jianfu_session={}", s.secret))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''")
    );
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("审计日志").unwrap();
    assert_eq!(sheet.get((0, 0)).unwrap().to_string(), "序号");
    assert!(sheet.height() >= 2, "the login of aud.li is in it");
    assert_eq!(sheet.get((1, 5)).unwrap().to_string(), "auth.login");
    assert_eq!(
        audited(&app, "audit.export", "ok").await,
        1,
        "exports are audited"
    );
    app.finish().await;
}

#[tokio::test]
async fn the_system_administrator_opens_accounts_in_the_browser() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("sys.wang", "12", &[Role::SystemAdmin], None)
        .await;
    app.account("sq.he", "120101001001", &[Role::VillageWorker], None)
        .await;
    let admin = app.login("sys.wang", PASSWORD).await.unwrap();
    let form = |s: &crate::support::Session, user: &str, role: &str, region: &str| {
        format!(
            "csrf={}&username={user}&display_name=&role={role}&region={region}&department=",
            s.csrf
        )
    };
    let r = app
        .post_form(
            "/admin/accounts",
            &form(&admin, "cun.a", "village_worker", "120101"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("不能设在县级单位"),
        "the reason is shown beside the form"
    );
    assert!(
        r.body.contains(r#"value="cun.a""#),
        "what was typed is kept"
    );
    let r = app
        .post_form(
            "/admin/accounts",
            &form(&admin, "cun.a", "village_worker", "120119100201"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let start = r.body.find(r#"一次性密码 <b class="code">"#).unwrap()
        + r#"一次性密码 <b class="code">"#.len();
    let password: String = r.body[start..].split('<').next().unwrap().to_owned();
    let password = password
        .replace("&#43;", "+")
        .replace("&#35;", "#")
        .replace("&amp;", "&");
    let new = app
        .login("cun.a", &password)
        .await
        .expect("the one-time password works");
    assert_eq!(new.landed, "/account/password");
    assert_eq!(audited(&app, "account.create", "ok").await, 3);

    let village = app.login("sq.he", PASSWORD).await.unwrap();
    let r = app
        .post_form(
            "/admin/accounts",
            &form(&village, "x.y", "inspector", "12"),
            Some(&village),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.finish().await;
}
