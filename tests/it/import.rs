//! `jianfu import regions`: row-level reasons, all-or-nothing, history on rename, and every
//! accepted format (UTF-8/GB18030 CSV, gzip, Excel, a folder of NBS level files).

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use jianfu::import::{ImportOptions, ImportReport, Progress, import_path};
use jianfu_store::Backend;

use crate::support::{TestApp, backends, temp_dir};

fn options(skip_invalid: bool) -> ImportOptions {
    ImportOptions {
        skip_invalid,
        valid_from: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
    }
}

async fn import(app: &TestApp, path: &Path, skip_invalid: bool) -> ImportReport {
    let audit = jianfu::bootstrap::system_entry("region.import", &path.display().to_string(), None);
    import_path(
        &app.db,
        path,
        &options(skip_invalid),
        &audit,
        &mut Progress::silent(),
    )
    .await
    .unwrap()
}

async fn total_units(app: &TestApp) -> u64 {
    app.get("/api/v1/regions?per_page=1").await.json()["total"]
        .as_u64()
        .unwrap()
}

const BAD_FILE: &str = "code,name,level,parent_code
120199,测试新区,county,1201
12010x,坏代码区,county,1201
120197,,county,1201
120196,错级,village,1201
120198,重复区,county,1201
120198,重复区二,county,1201
120299001,孤儿街道,township,120299
120195,上级不符,county,1202
";

#[tokio::test]
async fn a_bad_file_is_refused_with_row_reasons_and_changes_nothing() {
    let dir = temp_dir();
    let file = dir.join("bad.csv");
    std::fs::write(&file, BAD_FILE).unwrap();
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let before = total_units(&app).await;
        let report = import(&app, &file, false).await;
        assert!(!report.written, "{backend:?}");
        let rows: Vec<(u64, &str)> = report
            .problems
            .iter()
            .map(|p| (p.row, p.message.as_str()))
            .collect();
        assert_eq!(rows.len(), 6, "{backend:?}: {rows:?}");
        let expect = [
            (3, "12010x"),
            (4, "名称为空"),
            (5, "级别填写为“村级”"),
            (7, "与第 6 行相同"),
            (8, "上级单位 120299000000 不存在"),
            (9, "按代码应为 120100000000"),
        ];
        for ((row, msg), (want_row, want)) in rows.iter().zip(expect) {
            assert_eq!(*row, want_row, "{backend:?}");
            assert!(msg.contains(want), "{backend:?} row {row}: {msg}");
        }
        assert!(report.problems[0].file.ends_with("bad.csv"));
        assert_eq!(
            total_units(&app).await,
            before,
            "{backend:?}: nothing written"
        );
        assert_eq!(app.get("/api/v1/regions/120199").await.status, 404);

        let report = import(&app, &file, true).await;
        assert!(report.written);
        assert_eq!(report.problems.len(), 6);
        assert_eq!(
            report.inserted, 2,
            "{backend:?}: 120199 and the first 120198"
        );
        assert_eq!(total_units(&app).await, before + 2);
        let city = app.get("/api/v1/regions/1201").await.json();
        assert_eq!(
            city["children_count"], 18,
            "{backend:?}: parent count follows"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_rename_opens_a_new_version_and_keeps_the_old_one() {
    let dir = temp_dir();
    let file = dir.join("rename.csv");
    std::fs::write(&file, "code,name\n120101,和平区（更名）\n").unwrap();
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let before = total_units(&app).await;
        let report = import(&app, &file, false).await;
        assert_eq!((report.changed, report.inserted), (1, 0), "{backend:?}");
        let unit = app.get("/api/v1/regions/120101").await.json();
        assert_eq!(unit["name"], "和平区（更名）");
        assert_eq!(unit["valid_from"], "2026-11-28");
        assert_eq!(unit["children_count"], 6, "{backend:?}: children kept");
        assert_eq!(
            total_units(&app).await,
            before,
            "one unit in force per code"
        );
        let page = app.get("/regions/120101000000").await;
        assert!(page.body.contains("沿革"), "{backend:?}");
        assert!(page.body.contains("2023-06-30"));

        let again = import(&app, &file, false).await;
        assert_eq!((again.changed, again.unchanged), (0, 1), "{backend:?}");
        app.finish().await;
    }
}

#[tokio::test]
async fn gb18030_csv_and_excel_with_chinese_headers() {
    let app = TestApp::new(Backend::Sqlite).await;
    let dir = temp_dir();
    let gbk = dir.join("gbk.csv");
    let (bytes, _, _) =
        encoding_rs::GB18030.encode("区划代码,名称,上级代码\n120199,测试新区,1201\n");
    std::fs::write(&gbk, bytes).unwrap();
    let report = import(&app, &gbk, false).await;
    assert_eq!(report.inserted, 1, "{:?}", report.problems);
    assert_eq!(
        app.get("/api/v1/regions/120199").await.json()["name"],
        "测试新区"
    );

    let xlsx = dir.join("units.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_row(0, 0, ["代码", "名称", "级别"]).unwrap();
    sheet.write_number(1, 0, 120199001.0).unwrap();
    sheet.write_string(1, 1, "测试街道").unwrap();
    sheet.write_string(1, 2, "乡级").unwrap();
    sheet.write_number(2, 0, 120199001001.0).unwrap();
    sheet.write_string(2, 1, "测试社区居委会").unwrap();
    sheet.write_string(2, 2, "村级").unwrap();
    sheet.write_string(3, 0, "120199001x").unwrap();
    sheet.write_string(3, 1, "坏行").unwrap();
    book.save(&xlsx).unwrap();
    let report = import(&app, &xlsx, false).await;
    assert!(!report.written);
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].row, 4, "Excel row numbers as shown");
    let report = import(&app, &xlsx, true).await;
    assert_eq!(report.inserted, 2);
    let unit = app.get("/api/v1/regions/120199001001").await.json();
    assert_eq!(unit["kind"], "community");
    app.finish().await;
}

fn gz(path: &Path, text: &str) {
    let f = std::fs::File::create(path).unwrap();
    let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
}

#[tokio::test]
async fn a_folder_of_nbs_level_files_imports_the_country_format() {
    let dir = temp_dir();
    gz(
        &dir.join("china-provinces-2023.csv.gz"),
        "code,name\n99,\"测试省\"\n",
    );
    gz(
        &dir.join("china-cities-2023.csv.gz"),
        "code,name,provinceCode\n9901,\"测试市\",99\n",
    );
    gz(
        &dir.join("china-areas-2023.csv.gz"),
        "code,name,cityCode,provinceCode\n990101,\"测试区\",9901,99\n",
    );
    gz(
        &dir.join("china-streets-2023.csv.gz"),
        "code,name,areaCode,provinceCode,cityCode\n990101001,\"测试街道\",990101,99,9901\n990101100,\"测试镇\",990101,99,9901\n",
    );
    gz(
        &dir.join("china-villages-2023.csv.gz"),
        "code,name,streetCode,provinceCode,cityCode,areaCode\n990101001001,\"测试社区居委会\",990101001,99,9901,990101\n990101100201,\"测试村村民委员会\",990101100,99,9901,990101\n",
    );
    std::fs::write(dir.join("README.txt"), "not a table").unwrap();
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let report = import(&app, &dir, false).await;
        assert_eq!(report.files.len(), 5, "{backend:?}");
        assert_eq!(report.inserted, 7, "{backend:?}: {:?}", report.problems);
        let province = app.get("/api/v1/regions/99").await.json();
        assert_eq!(province["children_count"], 1);
        let town = app.get("/api/v1/regions/990101100").await.json();
        assert_eq!(town["kind"], "town");
        let village = app.get("/api/v1/regions/990101100201").await.json();
        assert_eq!(village["kind"], "village");
        let roots = app.get("/api/v1/regions?level=province").await.json();
        assert_eq!(roots["total"], 2, "{backend:?}: Tianjin and the new one");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_code_repeated_in_another_file_names_that_file() {
    let app = TestApp::new(Backend::Sqlite).await;
    let dir = temp_dir();
    std::fs::write(dir.join("a.csv"), "code,name\n120199,新区\n").unwrap();
    std::fs::write(
        dir.join("b.csv"),
        "code,name\n120198,另一新区\n120199,重复\n",
    )
    .unwrap();
    let report = import(&app, &dir, false).await;
    assert_eq!(report.problems.len(), 1);
    let p = &report.problems[0];
    assert!(p.file.ends_with("b.csv"));
    assert_eq!(p.row, 3);
    assert!(p.message.contains("a.csv 第 2 行"), "{}", p.message);
    app.finish().await;
}
