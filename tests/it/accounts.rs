//! Accounts on every backend: the three-officer separation, role levels, the password policy,
//! unique usernames, audit records; and the first start's three administrators.

use jianfu_domain::RegionCode;
use jianfu_domain::account::Role;
use jianfu_store::account::{self, AccountError, NewAccount};

use crate::support::{TestApp, backends};

fn new(username: &str, region: &str, roles: &[Role]) -> NewAccount {
    NewAccount {
        username: username.into(),
        display_name: username.into(),
        region: RegionCode::parse(region).unwrap(),
        department: None,
        roles: roles.to_vec(),
        is_demo: false,
        must_change_password: true,
    }
}

fn audit(username: &str) -> jianfu_domain::audit::AuditEntry {
    jianfu::bootstrap::system_entry("account.create", username, None)
}

const GOOD: &str = "Tianjin-2023";

#[tokio::test]
async fn accounts_follow_the_rules_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let db = &app.db;
        let refused = |r: Result<(), AccountError>| r.unwrap_err().to_string();

        let e = refused(
            account::create(
                db,
                &new("root", "12", &[Role::SystemAdmin, Role::AuditAdmin]),
                GOOD,
                &audit("root"),
            )
            .await,
        );
        assert!(e.contains("三员分立"), "{backend:?}: {e}");
        let e = refused(
            account::create(
                db,
                &new("boss", "12", &[Role::SecurityAdmin, Role::Inspector]),
                GOOD,
                &audit("boss"),
            )
            .await,
        );
        assert!(e.contains("业务角色"), "{e}");
        let e = refused(
            account::create(
                db,
                &new("cun", "120101", &[Role::VillageWorker]),
                GOOD,
                &audit("cun"),
            )
            .await,
        );
        assert!(e.contains("不能设在县级单位"), "{e}");
        let e = refused(
            account::create(
                db,
                &new("bumen", "12", &[Role::DepartmentOfficer]),
                GOOD,
                &audit("bumen"),
            )
            .await,
        );
        assert!(e.contains("须指定所属部门"), "{e}");
        let e = refused(
            account::create(
                db,
                &new("weak", "12", &[Role::CivilAffairs]),
                "password1",
                &audit("weak"),
            )
            .await,
        );
        assert!(e.contains("至少三类"), "{e}");
        let e = refused(
            account::create(
                db,
                &new("Bad Name", "12", &[Role::CivilAffairs]),
                GOOD,
                &audit("x"),
            )
            .await,
        );
        assert!(e.contains("用户名"), "{e}");

        let mut officer = new("mzj.wang", "12", &[Role::DepartmentOfficer]);
        officer.department = Some("120000000000-018".into());
        account::create(db, &officer, GOOD, &audit("mzj.wang"))
            .await
            .unwrap();
        account::create(
            db,
            &new("sq.li", "120101001001", &[Role::VillageWorker]),
            GOOD,
            &audit("sq.li"),
        )
        .await
        .unwrap();
        let e = refused(
            account::create(
                db,
                &new("sq.li", "120101001001", &[Role::VillageWorker]),
                GOOD,
                &audit("sq.li"),
            )
            .await,
        );
        assert!(e.contains("已被使用"), "{e}");

        let list = account::list(db).await.unwrap();
        let names: Vec<&str> = list.iter().map(|a| a.username.as_str()).collect();
        assert_eq!(names, ["mzj.wang", "sq.li"], "{backend:?}");
        assert_eq!(list[0].roles, [Role::DepartmentOfficer]);
        assert_eq!(list[0].department.as_deref(), Some("120000000000-018"));

        let records = app.audit_log().await;
        assert_eq!(
            records
                .iter()
                .filter(|r| r.event == "account.create")
                .count(),
            2,
            "{backend:?}: only the accounts made are audited"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn the_first_start_creates_the_three_administrators_once() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let created = jianfu::bootstrap::first_administrators(&app.db)
        .await
        .unwrap();
    let names: Vec<&str> = created.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(names, ["sysadmin", "secadmin", "auditadmin"]);
    for (user, password) in &created {
        assert!(
            jianfu_domain::account::check_password(password, user).is_ok(),
            "{password}"
        );
    }
    assert_ne!(created[0].1, created[1].1);
    assert!(
        jianfu::bootstrap::first_administrators(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    let roles: Vec<Vec<Role>> = account::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.roles)
        .collect();
    assert_eq!(
        roles,
        [
            vec![Role::AuditAdmin],
            vec![Role::SecurityAdmin],
            vec![Role::SystemAdmin]
        ]
    );
    app.finish().await;
}

#[tokio::test]
async fn demo_accounts_cover_every_role_and_stay_out_of_production() {
    for production in [false, true] {
        let app =
            crate::support::TestApp::with_mode(jianfu_store::Backend::Sqlite, production).await;
        let created = jianfu::bootstrap::demo_accounts(&app.db, "Demo-Tianjin-1", "test")
            .await
            .unwrap();
        assert_eq!(created.len(), jianfu::bootstrap::DEMO_ACCOUNTS.len());
        assert!(
            jianfu::bootstrap::demo_accounts(&app.db, "Demo-Tianjin-1", "test")
                .await
                .unwrap()
                .is_empty()
        );
        let list = account::list(&app.db).await.unwrap();
        for role in Role::ALL.iter().filter(|r| !r.is_administrator()) {
            assert!(
                list.iter().any(|a| a.is_demo && a.roles.contains(role)),
                "{role:?}"
            );
        }
        let login = app.login("demo.jz.cun", "Demo-Tianjin-1").await;
        assert_eq!(login.is_some(), !production, "production = {production}");
        if let Some(s) = login {
            let me = app.get_as("/me", &s).await;
            assert!(me.body.contains("东北隅村委会"));
        }
        app.finish().await;
    }
}
