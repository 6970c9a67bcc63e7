//! `jianfu-bench-audit DB_URL WRITES RECORDS`: on a fresh, migrated database,
//!
//! 1. two business writes, each `WRITES` times without and with an audit append in its
//!    transaction, in alternating rounds, while a chainer runs every 200 ms as in the server (an
//!    audited round ends when its records are chained, so chaining is part of its time):
//!    - `insert`: one department row — the cheapest write there is, the audit's worst case;
//!    - `step`: the shape of a workflow step (an adjustment or, later, an admission or a
//!      delivery moving on): read the record, update it, insert its event row;
//! 2. extends the chain to `RECORDS` records (bulk, correctly chained) and times
//!    `audit::verify` over all of them.
//!
//! Prints one JSON line for bench/run.py.

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use jianfu_domain::audit::{AuditEntry, seal_record};
use jianfu_store::entity::{audit_head, audit_log, department};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// The allocator of the `jianfu` binary, so the measured code runs as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

#[derive(Clone, Copy)]
enum Write {
    Insert,
    Step,
}

impl Write {
    fn name(self) -> &'static str {
        match self {
            Write::Insert => "insert",
            Write::Step => "step",
        }
    }
}

/// Rows the `step` write reads and updates.
const STEP_ROWS: usize = 100;

/// One business write `n` in its own transaction, with or without its audit record.
async fn business_write(db: &DatabaseConnection, write: Write, n: usize, with_audit: bool) {
    let txn = jianfu_store::begin_write(db).await.expect("begin");
    if with_audit {
        jianfu_store::audit::append(&txn, &entry(n))
            .await
            .expect("append");
    }
    if let Write::Step = write {
        let code = format!("bench-step-{}", n % STEP_ROWS);
        let current = department::Entity::find()
            .filter(department::Column::Code.eq(code.clone()))
            .one(&txn)
            .await
            .expect("read")
            .expect("step row");
        department::Entity::update_many()
            .col_expr(
                department::Column::Name,
                Expr::value(format!("{}·{n}", current.code)),
            )
            .filter(department::Column::Code.eq(code))
            .exec(&txn)
            .await
            .expect("update");
    }
    department::Entity::insert(row(n))
        .exec_without_returning(&txn)
        .await
        .expect("insert");
    txn.commit().await.expect("commit");
}

/// Writes/s without and with the audit append, over alternating rounds.
async fn rounds(db: &DatabaseConnection, write: Write, writes: usize, n: &mut usize) -> (f64, f64) {
    if let Write::Step = write {
        for i in 0..STEP_ROWS {
            department::Entity::insert(department::ActiveModel {
                code: Set(format!("bench-step-{i}")),
                ..row(i)
            })
            .exec_without_returning(db)
            .await
            .expect("step rows");
        }
    }
    let per_round = writes / ROUNDS;
    let (mut plain, mut audited) = (0f64, 0f64);
    for _ in 0..ROUNDS {
        for with_audit in [false, true] {
            let started = Instant::now();
            for _ in 0..per_round {
                business_write(db, write, *n, with_audit).await;
                *n += 1;
            }
            if with_audit {
                jianfu_store::audit::chain(db).await.expect("chain");
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
    (total / plain, total / audited)
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
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    // Stopped between batches, never aborted inside its transaction (which would leave the head
    // row locked on MySQL).
    let chainer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            tick.tick().await;
            jianfu_store::audit::chain(&chaining).await.expect("chain");
        }
    });
    let mut n = 0;
    let mut measured = Vec::new();
    for write in [Write::Insert, Write::Step] {
        let (plain, audited) = rounds(&db, write, writes, &mut n).await;
        measured.push(format!(
            "\"{}\":{{\"plain_per_s\":{plain:.1},\"audited_per_s\":{audited:.1}}}",
            write.name()
        ));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    chainer.await.expect("chainer");

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
        "JSON {{\"writes\":{writes},{},\"records\":{},\"fill_s\":{fill_secs:.1},\"verify_s\":{verify_secs:.2}}}",
        measured.join(","),
        report.records
    );
}
