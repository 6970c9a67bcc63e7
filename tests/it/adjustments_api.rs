//! Adjustments through the API with tokens, as civil affairs' own systems would: open a draft,
//! import a file (a bad one refused with its rows), take each step to publication; a district
//! refines through the same endpoints; sessions must send their anti-forgery token; other roles
//! and levels are refused.

use axum::body::Body;
use axum::http::Request;
use chrono::Utc;
use jianfu_domain::account::Role;

use crate::support::{PASSWORD, Reply, TestApp, backends};

async fn call(app: &TestApp, uri: &str, token: &str, body: Option<(&str, Vec<u8>)>) -> Reply {
    let req = match &body {
        Some(_) => Request::post(uri),
        None => Request::get(uri),
    }
    .header("authorization", format!("Bearer {token}"));
    let req = match body {
        Some((mime, bytes)) => req.header("content-type", mime).body(Body::from(bytes)),
        None => req.body(Body::empty()),
    };
    app.request(req.unwrap()).await
}

async fn json(app: &TestApp, uri: &str, token: &str, body: serde_json::Value) -> Reply {
    let bytes = serde_json::to_vec(&body).unwrap();
    call(app, uri, token, Some(("application/json", bytes))).await
}

#[tokio::test]
async fn civil_affairs_systems_adjust_and_refine_through_the_api_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let drafter = app.token("api.mz1", "12", Role::CivilAffairs, None).await;
        let reviewer = app.token("api.mz2", "12", Role::CivilAffairs, None).await;
        let approver = app.token("api.sp", "12", Role::Approver, None).await;
        let village = app
            .token("api.cun", "120119100201", Role::VillageWorker, None)
            .await;

        let made = json(
            &app,
            "/api/v1/adjustments",
            &drafter,
            serde_json::json!({"kind": "certificate_may_issue", "title": "接口调整"}),
        )
        .await;
        assert_eq!(made.status, 201, "{backend:?}: {}", made.body);
        let made = made.json();
        assert_eq!(made["stage"], "draft");
        assert_eq!(made["district"], serde_json::Value::Null);
        let id = made["id"].as_i64().unwrap();
        let base = format!("/api/v1/adjustments/{id}");

        // The published version, downloaded and edited, is the file to import.
        let csv = app
            .get("/directories/certificate_may_issue/export?format=csv")
            .await
            .body;
        let bad = csv.replace("KC-002", "KC-2X");
        let r = call(
            &app,
            &format!("{base}/import?filename=v1.csv"),
            &drafter,
            Some(("text/csv", bad.into_bytes())),
        )
        .await;
        assert_eq!(r.status, 422, "{backend:?}: {}", r.body);
        let e = r.json();
        assert_eq!(e["error"]["code"], "refused");
        assert!(
            e["error"]["details"][0]
                .as_str()
                .unwrap()
                .contains("第 3 行"),
            "{e}"
        );
        let edited = csv.replace("居民在社区居住证明", "居民在本社区居住的证明");
        let r = call(
            &app,
            &format!("{base}/import?filename=v1.csv"),
            &drafter,
            Some(("text/csv", edited.into_bytes())),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["changes"][0]["op"], "modify");

        let today = jianfu_domain::beijing_date(Utc::now()).to_string();
        let own_review = json(
            &app,
            &format!("{base}/actions"),
            &drafter,
            serde_json::json!({"action": "submit"}),
        )
        .await;
        assert_eq!(own_review.status, 200, "{}", own_review.body);
        let r = json(
            &app,
            &format!("{base}/actions"),
            &drafter,
            serde_json::json!({"action": "review"}),
        )
        .await;
        assert_eq!(r.status, 422);
        assert!(
            r.body.contains("起草人不能审核自己起草的调整"),
            "{}",
            r.body
        );
        for (who, step) in [
            (&reviewer, serde_json::json!({"action": "review"})),
            (&approver, serde_json::json!({"action": "approve"})),
            (
                &drafter,
                serde_json::json!({"action": "publish", "effective_from": today}),
            ),
        ] {
            let r = json(&app, &format!("{base}/actions"), who, step.clone()).await;
            assert_eq!(r.status, 200, "{step}: {}", r.body);
        }
        let done = call(&app, &base, &drafter, None).await.json();
        assert_eq!(done["stage"], "published", "{backend:?}");
        assert_eq!(done["published"], 2);
        assert_eq!(done["events"].as_array().unwrap().len(), 4);

        // A step the directory no longer allows lists every problem.
        let stale = json(
            &app,
            "/api/v1/adjustments",
            &drafter,
            serde_json::json!({"kind": "certificate_may_issue", "title": "过时的调整"}),
        )
        .await
        .json();
        let stale_id = stale["id"].as_i64().unwrap();
        let entry = jianfu::bootstrap::system_entry("adjustment.edit", "test", None);
        let gone = |n| {
            jianfu_domain::catalog::adjustment::Change::Retire(
                jianfu_domain::catalog::ItemCode::numbered(
                    jianfu_domain::catalog::DirectoryKind::CertificateMayIssue,
                    n,
                ),
            )
        };
        jianfu_store::catalog::set_changes(
            &app.db,
            stale_id,
            &[(gone(8), None), (gone(9), None)],
            &entry,
        )
        .await
        .unwrap();
        let r = json(
            &app,
            &format!("/api/v1/adjustments/{stale_id}/actions"),
            &drafter,
            serde_json::json!({"action": "submit"}),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.body);
        let details = &r.json()["error"]["details"];
        assert_eq!(details.as_array().unwrap().len(), 2, "{details}");
        assert!(
            details[1]
                .as_str()
                .unwrap()
                .contains("KC-009 不在现行目录中")
        );

        // A district refines through the same endpoints, and widening is refused.
        let district = app
            .token("api.hp", "120101", Role::CivilAffairs, None)
            .await;
        let made = json(
            &app,
            "/api/v1/adjustments",
            &district,
            serde_json::json!({"kind": "certificate_may_issue", "title": "和平区细化"}),
        )
        .await
        .json();
        assert_eq!(made["district"], "120101");
        let refine = format!("/api/v1/adjustments/{}/refinements", made["id"]);
        let r = json(
            &app,
            &refine,
            &district,
            serde_json::json!({"op": "refine", "code": "KC-001", "valid_from": "1999-01-01"}),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(
            r.json()["error"]["details"][0]
                .as_str()
                .unwrap()
                .contains("有效期超出了市级")
        );
        let r = json(
            &app,
            &refine,
            &district,
            serde_json::json!({"op": "refine", "code": "KC-001", "note": "到社区党群服务中心办理"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["changes"][0]["op"], "refine");
        // ...or imports the refinement template filled in: a widening row refuses the file.
        let template = app
            .get("/directories/certificate_may_issue/refinement-template")
            .await;
        assert_eq!(template.status, 200);
        let head = "操作\t事项编码\t事项名称（仅供参考）\t说明\t适用范围\t本区生效日期\n";
        let import = format!(
            "/api/v1/adjustments/{}/import?filename=refine.tsv",
            made["id"]
        );
        let file = |rows: &str| {
            Some((
                "text/tab-separated-values",
                format!("{head}{rows}").into_bytes(),
            ))
        };
        let r = call(
            &app,
            &import,
            &district,
            file("\tKC-001\t\t一窗受理\t\t\n\tKC-002\t\t\t\t1999-01-01\n"),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(
            r.body.contains("事项 KC-002 的区级有效期超出了市级有效期"),
            "{}",
            r.body
        );
        let r = call(
            &app,
            &import,
            &district,
            file("\tKC-001\t\t一窗受理\t\t\n\tKC-003\t\t\t社区\t\n\tKC-004\t\t\t\t\n"),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let body = r.json();
        let ops: Vec<(&str, &str)> = body["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["op"].as_str().unwrap(), c["code"].as_str().unwrap()))
            .collect();
        assert_eq!(ops, [("refine", "KC-001"), ("refine", "KC-003")]);
        // Neither level sees the other's drafts.
        let r = call(&app, &base, &district, None).await;
        assert_eq!(r.status, 403, "{backend:?}");
        let list = call(&app, "/api/v1/adjustments", &district, None)
            .await
            .json();
        assert_eq!(list["total"], 1);
        for (q, total) in [("stage=published", 1), ("stage=draft", 1), ("kind=duty", 0)] {
            let uri = format!("/api/v1/adjustments?{q}");
            let found = call(&app, &uri, &drafter, None).await.json();
            assert_eq!(found["total"], total, "{q}");
        }
        let r = call(&app, "/api/v1/adjustments?stage=maybe", &drafter, None).await;
        assert_eq!(r.status, 400, "{}", r.body);

        // Other roles are refused before anything is read.
        let r = json(&app, "/api/v1/adjustments", &village, serde_json::json!({})).await;
        assert_eq!(r.status, 403);
        let r = call(&app, "/api/v1/adjustments", &village, None).await;
        assert_eq!(r.status, 403);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_session_must_send_its_anti_forgery_token() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("mz.s", "12", &[Role::CivilAffairs], None).await;
    let s = app.login("mz.s", PASSWORD).await.unwrap();
    let post = |csrf: Option<&str>| {
        let mut req = Request::post("/api/v1/adjustments")
            .header("content-type", "application/json")
            .header("cookie", format!("jianfu_session={}", s.secret));
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        let body = r#"{"kind": "duty", "title": "会话调整"}"#;
        app.request(req.body(Body::from(body)).unwrap())
    };
    let r = post(None).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["code"], "csrf_rejected");
    let r = post(Some(&s.csrf)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.finish().await;
}
