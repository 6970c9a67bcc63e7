//! The dispatch check (dry run) through the API: a task citing a directory item its sender
//! is responsible for is allowed for every unit it reaches, with the version it rests on; a
//! task citing nothing, another department's item or a certificate is blocked with the rule
//! and a Chinese reason; a township reaches its own units only; targets outside the caller's
//! region are refused and audited; nothing is written but the audit of refusals.

use jianfu_domain::account::Role;

use crate::support::{Reply, TestApp, backends};

async fn check(app: &TestApp, token: &str, body: serde_json::Value) -> Reply {
    app.call("POST", "/api/v1/dispatches/check", token, Some(body))
        .await
}

fn task(cites: serde_json::Value, targets: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "title": "开展冬春季传染病防控宣传",
        "body": "请各社区张贴宣传材料",
        "cites": cites,
        "targets": targets,
    })
}

#[tokio::test]
async fn every_unit_a_task_reaches_gets_its_verdict_and_reasons_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let wj = app
            .token(
                "hp.wj",
                "120101",
                Role::DepartmentOfficer,
                Some("120101000000-007"),
            )
            .await;
        let jy = app
            .token(
                "hp.jy",
                "120101",
                Role::DepartmentOfficer,
                Some("120101000000-004"),
            )
            .await;
        let jd = app
            .token("jd.qyc", "120101001", Role::TownshipOfficer, None)
            .await;
        let cun = app
            .token("sq.hyl", "120101001001", Role::VillageWorker, None)
            .await;
        let units = jianfu_store::region::villages_within(
            &app.db,
            &jianfu_domain::RegionCode::parse("120101001").unwrap(),
        )
        .await
        .unwrap()
        .len();
        assert!(units > 5, "{backend:?}: 劝业场街道 has its communities");

        // XZ-008 (爱国卫生、传染病防控) names 区卫生健康委 as responsible.
        let r = check(
            &app,
            &wj,
            task(
                serde_json::json!({"item_code": "xz-008"}),
                &["120101001", "120101001001"],
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{backend:?}: {}", r.body);
        let v = r.json();
        assert_eq!(
            v["allowed"], units,
            "{backend:?}: each unit once: {}",
            r.body
        );
        assert_eq!(v["blocked"], 0);
        let first = &v["targets"][0];
        assert_eq!(first["outcome"], "allowed");
        assert_eq!(first["reasons"][0]["rule"], "item.allows");
        assert_eq!(first["reasons"][0]["directory_version"], 1);

        let r = check(&app, &wj, task(serde_json::json!({}), &["120101001001"]))
            .await
            .json();
        assert_eq!(r["blocked"], 1);
        assert_eq!(r["targets"][0]["reasons"][0]["rule"], "basis.missing");
        assert!(
            r["targets"][0]["reasons"][0]["message"]
                .as_str()
                .unwrap()
                .contains("未引用指导目录事项")
        );
        let hint = r["targets"][0]["reasons"][0]["message"].as_str().unwrap();
        assert!(
            hint.contains("最相符的目录事项：XZ-008"),
            "a suggestion: {hint}"
        );

        let r = check(
            &app,
            &jy,
            task(
                serde_json::json!({"item_code": "XZ-008"}),
                &["120101001001"],
            ),
        )
        .await
        .json();
        assert_eq!(
            r["targets"][0]["reasons"][0]["rule"], "sender.not_responsible",
            "{r}"
        );
        let r = check(
            &app,
            &wj,
            task(
                serde_json::json!({"item_code": "KC-001"}),
                &["120101001001"],
            ),
        )
        .await
        .json();
        assert_eq!(
            r["targets"][0]["reasons"][0]["rule"], "item.not_a_task",
            "{r}"
        );
        let r = check(
            &app,
            &wj,
            task(
                serde_json::json!({"item_code": "XZ-999"}),
                &["120101001001"],
            ),
        )
        .await
        .json();
        assert_eq!(r["targets"][0]["reasons"][0]["rule"], "item.unknown", "{r}");
        let r = check(
            &app,
            &wj,
            task(
                serde_json::json!({"admission_id": "ZR-120101-2026-999"}),
                &["120101001001"],
            ),
        )
        .await
        .json();
        assert_eq!(
            r["targets"][0]["reasons"][0]["rule"], "admission.unknown",
            "{r}"
        );

        // A township hands its directory work down to its own units only.
        let r = check(
            &app,
            &jd,
            task(
                serde_json::json!({"item_code": "XZ-008"}),
                &["120101001001"],
            ),
        )
        .await
        .json();
        assert_eq!(r["targets"][0]["outcome"], "allowed", "{r}");
        // Citing an item the text is not about: delivered, flagged with what it is about.
        let r = check(
            &app,
            &jd,
            task(
                serde_json::json!({"item_code": "XZ-001"}),
                &["120101001001"],
            ),
        )
        .await
        .json();
        assert_eq!(r["targets"][0]["outcome"], "flagged", "{r}");
        let flag = &r["targets"][0]["reasons"][1];
        assert_eq!(flag["rule"], "text.mismatch");
        assert!(
            flag["message"].as_str().unwrap().contains("XZ-008"),
            "{flag}"
        );
        let r = check(
            &app,
            &jd,
            task(serde_json::json!({"item_code": "XZ-001"}), &["120101002"]),
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = check(
            &app,
            &wj,
            task(serde_json::json!({"item_code": "XZ-008"}), &["120119"]),
        )
        .await;
        assert_eq!(r.status, 403, "another district: {}", r.body);
        let r = check(
            &app,
            &cun,
            task(
                serde_json::json!({"item_code": "XZ-008"}),
                &["120101001001"],
            ),
        )
        .await;
        assert_eq!(r.status, 403, "villages do not dispatch: {}", r.body);
        let refusals = app
            .audit_log()
            .await
            .into_iter()
            .filter(|e| e.object == "dispatch" && e.result == "denied")
            .count();
        assert_eq!(
            refusals, 2,
            "{backend:?}: both out-of-region targets audited"
        );

        let r = check(
            &app,
            &wj,
            task(serde_json::json!({"item_code": "XZ-008"}), &[]),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = check(
            &app,
            &wj,
            task(serde_json::json!({"item_code": "XZ-008"}), &["1201019"]),
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.body);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_dispatch_delivers_once_to_the_units_it_is_allowed_for_and_they_act_on_it_on_every_backend()
 {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let wj = app
            .token(
                "hp.wj",
                "120101",
                Role::DepartmentOfficer,
                Some("120101000000-007"),
            )
            .await;
        let sq = app
            .token("sq.1", "120101001001", Role::VillageWorker, None)
            .await;
        let other = app
            .token("sq.2", "120101001002", Role::VillageWorker, None)
            .await;
        let reached = jianfu_store::region::villages_within(
            &app.db,
            &jianfu_domain::RegionCode::parse("120101001").unwrap(),
        )
        .await
        .unwrap()
        .len();

        let mut body = task(serde_json::json!({"item_code": "XZ-008"}), &["120101001"]);
        body["idempotency_key"] = "wj-2026-001".into();
        body["due_date"] = "2027-01-31".into();
        let made = app
            .call("POST", "/api/v1/dispatches", &wj, Some(body.clone()))
            .await;
        assert_eq!(made.status, 201, "{backend:?}: {}", made.body);
        let made = made.json();
        assert_eq!(made["allowed"], reached);
        assert_eq!(made["deliveries"].as_array().unwrap().len(), reached);
        assert!(
            made["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["state"] == "delivered")
        );
        let again = app
            .call("POST", "/api/v1/dispatches", &wj, Some(body))
            .await
            .json();
        assert_eq!(again["id"], made["id"], "{backend:?}: one dispatch per key");
        let (_, rows) = jianfu_store::dispatch::get(&app.db, made["id"].as_i64().unwrap())
            .await
            .unwrap();
        assert_eq!(rows.len(), reached, "{backend:?}: delivered once");

        // Blocked: recorded, never in the inbox.
        let blocked = app
            .call(
                "POST",
                "/api/v1/dispatches",
                &wj,
                Some(task(serde_json::json!({}), &["120101001001"])),
            )
            .await
            .json();
        assert_eq!(blocked["blocked"], 1, "{blocked}");
        assert_eq!(blocked["deliveries"][0]["state"], "blocked");

        let inbox = app.call("GET", "/api/v1/inbox", &sq, None).await.json();
        assert_eq!(inbox["total"], 1, "{backend:?}: {inbox}");
        let item = &inbox["items"][0];
        assert_eq!(item["title"], "开展冬春季传染病防控宣传");
        assert_eq!(item["cites_item"], "XZ-008");
        assert_eq!(item["due_date"], "2027-01-31");
        assert_eq!(item["reasons"][0]["rule"], "item.allows");
        let id = item["id"].as_i64().unwrap();
        let step = |action: &str| format!("/api/v1/deliveries/{id}/actions/{action}");

        let r = app
            .call(
                "POST",
                &step("refuse"),
                &other,
                Some(serde_json::json!({"comment": "不是本社区"})),
            )
            .await;
        assert_eq!(r.status, 404, "another unit's task: {}", r.body);
        let r = app.call("POST", &step("refuse"), &sq, None).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let r = app
            .call(
                "POST",
                &step("refuse"),
                &sq,
                Some(serde_json::json!({"comment": "本社区已于上月完成同类宣传"})),
            )
            .await;
        assert_eq!(r.json()["state"], "refused", "{}", r.body);
        let r = app.call("POST", &step("accept"), &sq, None).await;
        assert_eq!(
            (r.status.as_u16(), r.json()["error"]["stage"].clone()),
            (409, "refused".into())
        );
        let log = app.audit_log().await;
        assert!(log.iter().any(|e| {
            e.event == "dispatch.create"
                && e.after
                    .as_deref()
                    .unwrap_or("")
                    .contains(&format!("\"allowed\":{reached}"))
        }));
        assert!(
            log.iter()
                .any(|e| e.event == "delivery.act" && e.object == format!("delivery/{id}"))
        );
        app.finish().await;
    }
}

/// The directories' golden cases are the text matcher's regression suite: a task that cites
/// its golden item is not flagged, and a prohibited task is blocked as the item it is.
#[tokio::test]
async fn the_golden_cases_read_as_their_items_and_prohibited_tasks_are_blocked() {
    use jianfu_domain::catalog::DirectoryKind as K;
    let app = TestApp::new(backends().remove(0)).await;
    let jd = app
        .token("jd.qyc", "120101001", Role::TownshipOfficer, None)
        .await;
    let mut checked = 0;
    for case in jianfu_web::search::GOLDEN_CASES.iter() {
        let Some(expected) = case.expected.as_ref() else {
            continue;
        };
        let cites = match case.kind {
            K::Duty | K::Assistance | K::MechanismSign | K::PublicService => {
                serde_json::json!({"item_code": expected.as_str()})
            }
            K::ProhibitedTask => serde_json::json!({}),
            _ => continue,
        };
        let body =
            serde_json::json!({"title": case.task, "cites": cites, "targets": ["120101001001"]});
        let r = check(&app, &jd, body).await;
        assert_eq!(r.status, 200, "{}: {}", case.id, r.body);
        let rules: Vec<String> = r.json()["targets"][0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                format!(
                    "{} {}",
                    x["rule"].as_str().unwrap(),
                    x["item_code"].as_str().unwrap_or("")
                )
            })
            .collect();
        if case.kind == K::ProhibitedTask {
            assert!(
                rules.contains(&format!("task.prohibited {expected}")),
                "{}: {rules:?}",
                case.id
            );
        } else {
            assert!(
                rules
                    .iter()
                    .all(|r| !r.starts_with("text.") && !r.starts_with("task.prohibited")),
                "{}: {rules:?}",
                case.id
            );
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked} golden cases read");
    app.finish().await;
}
