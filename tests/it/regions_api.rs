//! The region API on every backend: exact Tianjin counts, the tree's consistency, errors.

use crate::support::{TestApp, backends};

#[tokio::test]
async fn tianjin_counts_are_exact_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        for (level, n) in [
            ("province", 1),
            ("city", 1),
            ("county", 16),
            ("township", 299),
            ("village", 5617),
        ] {
            let r = app
                .get(&format!("/api/v1/regions?level={level}&per_page=1"))
                .await;
            assert_eq!(r.status, 200, "{backend:?} {level}: {}", r.body);
            assert_eq!(r.json()["total"], n, "{backend:?} {level}");
        }

        let tianjin = app.get("/api/v1/regions/12").await.json();
        assert_eq!(tianjin["code"], "120000000000");
        assert_eq!(tianjin["name"], "天津市");
        assert_eq!(tianjin["level"], "province");
        assert_eq!(tianjin["parent_code"], serde_json::Value::Null);
        assert_eq!(tianjin["children_count"], 1);

        let districts = app
            .get("/api/v1/regions/120100000000/children?per_page=100")
            .await
            .json();
        assert_eq!(districts["total"], 16, "{backend:?}");
        let townships: u64 = districts["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["children_count"].as_u64().unwrap())
            .sum();
        assert_eq!(townships, 299, "{backend:?}: child counts add up");

        let mut villages = 0;
        for page in 1..=3 {
            let p = app
                .get(&format!(
                    "/api/v1/regions?level=township&per_page=100&page={page}"
                ))
                .await
                .json();
            villages += p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["children_count"].as_u64().unwrap())
                .sum::<u64>();
        }
        assert_eq!(villages, 5617, "{backend:?}");

        let mut kinds = 0;
        for (kind, n) in [("village", 3532), ("community", 2046), ("other", 39)] {
            let r = app
                .get(&format!(
                    "/api/v1/regions?level=village&kind={kind}&per_page=1"
                ))
                .await
                .json();
            assert_eq!(r["total"], n, "{backend:?} {kind}");
            kinds += n;
        }
        assert_eq!(kinds, 5617);

        let unit = app.get("/api/v1/regions/120101001001").await.json();
        assert_eq!(unit["kind"], "community");
        assert_eq!(unit["parent_code"], "120101001000");
        app.finish().await;
    }
}

#[tokio::test]
async fn search_by_name_code_and_subtree() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let r = app.get("/api/v1/regions?q=劝业场").await.json();
    assert_eq!(r["total"], 1);
    assert_eq!(r["items"][0]["code"], "120101001000");

    let r = app
        .get("/api/v1/regions?q=120101001&per_page=100")
        .await
        .json();
    assert_eq!(r["total"], 13, "the township and its 12 communities");

    let r = app
        .get("/api/v1/regions?within=120101&level=village&per_page=1")
        .await
        .json();
    assert_eq!(r["total"], 64, "和平区 has 64 communities");

    let r = app.get("/api/v1/regions?q=100%25").await.json();
    assert_eq!(r["total"], 0, "% is a literal, not a wildcard");
    app.finish().await;
}

#[tokio::test]
async fn errors_are_json_with_stable_codes() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    for (uri, status, code) in [
        ("/api/v1/regions/12x", 400, "invalid_region_code"),
        ("/api/v1/regions/1201010010011", 400, "invalid_region_code"),
        ("/api/v1/regions/129999", 404, "region_not_found"),
        ("/api/v1/regions/129999/children", 404, "region_not_found"),
        ("/api/v1/regions?level=省部级", 400, "invalid_query"),
        ("/api/v1/regions?page=abc", 400, "invalid_query"),
        ("/api/v1/nothing-here", 404, "not_found"),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status.as_u16(), status, "{uri}: {}", r.body);
        assert_eq!(r.headers["content-type"], "application/json", "{uri}");
        let body = r.json();
        assert_eq!(body["error"]["code"], code, "{uri}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{uri}: message in Chinese: {message}"
        );
    }
    app.finish().await;
}

#[tokio::test]
async fn openapi_health_and_security_headers() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(health.headers["x-content-type-options"], "nosniff");
    assert!(
        !health.headers.contains_key("x-frame-options"),
        "document headers stay off JSON"
    );
    let page = app.get("/").await;
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(app.get("/nowhere").await.headers["x-frame-options"], "DENY");
    assert!(health.headers.contains_key("x-request-id"));

    let doc = app.get("/api/openapi.json").await.json();
    for path in [
        "/healthz",
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/regions/{code}/children",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path} documented");
    }
    let schema = &doc["components"]["schemas"]["RegionDto"]["properties"];
    for field in [
        "code",
        "name",
        "level",
        "parent_code",
        "kind",
        "children_count",
    ] {
        assert!(schema[field].is_object(), "RegionDto.{field} documented");
    }
    let ui = app.get("/api/docs/").await;
    assert_eq!(ui.status, 200);
    assert!(ui.body.contains("swagger"), "vendored Swagger UI is served");
    app.finish().await;
}

#[tokio::test]
async fn many_codes_are_looked_up_at_once_and_bad_json_is_named() {
    use axum::body::Body;
    use axum::http::Request;
    use jianfu_domain::account::Role;
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account(
        "mzj.api",
        "12",
        &[Role::DepartmentOfficer],
        Some("120000000000-018"),
    )
    .await;
    let audit = jianfu::bootstrap::system_entry("token.create", "mzj.api", None);
    let expires = chrono::Utc::now() + chrono::Duration::days(1);
    let token = jianfu_store::auth::create_token(&app.db, "mzj.api", "测试", Some(expires), &audit)
        .await
        .unwrap()
        .unwrap();
    let post = |body: String, token: Option<&str>| {
        let mut req =
            Request::post("/api/v1/regions/lookup").header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        app.request(req.body(Body::from(body)).unwrap())
    };

    let r = post(
        r#"{"codes": ["120101001001", "120119", "999999", "12x"]}"#.into(),
        Some(&token),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let found: Vec<&str> = v["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["花园路社区居委会", "蓟州区"]);
    assert_eq!(v["invalid"], serde_json::json!(["12x"]));
    assert_eq!(v["missing"], serde_json::json!(["999999000000"]));

    for (body, says) in [
        ("{\"codes\": [\"12\",\n  }", "语法错误（第 2 行"),
        (r#"{"codes": "120101"}"#, "字段或取值不符合要求"),
        (r#"{"code": []}"#, "字段或取值不符合要求"),
    ] {
        let r = post(body.into(), Some(&token)).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.json()["error"]["code"], "invalid_json", "{body}");
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains(says), "{body}: {message}");
    }
    let many: Vec<String> = (0..1001).map(|_| "12".to_owned()).collect();
    let r = post(
        serde_json::json!({ "codes": many }).to_string(),
        Some(&token),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("一次最多查询 1000 个代码"));
    let r = post(r#"{"codes": []}"#.into(), None).await;
    assert_eq!(r.status, 401, "anonymous callers are refused");
    app.finish().await;
}
