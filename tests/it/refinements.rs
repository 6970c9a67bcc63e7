//! District refinements (区级细化) of the city's directories: a district's civil affairs refines
//! city items through the district's own review and approval; a refinement may note, narrow
//! and detail an item but never widen it; the items in force for a unit then carry its
//! district's refinement, from its effective day on; and nobody handles another level's drafts.

use chrono::Duration;
use jianfu_domain::account::Role;
use jianfu_domain::catalog::adjustment::Change;
use jianfu_domain::catalog::{DirectoryKind, ItemCode};
use jianfu_store::catalog::{self, NewAdjustment};

use crate::support::{PASSWORD, Session, TestApp, backends, form_encode};

const KIND: DirectoryKind = DirectoryKind::CertificateMayIssue;

async fn post(app: &TestApp, uri: &str, body: &str, who: &Session) -> crate::support::Reply {
    app.post_form(uri, &format!("csrf={}&{body}", who.csrf), Some(who))
        .await
}

#[tokio::test]
async fn a_district_refines_the_city_directory_and_never_widens_it_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        for (name, region, role) in [
            ("hp.mz1", "120101", Role::CivilAffairs),
            ("hp.mz2", "120101", Role::CivilAffairs),
            ("hp.sp", "120101", Role::Approver),
            ("city.mz", "12", Role::CivilAffairs),
        ] {
            app.account(name, region, &[role], None).await;
        }
        let drafter = app.login("hp.mz1", PASSWORD).await.unwrap();
        let reviewer = app.login("hp.mz2", PASSWORD).await.unwrap();
        let approver = app.login("hp.sp", PASSWORD).await.unwrap();
        let city = app.login("city.mz", PASSWORD).await.unwrap();

        let list = app.get_as("/adjustments", &drafter).await;
        assert_eq!(list.status, 200, "{backend:?}");
        assert!(list.body.contains("区级细化（和平区）"));
        let made = post(
            &app,
            "/adjustments",
            &format!(
                "kind=certificate_may_issue&title={}&reason=&basis=",
                form_encode("和平区可出具证明事项细化")
            ),
            &drafter,
        )
        .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let draft = made.headers["location"].to_str().unwrap().to_owned();
        let id = draft.rsplit('/').next().unwrap().to_owned();
        let refine = format!("/adjustments/{id}/refine");

        // Widening, saying nothing and unknown items are refused at once, nothing kept.
        let wide = post(
            &app,
            &refine,
            "op=refine&code=KC-002&valid_from=2000-01-01",
            &drafter,
        )
        .await;
        assert_eq!(wide.status, 422, "{backend:?}");
        assert!(
            wide.body
                .contains("事项 KC-002 的区级有效期超出了市级有效期"),
            "{}",
            wide.body
        );
        let empty = post(&app, &refine, "op=refine&code=KC-002", &drafter).await;
        assert!(empty.body.contains("细化没有任何内容"), "{}", empty.body);
        let unknown = post(&app, &refine, "op=refine&code=KC-099&note=x", &drafter).await;
        assert!(unknown.body.contains("不在市级目录中"), "{}", unknown.body);
        let bad_day = post(
            &app,
            &refine,
            "op=refine&code=KC-002&valid_to=明天",
            &drafter,
        )
        .await;
        assert!(bad_day.body.contains("失效日期“明天”格式不正确"));
        assert!(
            catalog::adjustment(&app.db, id.parse().unwrap())
                .await
                .unwrap()
                .changes
                .is_empty()
        );

        // KC-001 for villages only (和平区 has communities only); KC-003 with district detail.
        for body in [
            "op=refine&code=KC-001&applicability=village".to_owned(),
            format!(
                "op=refine&code=KC-003&note={}&local_basis={}&process={}",
                form_encode("由社区党群服务中心统一受理"),
                form_encode("和平区社区证明事项办理规程"),
                form_encode("受理、核实、出具，当日办结")
            ),
            "op=refine&code=KC-004&note=x".to_owned(),
            "op=remove&code=KC-004".to_owned(),
        ] {
            let r = post(&app, &refine, &body, &drafter).await;
            assert_eq!(r.status, 303, "{body}: {}", r.body);
        }
        let page = app.get_as(&draft, &drafter).await;
        assert!(page.body.contains("仅适用于村"), "{}", page.body);
        assert!(page.body.contains("发布后细化 2 项。"));

        // Another level's officers cannot open or act on the draft.
        let outside = app.get_as(&draft, &city).await;
        assert_eq!(outside.status, 403, "{backend:?}");
        let outside = post(
            &app,
            &format!("/adjustments/{id}/act"),
            "action=review",
            &city,
        )
        .await;
        assert_eq!(outside.status, 403);

        let today = jianfu_domain::beijing_date(chrono::Utc::now());
        for (who, body) in [
            (&drafter, "action=submit".to_owned()),
            (&reviewer, "action=review".to_owned()),
            (&approver, "action=approve".to_owned()),
            (&drafter, format!("action=publish&effective_from={today}")),
        ] {
            let r = post(&app, &format!("/adjustments/{id}/act"), &body, who).await;
            assert_eq!(r.status, 303, "{body}: {}", r.body);
        }
        let page = app.get_as(&draft, &drafter).await;
        assert!(page.body.contains("区级细化第 1 版"), "{}", page.body);

        // The items in force for a community of 和平区 carry the refinement, from today.
        let items = |unit: &str, day: chrono::NaiveDate| {
            format!("/api/v1/directories/certificate_may_issue/items?region={unit}&at={day}")
        };
        let community = app.get(&items("120101001001", today)).await.json();
        assert_eq!(community["district"], "120101", "{backend:?}");
        assert_eq!(community["refinement"], 1);
        let codes: Vec<&str> = community["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            ["KC-002", "KC-003", "KC-004", "KC-005"],
            "{backend:?}"
        );
        assert_eq!(
            community["items"][1]["refinement"]["note"],
            "由社区党群服务中心统一受理"
        );
        let before = app
            .get(&items("120101001001", today - Duration::days(1)))
            .await
            .json();
        assert_eq!(before["refinement"], serde_json::Value::Null);
        assert_eq!(before["items"].as_array().unwrap().len(), 5);
        // A village of another district has the city's list as it is.
        let village = app.get(&items("120119100201", today)).await.json();
        assert_eq!(village["district"], "120119");
        assert_eq!(village["items"].as_array().unwrap().len(), 5);
        assert!(village["items"][0].get("refinement").is_none());

        // The public pages show the district's view and each item's refinements.
        let page = app
            .get("/directories/certificate_may_issue?district=120101")
            .await;
        assert!(
            page.body.contains("和平区的区级细化第 1 版"),
            "{}",
            page.body
        );
        assert!(page.body.contains("制度依据：和平区社区证明事项办理规程"));
        let page = app
            .get("/directories/certificate_may_issue/items/KC-003")
            .await;
        assert!(page.body.contains("和平区"), "{backend:?}");
        assert!(page.body.contains("运行流程：受理、核实、出具，当日办结"));
        let bad = app
            .get("/directories/certificate_may_issue?district=12")
            .await;
        assert_eq!(bad.status, 400);

        // A city draft that modifies KC-003 names the district refinement it touches.
        let v1 = catalog::version(&app.db, KIND, 1).await.unwrap().unwrap();
        let mut renamed = v1.items[2].clone();
        renamed.name = "居民身份核实证明".into();
        let new = NewAdjustment {
            kind: KIND,
            district: None,
            title: "市级调整".into(),
            reason: String::new(),
            basis: String::new(),
        };
        let entry = jianfu::bootstrap::system_entry("adjustment.create", "test", None);
        let city_id = catalog::create_adjustment(&app.db, &new, "city.mz", &entry)
            .await
            .unwrap();
        catalog::set_changes(&app.db, city_id, &[(Change::Modify(renamed), None)], &entry)
            .await
            .unwrap();
        let page = app.get_as(&format!("/adjustments/{city_id}"), &city).await;
        assert!(page.body.contains("impact-refinements"), "{backend:?}");
        assert!(page.body.contains("KC-003"));
        // ...and the district's list holds only its own drafts.
        let list = app.get_as("/adjustments", &drafter).await;
        assert!(!list.body.contains("市级调整"));

        // Withdrawing a refinement the district does not have is refused.
        let id2 = catalog::create_adjustment(
            &app.db,
            &NewAdjustment {
                district: Some(jianfu_domain::RegionCode::parse("120101").unwrap()),
                ..new.clone()
            },
            "hp.mz1",
            &entry,
        )
        .await
        .unwrap();
        let r = post(
            &app,
            &format!("/adjustments/{id2}/refine"),
            "op=unrefine&code=KC-005",
            &drafter,
        )
        .await;
        assert!(r.body.contains("事项 KC-005 没有本区的细化"), "{}", r.body);
        let r = post(
            &app,
            &format!("/adjustments/{id2}/refine"),
            "op=unrefine&code=KC-003",
            &drafter,
        )
        .await;
        assert_eq!(r.status, 303);
        let stored = catalog::latest_refinement(
            &app.db,
            KIND,
            &jianfu_domain::RegionCode::parse("120101").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            stored.entries.keys().collect::<Vec<_>>(),
            [&ItemCode::numbered(KIND, 1), &ItemCode::numbered(KIND, 3)],
            "the published refinement is unchanged by a draft"
        );
        assert!(
            app.audit_log()
                .await
                .iter()
                .any(|r| r.event == "adjustment.refine" && r.actor == "hp.mz1")
        );
        app.finish().await;
    }
}

/// The shipped golden cases pass on the shipped lists, and a draft that retires the item a case
/// relies on shows that case changed and failing before it is published.
#[tokio::test]
async fn golden_cases_are_matched_again_before_publication() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    assert!(jianfu_web::search::GOLDEN_CASES.len() >= 14);
    for kind in DirectoryKind::ALL {
        let v1 = catalog::version(&app.db, kind, 1).await.unwrap().unwrap();
        let runs = jianfu_web::search::rerun_cases(kind, &v1.items, &v1.items)
            .await
            .unwrap();
        assert!(!runs.is_empty(), "{kind:?} has golden cases");
        for run in runs {
            assert!(run.after.passes, "{}: {:?}", run.case.id, run.after);
        }
    }
    app.account("city.mz", "12", &[Role::CivilAffairs], None)
        .await;
    let city = app.login("city.mz", PASSWORD).await.unwrap();
    let new = NewAdjustment {
        kind: DirectoryKind::Assistance,
        district: None,
        title: "取消征兵协助".into(),
        reason: String::new(),
        basis: String::new(),
    };
    let entry = jianfu::bootstrap::system_entry("adjustment.create", "test", None);
    let id = catalog::create_adjustment(&app.db, &new, "city.mz", &entry)
        .await
        .unwrap();
    let retire = Change::Retire(ItemCode::numbered(DirectoryKind::Assistance, 6));
    catalog::set_changes(&app.db, id, &[(retire, None)], &entry)
        .await
        .unwrap();
    let page = app.get_as(&format!("/adjustments/{id}"), &city).await;
    assert!(
        page.body.contains("发布后结果改变 1 个，未通过 1 个"),
        "{}",
        page.body
    );
    let row = page
        .body
        .split("<tr")
        .find(|r| r.contains("协助-征兵"))
        .unwrap();
    assert!(
        row.contains("XZ-006 允许") && row.contains("未通过"),
        "{row}"
    );
    app.finish().await;
}

/// The rules around refinements that only show over time or across districts: another
/// district's officer is refused; a session must send its token; a ban cannot be narrowed; a
/// refinement cannot take effect before the district's newest; a city narrowing that no longer
/// overlaps the district's leaves the item applying to nobody there; refusals of a step list
/// every problem.
#[tokio::test]
async fn refinement_rules_over_time_and_across_districts_on_every_backend() {
    use jianfu_domain::catalog::adjustment::Action;
    use jianfu_domain::catalog::{Applicability, Refinement};
    for backend in backends() {
        let app = TestApp::new(backend).await;
        app.account("hp.mz1", "120101", &[Role::CivilAffairs], None)
            .await;
        app.account("hd.mz", "120102", &[Role::CivilAffairs], None)
            .await;
        let drafter = app.login("hp.mz1", PASSWORD).await.unwrap();
        let other = app.login("hd.mz", PASSWORD).await.unwrap();
        let hp = jianfu_domain::RegionCode::parse("120101").unwrap();
        let entry = jianfu::bootstrap::system_entry("adjustment.create", "test", None);
        let draft = |kind: DirectoryKind, title: &str| NewAdjustment {
            kind,
            district: Some(hp),
            title: title.into(),
            reason: String::new(),
            basis: String::new(),
        };
        let id = catalog::create_adjustment(&app.db, &draft(KIND, "细化一"), "hp.mz1", &entry)
            .await
            .unwrap();
        let page = format!("/adjustments/{id}");
        assert_eq!(app.get_as(&page, &other).await.status, 403, "{backend:?}");
        let r = post(
            &app,
            &format!("{page}/refine"),
            "op=refine&code=KC-001&note=x",
            &other,
        )
        .await;
        assert_eq!(r.status, 403);
        let forged = app
            .post_form(
                &format!("{page}/refine"),
                "csrf=forged&op=refine&code=KC-001&note=x",
                Some(&drafter),
            )
            .await;
        assert_eq!(forged.status, 403);

        // A ban takes detail but no narrowing.
        let jz = catalog::create_adjustment(
            &app.db,
            &draft(DirectoryKind::ProhibitedTask, "禁止类细化"),
            "hp.mz1",
            &entry,
        )
        .await
        .unwrap();
        let r = post(
            &app,
            &format!("/adjustments/{jz}/refine"),
            "op=refine&code=JZ-002&applicability=village",
            &drafter,
        )
        .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("禁止类事项"), "{}", r.body);

        // Two refinements: the second may not take effect before the first.
        let today = jianfu_domain::beijing_date(chrono::Utc::now());
        let community = Refinement {
            applicability: Some(Applicability::Community),
            ..Refinement::default()
        };
        let publish = |id: i64, day: chrono::NaiveDate| {
            let db = app.db.clone();
            let catalog_cache = app.catalog.clone();
            let entry = entry.clone();
            async move {
                for (action, who) in [
                    (Action::Submit, ("hp.mz1", Role::CivilAffairs)),
                    (Action::Review, ("hp.mz2", Role::CivilAffairs)),
                    (Action::Approve, ("hp.sp", Role::Approver)),
                    (
                        Action::Publish {
                            version: 0,
                            effective_from: day,
                        },
                        ("hp.mz1", Role::CivilAffairs),
                    ),
                ] {
                    catalog::act(&db, id, &action, who, &entry).await?;
                }
                catalog_cache.published_here();
                Ok::<_, catalog::ActError>(())
            }
        };
        let kc1 = ItemCode::numbered(KIND, 1);
        catalog::set_changes(
            &app.db,
            id,
            &[(Change::Refine(kc1, community), None)],
            &entry,
        )
        .await
        .unwrap();
        let items = format!(
            "/api/v1/directories/certificate_may_issue/items?region=120101001001&at={}",
            today + Duration::days(10)
        );
        assert_eq!(
            app.get(&items).await.json()["refinement"],
            serde_json::Value::Null
        );
        publish(id, today + Duration::days(10)).await.unwrap();
        // The cache notices the publication at once.
        assert_eq!(app.get(&items).await.json()["refinement"], 1, "{backend:?}");
        let second = catalog::create_adjustment(&app.db, &draft(KIND, "细化二"), "hp.mz1", &entry)
            .await
            .unwrap();
        let note = Refinement {
            note: Some("二".into()),
            ..Refinement::default()
        };
        catalog::set_changes(
            &app.db,
            second,
            &[(Change::Refine(ItemCode::numbered(KIND, 2), note), None)],
            &entry,
        )
        .await
        .unwrap();
        let early = publish(second, today).await.unwrap_err();
        assert!(
            early.to_string().contains("不能早于第 1 版的施行日期"),
            "{early}"
        );

        // The city later keeps KC-001 to villages: the district's "communities only" and the
        // city's no longer overlap, so in 和平区 the item concerns nobody.
        let v1 = catalog::version(&app.db, KIND, 1).await.unwrap().unwrap();
        let mut villages = v1.items[0].clone();
        villages.applicability = Applicability::Village;
        let city = NewAdjustment {
            district: None,
            ..draft(KIND, "市级调整")
        };
        let cid = catalog::create_adjustment(&app.db, &city, "city.mz1", &entry)
            .await
            .unwrap();
        catalog::set_changes(&app.db, cid, &[(Change::Modify(villages), None)], &entry)
            .await
            .unwrap();
        for (action, who) in [
            (Action::Submit, ("city.mz1", Role::CivilAffairs)),
            (Action::Review, ("city.mz2", Role::CivilAffairs)),
            (Action::Approve, ("city.sp", Role::Approver)),
            (
                Action::Publish {
                    version: 0,
                    effective_from: today + Duration::days(20),
                },
                ("city.mz1", Role::CivilAffairs),
            ),
        ] {
            catalog::act(&app.db, cid, &action, who, &entry)
                .await
                .unwrap();
        }
        app.catalog.published_here();
        let later = format!(
            "/api/v1/directories/certificate_may_issue/items?region=120101001001&at={}",
            today + Duration::days(20)
        );
        let codes: Vec<String> = app.get(&later).await.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            !codes.contains(&"KC-001".to_owned()),
            "{backend:?}: {codes:?}"
        );
        let page = app
            .get("/directories/certificate_may_issue?version=2&district=120101")
            .await;
        assert!(page.body.contains("本事项在本区不适用"), "{}", page.body);
        app.finish().await;
    }
}
