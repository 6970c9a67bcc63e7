//! Mechanisms, signs and service centres: a unit's self-check is judged by the rules of the
//! nearest region (Tianjin's "一横四竖两标识" by default, or a district's imported set), each
//! finding goes on the unit's clean-up list and leaves it once fixed, only the unit's own
//! accounts and its overseers see or record it, and bad input is named.

use std::process::Command;

use jianfu_domain::account::Role;

use crate::support::{TestApp, backends, temp_dir};

/// A community of 和平区 劝业场街道 (花园路社区), and a village of 蓟州区 (东北隅村).
const COMMUNITY: &str = "120101001001";
const VILLAGE: &str = "120119100201";

fn sign(name: &str, position: &str) -> serde_json::Value {
    serde_json::json!({ "name": name, "position": position })
}

fn centre(total: f64, activity: f64) -> serde_json::Value {
    serde_json::json!({ "total_area": total, "activity_area": activity, "office_area": total - activity })
}

/// Seven outside signs, three of them beyond the rules, and half the building for residents.
fn crowded() -> serde_json::Value {
    serde_json::json!({
        "mechanisms": [
            { "name": "人民调解委员会", "set_up_by": "区司法局" },
            { "name": "创卫工作领导小组", "set_up_by": "区卫生健康委", "dedicated_staff": true },
        ],
        "signs": [
            sign("花园路社区党群服务中心", "outside"),
            sign("中共花园路社区委员会", "outside"),
            sign("花园路社区居民委员会", "outside"),
            sign("花园路社区居务监督委员会", "outside"),
            sign("花园路社区综治中心", "outside"),
            sign("新时代文明实践站", "outside"),
            sign("退役军人服务站", "外部"),
            sign("花园路社区人民调解委员会", "inside"),
        ],
        "centre": centre(400.0, 200.0),
    })
}

/// The same unit after the clean-up.
fn fixed() -> serde_json::Value {
    serde_json::json!({
        "mechanisms": [{ "name": "人民调解委员会", "set_up_by": "区司法局" }],
        "signs": [
            sign("花园路社区党群服务中心", "outside"),
            sign("中共花园路社区委员会", "outside"),
            sign("花园路社区居民委员会", "outside"),
            sign("花园路社区居务监督委员会", "outside"),
            sign("党徽", "outside"),
            sign("中国社区标识", "outside"),
            sign("花园路社区人民调解委员会", "inside"),
        ],
        "centre": centre(400.0, 260.0),
    })
}

fn rules_of(body: &serde_json::Value) -> Vec<String> {
    body["non_compliances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_self_check_flags_extra_signs_and_the_area_and_clears_once_fixed_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let worker = app
            .token("sq.worker", COMMUNITY, Role::VillageWorker, None)
            .await;
        let put = |token: String, body: serde_json::Value| {
            let app = &app;
            async move {
                app.call(
                    "PUT",
                    &format!("/api/v1/regions/{COMMUNITY}/signage"),
                    &token,
                    Some(body),
                )
                .await
            }
        };

        // Before anything is recorded, nothing is judged.
        let before = app
            .call(
                "GET",
                &format!("/api/v1/regions/{COMMUNITY}/compliance"),
                &worker,
                None,
            )
            .await;
        assert_eq!(before.status, 200, "{}", before.body);
        assert_eq!(before.json()["submitted"], false);

        let r = put(worker.clone(), crowded()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let body = r.json();
        assert_eq!(body["compliant"], false);
        assert_eq!(
            rules_of(&body),
            [
                "sign.outside_not_allowed",
                "sign.outside_not_allowed",
                "sign.outside_not_allowed",
                "mechanism.without_basis",
                "mechanism.dedicated_staff",
                "centre.activity_share",
            ],
            "{}",
            r.body
        );
        assert_eq!(
            body["non_compliances"][0]["object"],
            "外部标牌“花园路社区综治中心”"
        );
        let area = body["non_compliances"][5]["reason"].as_str().unwrap();
        assert!(area.contains("50%") && area.contains("60%"), "{area}");
        assert_eq!(body["cleanup_opened"], 6);

        // The same registry again opens nothing new.
        let again = put(worker.clone(), crowded()).await.json();
        assert_eq!(
            (
                again["cleanup_opened"].as_u64(),
                again["cleanup_closed"].as_u64()
            ),
            (Some(0), Some(0))
        );

        // Read back as submitted, and judged the same.
        let read = app
            .call(
                "GET",
                &format!("/api/v1/regions/{COMMUNITY}/signage"),
                &worker,
                None,
            )
            .await
            .json();
        assert_eq!(read["registry"]["signs"].as_array().unwrap().len(), 8);
        assert_eq!(read["registry"]["signs"][6]["position"], "outside");
        assert_eq!(read["registry"]["centre"]["activity_area"], 200.0);
        let overseer = app.token("hp.mz", "120101", Role::CivilAffairs, None).await;
        let seen = app
            .call(
                "GET",
                &format!("/api/v1/regions/{COMMUNITY}/compliance"),
                &overseer,
                None,
            )
            .await;
        assert_eq!(seen.status, 200, "{}", seen.body);
        assert_eq!(rules_of(&seen.json()).len(), 6);
        assert_eq!(seen.json()["rules_from"], serde_json::Value::Null);

        // Fixed: compliant, and the clean-up list closes every item.
        let done = put(worker.clone(), fixed()).await.json();
        assert_eq!(done["compliant"], true, "{done}");
        assert_eq!(done["non_compliances"], serde_json::json!([]));
        assert_eq!(done["cleanup_closed"], 6);
        let today = chrono::Utc::now().date_naive();
        let progress = jianfu_store::signage::progress(&app.db, "120101", today)
            .await
            .unwrap();
        let p = progress[COMMUNITY];
        assert!(p.submitted);
        assert_eq!(
            (p.non_compliances, p.open, p.closed, p.overdue),
            (0, 0, 6, 0)
        );
        let list = jianfu_store::signage::cleanup_list(
            &app.db,
            &jianfu_domain::RegionCode::parse(COMMUNITY).unwrap(),
        )
        .await
        .unwrap();
        assert!(
            list.iter()
                .all(|i| i.closed_on.is_some() && i.due_on > i.found_on)
        );

        let audited = app
            .audit_log()
            .await
            .into_iter()
            .filter(|a| a.event == "signage.submit" && a.object == format!("signage/{COMMUNITY}"))
            .count();
        assert_eq!(audited, 3);
        app.finish().await;
    }
}

#[tokio::test]
async fn only_the_unit_and_its_overseers_record_or_see_it_and_bad_input_is_named() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let worker = app
        .token("sq.worker", COMMUNITY, Role::VillageWorker, None)
        .await;
    let neighbour = app
        .token("sq.other", "120101001002", Role::VillageWorker, None)
        .await;
    let elsewhere = app.token("hd.mz", "120102", Role::CivilAffairs, None).await;
    let township = app
        .token("jd.officer", "120101001", Role::TownshipOfficer, None)
        .await;
    let uri = format!("/api/v1/regions/{COMMUNITY}/signage");
    for token in [&neighbour, &elsewhere] {
        let r = app.call("PUT", &uri, token, Some(fixed())).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = app
            .call(
                "GET",
                &format!("/api/v1/regions/{COMMUNITY}/compliance"),
                token,
                None,
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    // The township's officer records for its communities.
    let r = app.call("PUT", &uri, &township, Some(fixed())).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // A district is not a unit with signs.
    let r = app
        .call(
            "PUT",
            "/api/v1/regions/120101/signage",
            &worker,
            Some(fixed()),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    let bad = |body: serde_json::Value| {
        let (app, uri, worker) = (&app, &uri, &worker);
        async move {
            let r = app.call("PUT", uri, worker, Some(body)).await;
            assert_eq!(r.status, 422, "{}", r.body);
            r.json()["error"]["message"].as_str().unwrap().to_owned()
        }
    };
    let m =
        bad(serde_json::json!({ "signs": [sign("党徽", "outside"), sign("综治中心", "门口")] }))
            .await;
    assert!(m.contains("第 2 块标牌") && m.contains("门口"), "{m}");
    let m = bad(serde_json::json!({ "signs": [sign(" ", "outside")] })).await;
    assert!(m.contains("第 1 块标牌") && m.contains("名称"), "{m}");
    let m = bad(serde_json::json!({ "centre": { "total_area": 100, "activity_area": 80, "office_area": 30 } })).await;
    assert!(m.contains("超过总建筑面积"), "{m}");
    let m = bad(
        serde_json::json!({ "centre": { "total_area": -1, "activity_area": 0, "office_area": 0 } }),
    )
    .await;
    assert!(m.contains("总建筑面积"), "{m}");
    // Nothing of the refused submissions was kept.
    let read = app.call("GET", &uri, &worker, None).await.json();
    assert_eq!(read["registry"]["signs"].as_array().unwrap().len(), 7);
    app.finish().await;
}

#[tokio::test]
async fn a_district_imports_its_own_rules_and_its_villages_are_judged_by_them() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let file = temp_dir().join("蓟州区牌子规则.csv");
    std::fs::write(
        &file,
        "标牌名称,位置,适用,备注\nXX便民服务中心,外部,村和社区,一横\nXX村民委员会,外部,村,\nXX居民委员会,外部,社区,\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_jianfu"))
            .args(args)
            .env_remove("JIANFU_DATABASE_URL")
            .env("JIANFU_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = run(&[
        "import",
        "sign-rules",
        "--db",
        &app.test_db.url,
        "--region",
        "120119",
        "--min-activity-percent",
        "70",
        file.to_str().unwrap(),
    ]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("3 条") && said.contains("70%"), "{said}");

    // A bad file is refused whole, naming row and column; the rules stay as imported.
    let bad = temp_dir().join("bad-rules.csv");
    std::fs::write(&bad, "标牌名称,位置,适用\n党徽,门口,村\n,外部,村\n").unwrap();
    let out = run(&[
        "import",
        "sign-rules",
        "--db",
        &app.test_db.url,
        "--region",
        "120119",
        bad.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("第 2 行") && err.contains("位置") && err.contains("第 3 行"),
        "{err}"
    );

    let worker = app
        .token("cun.worker", VILLAGE, Role::VillageWorker, None)
        .await;
    let village = serde_json::json!({
        "signs": [
            sign("东北隅村便民服务中心", "outside"),
            sign("东北隅村村民委员会", "outside"),
            sign("中共东北隅村委员会", "outside"),
        ],
        "centre": centre(100.0, 65.0),
    });
    let r = app
        .call(
            "PUT",
            &format!("/api/v1/regions/{VILLAGE}/signage"),
            &worker,
            Some(village),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    // Tianjin's party-organisation sign is not in 蓟州区's set; 65% is short of its 70%.
    assert_eq!(
        rules_of(&body),
        ["sign.outside_not_allowed", "centre.activity_share"],
        "{body}"
    );
    let seen = app
        .call(
            "GET",
            &format!("/api/v1/regions/{VILLAGE}/compliance"),
            &worker,
            None,
        )
        .await
        .json();
    assert_eq!(seen["rules_from"], "120119000000");
    // 和平区 keeps Tianjin's default.
    let set = jianfu_store::signage::rule_set_for(
        &app.db,
        &jianfu_domain::RegionCode::parse(COMMUNITY).unwrap(),
    )
    .await
    .unwrap();
    assert!(set.is_none());
    app.finish().await;
}

#[tokio::test]
async fn the_self_check_page_records_a_unit_and_the_progress_page_counts_it() {
    use crate::support::{PASSWORD, form_encode};
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("sq.page", COMMUNITY, &[Role::VillageWorker], None)
        .await;
    app.account("hp.page", "120101", &[Role::CivilAffairs], None)
        .await;
    let worker = app.login("sq.page", PASSWORD).await.unwrap();
    let overseer = app.login("hp.page", PASSWORD).await.unwrap();

    let first = app.get_as("/signage", &worker).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("尚未提交自查") && first.body.contains("一横四竖两标识"));

    let mut body = format!("csrf={}&unit={COMMUNITY}", worker.csrf);
    for (name, position) in [
        ("花园路社区党群服务中心", "outside"),
        ("花园路社区综治中心", "outside"),
        ("", "outside"),
    ] {
        body += &format!(
            "&sign_name={}&sign_position={position}&sign_represents=",
            form_encode(name)
        );
    }
    body += &format!(
        "&mech_name={}&mech_set_up_by=&mech_dedicated=no&mech_basis=&total_area=400&activity_area=200&office_area=120",
        form_encode("人民调解委员会")
    );
    let r = app.post_form("/signage", &body, Some(&worker)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let shown = app
        .get_as(r.headers["location"].to_str().unwrap(), &worker)
        .await;
    assert!(shown.body.contains("发现 2 处不符合规定"), "{}", shown.body);
    assert!(shown.body.contains("外部标牌“花园路社区综治中心”"));
    assert!(shown.body.contains("待整改"));

    // A bad number is named and what was typed stays on the form.
    let bad = body.replace("total_area=400", "total_area=四百");
    let r = app.post_form("/signage", &bad, Some(&worker)).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("总建筑面积“四百”不是数字") && r.body.contains("花园路社区综治中心"));

    // The district sees its townships, then the township's units, and exports.
    let district = app.get_as("/signage/progress", &overseer).await;
    assert_eq!(district.status, 200, "{}", district.body);
    assert!(
        district.body.contains("data-code=\"120101001000\""),
        "{}",
        district.body
    );
    let township = app
        .get_as("/signage/progress?region=120101001", &overseer)
        .await;
    assert!(
        township
            .body
            .contains(&format!("/signage?unit={COMMUNITY}"))
    );
    let total = township.body.split("id=\"progress-total\"").nth(1).unwrap();
    // 1 submitted, 0 compliant, 2 open.
    assert!(
        total.contains(r#"<td class="num">1</td><td class="num">0</td><td class="num">2</td>"#),
        "{total}"
    );
    let xlsx = app
        .get_as("/signage/progress?region=120101&format=xlsx", &overseer)
        .await;
    assert_eq!(xlsx.status, 200);
    assert!(
        xlsx.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    // The overseer reads the unit's page without a form; another district's page is refused.
    let read = app
        .get_as(&format!("/signage?unit={COMMUNITY}"), &overseer)
        .await;
    assert_eq!(read.status, 200);
    assert!(!read.body.contains("id=\"signage-form\""));
    let outside = app
        .get_as("/signage/progress?region=120102", &overseer)
        .await;
    assert_eq!(outside.status, 403);
    app.finish().await;
}

#[tokio::test]
async fn district_civil_affairs_edits_its_rules_in_the_browser_and_others_only_read_them() {
    use crate::support::{PASSWORD, Session};
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("jz.mz", "120119", &[Role::CivilAffairs], None)
        .await;
    app.account("jz.jd", "120119100", &[Role::TownshipOfficer], None)
        .await;
    let office = app.login("jz.mz", PASSWORD).await.unwrap();
    let township = app.login("jz.jd", PASSWORD).await.unwrap();
    let upload = |who: &Session, text: &str| {
        let boundary = "JIANFU";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rules.csv\"\r\nContent-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n",
            who.csrf
        );
        axum::http::Request::post("/signage/rules/import")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("cookie", format!("jianfu_session={}", who.secret))
            .body(axum::body::Body::from(body))
            .unwrap()
    };

    let page = app.get_as("/signage/rules", &office).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("天津市默认规则") && page.body.contains("XX党群服务中心"));
    assert!(page.body.contains("导入规则"));

    let bad = app
        .request(upload(&office, "标牌名称,位置,适用\n党徽,门口,村\n"))
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("第 2 行") && bad.body.contains("门口"),
        "{}",
        bad.body
    );
    let good = app
        .request(upload(
            &office,
            "标牌名称,位置,适用,备注\nXX便民服务中心,外部,村和社区,\nXX村民委员会,外部,村,\n",
        ))
        .await;
    assert_eq!(good.status, 303, "{}", good.body);
    let r = app
        .post_form(
            "/signage/rules/share",
            &format!("csrf={}&min_activity_percent=70", office.csrf),
            Some(&office),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = app.get_as("/signage/rules", &office).await;
    assert!(page.body.contains("本地区制定的规则") && page.body.contains("XX便民服务中心"));
    assert!(page.body.contains("id=\"min-share\">70%"));
    assert!(!page.body.contains("XX党群服务中心"));
    let r = app
        .post_form(
            "/signage/rules/share",
            &format!("csrf={}&min_activity_percent=0", office.csrf),
            Some(&office),
        )
        .await;
    assert_eq!(r.status, 422);
    let xlsx = app.get_as("/signage/rules?format=xlsx", &office).await;
    assert_eq!(xlsx.status, 200);

    // The township reads the district's rules, and may not change them.
    let read = app.get_as("/signage/rules", &township).await;
    assert!(read.body.contains("沿用蓟州区的规则"), "{}", read.body);
    assert!(!read.body.contains("导入规则"));
    let refused = app
        .request(upload(&township, "标牌名称,位置,适用\n党徽,外部,村\n"))
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("由市、区民政部门维护"));
    let audited = app
        .audit_log()
        .await
        .into_iter()
        .filter(|a| a.event == "signage.rules")
        .count();
    assert_eq!(audited, 2);
    app.finish().await;
}

#[tokio::test]
async fn providers_are_recorded_for_a_unit_or_its_township_and_shown_beside_its_public_services() {
    use crate::support::{PASSWORD, form_encode};
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("sq.gf", COMMUNITY, &[Role::VillageWorker], None)
        .await;
    app.account("jd.gf", "120101001", &[Role::TownshipOfficer], None)
        .await;
    app.account("sq.nb", "120101002002", &[Role::VillageWorker], None)
        .await;
    app.account("jc.gf", "120101", &[Role::Inspector], None)
        .await;
    let worker = app.login("sq.gf", PASSWORD).await.unwrap();
    let township = app.login("jd.gf", PASSWORD).await.unwrap();
    let elsewhere = app.login("sq.nb", PASSWORD).await.unwrap();
    let inspector = app.login("jc.gf", PASSWORD).await.unwrap();

    let page = app.get_as("/work-methods", &worker).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("GF-001") && page.body.contains("暂无"));

    let add = |who: &crate::support::Session, scope: &str, item: &str, name: &str, ends: &str| {
        format!(
            "csrf={}&unit={COMMUNITY}&name={}&kind=government_purchase&item_code={item}&provides={}&scope={scope}&contact=&starts_on=2026-01-01&ends_on={ends}",
            who.csrf,
            form_encode(name),
            form_encode("老年人助餐、探访关爱")
        )
    };
    let r = app
        .post_form(
            "/work-methods",
            &add(&worker, COMMUNITY, "GF-001", "乐龄社工服务中心", ""),
            Some(&worker),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = app
        .post_form(
            "/work-methods",
            &add(&township, "120101001000", "", "劝业场街道志愿服务队", ""),
            Some(&township),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // A period that ends before it starts, and a scope the worker does not hold, are named.
    let r = app
        .post_form(
            "/work-methods",
            &add(&worker, COMMUNITY, "", "某服务", "2025-01-01"),
            Some(&worker),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("早于开始日期"), "{}", r.body);
    let r = app
        .post_form(
            "/work-methods",
            &add(&worker, "120101", "", "某服务", ""),
            Some(&worker),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("服务范围只能是"));

    let page = app.get_as("/work-methods", &worker).await;
    let items = page.body.split("id=\"providers\"").next().unwrap();
    assert!(items.contains("乐龄社工服务中心"), "{items}");
    assert!(page.body.contains("劝业场街道志愿服务队") && page.body.contains("劝业场街道"));
    // The inspector reads without a form; another township's worker is refused.
    let read = app
        .get_as(&format!("/work-methods?unit={COMMUNITY}"), &inspector)
        .await;
    assert_eq!(read.status, 200);
    assert!(!read.body.contains("id=\"provider-form\""));
    let refused = app
        .get_as(&format!("/work-methods?unit={COMMUNITY}"), &elsewhere)
        .await;
    assert_eq!(refused.status, 403);

    // Ending a service takes it off the page; the township's provider is the township's to end.
    let providers = jianfu_store::work_method::serving(
        &app.db,
        &jianfu_domain::RegionCode::parse(COMMUNITY).unwrap(),
        chrono::Utc::now().date_naive(),
    )
    .await
    .unwrap();
    assert_eq!(providers.len(), 2);
    let theirs = providers
        .iter()
        .find(|p| p.region.as_str() != COMMUNITY)
        .unwrap();
    let r = app
        .post_form(
            &format!("/work-methods/{}/end", theirs.id),
            &format!("csrf={}&unit={COMMUNITY}", worker.csrf),
            Some(&worker),
        )
        .await;
    assert_eq!(r.status, 403);
    let mine = providers
        .iter()
        .find(|p| p.region.as_str() == COMMUNITY)
        .unwrap();
    let r = app
        .post_form(
            &format!("/work-methods/{}/end", mine.id),
            &format!("csrf={}&unit={COMMUNITY}", worker.csrf),
            Some(&worker),
        )
        .await;
    assert_eq!(r.status, 303);
    let audited: Vec<String> = app
        .audit_log()
        .await
        .into_iter()
        .filter(|a| a.event.starts_with("provider."))
        .map(|a| a.event)
        .collect();
    assert_eq!(audited, ["provider.add", "provider.add", "provider.end"]);
    app.finish().await;
}

#[tokio::test]
async fn photos_of_signs_and_the_centre_are_images_kept_for_the_unit_and_its_overseers_on_every_backend()
 {
    use crate::support::{PASSWORD, Session};
    for backend in backends() {
        let app = TestApp::new(backend).await;
        app.account("sq.photo", COMMUNITY, &[Role::VillageWorker], None)
            .await;
        app.account("sq.photo2", "120101002002", &[Role::VillageWorker], None)
            .await;
        app.account("hp.photo", "120101", &[Role::CivilAffairs], None)
            .await;
        let worker = app.login("sq.photo", PASSWORD).await.unwrap();
        let neighbour = app.login("sq.photo2", PASSWORD).await.unwrap();
        let overseer = app.login("hp.photo", PASSWORD).await.unwrap();
        let token = app
            .token("sq.photo.api", COMMUNITY, Role::VillageWorker, None)
            .await;
        let r = app
            .call(
                "PUT",
                &format!("/api/v1/regions/{COMMUNITY}/signage"),
                &token,
                Some(fixed()),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);

        // Larger than MySQL's plain BLOB holds (64 KB).
        let mut png: Vec<u8> = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.resize(100 * 1024, 7);
        let upload = |who: &Session, subject: &str, name: &str, bytes: &[u8]| {
            let boundary = "JIANFU";
            let mut body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"unit\"\r\n\r\n{COMMUNITY}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\n{subject}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                who.csrf
            )
            .into_bytes();
            body.extend_from_slice(bytes);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            axum::http::Request::post("/signage/photos")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header("cookie", format!("jianfu_session={}", who.secret))
                .body(axum::body::Body::from(body))
                .unwrap()
        };
        let r = app
            .request(upload(&worker, "sign:党徽", "dh.png", &png))
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = app.request(upload(&worker, "centre", "zx.png", &png)).await;
        assert_eq!(r.status, 303, "{}", r.body);
        // Not an image, or a sign the unit never recorded: named, and nothing kept.
        let r = app
            .request(upload(&worker, "centre", "fake.png", b"just text"))
            .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("不是 JPEG、PNG 或 WebP 图片"), "{}", r.body);
        let r = app
            .request(upload(&worker, "sign:综治中心", "x.png", &png))
            .await;
        assert_eq!(r.status, 422);
        let r = app
            .request(upload(&neighbour, "centre", "n.png", &png))
            .await;
        assert_eq!(r.status, 403);

        let page = app.get_as("/signage", &worker).await;
        assert!(page.body.contains("照片（2）") && page.body.contains("标牌“党徽”"));
        let kept = jianfu_store::signage::photos(
            &app.db,
            &jianfu_domain::RegionCode::parse(COMMUNITY).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(kept.len(), 2);
        let uri = format!("/signage/photos/{}?unit={COMMUNITY}", kept[0].id);
        let seen = app.get_as(&uri, &overseer).await;
        assert_eq!(seen.status, 200);
        assert_eq!(seen.headers["content-type"], "image/png");
        let stored = jianfu_store::signage::photo(
            &app.db,
            &jianfu_domain::RegionCode::parse(COMMUNITY).unwrap(),
            kept[0].id,
        )
        .await
        .unwrap();
        assert_eq!(stored.content, png, "the photo is kept whole");
        assert_eq!(app.get_as(&uri, &neighbour).await.status, 403);
        let audited = app
            .audit_log()
            .await
            .into_iter()
            .filter(|a| a.event == "signage.photo")
            .count();
        assert_eq!(audited, 2);
        app.finish().await;
    }
}
