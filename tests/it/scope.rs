//! Region scope: a user sees the units of their own subtree and nothing else; a step outside is
//! refused with 403 and an audit record. Administrators have no business pages at all.

use axum::http::StatusCode;
use jianfu_domain::account::Role;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn users_see_their_own_subtree_and_are_refused_outside_it() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    // 劝业场街道 (120101001) and one of its communities; 小白楼街道 is in another district.
    app.account("jd.sun", "120101001", &[Role::TownshipOfficer], None)
        .await;
    app.account("sq.qian", "120101001001", &[Role::VillageWorker], None)
        .await;
    app.account("sys.wang", "12", &[Role::SystemAdmin], None)
        .await;
    let township = app.login("jd.sun", PASSWORD).await.unwrap();
    let village = app.login("sq.qian", PASSWORD).await.unwrap();
    let admin = app.login("sys.wang", PASSWORD).await.unwrap();

    let own = app.get_as("/units/120101001", &township).await;
    assert_eq!(own.status, 200);
    assert!(own.body.contains("劝业场街道") && own.body.contains("下辖单位"));
    assert!(
        own.body.contains(r#"href="/units/120101001001""#),
        "children link inside"
    );
    assert!(
        !own.body.contains(r#"href="/units/120101""#),
        "the district above is shown but not linked"
    );
    let below = app.get_as("/units/120101001001", &township).await;
    assert_eq!(below.status, 200);
    assert!(
        below.body.contains("sq.qian"),
        "the unit's accounts are listed"
    );

    for (session, code) in [
        (&township, "120103001"),
        (&township, "120101"),
        (&village, "120101001"),
        (&village, "120101001002"),
    ] {
        let r = app.get_as(&format!("/units/{code}"), session).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{code}");
        assert!(r.body.contains("不在您的管辖范围内"), "{}", r.body);
    }
    assert_eq!(
        app.get_as("/units/120101001001", &village).await.status,
        200,
        "a village worker sees their own community"
    );
    let r = app.get_as("/units/120101001", &admin).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "no business pages for administrators"
    );

    let log = app.audit_log().await;
    let refused: Vec<&str> = log
        .iter()
        .filter(|r| r.event == "authz.out_of_scope" && r.result == "denied")
        .map(|r| r.object.as_str())
        .collect();
    assert_eq!(
        refused,
        [
            "/units/120103001000",
            "/units/120101000000",
            "/units/120101001000",
            "/units/120101001002"
        ]
    );
    assert!(
        log.iter()
            .any(|r| r.event == "authz.denied" && r.actor == "sys.wang")
    );
    app.finish().await;
}
