//! The holiday calendar: shipped on first start (2004–2026), kept by the system administrator,
//! who imports a new year's notice (the year replaced whole; a bad file refused with its rows),
//! from the page or the command line; other roles are refused.

use jianfu_domain::account::Role;

use crate::support::{PASSWORD, TestApp, backends};

#[tokio::test]
async fn the_calendar_is_shipped_and_a_new_year_imported_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let calendar = jianfu_store::calendar::load(&app.db).await.unwrap();
        assert_eq!(calendar.years().count(), 23, "{backend:?}: 2004–2026");
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(
            calendar.is_working_day(day("2026-10-10")),
            "make-up Saturday"
        );
        assert!(!calendar.is_working_day(day("2026-10-07")), "National Day");

        // The 2027 notice arrives; a corrected 2026 replaces the old one whole.
        let entry = jianfu::bootstrap::system_entry("calendar.import", "calendar", None);
        let days = |text: &str| {
            let table =
                jianfu_docs::table::table_from_bytes("c.csv", text.as_bytes().to_vec()).unwrap();
            jianfu_docs::calendar::official_days(&table).unwrap()
        };
        let years = jianfu_store::calendar::import(
            &app.db,
            &days("日期,类型,名称\n2027-01-01,休,元旦\n2026-12-31,休,测试\n"),
            &entry,
        )
        .await
        .unwrap();
        assert_eq!(years, [2026, 2027]);
        let calendar = jianfu_store::calendar::load(&app.db).await.unwrap();
        assert!(calendar.covers(2027));
        assert!(
            calendar.is_working_day(day("2026-10-08")),
            "the old 2026 is gone"
        );
        assert!(!calendar.is_working_day(day("2026-12-31")));
        app.finish().await;
    }
}

#[tokio::test]
async fn the_system_administrator_imports_a_notice_from_the_page() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("sys.admin", "12", &[Role::SystemAdmin], None)
        .await;
    app.account("mz.city", "12", &[Role::CivilAffairs], None)
        .await;
    let admin = app.login("sys.admin", PASSWORD).await.unwrap();
    let page = app.get_as("/admin/calendar?year=2026", &admin).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("2026-10-10") && page.body.contains("调休上班"));
    let page = app.get_as("/admin/calendar?year=2027", &admin).await;
    assert!(page.body.contains("尚未导入 2027 年的放假通知"));

    let upload = |text: &str| {
        let boundary = "JIANFU";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"2027.csv\"\r\nContent-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n",
            admin.csrf
        );
        axum::http::Request::post("/admin/calendar/import")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("cookie", format!("jianfu_session={}", admin.secret))
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let bad = app
        .request(upload(
            "日期,类型,名称\n2027-01-01,休,元旦\n2027-02-30,休,春节\n",
        ))
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("第 3 行“日期”列"), "{}", bad.body);
    assert!(
        !jianfu_store::calendar::load(&app.db)
            .await
            .unwrap()
            .covers(2027)
    );
    let good = app
        .request(upload(
            "日期,类型,名称\n2027-01-01,休,元旦\n2027-02-06,班,春节\n",
        ))
        .await;
    assert_eq!(good.status, 303, "{}", good.body);
    let page = app
        .get_as(good.headers["location"].to_str().unwrap(), &admin)
        .await;
    assert!(
        page.body.contains("已导入 2027 年的节假日安排"),
        "{}",
        page.body
    );
    assert!(
        app.audit_log()
            .await
            .iter()
            .any(|r| r.event == "calendar.import" && r.actor == "sys.admin")
    );
    let civil = app.login("mz.city", PASSWORD).await.unwrap();
    assert_eq!(app.get_as("/admin/calendar", &civil).await.status, 403);
    app.finish().await;
}
