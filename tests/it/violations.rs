//! Oversight of the gateway: villages report off-platform tasks (judged by the same engine,
//! recorded as the sender's violation when blocked), reporters are never shown to the sender
//! and below three units not even counted, blocked dispatches and upheld disputes enter the
//! ledger once, notices go draft → approved (numbered) → published (public, PDF), and
//! referrals record the receiving body and the outcome.

use jianfu_domain::RegionCode;
use jianfu_domain::account::Role;
use jianfu_domain::notice::NoticeAction;

use crate::support::{TestApp, backends};

const JY: &str = "120101000000-004";
const WJ: &str = "120101000000-007";

fn report(sender: &str, title: &str) -> serde_json::Value {
    serde_json::json!({
        "sender_department": sender,
        "channel": "work_group",
        "title": title,
        "body": "请各社区今天下班前在群里上报辖区学生家长的手机号码",
    })
}

#[tokio::test]
async fn reports_are_judged_and_their_reporters_never_shown_to_the_sender_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let units = ["120101001001", "120101001002", "120101001004"];
        let mut tokens = Vec::new();
        for (n, u) in units.iter().enumerate() {
            tokens.push(
                app.token(&format!("sq.{n}"), u, Role::VillageWorker, None)
                    .await,
            );
        }
        let jy = app
            .token("hp.jy", "120101", Role::DepartmentOfficer, Some(JY))
            .await;
        let mz = app.token("hp.mz", "120101", Role::CivilAffairs, None).await;

        // Nothing cited: blocked, and a violation of 教育局.
        let r = app
            .call(
                "POST",
                "/api/v1/reports",
                &tokens[0],
                Some(report(JY, "统计学生家长手机号码")),
            )
            .await;
        assert_eq!(r.status, 201, "{backend:?}: {}", r.body);
        let v = r.json();
        assert_eq!(v["outcome"], "blocked");
        assert_eq!(v["violation"], true);
        assert_eq!(v["reasons"][0]["rule"], "basis.missing", "{}", r.body);

        // What rests on the directory is not a violation, wherever it came from.
        let mut ok = report(WJ, "开展冬春季传染病防控宣传");
        ok["cites_item"] = "XZ-008".into();
        ok["body"] = "请张贴爱国卫生和传染病防控宣传材料".into();
        let r = app
            .call("POST", "/api/v1/reports", &tokens[0], Some(ok))
            .await;
        assert_eq!(r.status, 201, "{backend:?}: {}", r.body);
        assert_eq!(r.json()["violation"], false, "{}", r.body);

        // Bad input is named in Chinese; a department cannot report.
        let mut bad = report(JY, "统计");
        bad["channel"] = "pigeon".into();
        let r = app
            .call("POST", "/api/v1/reports", &tokens[0], Some(bad))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("渠道")
        );
        let mut future = report(JY, "统计");
        future["received_on"] = "2999-01-01".into();
        let r = app
            .call("POST", "/api/v1/reports", &tokens[0], Some(future))
            .await;
        assert!(r.body.contains("不能晚于今天"), "{}", r.body);
        let r = app
            .call("POST", "/api/v1/reports", &jy, Some(report(JY, "x")))
            .await;
        assert_eq!(r.status, 403);

        // One or two reporting units: the sender sees no count at all, and never a unit.
        let mine = app.call("GET", "/api/v1/violations/mine", &jy, None).await;
        assert_eq!(mine.status, 200, "{}", mine.body);
        assert!(mine.json()["reported_units"].is_null(), "{}", mine.body);
        app.call(
            "POST",
            "/api/v1/reports",
            &tokens[1],
            Some(report(JY, "统计学生家长手机号码")),
        )
        .await;
        let mine = app.call("GET", "/api/v1/violations/mine", &jy, None).await;
        assert!(
            mine.json()["reported_units"].is_null(),
            "{backend:?}: two units: {}",
            mine.body
        );
        // The same unit reporting twice is still one unit.
        app.call(
            "POST",
            "/api/v1/reports",
            &tokens[1],
            Some(report(JY, "再次统计家长信息")),
        )
        .await;
        let mine = app.call("GET", "/api/v1/violations/mine", &jy, None).await;
        assert!(mine.json()["reported_units"].is_null(), "{}", mine.body);
        app.call(
            "POST",
            "/api/v1/reports",
            &tokens[2],
            Some(report(JY, "统计学生家长手机号码")),
        )
        .await;
        let mine = app.call("GET", "/api/v1/violations/mine", &jy, None).await;
        let m = mine.json();
        assert_eq!(m["reported_units"], 3, "{backend:?}: {}", mine.body);
        assert_eq!(m["reports"], 4);
        assert!(
            m["entries"].as_array().unwrap().is_empty(),
            "reports are not listed"
        );
        for u in units {
            assert!(
                !mine.body.contains(u),
                "{backend:?}: the sender must not see {u}"
            );
        }
        // Nor on the department's page.
        let page = app.call("GET", "/violations/mine", &jy, None).await;
        if page.status == 200 {
            for u in units {
                assert!(!page.body.contains(u));
            }
        }

        // Civil affairs reads the ledger in full, with where each report came from.
        let ledger = app
            .call("GET", "/api/v1/violations?source=report", &mz, None)
            .await;
        assert_eq!(ledger.status, 200, "{}", ledger.body);
        let l = ledger.json();
        assert_eq!(l["total"], 4, "{backend:?}: {}", ledger.body);
        assert!(ledger.body.contains("120101001004"));
        assert_eq!(l["items"][0]["ground"], "无派发依据");
        // A unit reads back its own reports only.
        let other = app
            .call("GET", "/api/v1/violations", &tokens[0], None)
            .await;
        assert_eq!(other.status, 403);
        // Every report is audited.
        let audited = app
            .audit_log()
            .await
            .iter()
            .filter(|a| a.event == "report.create")
            .count();
        assert_eq!(audited, 5, "{backend:?}");
        app.finish().await;
    }
}

#[tokio::test]
async fn blocked_dispatches_and_upheld_disputes_enter_the_ledger_once_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let wj = app
            .token("hp.wj", "120101", Role::DepartmentOfficer, Some(WJ))
            .await;
        let sq = app
            .token("sq.1", "120101001001", Role::VillageWorker, None)
            .await;
        let mz = app.token("hp.mz", "120101", Role::CivilAffairs, None).await;
        let hx = app.token("hx.mz", "120102", Role::CivilAffairs, None).await;

        // Blocked: one violation per dispatch, however many units it was stopped for, and a
        // retry with the same key records nothing more.
        let blocked = serde_json::json!({
            "title": "组织社区开展违法建设拆除",
            "body": "由社区负责拆除辖区违法建设",
            "cites": {},
            "targets": ["120101001"],
            "idempotency_key": "wj-blocked-1",
        });
        for _ in 0..2 {
            let r = app
                .call("POST", "/api/v1/dispatches", &wj, Some(blocked.clone()))
                .await;
            assert_eq!(r.status, 201, "{backend:?}: {}", r.body);
        }
        let ledger = app
            .call("GET", "/api/v1/violations?source=dispatch", &mz, None)
            .await
            .json();
        assert_eq!(ledger["total"], 1, "{backend:?}: {ledger}");
        assert!(ledger["items"][0]["units"].as_i64().unwrap() > 5);
        assert_eq!(ledger["items"][0]["department"], WJ);

        // Allowed, disputed, upheld: withdrawn and a violation; ruled again: 409.
        let sent = |key: &str| {
            serde_json::json!({
                "title": "开展冬春季传染病防控宣传",
                "body": "请各社区张贴宣传材料",
                "cites": {"item_code": "XZ-008"},
                "targets": ["120101001001"],
                "idempotency_key": key,
            })
        };
        let mut deliveries = Vec::new();
        for key in ["a", "b"] {
            let d = app
                .call("POST", "/api/v1/dispatches", &wj, Some(sent(key)))
                .await
                .json();
            let id = d["deliveries"][0]["id"].as_i64().unwrap();
            let r = app
                .call(
                    "POST",
                    &format!("/api/v1/deliveries/{id}/actions/dispute"),
                    &sq,
                    Some(serde_json::json!({"comment": "应由卫生部门直接组织"})),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            deliveries.push(id);
        }
        let ruling = |r: &str, a: &str| serde_json::json!({"ruling": r, "answer": a});
        let (id, body) = (deliveries[0], ruling("uphold", "宣传材料应由卫生部门张贴"));
        let uri = format!("/api/v1/disputes/{id}/ruling");
        // Another district's civil affairs does not find it.
        assert_eq!(
            app.call("POST", &uri, &hx, Some(body.clone())).await.status,
            404
        );
        let r = app
            .call(
                "POST",
                &uri,
                &mz,
                Some(serde_json::json!({"ruling": "uphold"})),
            )
            .await;
        assert_eq!(r.status, 422, "an answer is required: {}", r.body);
        let r = app.call("POST", &uri, &mz, Some(body.clone())).await;
        assert_eq!(r.status, 200, "{backend:?}: {}", r.body);
        assert_eq!(r.json()["state"], "withdrawn");
        let again = app.call("POST", &uri, &mz, Some(body)).await;
        assert_eq!(again.status, 409, "{}", again.body);
        let disputes = app
            .call("GET", "/api/v1/violations?source=dispute", &mz, None)
            .await
            .json();
        assert_eq!(disputes["total"], 1, "{backend:?}: {disputes}");
        assert_eq!(disputes["items"][0]["ground"], "异议成立");

        // Rejected: back in the inbox, where the unit can accept it.
        let (id, body) = (deliveries[1], ruling("reject", "属于目录第8项，请予以配合"));
        let r = app
            .call(
                "POST",
                &format!("/api/v1/disputes/{id}/ruling"),
                &mz,
                Some(body),
            )
            .await;
        assert_eq!(r.json()["state"], "delivered", "{}", r.body);
        let r = app
            .call(
                "POST",
                &format!("/api/v1/deliveries/{id}/actions/accept"),
                &sq,
                None,
            )
            .await;
        assert_eq!(r.json()["state"], "accepted", "{}", r.body);
        let all = app
            .call("GET", "/api/v1/violations", &mz, None)
            .await
            .json();
        assert_eq!(all["total"], 2, "{backend:?}: {all}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_notice_is_drafted_from_the_ledger_numbered_on_approval_and_public_once_published_on_every_backend()
 {
    use jianfu_store::notice::{self, Actor, NewNotice, Step};
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let sq = app
            .token("sq.1", "120101001001", Role::VillageWorker, None)
            .await;
        let r = app
            .call(
                "POST",
                "/api/v1/reports",
                &sq,
                Some(report(JY, "统计学生家长手机号码")),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let level = RegionCode::parse("120101").unwrap();
        let today = jianfu_domain::beijing_date(chrono::Utc::now());
        let audit = jianfu::bootstrap::system_entry("notice.draft", "notice", None);
        let new = NewNotice {
            region: level,
            issuer: "天津市和平区民政局".into(),
            prefix: "和民减负通".into(),
            addressee: "各街道办事处，区级各有关部门".into(),
            period_from: today - chrono::Duration::days(30),
            period_to: today,
            drafter: "hp.mz".into(),
            drafter_name: "区民政局经办人".into(),
            subject: jianfu_domain::notice::NoticeSubject::Violations,
        };
        let id = notice::draft(&app.db, &new, &audit).await.unwrap();
        let (n, covered) = notice::get(&app.db, id).await.unwrap();
        assert_eq!(covered.len(), 1, "{backend:?}");
        assert!(n.body.contains("和平区教育局"), "{}", n.body);
        assert!(
            !n.body.contains("120101001001") && !n.body.contains("花园"),
            "no village named"
        );

        // Not public before publication.
        assert_eq!(app.get(&format!("/notices/{id}")).await.status, 404);
        assert_eq!(app.get(&format!("/notices/{id}/pdf")).await.status, 404);

        let step = |action, username: &'static str, role| Step {
            action,
            actor: Actor {
                username,
                name: username,
                role,
            },
            reason: "",
            today,
        };
        notice::act(
            &app.db,
            id,
            &level,
            step(NoticeAction::Submit, "hp.mz", Role::CivilAffairs),
            &audit,
        )
        .await
        .unwrap();
        // The drafter cannot approve; an approver can, and that numbers it.
        let own = notice::act(
            &app.db,
            id,
            &level,
            step(NoticeAction::Approve, "hp.mz", Role::Approver),
            &audit,
        )
        .await;
        assert!(own.is_err());
        // Another level does not find it.
        let elsewhere = RegionCode::parse("120102").unwrap();
        assert!(
            notice::act(
                &app.db,
                id,
                &elsewhere,
                step(NoticeAction::Approve, "hx.sp", Role::Approver),
                &audit
            )
            .await
            .is_err()
        );
        notice::act(
            &app.db,
            id,
            &level,
            step(NoticeAction::Approve, "hp.sp", Role::Approver),
            &audit,
        )
        .await
        .unwrap();
        let second = notice::draft(&app.db, &new, &audit).await.unwrap();
        for s in [
            step(NoticeAction::Submit, "hp.mz", Role::CivilAffairs),
            step(NoticeAction::Approve, "hp.sp", Role::Approver),
        ] {
            notice::act(&app.db, second, &level, s, &audit)
                .await
                .unwrap();
        }
        let number = |n: &jianfu_store::notice::Notice| notice::document_number(n).unwrap();
        let year = chrono::Datelike::year(&today);
        assert_eq!(
            number(&notice::get(&app.db, id).await.unwrap().0),
            format!("和民减负通〔{year}〕1号")
        );
        assert_eq!(
            number(&notice::get(&app.db, second).await.unwrap().0),
            format!("和民减负通〔{year}〕2号")
        );
        notice::act(
            &app.db,
            id,
            &level,
            step(NoticeAction::Publish, "hp.mz", Role::CivilAffairs),
            &audit,
        )
        .await
        .unwrap();

        let page = app.get(&format!("/notices/{id}")).await;
        assert_eq!(page.status, 200, "{backend:?}");
        assert!(page.body.contains("和民减负通"));
        assert!(
            !page.body.contains("120101001001"),
            "the public page names no reporter"
        );
        let pdf = app.get(&format!("/notices/{id}/pdf")).await;
        assert_eq!(pdf.status, 200);
        assert!(pdf.body.starts_with("%PDF"));
        let list = app.get("/api/v1/notices").await.json();
        assert_eq!(list["total"], 1, "only the published one: {list}");
        app.finish().await;
    }
}

#[tokio::test]
async fn referrals_hand_over_one_departments_violations_and_record_the_outcome() {
    use jianfu_store::violation::{self, NewReferral};
    let app = TestApp::new(backends().remove(0)).await;
    let sq = app
        .token("sq.1", "120101001001", Role::VillageWorker, None)
        .await;
    app.call(
        "POST",
        "/api/v1/reports",
        &sq,
        Some(report(JY, "统计学生家长手机号码")),
    )
    .await;
    app.call(
        "POST",
        "/api/v1/reports",
        &sq,
        Some(report(WJ, "上报居民体检截图")),
    )
    .await;
    let level = RegionCode::parse("120101").unwrap();
    let all = violation::all(&app.db, &Default::default()).await.unwrap();
    let of = |d: &str| all.iter().find(|v| v.department == d).unwrap().id;
    let audit = jianfu::bootstrap::system_entry("referral.create", "referral", None);
    let mut new = NewReferral {
        region: level,
        department: JY.into(),
        receiving_body: "区纪委监委".into(),
        reason: "多次违规向社区派发任务".into(),
        violations: vec![of(JY), of(WJ)],
        referred_by: "hp.mz".into(),
    };
    let wrong = violation::refer(&app.db, &new, &audit).await.unwrap_err();
    assert!(wrong.to_string().contains("不属于"), "{wrong}");
    new.violations = vec![of(JY)];
    // Another district cannot refer this district's entries.
    let mut elsewhere = new.clone();
    elsewhere.region = RegionCode::parse("120102").unwrap();
    assert!(violation::refer(&app.db, &elsewhere, &audit).await.is_err());
    let id = violation::refer(&app.db, &new, &audit).await.unwrap();
    assert!(
        violation::conclude(&app.db, id, &level, " ", "hp.mz", &audit)
            .await
            .is_err()
    );
    violation::conclude(&app.db, id, &level, "已约谈该局分管负责人", "hp.mz", &audit)
        .await
        .unwrap();
    assert!(
        violation::conclude(&app.db, id, &level, "再次", "hp.mz", &audit)
            .await
            .is_err()
    );
    let listed = violation::referrals(&app.db, &level).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0.outcome.as_deref(), Some("已约谈该局分管负责人"));
    assert_eq!(listed[0].0.department_name, "天津市和平区教育局");
    assert_eq!(listed[0].1, vec![of(JY)]);
    app.finish().await;
}
