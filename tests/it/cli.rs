//! The `jianfu` binary itself: help in Chinese, clear connection errors, exit codes of imports,
//! and a first start that is safe to repeat.

use std::process::Command;

use crate::support::{TestDb, temp_dir};

fn jianfu(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_jianfu"))
        .args(args)
        .env_remove("JIANFU_DATABASE_URL")
        .env("JIANFU_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_command_has_chinese_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["import", "regions", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["keys", "rotate", "--help"],
    ] {
        let out = jianfu(&args);
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        assert!(help.contains("--db"), "{args:?}: {help}");
        assert!(help.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    }
}

#[test]
fn unknown_schemes_and_unreachable_servers_are_clear_errors() {
    let out = jianfu(&["migrate", "--db", "oracle://scott:tiger@db/x"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("不支持的数据库地址"), "{err}");
    assert!(!err.contains("tiger"), "password hidden: {err}");

    let out = jianfu(&[
        "migrate",
        "--db",
        "postgres://postgres:secret@127.0.0.1:1/test",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("无法连接数据库"), "{err}");
    assert!(!err.contains("secret"), "{err}");
}

#[tokio::test]
async fn import_exit_codes_and_a_repeatable_first_start() {
    let db = TestDb::create(jianfu_store::Backend::Sqlite).await;
    let dir = temp_dir();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "code,name\n120199,新区\n120198,\n").unwrap();
    let path = bad.to_str().unwrap();
    let keys = dir.join("keys.json");
    let keys = keys.to_str().unwrap();

    let out = jianfu(&[
        "import",
        "regions",
        path,
        "--db",
        &db.url,
        "--key-file",
        keys,
    ]);
    assert!(!out.status.success(), "a refused row fails the command");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("bad.csv 第 3 行：名称为空"), "{stdout}");
    assert!(text(&out.stderr).contains("未导入任何数据"));

    let out = jianfu(&[
        "import",
        "regions",
        path,
        "--db",
        &db.url,
        "--key-file",
        keys,
        "--skip-invalid",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("新增 1") && stdout.contains("跳过 1"),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("已写入"),
        "plain progress lines off a terminal"
    );

    // Opening again neither reloads nor duplicates the shipped data.
    let out = jianfu(&["migrate", "--db", &db.url, "--key-file", keys]);
    assert!(out.status.success());
    let conn = jianfu::bootstrap::open(&db.url).await.unwrap();
    let counts = jianfu_store::region::count_by_level(&conn, None)
        .await
        .unwrap();
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 5934 + 1);
    assert_eq!(jianfu_store::department::count(&conn).await.unwrap(), 60);
    conn.close().await.unwrap();
    db.finish().await;
}

#[tokio::test]
async fn audit_verify_names_the_first_broken_record() {
    use sea_orm::ConnectionTrait;
    let dir = temp_dir();
    let data = dir.to_str().unwrap();
    let out = jianfu(&["migrate", "--data-dir", data]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = jianfu(&["audit", "verify", "--data-dir", data]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("审计日志完整：共 13 条记录，1 个签名检查点"),
        "{said}"
    );

    let url = format!("sqlite://{}", dir.join("jianfu.db").display());
    let db = jianfu_store::connect(&url).await.unwrap();
    db.execute_unprepared("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        .await
        .unwrap();
    db.close().await.unwrap();
    let out = jianfu(&["audit", "verify", "--data-dir", data]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("第 2 条记录的内容与其哈希不符"), "{err}");

    let out = jianfu(&["keys", "rotate", "--data-dir", data]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("已生成新的签名密钥"));
}

#[test]
fn first_administrators_are_shown_once_and_users_are_added_from_stdin() {
    use std::io::Write;
    let dir = temp_dir();
    let data = dir.to_str().unwrap();
    let first = text(&jianfu(&["migrate", "--data-dir", data]).stdout);
    assert!(first.contains("首次启动：已创建三员账号"), "{first}");
    for admin in ["sysadmin", "secadmin", "auditadmin"] {
        assert!(first.contains(admin));
    }
    let again = text(&jianfu(&["migrate", "--data-dir", data]).stdout);
    assert!(!again.contains("一次性密码"), "{again}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_jianfu"))
        .args([
            "user",
            "add",
            "--username",
            "jz.zhao",
            "--role",
            "township_officer",
        ])
        .args([
            "--region",
            "120101001",
            "--password-stdin",
            "--data-dir",
            data,
        ])
        .env("JIANFU_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Quanyechang-1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&jianfu(&["user", "list", "--data-dir", data]).stdout);
    assert!(
        list.contains("jz.zhao") && list.contains("街道（乡镇）工作人员"),
        "{list}"
    );

    let out = jianfu(&[
        "user",
        "add",
        "--username",
        "x.y",
        "--role",
        "mayor",
        "--region",
        "12",
        "--password-stdin",
        "--data-dir",
        data,
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("角色“mayor”不存在"));
}

#[test]
fn demo_seed_is_refused_in_production_mode() {
    let dir = temp_dir();
    let data = dir.to_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jianfu"))
        .args(["demo", "seed", "--data-dir", data])
        .env("JIANFU_PRODUCTION", "true")
        .env("JIANFU_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("生产模式"),
        "{}",
        text(&out.stderr)
    );
    let out = jianfu(&["demo", "seed", "--data-dir", data]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("demo.jd") && said.contains("统一密码"),
        "{said}"
    );
}

/// The shipped directories on first start, and directory files in and out through the CLI:
/// the same list in UTF-8 and GB18030 makes the same draft, a bad file lands nothing and names
/// every bad row, a published version exports to a workbook that reads back.
#[tokio::test]
async fn directories_ship_import_into_drafts_and_export() {
    use jianfu_domain::catalog::DirectoryKind;
    use jianfu_store::catalog;
    let db = TestDb::create(jianfu_store::Backend::Sqlite).await;
    let dir = temp_dir();
    let keys = dir.join("keys.json");
    let keys = keys.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--db", &db.url, "--key-file", keys]);
        jianfu(&all)
    };
    assert!(run(&["migrate"]).status.success());
    let conn = jianfu::bootstrap::open(&db.url).await.unwrap();
    let must_not = catalog::version(&conn, DirectoryKind::CertificateMustNotIssue, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(must_not.items.len(), 20);
    assert_eq!(must_not.items[0].name, "亲属关系证明");
    assert!(must_not.items.iter().all(|i| !i.is_demo), "a real list");
    let may = catalog::version(&conn, DirectoryKind::CertificateMayIssue, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(may.items.len(), 5);
    assert_eq!(may.items[0].name, "居民在社区居住证明");
    for kind in DirectoryKind::ALL {
        let v = catalog::versions(&conn, kind).await.unwrap();
        assert_eq!(v.len(), 1, "{kind:?} published once");
        let items = catalog::version(&conn, kind, 1)
            .await
            .unwrap()
            .unwrap()
            .items;
        assert!(!items.is_empty(), "{kind:?}");
        if !kind.is_certificate() {
            assert!(items.iter().all(|i| i.is_demo), "{kind:?} is demo data");
        }
    }

    // A may-issue list with one new item and one renamed, in both encodings.
    let list = "list_kind\titem_no\titem_name\tbasis_or_note\tdepartment\tsource_url\n\
        可出具证明事项·天津\t1\t居民在本社区居住的证明\t津民发〔2019〕\t市民政局\t\n\
        可出具证明事项·天津\t6\t为居民出具养老服务需求评估情况证明\t演示\t市民政局\t\n";
    let utf8 = dir.join("list-utf8.tsv");
    std::fs::write(&utf8, list).unwrap();
    let gbk = dir.join("list-gbk.tsv");
    std::fs::write(&gbk, encoding_rs::GB18030.encode(list).0.as_ref()).unwrap();
    let mut drafts = Vec::new();
    for file in [&utf8, &gbk] {
        let out = run(&[
            "import",
            "directory",
            "--kind",
            "certificate_may_issue",
            file.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let said = text(&out.stdout);
        assert!(said.contains("2 项调整"), "{said}");
        let id: i64 = said
            .split("调整草稿 ")
            .nth(1)
            .and_then(|s| s.split('（').next())
            .unwrap()
            .parse()
            .unwrap();
        let draft = catalog::adjustment(&conn, id).await.unwrap();
        assert_eq!(draft.stage.label(), "草稿");
        drafts.push(
            draft
                .changes
                .into_iter()
                .map(|(c, row)| (format!("{c:?}").replace("list-gbk", "list-utf8"), row))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(drafts[0], drafts[1], "both encodings read alike");
    assert_eq!(drafts[0][0].1, Some(2), "rows as a spreadsheet counts them");

    let bad = dir.join("bad.tsv");
    std::fs::write(
        &bad,
        "list_kind\titem_no\titem_name\tbasis_or_note\tdepartment\tsource_url\n\
         可出具证明事项\tx\t居住证明\t\t\t\n\
         不应出具证明事项\t7\t亲属关系证明\t\t\t\n\
         可出具证明事项\t8\t\t\t\t\n",
    )
    .unwrap();
    let before = catalog::adjustments(
        &conn,
        None,
        &Default::default(),
        jianfu_domain::PageRequest::new(None, None),
    )
    .await
    .unwrap()
    .total;
    let out = run(&[
        "import",
        "directory",
        "--kind",
        "certificate_may_issue",
        bad.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    for row in ["第 2 行", "第 3 行", "第 4 行"] {
        assert!(err.contains(row), "{row}: {err}");
    }
    assert!(err.contains("未导入任何内容"), "{err}");
    assert_eq!(
        catalog::adjustments(
            &conn,
            None,
            &Default::default(),
            jianfu_domain::PageRequest::new(None, None)
        )
        .await
        .unwrap()
        .total,
        before,
        "no draft opened for a refused file"
    );

    let xlsx = dir.join("must-not.xlsx");
    let out = run(&[
        "export",
        "directory",
        "--kind",
        "certificate_must_not_issue",
        "--output",
        xlsx.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = jianfu_docs::read_table(&xlsx).unwrap();
    assert_eq!(table.rows.len(), 20);
    assert!(
        table.headers.iter().any(|h| h == "事项名称"),
        "{:?}",
        table.headers
    );
    let pdf = xlsx.with_extension("pdf");
    let out = run(&[
        "export",
        "directory",
        "--kind",
        "certificate_must_not_issue",
        "--format",
        "pdf",
        "--output",
        pdf.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    conn.close().await.unwrap();
    db.finish().await;
}
