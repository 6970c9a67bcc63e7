//! `jianfu-bench-audit DB_URL WRITES RECORDS`: on a fresh, migrated database,
//!
//! 1. the same business write (one department row, in its own transaction) `WRITES` times
//!    without and with an audit append in the transaction, in alternating rounds, while a
//!    chainer runs every 200 ms as in the server; an audited round ends when its records are
//!    chained, so the chaining is part of its time;
//! 2. extends the chain to `RECORDS` records (bulk, correctly chained) and times
//!    `audit::verify` over all of them.
//!
//! Prints one JSON line for bench/run.py.

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use jianfu_domain::audit::{AuditEntry, seal_record};
use jianfu_store::entity::{audit_head, audit_log, department};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};

const ROUNDS: usize = 10;
const BATCH: usize = 1000;

fn entry(i: usize) -> AuditEntry {
    AuditEntry {
        actor: "bench".into(),
        role: "department_officer".into(),
        source_ip: "127.0.0.1".into(),
        event: "department.create".into(),
        object: format!("bench-{i}"),
        result: "ok".into(),
        before: None,
        after: Some(format!(
            "{{\"code\":\"bench-{i}\",\"name\":\"基准测试部门{i}\"}}"
        )),
    }
}

fn row(i: usize) -> department::ActiveModel {
    department::ActiveModel {
        code: Set(format!("bench-{i}")),
        name: Set(format!("基准测试部门{i}")),
        full_name: Set(format!("基准测试部门{i}")),
        category: Set("其他".into()),
        region_code: Set("120000000000".into()),
        is_demo: Set(true),
        source: Set("benchmark".into()),
        valid_from: Set(NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")),
        ..Default::default()
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: jianfu-bench-audit DB_URL WRITES RECORDS";
    let url = args.get(1).expect(usage);
    let writes: usize = args.get(2).expect(usage).parse().expect(usage);
    let records: usize = args.get(3).expect(usage).parse().expect(usage);
    let db = jianfu_store::connect(url).await.expect("connect");
    jianfu_store::migrate(&db).await.expect("migrate");

    let chaining = db.clone();
    let chainer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        loop {
            tick.tick().await;
            jianfu_store::audit::chain(&chaining).await.expect("chain");
        }
    });
    let per_round = writes / ROUNDS;
    let (mut plain, mut audited) = (0f64, 0f64);
    let mut n = 0;
    for _ in 0..ROUNDS {
        for with_audit in [false, true] {
            let started = Instant::now();
            for _ in 0..per_round {
                let txn = db.begin().await.expect("begin");
                if with_audit {
                    jianfu_store::audit::append(&txn, &entry(n))
                        .await
                        .expect("append");
                }
                department::Entity::insert(row(n))
                    .exec_without_returning(&txn)
                    .await
                    .expect("insert");
                txn.commit().await.expect("commit");
                n += 1;
            }
            if with_audit {
                jianfu_store::audit::chain(&db).await.expect("chain");
            }
            let secs = started.elapsed().as_secs_f64();
            if with_audit {
                audited += secs
            } else {
                plain += secs
            }
        }
    }
    let total = (per_round * ROUNDS) as f64;
    chainer.abort();

    // Extend the chain in bulk, exactly as appends would have.
    let head = audit_head::Entity::find_by_id(1)
        .one(&db)
        .await
        .expect("head")
        .expect("head row");
    let mut seq = head.seq as u64;
    let mut prev = head.hash;
    let at = Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let started = Instant::now();
    while (seq as usize) < records {
        let take = BATCH.min(records - seq as usize);
        let mut models = Vec::with_capacity(take);
        for _ in 0..take {
            seq += 1;
            let r = seal_record(
                seq,
                at.clone(),
                entry(seq as usize),
                prev,
                jianfu_store::audit::digest,
            );
            prev = r.hash.clone();
            models.push(audit_log::ActiveModel {
                seq: Set(seq as i64),
                at: Set(r.at),
                actor: Set(r.entry.actor),
                role: Set(r.entry.role),
                source_ip: Set(r.entry.source_ip),
                event: Set(r.entry.event),
                object: Set(r.entry.object),
                result: Set(r.entry.result),
                before: Set(r.entry.before),
                after: Set(r.entry.after),
                prev_hash: Set(r.prev_hash),
                hash: Set(r.hash),
                ..Default::default()
            });
        }
        audit_log::Entity::insert_many(models)
            .exec_without_returning(&db)
            .await
            .expect("bulk insert");
    }
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Seq, Expr::value(seq as i64))
        .col_expr(audit_head::Column::Hash, Expr::value(prev))
        .filter(audit_head::Column::Id.eq(1))
        .exec(&db)
        .await
        .expect("head");
    let fill_secs = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let report = jianfu_store::audit::verify(&db, |_| None)
        .await
        .expect("chain intact");
    let verify_secs = started.elapsed().as_secs_f64();
    println!(
        "JSON {{\"writes\":{total},\"plain_per_s\":{:.1},\"audited_per_s\":{:.1},\"records\":{},\"fill_s\":{fill_secs:.1},\"verify_s\":{verify_secs:.2}}}",
        total / plain,
        total / audited,
        report.records
    );
}
