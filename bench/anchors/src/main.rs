//! Benchmark anchors, run in the same job as the product so reports compare like with like:
//!
//! - `jianfu-bench-anchors hello ADDR`: axum answering a constant string.
//! - `jianfu-bench-anchors sqlite-read ADDR DB_FILE [tuned]`: axum + a bare sqlx point read of one
//!   row of the product's own `region` table, serialised as JSON; 10 connections, otherwise sqlx's
//!   default pool options, or with `tuned` the product's own (no ping before each acquire).
//! - `jianfu-bench-anchors certificate-read ADDR DB_FILE`: the same, reading one row of the
//!   product's `certificate` table by its number (the columns the public verifier shows), so the
//!   verification over a million certificates has an anchor that pays for the same table (and
//!   reads it through the same covering index as the product).

use std::str::FromStr;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: jianfu-bench-anchors hello ADDR | sqlite-read ADDR DB_FILE [tuned] \
                 | certificate-read ADDR DB_FILE";
    let (app, addr) = match args.get(1).map(String::as_str) {
        Some("hello") => (
            Router::new().route("/", get(|| async { "Hello, World!" })),
            args.get(2).expect(usage).clone(),
        ),
        Some(mode @ ("sqlite-read" | "certificate-read")) => {
            let file = args.get(3).expect(usage);
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{file}"))
                .expect("sqlite url")
                .journal_mode(SqliteJournalMode::Wal);
            let tuned = args.get(4).is_some_and(|a| a == "tuned");
            let pool = SqlitePoolOptions::new()
                .max_connections(10)
                .test_before_acquire(!tuned)
                .connect_with(opts)
                .await
                .expect("open database");
            let route = if mode == "sqlite-read" {
                get(read)
            } else {
                get(read_certificate)
            };
            (
                Router::new().route("/read/{key}", route).with_state(pool),
                args.get(2).expect(usage).clone(),
            )
        }
        _ => panic!("{usage}"),
    };
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

async fn read(
    State(pool): State<SqlitePool>,
    Path(code): Path<String>,
) -> Result<String, StatusCode> {
    let row = sqlx::query(
        "SELECT code, name, level, kind, parent_code, children_count FROM region \
         WHERE code = ? AND valid_to IS NULL",
    )
    .bind(code)
    .fetch_optional(&pool)
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
    .ok_or(StatusCode::NOT_FOUND)?;
    let value = serde_json::json!({
        "code": row.get::<String, _>(0),
        "name": row.get::<String, _>(1),
        "level": row.get::<String, _>(2),
        "kind": row.get::<String, _>(3),
        "parent_code": row.get::<Option<String>, _>(4),
        "children_count": row.get::<i32, _>(5),
    });
    Ok(value.to_string())
}

async fn read_certificate(
    State(pool): State<SqlitePool>,
    Path(no): Path<String>,
) -> Result<String, StatusCode> {
    let row = sqlx::query(
        "SELECT cert_no, tag, status, listing, type_name, unit_name, applicant_name, issued_on \
         FROM certificate INDEXED BY ix_certificate_public WHERE cert_no = ?",
    )
    .bind(no)
    .fetch_optional(&pool)
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
    .ok_or(StatusCode::NOT_FOUND)?;
    let value = serde_json::json!({
        "cert_no": row.get::<String, _>(0),
        "tag": row.get::<String, _>(1),
        "status": row.get::<String, _>(2),
        "listing": row.get::<String, _>(3),
        "type_name": row.get::<String, _>(4),
        "issuer": row.get::<String, _>(5),
        "applicant": row.get::<String, _>(6),
        "issued_on": row.get::<String, _>(7),
    });
    Ok(value.to_string())
}
