//! Admissions through the API with tokens, as departments' systems would: a district
//! department applies with a countersigning department; district civil affairs returns it; it
//! is resubmitted, passed and approved into an admitted task that the public list shows for the
//! district's communities only, with its approval form as PDF; the task is revoked. On the way:
//! a step out of order is 409 naming the stage, another level or department is 403 and audited,
//! a start too soon is refused with the first allowed day, an idempotency key acts once, the
//! next actors are notified, and overdue steps are reminded once.

use chrono::{Duration, Utc};
use jianfu_domain::account::Role;
use jianfu_domain::admission::Deadlines;

use crate::support::{Reply, TestApp, backends};

const JY: &str = "120101000000-004";
const WJ: &str = "120101000000-007";
const SCJG: &str = "120101000000-009";

fn application(starts_on: chrono::NaiveDate, scope_unit: &str) -> serde_json::Value {
    serde_json::json!({
        "title": "学生课后服务需求摸底",
        "content": "请各社区协助摸底辖区学生课后服务需求，填写统一表格",
        "basis": "《天津市中小学课后服务工作指引》",
        "scope": [{"unit": scope_unit, "applies": "community"}],
        "starts_on": starts_on.to_string(),
        "ends_on": (starts_on + Duration::days(60)).to_string(),
        "workload_hours": 2,
        "support": "每个社区工作经费 500 元，由区教育局拨付",
        "co_departments": [WJ]
    })
}

/// Opens `body` as `token`'s application and submits it: its id and the submission's reply.
async fn apply_and_submit(app: &TestApp, token: &str, body: serde_json::Value) -> (i64, Reply) {
    let id = app
        .call("POST", "/api/v1/admissions", token, Some(body))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let uri = format!("/api/v1/admissions/{id}/actions/submit");
    (id, app.call("POST", &uri, token, None).await)
}

#[tokio::test]
async fn a_district_department_applies_and_the_district_decides_through_the_api_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let jy = app
            .token("hp.jy", "120101", Role::DepartmentOfficer, Some(JY))
            .await;
        let wj = app
            .token("hp.wj", "120101", Role::DepartmentOfficer, Some(WJ))
            .await;
        let scjg = app
            .token("hp.scjg", "120101", Role::DepartmentOfficer, Some(SCJG))
            .await;
        let mz = app.token("hp.mz", "120101", Role::CivilAffairs, None).await;
        let sp = app.token("hp.sp", "120101", Role::Approver, None).await;
        let city = app.token("city.mz", "12", Role::CivilAffairs, None).await;
        let township = app
            .token("jd.gz", "120101001", Role::TownshipOfficer, None)
            .await;

        let calendar = jianfu_store::calendar::load(&app.db).await.unwrap();
        let today = jianfu_domain::beijing_date(Utc::now());
        let first = calendar.add_working_days(today, 30);

        // Outside the district: refused before anything is stored.
        let r = app
            .call(
                "POST",
                "/api/v1/admissions",
                &jy,
                Some(application(first, "120119000000")),
            )
            .await;
        assert_eq!(r.status, 422, "{backend:?}: {}", r.body);
        assert!(r.body.contains("不在本级管辖范围内"), "{}", r.body);
        let r = app
            .call(
                "POST",
                "/api/v1/admissions",
                &township,
                Some(application(first, "120101000000")),
            )
            .await;
        assert_eq!(
            r.status, 403,
            "{backend:?}: townships take no part: {}",
            r.body
        );

        // Too soon: the draft is kept, its submission refused with the first allowed day.
        let soon = app
            .call(
                "POST",
                "/api/v1/admissions",
                &jy,
                Some(application(first - Duration::days(1), "120101000000")),
            )
            .await;
        assert_eq!(soon.status, 201, "{backend:?}: {}", soon.body);
        let soon_id = soon.json()["id"].as_i64().unwrap();
        let r = app
            .call(
                "POST",
                &format!("/api/v1/admissions/{soon_id}/actions/submit"),
                &jy,
                None,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(
            r.body.contains(&format!("最早可从 {first} 开始")),
            "{}",
            r.body
        );

        // One idempotency key, one application.
        let mut body = application(first, "120101000000");
        body["idempotency_key"] = "req-1".into();
        let made = app
            .call("POST", "/api/v1/admissions", &jy, Some(body.clone()))
            .await;
        assert_eq!(made.status, 201, "{backend:?}: {}", made.body);
        let again = app
            .call("POST", "/api/v1/admissions", &jy, Some(body))
            .await;
        let made = made.json();
        assert_eq!(again.json()["id"], made["id"], "{backend:?}: acted once");
        assert_eq!(made["stage"], "draft");
        assert_eq!(made["actions"], serde_json::json!(["submit", "withdraw"]));
        let id = made["id"].as_i64().unwrap();
        let step = |action: &str| format!("/api/v1/admissions/{id}/actions/{action}");

        // Out of order: 409 naming the stage.
        let r = app.call("POST", &step("approve"), &sp, None).await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "wrong_stage");
        assert_eq!(r.json()["error"]["stage"], "draft");

        // Another level, another department: 403, audited.
        let r = app
            .call("GET", &format!("/api/v1/admissions/{id}"), &city, None)
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = app
            .call("GET", &format!("/api/v1/admissions/{id}"), &scjg, None)
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let denied = app
            .audit_log()
            .await
            .into_iter()
            .filter(|e| e.event == "authz.out_of_scope" && e.object == format!("admission/{id}"))
            .count();
        assert_eq!(denied, 2, "{backend:?}: both refusals audited");

        let sequence = [
            (&jy, "submit", None, "countersigning"),
            (
                &wj,
                "countersign",
                Some(serde_json::json!({"agree": true, "comment": "同意"})),
                "submitted",
            ),
            (
                &mz,
                "return",
                Some(serde_json::json!({"comment": "请写明经费来源"})),
                "returned",
            ),
            (&jy, "resubmit", None, "countersigning"),
            (
                &wj,
                "countersign",
                Some(serde_json::json!({"comment": "同意"})),
                "submitted",
            ),
            (&mz, "pass", None, "passed"),
            (&sp, "approve", None, "approved"),
        ];
        for (who, action, body, expected) in sequence {
            let r = app.call("POST", &step(action), who, body).await;
            assert_eq!(r.status, 200, "{backend:?} {action}: {}", r.body);
            assert_eq!(r.json()["stage"], expected, "{backend:?} {action}");
            if expected == "submitted" {
                let pending = app
                    .call("GET", "/api/v1/admissions?view=pending", &mz, None)
                    .await;
                assert!(
                    pending.json()["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| a["id"] == id)
                );
            }
        }
        let done = app
            .call("GET", &format!("/api/v1/admissions/{id}"), &jy, None)
            .await
            .json();
        let code = done["task"].as_str().unwrap().to_owned();
        assert!(code.starts_with("ZR-120101-"), "{code}");
        assert_eq!(done["events"].as_array().unwrap().len(), 7);

        // The next actors were told at each step.
        let told = jianfu_store::notification::of(
            &app.db,
            "hp.jy",
            false,
            jianfu_domain::PageRequest::new(None, None),
        )
        .await
        .unwrap();
        let messages: Vec<&str> = told.items.iter().map(|n| n.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("被退回：请写明经费来源")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains(&code)), "{messages:?}");
        let civil = jianfu_store::notification::unread(&app.db, "hp.mz")
            .await
            .unwrap();
        assert_eq!(civil, 2, "{backend:?}: civil affairs told of both arrivals");

        // Public, for the district's communities, from the start day.
        let list = |query: String| {
            let app = &app;
            async move {
                app.get(&format!("/api/v1/admitted-tasks?{query}"))
                    .await
                    .json()
            }
        };
        let has = |v: &serde_json::Value| {
            v.as_array()
                .unwrap()
                .iter()
                .any(|t| t["code"] == code.as_str())
        };
        assert!(
            has(&list(format!("region=120101001001&at={first}")).await),
            "{backend:?}: a 和平区 community"
        );
        assert!(
            !has(&list(format!("region=120119100201&at={first}")).await),
            "{backend:?}: a 蓟州区 village"
        );
        assert!(
            !has(&list(format!("at={}", first - Duration::days(1))).await),
            "not before it starts"
        );
        let pdf = app.get(&format!("/admitted-tasks/{code}/form.pdf")).await;
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        assert!(pdf.body.starts_with("%PDF"));

        // Revoked today: no longer in force on its days.
        let r = app
            .call(
                "POST",
                &step("revoke"),
                &sp,
                Some(serde_json::json!({"comment": "任务已由区教育局自行完成"})),
            )
            .await;
        assert_eq!(r.json()["stage"], "revoked", "{}", r.body);
        assert!(
            !has(&list(format!("region=120101001001&at={first}")).await),
            "{backend:?}: revoked"
        );
        let one = app
            .get(&format!("/api/v1/admitted-tasks/{code}"))
            .await
            .json();
        assert_eq!(one["revoke_reason"], "任务已由区教育局自行完成");

        // Withdrawn before a decision; nothing is decided on it afterwards.
        let r = app
            .call(
                "POST",
                &format!("/api/v1/admissions/{soon_id}/actions/withdraw"),
                &jy,
                None,
            )
            .await;
        assert_eq!(r.json()["stage"], "withdrawn", "{}", r.body);
        let r = app
            .call(
                "POST",
                &format!("/api/v1/admissions/{soon_id}/actions/pass"),
                &mz,
                None,
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.json()["error"]["stage"].clone()),
            (409, "withdrawn".into())
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn overdue_steps_are_reminded_once_by_the_levels_deadline_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let jy = app
            .token("hp.jy", "120101", Role::DepartmentOfficer, Some(JY))
            .await;
        app.token("hp.mz", "120101", Role::CivilAffairs, None).await;
        let calendar = jianfu_store::calendar::load(&app.db).await.unwrap();
        let today = jianfu_domain::beijing_date(Utc::now());
        let mut body = application(calendar.add_working_days(today, 30), "120101000000");
        body["co_departments"] = serde_json::json!([]);
        let (id, r) = apply_and_submit(&app, &jy, body).await;
        assert_eq!(r.json()["stage"], "submitted", "{}", r.body);
        let due: chrono::NaiveDate = r.json()["decide_by"].as_str().unwrap().parse().unwrap();
        assert_eq!(due, calendar.add_working_days(today, 15));

        let remind = |day| {
            let app = &app;
            let calendar = calendar.clone();
            async move {
                jianfu_store::admission::remind_overdue(&app.db, day, &calendar)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(remind(due).await, 0, "due today is not late");
        assert_eq!(remind(due + Duration::days(1)).await, 1);
        assert_eq!(remind(due + Duration::days(2)).await, 1, "still late");
        let late = |who: &'static str| {
            let app = &app;
            async move {
                jianfu_store::notification::of(
                    &app.db,
                    who,
                    false,
                    jianfu_domain::PageRequest::new(None, None),
                )
                .await
                .unwrap()
                .items
                .into_iter()
                .filter(|n| n.kind == "admission.overdue")
                .count()
            }
        };
        assert_eq!(late("hp.mz").await, 1, "reminded once");
        assert_eq!(late("hp.jy").await, 1, "the applicant hears of it");

        // A level's own deadline counts instead of the default.
        let level = jianfu_domain::RegionCode::parse("120101").unwrap();
        let audit = jianfu::bootstrap::system_entry("admission.deadlines", "test", None);
        let short = Deadlines {
            notice_days: 30,
            review_days: 3,
        };
        jianfu_store::admission::set_deadlines(&app.db, &level, short, "hp.mz", &audit)
            .await
            .unwrap();
        let r = app
            .call("GET", &format!("/api/v1/admissions/{id}"), &jy, None)
            .await;
        assert_eq!(
            r.json()["decide_by"],
            calendar.add_working_days(today, 3).to_string()
        );
        let wrong = Deadlines {
            notice_days: 0,
            review_days: 3,
        };
        assert!(
            jianfu_store::admission::set_deadlines(&app.db, &level, wrong, "hp.mz", &audit)
                .await
                .is_err()
        );
        app.finish().await;
    }
}

/// What the test receiver got: the event header, the signature header and the body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String, String)>>>;

/// A department's system listening on loopback, answering 204 to every POST.
async fn receiver() -> (String, Received) {
    let got: Received = Default::default();
    let kept = got.clone();
    let app = axum::Router::new().route(
        "/events",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let header = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                kept.lock().unwrap().push((
                    header("x-jianfu-event"),
                    header("x-jianfu-signature"),
                    body,
                ));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/events"), got)
}

#[tokio::test]
async fn a_departments_system_hears_each_step_signed_with_its_secret() {
    let app = TestApp::new(backends().remove(0)).await;
    let jy = app
        .token("hp.jy", "120101", Role::DepartmentOfficer, Some(JY))
        .await;
    let (url, got) = receiver().await;
    let cipher = app.keys.field_cipher();
    let audit = jianfu::bootstrap::system_entry("department.webhook", "test", None);
    let secret = "部门系统的签名密钥";
    let sealed = jianfu_store::webhook::seal(cipher, secret, JY);
    jianfu_store::webhook::set(&app.db, JY, Some(&url), &sealed, "hp.jy", &audit)
        .await
        .unwrap();
    // The countersigning department's system is down.
    let dead = jianfu_store::webhook::seal(cipher, "x", WJ);
    jianfu_store::webhook::set(
        &app.db,
        WJ,
        Some("http://127.0.0.1:9/none"),
        &dead,
        "hp.wj",
        &audit,
    )
    .await
    .unwrap();

    let calendar = jianfu_store::calendar::load(&app.db).await.unwrap();
    let today = jianfu_domain::beijing_date(Utc::now());
    let body = application(calendar.add_working_days(today, 30), "120101000000");
    let (id, r) = apply_and_submit(&app, &jy, body).await;
    assert_eq!(r.json()["stage"], "countersigning", "{}", r.body);

    let sent = jianfu::webhook::deliver_due(&app.db, cipher).await.unwrap();
    assert_eq!(sent, 1, "one delivered, the dead one failed");
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (event, signature, body) = &got[0];
    assert_eq!(event, "admission.submit");
    assert_eq!(
        *signature,
        jianfu::webhook::signature(secret, body.as_bytes())
    );
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["admission_id"], id);
    assert_eq!(body["stage"], "countersigning");

    let failed = jianfu_store::webhook::recent(&app.db, WJ, 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 1);
    assert!(failed[0].delivered_at.is_none() && failed[0].last_error.is_some());
    assert!(
        failed[0].next_attempt_at > Utc::now(),
        "retried later, not at once"
    );
    assert_eq!(
        jianfu::webhook::deliver_due(&app.db, cipher).await.unwrap(),
        0,
        "nothing due again yet"
    );
    app.finish().await;
}

#[tokio::test]
async fn a_reviewer_hands_the_review_to_a_colleague_and_a_standing_task_is_proposed_for_the_directory()
 {
    let app = TestApp::new(backends().remove(0)).await;
    let jy = app
        .token("hp.jy", "120101", Role::DepartmentOfficer, Some(JY))
        .await;
    let mz = app.token("hp.mz", "120101", Role::CivilAffairs, None).await;
    let mz2 = app
        .token("hp.mz2", "120101", Role::CivilAffairs, None)
        .await;
    let sp = app.token("hp.sp", "120101", Role::Approver, None).await;
    let calendar = jianfu_store::calendar::load(&app.db).await.unwrap();
    let today = jianfu_domain::beijing_date(Utc::now());
    let mut body = application(calendar.add_working_days(today, 30), "120101001000");
    body["co_departments"] = serde_json::json!([]);
    body["permanent"] = true.into();
    let id = app
        .call("POST", "/api/v1/admissions", &jy, Some(body))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let act = |who: &str, action: &str| {
        let (app, who) = (&app, who.to_owned());
        let uri = format!("/api/v1/admissions/{id}/actions/{action}");
        async move { app.call("POST", &uri, &who, None).await }
    };
    assert_eq!(act(&jy, "submit").await.json()["stage"], "submitted");

    let by = jianfu_store::admission::By {
        username: "hp.mz",
        name: "区民政局",
        role: Role::CivilAffairs,
        department: None,
    };
    let audit = jianfu::bootstrap::system_entry("admission.delegate", "test", None);
    let nobody =
        jianfu_store::admission::assign_reviewer(&app.db, id, Some("hp.jy"), by, &audit).await;
    assert!(
        nobody.is_err(),
        "only a civil-affairs colleague of the level"
    );
    jianfu_store::admission::assign_reviewer(&app.db, id, Some("hp.mz2"), by, &audit)
        .await
        .unwrap();
    let r = act(&mz, "pass").await;
    assert_eq!(r.status, 422, "handed over: {}", r.body);
    assert!(r.body.contains("其他工作人员"), "{}", r.body);
    assert_eq!(act(&mz2, "pass").await.json()["stage"], "passed");
    assert_eq!(act(&sp, "approve").await.json()["stage"], "approved");

    let proposed = |who: &'static str| {
        let app = &app;
        async move {
            jianfu_store::notification::of(
                &app.db,
                who,
                false,
                jianfu_domain::PageRequest::new(None, None),
            )
            .await
            .unwrap()
            .items
            .into_iter()
            .any(|n| n.kind == "admission.propose_directory")
        }
    };
    assert!(proposed("hp.mz").await && proposed("hp.mz2").await);
    assert!(!proposed("hp.jy").await);
    app.finish().await;
}

#[tokio::test]
async fn the_workbench_counts_what_waits_and_the_form_warns_of_a_missing_holiday_year() {
    let app = TestApp::new(backends().remove(0)).await;
    let jy = app
        .token("hp.jy", "120101", Role::DepartmentOfficer, Some(JY))
        .await;
    app.token("hp.mz", "120101", Role::CivilAffairs, None).await;
    let calendar = jianfu_store::calendar::load(&app.db).await.unwrap();
    let today = jianfu_domain::beijing_date(Utc::now());
    let first = calendar.add_working_days(today, 30);
    let mut body = application(first, "120101000000");
    body["co_departments"] = serde_json::json!([]);
    let (_, r) = apply_and_submit(&app, &jy, body).await;
    assert_eq!(r.json()["stage"], "submitted", "{}", r.body);

    let civil = app.login("hp.mz", crate::support::PASSWORD).await.unwrap();
    let me = app.get_as("/me", &civil).await.body;
    let todo = &me[me.find("id=\"todo\"").unwrap()..];
    assert!(todo.contains("未读消息"), "{todo}");
    let pending = todo.split("待办准入申请").next().unwrap();
    assert!(
        pending.ends_with("<span class=\"stat-num\">1</span><span class=\"stat-label\">"),
        "{pending}"
    );

    let officer = app.login("hp.jy", crate::support::PASSWORD).await.unwrap();
    let form = app.get_as("/admissions/new", &officer).await.body;
    let missing = calendar.uncovered(today, first);
    assert_eq!(
        form.contains("节假日安排尚未导入"),
        !missing.is_empty(),
        "warned exactly when {missing:?} is missing"
    );
    app.finish().await;
}
