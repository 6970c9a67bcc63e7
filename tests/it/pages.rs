//! The Chinese web shell: home, drilling down the tree, search partials, error pages.

use jianfu_store::Backend;

use crate::support::TestApp;

#[tokio::test]
async fn home_page_is_chinese_and_counts_tianjin() {
    let app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains(r#"<html lang="zh-CN">"#));
    assert!(r.body.contains("5,617"), "village-level count shown");
    assert!(r.body.contains("299"));
    assert!(r.body.contains("/assets/vendor/htmx-2.0.11.min.js"));
    let js = app.get("/assets/vendor/htmx-2.0.11.min.js").await;
    assert_eq!(js.status, 200);
    assert!(
        js.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let css = app.get("/assets/css/jianfu.css").await;
    assert_eq!(css.status, 200);
    app.finish().await;
}

#[tokio::test]
async fn drilling_down_to_a_village_shows_breadcrumbs_and_counts() {
    let app = TestApp::new(Backend::Sqlite).await;
    let root = app.get("/regions").await;
    assert!(root.body.contains(r#"href="/regions/120000000000""#));

    let city = app.get("/regions/120100000000").await;
    assert!(city.body.contains("下辖区（县）"));
    assert!(
        city.body.contains("5,617"),
        "village-level units below the city"
    );

    // 蓟州区 has villages (村委会): take the first one.
    let villages = app
        .get("/api/v1/regions?within=120119&kind=village&per_page=1")
        .await
        .json();
    let village = villages["items"][0]["code"].as_str().unwrap().to_owned();
    let page = app.get(&format!("/regions/{village}")).await;
    assert_eq!(page.status, 200);
    for crumb in ["首页", "行政区划", "天津市", "市辖区", "蓟州区"] {
        assert!(page.body.contains(crumb), "breadcrumb {crumb}");
    }
    assert!(page.body.contains("村委会"));
    assert!(page.body.contains(&village));

    let tianjin = app.get("/regions/120000000000").await;
    assert!(tianjin.body.contains("市民政局"));
    assert!(tianjin.body.contains("市委组织部"));
    assert!(tianjin.body.contains("市委农办"));
    assert!(
        tianjin.body.contains("演示数据"),
        "demo departments are marked"
    );
    app.finish().await;
}

#[tokio::test]
async fn search_answers_htmx_with_the_table_only() {
    let app = TestApp::new(Backend::Sqlite).await;
    let full = app.get("/regions?q=劝业场").await;
    assert!(full.body.contains("<html"));
    assert!(full.body.contains("劝业场街道"));
    let part = app.get_htmx("/regions?q=劝业场").await;
    assert!(
        part.body
            .trim_start()
            .starts_with(r#"<div id="region-table""#)
    );
    assert!(!part.body.contains("<html"));
    assert!(part.body.contains("劝业场街道"));

    let paged = app.get("/regions?level=village&page=2").await;
    assert!(
        paged.body.contains("第 2 / 281 页"),
        "5,617 villages, 20 a page"
    );
    assert!(
        paged.body.contains("level=village"),
        "pager keeps the filter"
    );
    app.finish().await;
}

#[tokio::test]
async fn error_pages_are_chinese() {
    let app = TestApp::new(Backend::Sqlite).await;
    let missing = app.get("/regions/129999").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing
            .body
            .contains("未找到区划代码为 129999000000 的单位")
    );
    let bad = app.get("/regions/abc").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("格式不正确"));
    let nowhere = app.get("/no/such/page").await;
    assert_eq!(nowhere.status, 404);
    assert!(nowhere.body.contains("页面不存在"));
    assert!(nowhere.body.contains(r#"lang="zh-CN""#));
    app.finish().await;
}
