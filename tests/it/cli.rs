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

    let out = jianfu(&["import", "regions", path, "--db", &db.url]);
    assert!(!out.status.success(), "a refused row fails the command");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("bad.csv 第 3 行：名称为空"), "{stdout}");
    assert!(text(&out.stderr).contains("未导入任何数据"));

    let out = jianfu(&["import", "regions", path, "--db", &db.url, "--skip-invalid"]);
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
    let out = jianfu(&["migrate", "--db", &db.url]);
    assert!(out.status.success());
    let conn = jianfu::bootstrap::open(&db.url).await.unwrap();
    let counts = jianfu_store::region::count_by_level(&conn, None)
        .await
        .unwrap();
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 5934 + 1);
    assert_eq!(jianfu_store::department::count(&conn).await.unwrap(), 48);
    conn.close().await.unwrap();
    db.finish().await;
}
