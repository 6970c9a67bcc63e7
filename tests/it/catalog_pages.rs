//! The directories in public: the API (directories, the items in force for a unit on a day,
//! versions, diff, search) and the pages (browse, item history, versions with their difference,
//! downloads), on the shipped lists and on a second version published through an adjustment.

use chrono::{Duration, NaiveDate, Utc};
use jianfu_domain::account::Role;
use jianfu_domain::catalog::adjustment::{Action, Change};
use jianfu_domain::catalog::{Applicability, DirectoryKind, ItemCode};
use jianfu_store::catalog::{self, NewAdjustment};

use crate::support::{TestApp, backends};

const KIND: DirectoryKind = DirectoryKind::CertificateMayIssue;

fn audit(event: &str) -> jianfu_domain::audit::AuditEntry {
    jianfu::bootstrap::system_entry(event, "test", None)
}

fn beijing_today() -> NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

/// Publishes version 2 of the may-issue list, in force tomorrow: KC-001 narrowed to communities
/// and renamed, KC-002 retired, KC-006 added.
async fn publish_second(app: &TestApp) -> NaiveDate {
    let tomorrow = beijing_today() + Duration::days(1);
    publish_second_on(app, tomorrow).await;
    tomorrow
}

async fn publish_second_on(app: &TestApp, effective_from: NaiveDate) {
    let db = &app.db;
    let v1 = catalog::version(db, KIND, 1).await.unwrap().unwrap();
    let new = NewAdjustment {
        kind: KIND,
        district: None,
        title: "调整可出具证明事项".into(),
        reason: "数据共享".into(),
        basis: "民发〔2020〕20号".into(),
    };
    let id = catalog::create_adjustment(db, &new, "mz.wang", &audit("adjustment.create"))
        .await
        .unwrap();
    let mut narrowed = v1.items[0].clone();
    narrowed.name = "居民在本社区居住的证明".into();
    narrowed.applicability = Applicability::Community;
    let mut added = v1.items[2].clone();
    added.code = ItemCode::numbered(KIND, 6);
    added.name = "为居民出具养老服务需求评估情况证明".into();
    let changes = [
        (Change::Modify(narrowed), None),
        (Change::Retire(ItemCode::numbered(KIND, 2)), None),
        (Change::Add(added), None),
    ];
    catalog::set_changes(db, id, &changes, &audit("adjustment.edit"))
        .await
        .unwrap();
    for (action, who) in [
        (Action::Submit, ("mz.wang", Role::CivilAffairs)),
        (Action::Review, ("mz.li", Role::CivilAffairs)),
        (Action::Approve, ("zf.zhao", Role::Approver)),
        (
            Action::Publish {
                version: 0,
                effective_from,
            },
            ("mz.wang", Role::CivilAffairs),
        ),
    ] {
        catalog::act(db, id, &action, who, &audit("adjustment.act"))
            .await
            .unwrap();
    }
    app.catalog.published_here();
}

#[tokio::test]
async fn the_api_answers_what_is_in_force_for_a_unit_on_a_day_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let list = app.get("/api/v1/directories").await.json();
        assert_eq!(list.as_array().unwrap().len(), 7, "{backend:?}");
        let must_not = &list.as_array().unwrap()[4];
        assert_eq!(must_not["kind"], "certificate_must_not_issue");
        assert_eq!(must_not["items"], 20);
        assert_eq!(must_not["demo_items"], 0);

        let tomorrow = publish_second(&app).await;
        let base = "/api/v1/directories/certificate_may_issue/items";
        // 和平区 劝业场街道 花园路社区 (a community) and 蓟州区 渔阳镇 东北隅村 (a village).
        let (community, village) = ("120101001001", "120119100201");
        let at = |day: NaiveDate, unit: &str| format!("{base}?region={unit}&at={day}");
        let today = tomorrow - Duration::days(1);
        let now = app.get(&at(today, village)).await.json();
        assert_eq!(now["version"], 1);
        assert_eq!(now["items"].as_array().unwrap().len(), 5);
        let later = app.get(&at(tomorrow, community)).await.json();
        assert_eq!(later["version"], 2, "{backend:?}");
        let codes: Vec<&str> = later["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["KC-001", "KC-003", "KC-004", "KC-005", "KC-006"]);
        let later = app.get(&at(tomorrow, village)).await.json();
        assert_eq!(
            later["items"].as_array().unwrap().len(),
            4,
            "KC-001 now applies to communities only"
        );
        // A day before the first version: nothing in force.
        let r = app
            .get(&at(NaiveDate::from_ymd_opt(2019, 1, 1).unwrap(), village))
            .await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json()["error"]["code"], "catalog_not_found");
        let r = app.get(&format!("{base}?at=2024-13-01")).await;
        assert_eq!(r.status, 400, "{}", r.body);
        let r = app.get("/api/v1/directories/wanneng/items").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json()["error"]["code"], "unknown_directory");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("不存在")
        );

        let versions = app
            .get("/api/v1/directories/certificate_may_issue/versions")
            .await
            .json();
        assert_eq!(versions[0]["number"], 2);
        assert_eq!(versions[1]["items"], 5);
        let d = app
            .get("/api/v1/directories/certificate_may_issue/diff?from=1&to=2")
            .await
            .json();
        assert_eq!(d["added"][0]["code"], "KC-006");
        assert_eq!(d["retired"][0]["code"], "KC-002");
        assert_eq!(d["changed"][0]["code"], "KC-001");
        let fields: Vec<&str> = d["changed"][0]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["名称", "适用范围"]);
        let r = app
            .get("/api/v1/directories/certificate_may_issue/diff?from=1&to=9")
            .await;
        assert_eq!(r.status, 404);
        app.finish().await;
    }
}

#[tokio::test]
async fn chinese_search_finds_the_right_items() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    for (q, code) in [
        ("居住证明", "KC-001"),
        ("征兵", "XZ-006"),
        ("低保", "XZ-005"),
        ("亲属关系", "BC-001"),
        ("养犬", "BC-004"),
        ("kc-003", "KC-003"),
    ] {
        let hits = app
            .get(&format!(
                "/api/v1/directories/search?q={}",
                crate::support::form_encode(q)
            ))
            .await
            .json();
        assert_eq!(hits[0]["code"], code, "{q}: {hits}");
    }
    let hits = app
        .get("/api/v1/directories/search?q=%22)(*%26%5E&kind=duty")
        .await;
    assert_eq!(hits.status, 200, "odd input is only text");
    let page = app
        .get(&format!(
            "/directories?q={}",
            crate::support::form_encode("居住证明")
        ))
        .await;
    assert!(page.body.contains("居民在社区居住证明"), "{}", page.body);

    // A version in force from today is searched at once (the index notices the publication).
    let q = format!(
        "/api/v1/directories/search?q={}",
        crate::support::form_encode("养老服务需求评估")
    );
    assert_ne!(app.get(&q).await.json()[0]["code"], "KC-006");
    publish_second_on(&app, beijing_today()).await;
    assert_eq!(app.get(&q).await.json()[0]["code"], "KC-006");
    app.finish().await;
}

#[tokio::test]
async fn public_pages_show_versions_their_difference_and_downloads() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let page = app.get("/directories").await;
    assert_eq!(page.status, 200);
    for label in [
        "依法履职工作事务",
        "不应出具证明事项",
        "演示数据",
        "正式发布清单",
    ] {
        assert!(page.body.contains(label), "{label}");
    }
    let tomorrow = publish_second(&app).await;
    let page = app.get("/directories/certificate_may_issue").await;
    assert!(page.body.contains("第 1 版"), "version 1 is in force today");
    assert!(page.body.contains("居民在社区居住证明"));
    let page = app
        .get("/directories/certificate_may_issue?version=2")
        .await;
    assert!(page.body.contains("不是今天施行的版本"));
    assert!(page.body.contains("居民在本社区居住的证明"));
    assert!(!page.body.contains("参与社区治理"), "KC-002 retired");
    let page = app
        .get("/directories/certificate_may_issue/items/KC-001")
        .await;
    assert!(page.body.contains("修改：名称、适用范围"), "{}", page.body);
    assert!(page.body.contains("列入目录"));
    // A retired item asked for in a version without it: shown as its last version had it.
    let page = app
        .get("/directories/certificate_may_issue/items/KC-002?version=2")
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("/directories/certificate_may_issue?version=1")
    );
    assert!(page.body.contains("取消"), "{}", page.body);
    let page = app
        .get("/directories/certificate_may_issue/versions?from=1&to=2")
        .await;
    assert!(page.body.contains("新增 1 项，取消 1 项，修改 1 项"));
    assert!(page.body.contains(&tomorrow.to_string()));
    let csv = app
        .get("/directories/certificate_must_not_issue/export?format=csv")
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("certificate_must_not_issue-v1.csv")
    );
    assert_eq!(csv.body.lines().count(), 21, "header and 20 items");
    let xlsx = app
        .get("/directories/certificate_may_issue/export?version=2")
        .await;
    assert_eq!(
        xlsx.headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let pdf = app
        .get("/directories/certificate_may_issue/export?version=2&format=pdf")
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    assert!(pdf.body.starts_with("%PDF"));
    assert!(
        pdf.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("certificate_may_issue-v2.pdf")
    );
    let bad = app
        .get("/directories/certificate_may_issue/export?format=docx")
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("应为 xlsx、csv 或 pdf"));
    let missing = app
        .get("/directories/certificate_may_issue?version=7")
        .await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("第 7 版不存在"));
    app.finish().await;
}

/// Adjustments in the browser are the city's: civil affairs and the approver of Tianjin reach
/// them, a district's civil affairs is refused (403, audited), and a form posted without its
/// anti-forgery token is refused.
#[tokio::test]
async fn city_adjustment_pages_are_for_the_city_level() {
    use crate::support::PASSWORD;
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("mz.city", "12", &[Role::CivilAffairs], None)
        .await;
    app.account("mz.hp", "120101", &[Role::CivilAffairs], None)
        .await;
    let city = app.login("mz.city", PASSWORD).await.unwrap();
    let page = app.get_as("/adjustments", &city).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("新建调整草稿"));
    let made = app
        .post_form(
            "/adjustments",
            &format!(
                "csrf={}&kind=duty&title={}&reason=&basis=",
                city.csrf,
                crate::support::form_encode("履职事项调整")
            ),
            Some(&city),
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let draft = made.headers["location"].to_str().unwrap().to_owned();
    let page = app.get_as(&draft, &city).await;
    assert!(page.body.contains("尚无调整内容"));
    let listed = |q: &'static str| app.get_as(q, &city);
    assert!(
        listed("/adjustments?kind=duty&stage=draft")
            .await
            .body
            .contains("履职事项调整")
    );
    assert!(
        !listed("/adjustments?kind=assistance")
            .await
            .body
            .contains("履职事项调整")
    );
    assert_eq!(listed("/adjustments?stage=x").await.status, 400);
    // Submitting an empty draft is refused with the procedure's reason.
    let id = draft.rsplit('/').next().unwrap();
    let refused = app
        .post_form(
            &format!("/adjustments/{id}/act"),
            &format!("csrf={}&action=submit", city.csrf),
            Some(&city),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("请填写至少一项调整内容"),
        "{}",
        refused.body
    );
    let forged = app
        .post_form(
            &format!("/adjustments/{id}/act"),
            "csrf=forged&action=submit",
            Some(&city),
        )
        .await;
    assert_eq!(forged.status, 403);

    // A district's officer handles its own refinements, never the city's drafts.
    let district = app.login("mz.hp", PASSWORD).await.unwrap();
    let page = app.get_as("/adjustments", &district).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("履职事项调整"));
    let page = app.get_as(&draft, &district).await;
    assert_eq!(page.status, 403);
    assert!(
        app.audit_log()
            .await
            .iter()
            .any(|r| r.event == "authz.out_of_scope" && r.actor == "mz.hp")
    );
    app.finish().await;
}

/// A draft's page tells what publishing it would do, and which other drafts in progress touch
/// the same items (on every backend: the query filters by code and stage).
#[tokio::test]
async fn the_impact_of_publishing_names_overlapping_drafts_on_every_backend() {
    use crate::support::PASSWORD;
    for backend in backends() {
        let app = TestApp::new(backend).await;
        app.account("mz.city", "12", &[Role::CivilAffairs], None)
            .await;
        let city = app.login("mz.city", PASSWORD).await.unwrap();
        let db = &app.db;
        let new = |title: &str| NewAdjustment {
            kind: KIND,
            district: None,
            title: title.into(),
            reason: "测试".into(),
            basis: "测试".into(),
        };
        let v1 = catalog::version(db, KIND, 1).await.unwrap().unwrap();
        let mut renamed = v1.items[1].clone();
        renamed.name = "参加社区活动情况证明".into();
        let mut ids = Vec::new();
        for (title, change) in [
            ("取消 KC-002", Change::Retire(ItemCode::numbered(KIND, 2))),
            ("修改 KC-002", Change::Modify(renamed)),
            ("修改 KC-005", Change::Retire(ItemCode::numbered(KIND, 5))),
        ] {
            let id =
                catalog::create_adjustment(db, &new(title), "mz.city", &audit("adjustment.create"))
                    .await
                    .unwrap();
            catalog::set_changes(db, id, &[(change, None)], &audit("adjustment.edit"))
                .await
                .unwrap();
            ids.push(id);
        }
        let page = app.get_as(&format!("/adjustments/{}", ids[0]), &city).await;
        assert!(page.body.contains("发布后取消 1 项。"), "{backend:?}");
        assert!(
            page.body.contains(&format!("/adjustments/{}\"", ids[1])),
            "{backend:?}"
        );
        assert!(
            !page.body.contains(&format!("/adjustments/{}\"", ids[2])),
            "{backend:?}"
        );
        let page = app.get_as(&format!("/adjustments/{}", ids[2]), &city).await;
        assert!(page.body.contains("没有其他进行中的调整"), "{backend:?}");
        app.finish().await;
    }
}
