//! Inspection and rectification: a plan's sample is drawn again from its seed; an unannounced
//! plan is sealed (its digest in the audit chain, its units hidden from everyone outside the
//! group) and revealed after the visits so the digest can be checked; a finding becomes a
//! rectification only once the plan is revealed; the unit reports with evidence, the
//! inspector reopens and then closes it; what is overdue is escalated up the tree; and the
//! campaign's exit criteria follow the records.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jianfu_domain::account::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::{PASSWORD, Session, TestApp, backends};

/// 和平区, and two of its communities' townships' city.
const DISTRICT: &str = "120101000000";
const CITY: &str = "120000000000";

fn members(inspector: &str) -> serde_json::Value {
    serde_json::json!([
        { "username": inspector, "name": "王民政", "body": "civil_affairs" },
        { "username": "org.li", "name": "李组织", "body": "organisation" },
        { "username": "rural.zhao", "name": "赵农办", "body": "rural_work" },
    ])
}

fn plan_body(group: i64, seed: &str) -> serde_json::Value {
    let first = jianfu_domain::beijing_date(chrono::Utc::now());
    serde_json::json!({
        "group_id": group, "title": "2026年第四季度减负暗访", "visibility": "unannounced",
        "topics": ["signage", "tasks"], "within": DISTRICT, "seed": seed,
        "per_district": 2, "first_day": first, "per_day": 1,
    })
}

fn units(plan: &serde_json::Value) -> Vec<String> {
    plan["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["unit"].as_str().unwrap().to_owned())
        .collect()
}

/// A `multipart/form-data` POST with a session's cookie: text fields, then one PNG file.
async fn post_multipart(
    app: &TestApp,
    uri: &str,
    session: &Session,
    fields: &[(&str, &str)],
    file: Option<(&str, &str)>,
) -> crate::support::Reply {
    let boundary = "jianfu-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((field, name)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: image/png\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    app.request(
        Request::post(uri)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("host", "jianfu.test")
            .header("origin", "http://jianfu.test")
            .header("cookie", format!("jianfu_session={}", session.secret))
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_sealed_plan_is_drawn_again_from_its_seed_and_proved_after_the_visits_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let inspector = app.token("insp.wang", CITY, Role::Inspector, None).await;
        let outsider = app.token("insp.other", CITY, Role::Inspector, None).await;
        let civil = app.token("mz.city", CITY, Role::CivilAffairs, None).await;

        // A group must draw on all three bodies.
        let r = app
            .call(
                "POST",
                "/api/v1/inspections/groups",
                &inspector,
                Some(serde_json::json!({ "name": "第一组", "members": [members("insp.wang")[0]] })),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            r.body.contains("组织部门") && r.body.contains("农村工作部门"),
            "{}",
            r.body
        );
        let r = app
            .call("POST", "/api/v1/inspections/groups", &inspector,
                Some(serde_json::json!({ "name": "市减负联合检查第一组", "members": members("insp.wang") })))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let group = r.json()["id"].as_i64().unwrap();

        // The same seed draws the same units; another seed, in general, others.
        let a = app
            .call(
                "POST",
                "/api/v1/inspections/plans",
                &inspector,
                Some(plan_body(group, "20261208")),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        let a = a.json();
        let b = app
            .call(
                "POST",
                "/api/v1/inspections/plans",
                &inspector,
                Some(plan_body(group, "20261208")),
            )
            .await
            .json();
        assert_eq!(units(&a), units(&b));
        assert_eq!(units(&a).len(), 2);
        assert!(units(&a).iter().all(|u| u.starts_with("120101")));
        let others: Vec<Vec<String>> = futures_like(&app, &inspector, group).await;
        assert!(
            others.iter().any(|o| *o != units(&a)),
            "other seeds draw other units"
        );

        // Only the group's members run its plans.
        let r = app
            .call(
                "POST",
                "/api/v1/inspections/plans",
                &outsider,
                Some(plan_body(group, "1")),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(
            r.body.contains("不是“市减负联合检查第一组”的成员"),
            "{}",
            r.body
        );

        let id = a["id"].as_i64().unwrap();
        let sealed = app
            .call(
                "POST",
                &format!("/api/v1/inspections/plans/{id}/actions/seal"),
                &inspector,
                None,
            )
            .await;
        assert_eq!(sealed.status, StatusCode::OK, "{}", sealed.body);
        let sealed = sealed.json();
        assert_eq!(sealed["stage"], "sealed");
        let digest = sealed["seal"].as_str().unwrap().to_owned();
        assert_eq!(digest.len(), 64);
        assert!(
            sealed["sealed_text"].is_null(),
            "the text stays hidden while sealed"
        );
        // Before the visits, nobody outside the group learns of the plan.
        let r = app
            .call(
                "GET",
                &format!("/api/v1/inspections/plans/{id}"),
                &civil,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        // The audit chain holds the digest, not the units.
        let log = app.audit_log().await;
        let seal_record = log
            .iter()
            .find(|e| e.event == "inspection.plan.seal")
            .unwrap();
        let after = seal_record.after.clone().unwrap();
        assert!(after.contains(&digest));
        assert!(
            units(&a).iter().all(|u| !after.contains(u.as_str())),
            "{after}"
        );

        // Another group's clash check does not see this sealed plan's visits.
        let sealed_units: Vec<jianfu_domain::RegionCode> = units(&a)
            .iter()
            .map(|u| jianfu_domain::RegionCode::parse(u).unwrap())
            .collect();
        let (from, to) = (
            chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
        );
        let near = |g| jianfu_store::inspection::visits_near(&app.db, g, &sealed_units, from, to);
        assert!(
            near(group).await.unwrap().iter().any(|v| v.plan_id == id),
            "its own group sees it"
        );
        assert!(
            !near(group + 1)
                .await
                .unwrap()
                .iter()
                .any(|v| v.plan_id == id),
            "another does not"
        );

        // A plan whose visits have not begun cannot be ended (that would reveal it early).
        let mut later = plan_body(group, "99");
        later["first_day"] = (jianfu_domain::beijing_date(chrono::Utc::now())
            + chrono::Duration::days(7))
        .to_string()
        .into();
        let later = app
            .call("POST", "/api/v1/inspections/plans", &inspector, Some(later))
            .await
            .json();
        let later = later["id"].as_i64().unwrap();
        app.call(
            "POST",
            &format!("/api/v1/inspections/plans/{later}/actions/seal"),
            &inspector,
            None,
        )
        .await;
        let r = app
            .call(
                "POST",
                &format!("/api/v1/inspections/plans/{later}/actions/complete"),
                &inspector,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("尚未开始的检查不能结束"), "{}", r.body);

        // A finding; its rectification waits until the plan is revealed.
        let unit = units(&a)[0].clone();
        let r = app
            .call("POST", &format!("/api/v1/inspections/plans/{id}/findings"), &inspector,
                Some(serde_json::json!({ "unit": unit, "item": "signage.outside_signs", "description": "外墙有 3 块规定以外的牌子" })))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let finding = r.json()["id"].as_i64().unwrap();
        let log = app.audit_log().await;
        let recorded = log
            .iter()
            .rev()
            .find(|e| e.event == "inspection.finding.record")
            .unwrap();
        assert!(
            !recorded.after.clone().unwrap().contains(&unit),
            "no unit in the record while sealed"
        );
        let r = app
            .call("POST", &format!("/api/v1/inspections/plans/{id}/findings"), &inspector,
                Some(serde_json::json!({ "unit": "120119100201", "item": "certificates.ledger", "description": "x" })))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("本计划检查的村（社区）") && r.body.contains("不在本计划的检查内容内"),
            "{}",
            r.body
        );
        let issue = serde_json::json!({ "measures": "摘除规定以外的外部标牌", "days": 10 });
        let r = app
            .call(
                "POST",
                &format!("/api/v1/inspections/findings/{finding}/rectification"),
                &inspector,
                Some(issue.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("暗访计划公开后"), "{}", r.body);

        // After the visits the plan is revealed, and its text hashes to the registered digest.
        let done = app
            .call(
                "POST",
                &format!("/api/v1/inspections/plans/{id}/actions/complete"),
                &inspector,
                None,
            )
            .await
            .json();
        assert_eq!(done["stage"], "completed");
        let text = done["sealed_text"].as_str().unwrap();
        let hex: String = jianfu_seal::sm3(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, digest);
        assert!(
            text.contains(&format!(
                "visit={} {unit}",
                a["visits"][0]["on"].as_str().unwrap()
            )),
            "{text}"
        );
        assert_eq!(done["seal_holds"], true);
        assert_eq!(
            app.call(
                "GET",
                &format!("/api/v1/inspections/plans/{id}"),
                &civil,
                None
            )
            .await
            .status,
            StatusCode::OK
        );
        let r = app
            .call(
                "POST",
                &format!("/api/v1/inspections/findings/{finding}/rectification"),
                &inspector,
                Some(issue),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        // A notice on the period's inspection results counts units and problems by district
        // and names no unit.
        let today = jianfu_domain::beijing_date(chrono::Utc::now());
        let new = jianfu_store::notice::NewNotice {
            region: jianfu_domain::RegionCode::parse(CITY).unwrap(),
            issuer: "天津市民政局".into(),
            prefix: "津民减负通".into(),
            addressee: "各区民政局".into(),
            period_from: today - chrono::Duration::days(30),
            period_to: today,
            drafter: "mz.city".into(),
            drafter_name: "市民政局经办人".into(),
            subject: jianfu_domain::notice::NoticeSubject::Inspections,
        };
        let audit = jianfu::bootstrap::system_entry("notice.draft", "notice", None);
        let id = jianfu_store::notice::draft(&app.db, &new, &audit)
            .await
            .unwrap();
        let (n, covered) = jianfu_store::notice::get(&app.db, id).await.unwrap();
        assert!(covered.is_empty());
        assert_eq!(n.subject, "inspections");
        assert!(n.title.contains("检查评估情况的通报"), "{}", n.title);
        assert!(
            n.body.contains("共检查1个区的2个村（社区），发现问题1个"),
            "{}",
            n.body
        );
        assert!(
            n.body.contains("（一）和平区：检查2个村（社区）"),
            "{}",
            n.body
        );
        assert!(n.body.contains("已下达整改1个，已销号0个"), "{}", n.body);
        assert!(!n.body.contains(&unit), "no unit is named");
        app.finish().await;
    }
}

/// Plans of the group drawn with three other seeds: their units.
async fn futures_like(app: &TestApp, token: &str, group: i64) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for seed in ["1", "2", "3"] {
        let r = app
            .call(
                "POST",
                "/api/v1/inspections/plans",
                token,
                Some(plan_body(group, seed)),
            )
            .await;
        out.push(units(&r.json()));
    }
    out
}

/// An announced plan with one finding at `unit`, its rectification issued: (plan, rectification).
async fn issued(app: &TestApp, inspector: &str) -> (i64, i64, String) {
    let group = app
        .call(
            "POST",
            "/api/v1/inspections/groups",
            inspector,
            Some(serde_json::json!({ "name": "区检查组", "members": members("insp.hp") })),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let mut body = plan_body(group, "7");
    body["visibility"] = "announced".into();
    let plan = app
        .call("POST", "/api/v1/inspections/plans", inspector, Some(body))
        .await
        .json();
    let id = plan["id"].as_i64().unwrap();
    let unit = units(&plan)[0].clone();
    assert_eq!(
        app.call(
            "POST",
            &format!("/api/v1/inspections/plans/{id}/actions/announce"),
            inspector,
            None
        )
        .await
        .status,
        StatusCode::OK
    );
    let finding = app
        .call("POST", &format!("/api/v1/inspections/plans/{id}/findings"), inspector,
            Some(serde_json::json!({ "unit": unit, "item": "signage.activity_area", "description": "活动区域不足 60%" })))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .call(
            "POST",
            &format!("/api/v1/inspections/findings/{finding}/rectification"),
            inspector,
            Some(serde_json::json!({ "measures": "调整功能布局，扩大活动区域", "days": 5 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (id, r.json()["id"].as_i64().unwrap(), unit)
}

#[tokio::test]
async fn a_rectification_is_reported_with_evidence_verified_and_escalated_when_late_on_every_backend()
 {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let inspector = app.token("insp.hp", DISTRICT, Role::Inspector, None).await;
        let (_, rect, unit) = issued(&app, &inspector).await;
        app.account("sq.worker", &unit, &[Role::VillageWorker], None)
            .await;
        app.account("sq.other", "120119100201", &[Role::VillageWorker], None)
            .await;
        let worker = app.login("sq.worker", PASSWORD).await.unwrap();
        let other = app.login("sq.other", PASSWORD).await.unwrap();

        // Another village neither reads nor reports on it.
        let page = app.get_as(&format!("/rectifications/{rect}"), &other).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        let page = app
            .get_as(&format!("/rectifications/{rect}"), &worker)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("调整功能布局，扩大活动区域") && page.body.contains("待整改"));

        // A report without evidence is refused and changes nothing; with a photo it is submitted.
        let act = format!("/rectifications/{rect}/act");
        let fields = [
            ("csrf", worker.csrf.as_str()),
            ("action", "submit"),
            ("note", "已将两间办公室改为居民活动室"),
        ];
        let r = post_multipart(&app, &act, &worker, &fields, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("请上传至少一份整改佐证材料"), "{}", r.body);
        let r = post_multipart(
            &app,
            &act,
            &worker,
            &fields,
            Some(("evidence", "活动室.png")),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The inspector reopens it with a reason, then the unit reports again and it is closed.
        let first_report = jianfu_store::inspection::rectification(&app.db, rect)
            .await
            .unwrap();
        let r = app
            .call(
                "POST",
                &format!("/api/v1/rectifications/{rect}/actions/reopen"),
                &inspector,
                Some(serde_json::json!({})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("核查不通过的理由"), "{}", r.body);
        let r = app
            .call(
                "POST",
                &format!("/api/v1/rectifications/{rect}/actions/reopen"),
                &inspector,
                Some(serde_json::json!({ "note": "活动室仍放置办公桌椅" })),
            )
            .await;
        assert_eq!(r.json()["stage"], "reopened");
        let r = post_multipart(
            &app,
            &act,
            &worker,
            &fields,
            Some(("evidence", "活动室-2.png")),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        // A verdict on the first report, read before it was reopened, does not close the second.
        let stale = jianfu_store::inspection::act(
            &app.db,
            &first_report,
            jianfu_domain::rectification::RectAction::Accept,
            jianfu_domain::rectification::RectStage::Closed,
            "",
            &[],
            "inspector",
            chrono::Utc::now().date_naive(),
            &jianfu::bootstrap::system_entry("rectification.accept", "rectification", None),
        )
        .await;
        assert!(
            matches!(stale, Err(jianfu_domain::Error::WrongStage { .. })),
            "{stale:?}"
        );
        // A worker cannot verify; the inspector can.
        let r = app
            .call(
                "POST",
                &format!("/api/v1/rectifications/{rect}/actions/accept"),
                &app.token("sq.api", &unit, Role::VillageWorker, None).await,
                Some(serde_json::json!({})),
            )
            .await;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            r.body
        );
        let r = app
            .call(
                "POST",
                &format!("/api/v1/rectifications/{rect}/actions/accept"),
                &inspector,
                Some(serde_json::json!({ "note": "现场核实" })),
            )
            .await;
        assert_eq!(r.json()["stage"], "closed", "{}", r.body);
        let page = app
            .get_as(&format!("/rectifications/{rect}"), &worker)
            .await;
        for step in [
            "下达整改",
            "报送整改情况",
            "核查不通过",
            "活动室仍放置办公桌椅",
            "核查通过并销号",
        ] {
            assert!(page.body.contains(step), "{step}");
        }
        assert!(page.body.contains("活动室-2.png"));
        let events: Vec<String> = app.audit_log().await.into_iter().map(|e| e.event).collect();
        for e in [
            "rectification.issue",
            "rectification.submit",
            "rectification.reopen",
            "rectification.accept",
        ] {
            assert!(events.iter().any(|x| x == e), "{e} audited");
        }

        // Another rectification left past its deadline goes up the tree.
        let (_, late, late_unit) = issued(&app, &inspector).await;
        let twelve_working_days_ago =
            (chrono::Utc::now() - chrono::Duration::days(20)).date_naive();
        jianfu_store::entity::rectification::Entity::update_many()
            .col_expr(
                jianfu_store::entity::rectification::Column::DueOn,
                sea_orm::sea_query::Expr::value(twelve_working_days_ago),
            )
            .filter(jianfu_store::entity::rectification::Column::Id.eq(late))
            .exec(&app.db)
            .await
            .unwrap();
        let list = app
            .call("GET", "/api/v1/rectifications", &inspector, None)
            .await
            .json();
        let row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == late)
            .unwrap();
        assert!(row["overdue_days"].as_u64().unwrap() >= 11, "{row}");
        let township = format!("{}000", &late_unit[..9]);
        assert_eq!(row["escalated_to"][0], township);
        assert_eq!(row["escalated_to"][1], DISTRICT);
        assert_eq!(row["escalated_to"][2], CITY);
        let closed = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == rect)
            .unwrap();
        assert_eq!(closed["overdue_days"], 0);
        assert_eq!(closed["escalated_to"].as_array().unwrap().len(), 0);

        // The campaign: the rectification phase's criteria follow these records.
        let c = app
            .call("GET", "/api/v1/campaign", &inspector, None)
            .await
            .json();
        let rectification = c["phases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "rectification")
            .unwrap();
        assert_eq!(rectification["criteria"][0]["measured"], "50.0%（1/2）");
        assert_eq!(rectification["criteria"][0]["met"], false);
        assert_eq!(rectification["criteria"][1]["met"], false, "one overdue");
        let inspection = c["phases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "inspection")
            .unwrap();
        assert_eq!(
            inspection["criteria"][0]["measured"], "0/1 个区",
            "announced, not completed"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn the_campaign_phase_follows_the_dates_and_an_override_is_audited() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("mz.city", CITY, &[Role::CivilAffairs], None)
        .await;
    let civil = app.login("mz.city", PASSWORD).await.unwrap();
    // One task sent within the directory and one citing nothing (blocked, on the ledger).
    let wj = app
        .token(
            "hp.wj",
            "120101",
            Role::DepartmentOfficer,
            Some("120101000000-007"),
        )
        .await;
    for cites in [
        serde_json::json!({ "item_code": "XZ-008" }),
        serde_json::json!({}),
    ] {
        let task = serde_json::json!({
            "title": "开展冬春季传染病防控宣传", "body": "请各社区张贴宣传材料",
            "cites": cites, "targets": ["120101001001", "120101001002"],
        });
        let r = app
            .call("POST", "/api/v1/dispatches", &wj, Some(task))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let page = app.get_as("/campaign", &civil).await;
    assert_eq!(page.status, StatusCode::OK);
    let departments = &page.body[page.body.find("department-progress").unwrap()..];
    let row =
        &departments[departments.find("<tr><td>").unwrap()..departments.find("</tbody>").unwrap()];
    assert!(
        row.contains(r#"<td class="num">2</td><td class="num">2</td><td class="num">2</td><td class="num">1</td>"#),
        "two dispatches, two units reached, two blocked, one ledger entry (for both units): {row}"
    );
    assert!(
        page.body.contains("当前阶段：<strong>巩固提升</strong>"),
        "the plan's dates put 2026 in consolidation"
    );
    assert!(page.body.contains("各区均已发布细化目录"));
    let form = |over: &str, reason: &str| {
        format!(
            "csrf={}&start_preparation=2023-02-01&start_implementation=2023-04-01&start_inspection=2023-09-01&start_rectification=2023-11-01&start_consolidation=2024-01-01&override={over}&reason={}",
            civil.csrf,
            crate::support::form_encode(reason)
        )
    };
    let r = app
        .post_form("/campaign", &form("rectification", ""), Some(&civil))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("指定当前阶段须填写理由"));
    let r = app
        .post_form(
            "/campaign",
            &form("rectification", "三个区整改尚未完成"),
            Some(&civil),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get_as("/campaign", &civil).await;
    assert!(
        page.body.contains(
            "当前阶段：<strong>整改落实</strong>（已指定为整改落实（理由：三个区整改尚未完成））"
        ),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("district-progress"),
        "the city sees its districts"
    );
    let log = app.audit_log().await;
    let set = log
        .iter()
        .rev()
        .find(|e| e.event == "campaign.set")
        .unwrap();
    assert!(set.after.as_deref().unwrap().contains("三个区整改尚未完成"));
    assert!(set.before.as_deref().unwrap().contains("\"override\":null"));
    // A township officer follows but does not set.
    app.account("jd.officer", "120101001000", &[Role::TownshipOfficer], None)
        .await;
    let township = app.login("jd.officer", PASSWORD).await.unwrap();
    assert!(
        !app.get_as("/campaign", &township)
            .await
            .body
            .contains("campaign-form")
    );
    let r = app
        .post_form("/campaign", &form("", ""), Some(&township))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.finish().await;
}
