//! Appending to, chaining and verifying the audit log (rules in `jianfu_domain::audit`).
//!
//! An append is one INSERT of a *pending* record in the caller's transaction, so a change and
//! its record commit or vanish together without every writer queueing on one row. The chainer
//! (`chain`) then takes the head row as its lock (also against other app nodes), gives pending
//! records their sequence numbers and SM3 hashes in batches, and moves them into `audit_log`.
//! The server chains continuously; readers (search, export, checkpoint, verify) chain first, so
//! they always see every committed record.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};

use jianfu_domain::audit::{
    self, AuditEntry, AuditRecord, BreakReason, ChainBreak, ChainVerifier, checkpoint_message,
};
use jianfu_domain::{Error, Page, PageRequest};
use jianfu_seal::{PublicKey, Signer};

use crate::entity::{
    audit_checkpoint as checkpoint, audit_head as head, audit_log as log, audit_pending as pending,
};
use crate::sql::CachedSql;
use crate::{db_error, from_hex, to_hex};

/// Records read per query while verifying.
const VERIFY_BATCH: u64 = 5000;

/// Pending records chained per transaction.
const CHAIN_BATCH: u64 = 1000;

/// The chain's digest: SM3, lowercase hex.
pub fn digest(bytes: &[u8]) -> String {
    to_hex(&jianfu_seal::sm3(bytes))
}

fn now() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Writes `entry` as a pending record in the caller's transaction (or connection).
pub async fn append<C: ConnectionTrait>(conn: &C, entry: &AuditEntry) -> Result<(), DbErr> {
    // Built once per backend: this INSERT runs inside every business write.
    static SQL: CachedSql = CachedSql::new();
    let backend = conn.get_database_backend();
    let sql = SQL.get(backend, |b| {
        let columns = [
            pending::Column::At,
            pending::Column::Actor,
            pending::Column::Role,
            pending::Column::SourceIp,
            pending::Column::Event,
            pending::Column::Object,
            pending::Column::Result,
            pending::Column::Before,
            pending::Column::After,
        ];
        let insert = Query::insert()
            .into_table(pending::Entity)
            .columns(columns)
            .values_panic(columns.map(|_| Expr::value("")))
            .to_owned();
        b.build(&insert).sql
    });
    let text = |v: &str| Value::String(Some(v.to_owned()));
    let values = [
        text(&now()),
        text(&entry.actor),
        text(&entry.role),
        text(&entry.source_ip),
        text(&entry.event),
        text(&entry.object),
        text(&entry.result),
        Value::String(entry.before.clone()),
        Value::String(entry.after.clone()),
    ];
    conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(())
}

/// Chains every pending record, oldest first, in batches. Returns how many were chained.
pub async fn chain(db: &DatabaseConnection) -> Result<u64, Error> {
    let mut chained = 0;
    loop {
        let n = chain_batch(db).await.map_err(db_error)?;
        chained += n;
        if n < CHAIN_BATCH {
            return Ok(chained);
        }
    }
}

/// Writing the head row first makes other chainers (and purges) wait and, on SQLite, takes the
/// write lock before anything is read.
async fn lock_head<C: ConnectionTrait>(txn: &C) -> Result<(), DbErr> {
    let lock = Query::update()
        .table(head::Entity)
        .value(head::Column::Seq, Expr::col(head::Column::Seq))
        .and_where(Expr::col(head::Column::Id).eq(1))
        .to_owned();
    txn.execute(&lock).await.map(drop)
}

async fn chain_batch(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let txn = crate::begin_write(db).await?;
    lock_head(&txn).await?;
    let rows = pending::Entity::find()
        .order_by_asc(pending::Column::Id)
        .limit(CHAIN_BATCH)
        .all(&txn)
        .await?;
    if rows.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let current = head::Entity::find_by_id(1)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    let mut seq = current.seq;
    let mut prev = current.hash;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let count = rows.len() as u64;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        seq += 1;
        let entry = AuditEntry {
            actor: row.actor,
            role: row.role,
            source_ip: row.source_ip,
            event: row.event,
            object: row.object,
            result: row.result,
            before: row.before,
            after: row.after,
        };
        let record = audit::seal_record(seq as u64, row.at, entry, prev, digest);
        prev = record.hash.clone();
        records.push(record);
    }
    insert_records(&txn, records).await?;
    pending::Entity::delete_many()
        .filter(pending::Column::Id.is_in(ids))
        .exec(&txn)
        .await?;
    head::Entity::update_many()
        .col_expr(head::Column::Seq, Expr::value(seq))
        .col_expr(head::Column::Hash, Expr::value(prev))
        .filter(head::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(count)
}

/// Rows per INSERT when chaining: fixed sizes, so each backend prepares each statement once.
const INSERT_ROWS: [usize; 3] = [50, 10, 1];

/// Inserts chained records in statements of `INSERT_ROWS` rows, largest first, with SQL built
/// once per backend and size (building and planning a fresh 1,000-row statement cost more than
/// inserting the rows).
async fn insert_records<C: ConnectionTrait>(
    conn: &C,
    records: Vec<AuditRecord>,
) -> Result<(), DbErr> {
    static SQL: [CachedSql; 3] = [CachedSql::new(), CachedSql::new(), CachedSql::new()];
    let backend = conn.get_database_backend();
    let build = |rows: usize| {
        move |b: sea_orm::DbBackend| {
            let columns: Vec<log::Column> = std::iter::once(log::Column::Seq)
                .chain(RECORD_TEXT)
                .collect();
            let mut insert = Query::insert();
            insert.into_table(log::Entity).columns(columns.clone());
            for _ in 0..rows {
                insert.values_panic(columns.iter().map(|_| Expr::value("")));
            }
            b.build(&insert).sql
        }
    };
    let values = |r: AuditRecord| {
        let text = |v: String| Value::String(Some(v));
        [
            Value::BigInt(Some(r.seq as i64)),
            text(r.at),
            text(r.entry.actor),
            text(r.entry.role),
            text(r.entry.source_ip),
            text(r.entry.event),
            text(r.entry.object),
            text(r.entry.result),
            Value::String(r.entry.before),
            Value::String(r.entry.after),
            text(r.prev_hash),
            text(r.hash),
        ]
    };
    let mut left = records.len();
    let mut records = records.into_iter();
    for (size, cached) in INSERT_ROWS.into_iter().zip(&SQL) {
        while left >= size {
            let sql = cached.get(backend, build(size));
            let chunk: Vec<Value> = records.by_ref().take(size).flat_map(values).collect();
            conn.execute_raw(Statement::from_sql_and_values(backend, sql, chunk))
                .await?;
            left -= size;
        }
    }
    Ok(())
}

/// Records written but not yet chained.
pub async fn pending_count(db: &DatabaseConnection) -> Result<u64, Error> {
    pending::Entity::find().count(db).await.map_err(db_error)
}

/// Signs the current chain head, unless it is empty or already signed. Returns the signed seq.
pub async fn checkpoint(
    db: &DatabaseConnection,
    signer: &dyn Signer,
) -> Result<Option<u64>, Error> {
    chain(db).await?;
    let current = head::Entity::find_by_id(1)
        .one(db)
        .await
        .map_err(db_error)?;
    let Some(current) = current.filter(|h| h.seq > 0) else {
        return Ok(None);
    };
    let signed = checkpoint::Entity::find()
        .filter(checkpoint::Column::Seq.eq(current.seq))
        .one(db)
        .await
        .map_err(db_error)?;
    if signed.is_some() {
        return Ok(None);
    }
    let seq = current.seq as u64;
    let signature = signer.sign(&checkpoint_message(seq, &current.hash));
    checkpoint::Entity::insert(checkpoint::ActiveModel {
        seq: Set(current.seq),
        hash: Set(current.hash),
        key_id: Set(signer.key_id().to_owned()),
        algorithm: Set(signer.algorithm().as_str().to_owned()),
        signature: Set(to_hex(&signature)),
        signed_at: Set(now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await
    .map_err(db_error)?;
    Ok(Some(seq))
}

/// Filters of the audit browser.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub event: Option<String>,
    pub result: Option<String>,
    /// From this day to that day, both included, in Beijing time (the officials' calendar).
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// The UTC text of midnight, Beijing time, starting `day` — comparable with stored times.
fn beijing_midnight(day: chrono::NaiveDate) -> String {
    let utc = day.and_hms_opt(0, 0, 0).expect("midnight exists") - chrono::Duration::hours(8);
    utc.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn filtered(filter: &AuditFilter) -> sea_orm::Select<log::Entity> {
    let mut query = log::Entity::find();
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(actor) = given(&filter.actor) {
        query = query.filter(log::Column::Actor.eq(actor));
    }
    if let Some(event) = given(&filter.event) {
        query = query.filter(log::Column::Event.starts_with(event));
    }
    if let Some(result) = given(&filter.result) {
        query = query.filter(log::Column::Result.eq(result));
    }
    if let Some(from) = filter.from {
        query = query.filter(log::Column::At.gte(beijing_midnight(from)));
    }
    if let Some(next) = filter.to.and_then(|d| d.succ_opt()) {
        query = query.filter(log::Column::At.lt(beijing_midnight(next)));
    }
    query.order_by_desc(log::Column::Seq)
}

/// Records matching `filter`, newest first, one page.
pub async fn search(
    db: &DatabaseConnection,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditRecord>, Error> {
    chain(db).await?;
    crate::paged(db, filtered(filter), page, to_record).await
}

/// Records matching `filter`, newest first, at most `limit` of them (for export).
pub async fn export(
    db: &DatabaseConnection,
    filter: &AuditFilter,
    limit: u64,
) -> Result<Vec<AuditRecord>, Error> {
    chain(db).await?;
    let rows = filtered(filter)
        .limit(limit)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(rows.into_iter().map(to_record).collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records checked, from `first_seq` on (earlier ones were purged after retention).
    pub records: u64,
    pub first_seq: u64,
    pub checkpoints: u64,
    pub last_checkpoint: Option<u64>,
    /// Records written but not yet chained when the check ran.
    pub pending: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("审计日志链断裂：{0}")]
    Broken(ChainBreak),
    #[error("第 {seq} 条处的签名检查点无效：{reason}")]
    Checkpoint { seq: u64, reason: &'static str },
    #[error("{0}")]
    Database(Error),
}

impl VerifyError {
    /// The first sequence number found wrong, for scripts and tests.
    pub fn seq(&self) -> Option<u64> {
        match self {
            VerifyError::Broken(b) => Some(b.seq),
            VerifyError::Checkpoint { seq, .. } => Some(*seq),
            VerifyError::Database(_) => None,
        }
    }
}

fn to_record(m: log::Model) -> AuditRecord {
    AuditRecord {
        seq: u64::try_from(m.seq).unwrap_or(0),
        at: m.at,
        entry: AuditEntry {
            actor: m.actor,
            role: m.role,
            source_ip: m.source_ip,
            event: m.event,
            object: m.object,
            result: m.result,
            before: m.before,
            after: m.after,
        },
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}

/// Checks the chain in sequence order up to the head read when it starts (records chained
/// meanwhile are left for the next run), the head, and every checkpoint's signature (with
/// `public_key` looking up current and retired keys by id). After a purge the chain starts at
/// the signed checkpoint of the last purged record.
pub async fn verify(
    db: &DatabaseConnection,
    public_key: impl Fn(&str) -> Option<PublicKey>,
) -> Result<VerifyReport, VerifyError> {
    let dberr = |e| VerifyError::Database(db_error(e));
    // Checkpoints before the head: any checkpoint is then at or below the head, unless the tail
    // was cut off and the head moved back.
    let checkpoints: HashMap<u64, checkpoint::Model> = checkpoint::Entity::find()
        .all(db)
        .await
        .map_err(dberr)?
        .into_iter()
        .map(|c| (c.seq as u64, c))
        .collect();
    let head = head::Entity::find_by_id(1)
        .one(db)
        .await
        .map_err(dberr)?
        .ok_or(VerifyError::Database(Error::Internal))?;
    let start = u64::try_from(head.first_seq - 1).unwrap_or(0);
    let mut verifier = if start == 0 {
        ChainVerifier::default()
    } else {
        let Some(anchor) = checkpoints.get(&start) else {
            return Err(VerifyError::Checkpoint {
                seq: start,
                reason: "清理后的链起点没有签名检查点",
            });
        };
        check_checkpoint(anchor, &head.base_hash, &public_key)?;
        ChainVerifier::starting_after(start, &head.base_hash)
    };
    // Windows of seq values rather than "the next N after": both bounds keep every query to one
    // window's rows whatever the planner guesses, and the next window is fetched while this one
    // is hashed.
    let window = |lower: i64| {
        let db = db.clone();
        let upper = Ord::min(lower + VERIFY_BATCH as i64, head.seq);
        (
            upper,
            tokio::spawn(async move { records_between(&db, lower, upper).await }),
        )
    };
    let mut pending = ((start as i64) < head.seq).then(|| window(start as i64));
    while let Some((upper, rows)) = pending.take() {
        let batch: Vec<AuditRecord> = rows
            .await
            .map_err(|_| VerifyError::Database(Error::Internal))?
            .map_err(dberr)?;
        pending = (upper < head.seq).then(|| window(upper));
        for (record, computed) in batch.iter().zip(digests(&batch)) {
            verifier
                .check_digested(record, &computed)
                .map_err(VerifyError::Broken)?;
            if let Some(cp) = checkpoints.get(&record.seq) {
                check_checkpoint(cp, &record.hash, &public_key)?;
            }
        }
    }
    let last = verifier
        .finish(head.seq as u64, &head.hash)
        .map_err(VerifyError::Broken)?;
    // Records beyond the head were put there by hand, unless a chainer moved the head since:
    // it moves records and head in one transaction, so a head read after them covers them.
    let beyond: Option<i64> = log::Entity::find()
        .select_only()
        .column_as(log::Column::Seq.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await
        .map_err(dberr)?
        .flatten();
    let now_head = head::Entity::find_by_id(1)
        .one(db)
        .await
        .map_err(dberr)?
        .map_or(head.seq, |h| h.seq);
    if beyond.is_some_and(|max| max > now_head) {
        return Err(VerifyError::Broken(ChainBreak {
            seq: last + 1,
            reason: BreakReason::Unlinked,
        }));
    }
    if checkpoints.keys().any(|s| *s > last) {
        return Err(VerifyError::Broken(ChainBreak {
            seq: last,
            reason: BreakReason::Truncated,
        }));
    }
    Ok(VerifyReport {
        records: last - start,
        first_seq: start + 1,
        checkpoints: checkpoints.keys().filter(|s| **s >= start).count() as u64,
        last_checkpoint: checkpoints.keys().copied().max(),
        pending: pending_count(db).await.map_err(VerifyError::Database)?,
    })
}

/// What a purge removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeReport {
    /// Records removed, and the last of them (the new chain starts after it).
    pub removed: u64,
    pub through_seq: u64,
}

/// Removes the records made before `before`, back to the last signed checkpoint among them (so
/// the rest of the chain stays verifiable from it). Refused when `before` is within the
/// retention period; the purge itself is audited (`entry` describes who asked).
pub async fn purge(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
    entry: AuditEntry,
) -> Result<PurgeReport, Error> {
    if !audit::may_purge(before, Utc::now()) {
        let shown = before.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"));
        return Err(Error::RetentionNotReached(
            shown.format("%Y-%m-%d %H:%M").to_string(),
        ));
    }
    chain(db).await?;
    let cutoff = before.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    lock_head(&txn).await.map_err(db_error)?;
    let head = head::Entity::find_by_id(1)
        .one(&txn)
        .await
        .map_err(db_error)?
        .ok_or(Error::Internal)?;
    // Times are not strictly ordered by seq (records are chained in commit order), so the purge
    // stops before the first record made at or after the cutoff, at the newest checkpoint there.
    let young: Option<i64> = log::Entity::find()
        .select_only()
        .column_as(log::Column::Seq.min(), "min")
        .filter(log::Column::At.gte(cutoff))
        .into_tuple::<Option<i64>>()
        .one(&txn)
        .await
        .map_err(db_error)?
        .flatten();
    let mut anchor = checkpoint::Entity::find()
        .filter(checkpoint::Column::Seq.gte(head.first_seq))
        .order_by_desc(checkpoint::Column::Seq);
    if let Some(young) = young {
        anchor = anchor.filter(checkpoint::Column::Seq.lt(young));
    }
    let anchor = anchor.one(&txn).await.map_err(db_error)?;
    let Some(anchor) = anchor else {
        txn.commit().await.map_err(db_error)?;
        return Ok(PurgeReport {
            removed: 0,
            through_seq: (head.first_seq - 1) as u64,
        });
    };
    let removed = log::Entity::delete_many()
        .filter(log::Column::Seq.lte(anchor.seq))
        .exec(&txn)
        .await
        .map_err(db_error)?
        .rows_affected;
    checkpoint::Entity::delete_many()
        .filter(checkpoint::Column::Seq.lt(anchor.seq))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    head::Entity::update_many()
        .col_expr(head::Column::FirstSeq, Expr::value(anchor.seq + 1))
        .col_expr(head::Column::BaseHash, Expr::value(anchor.hash))
        .filter(head::Column::Id.eq(1))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let report = PurgeReport {
        removed,
        through_seq: anchor.seq as u64,
    };
    let entry = AuditEntry {
        after: Some(format!(
            "{{\"removed\":{removed},\"through_seq\":{},\"before\":\"{}\"}}",
            report.through_seq,
            before.to_rfc3339()
        )),
        ..entry
    };
    append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(report)
}

/// The records with `lower < seq <= upper`, in order.
async fn records_between(
    db: &DatabaseConnection,
    lower: i64,
    upper: i64,
) -> Result<Vec<AuditRecord>, DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        packed_records_between(db, lower, upper).await
    } else {
        columns_between(db, lower, upper).await
    }
}

/// The text columns of a record, in `canonical_bytes` order after `seq`.
const RECORD_TEXT: [log::Column; 11] = [
    log::Column::At,
    log::Column::Actor,
    log::Column::Role,
    log::Column::SourceIp,
    log::Column::Event,
    log::Column::Object,
    log::Column::Result,
    log::Column::Before,
    log::Column::After,
    log::Column::PrevHash,
    log::Column::Hash,
];

/// Raw SQL built once and read by column position: verify reads every record, and building
/// SeaORM models by column name cost more than hashing them.
async fn columns_between(
    db: &DatabaseConnection,
    lower: i64,
    upper: i64,
) -> Result<Vec<AuditRecord>, DbErr> {
    static SQL: CachedSql = CachedSql::new();
    let backend = db.get_database_backend();
    let sql = SQL.get(backend, |b| {
        let query = Query::select()
            .column(log::Column::Seq)
            .columns(RECORD_TEXT)
            .from(log::Entity)
            .and_where(Expr::col(log::Column::Seq).gt(0))
            .and_where(Expr::col(log::Column::Seq).lte(0))
            .order_by(log::Column::Seq, sea_orm::Order::Asc)
            .to_owned();
        b.build(&query).sql
    });
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [lower.into(), upper.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let seq = r.try_get_by_index::<i64>(0)?;
            let fields = (1..=RECORD_TEXT.len())
                .map(|i| r.try_get_by_index::<Option<String>>(i))
                .collect::<Result<Vec<_>, _>>()?;
            record_of(seq, fields)
        })
        .collect()
}

/// SQLite hands every column value over from its connection's worker thread as a copy of its
/// own, and with twelve a record that hand-over cost more than reading and hashing. Packing the
/// text columns into one value, each prefixed by its length in bytes (`-` for NULL), halves it.
async fn packed_records_between(
    db: &DatabaseConnection,
    lower: i64,
    upper: i64,
) -> Result<Vec<AuditRecord>, DbErr> {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SQL.get_or_init(|| {
        let packed = RECORD_TEXT
            .iter()
            .map(|c| {
                let c = sea_orm::IdenStatic::as_str(c);
                format!("coalesce(length(CAST({c} AS BLOB)) || ':' || {c}, '-')")
            })
            .collect::<Vec<_>>()
            .join(" || ");
        format!("SELECT seq, {packed} FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq")
    });
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Sqlite,
            sql.as_str(),
            [lower.into(), upper.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let seq = r.try_get_by_index::<i64>(0)?;
            let packed = r.try_get_by_index::<String>(1)?;
            let fields = unpack(&packed, RECORD_TEXT.len())
                .ok_or_else(|| DbErr::Custom(format!("审计记录 {seq} 的字段无法解析")))?;
            record_of(seq, fields)
        })
        .collect()
}

/// Splits `count` length-prefixed fields (`12:text…` or `-` for NULL); None unless exact.
fn unpack(packed: &str, count: usize) -> Option<Vec<Option<String>>> {
    let mut rest = packed;
    let mut fields = Vec::with_capacity(count);
    for _ in 0..count {
        if let Some(after) = rest.strip_prefix('-') {
            fields.push(None);
            rest = after;
            continue;
        }
        let (len, after) = rest.split_once(':')?;
        let len: usize = len.parse().ok()?;
        fields.push(Some(after.get(..len)?.to_owned()));
        rest = &after[len..];
    }
    rest.is_empty().then_some(fields)
}

fn record_of(seq: i64, fields: Vec<Option<String>>) -> Result<AuditRecord, DbErr> {
    let [
        at,
        actor,
        role,
        source_ip,
        event,
        object,
        result,
        before,
        after,
        prev_hash,
        hash,
    ]: [Option<String>; 11] = fields
        .try_into()
        .map_err(|_| DbErr::Custom(format!("审计记录 {seq} 的字段数不对")))?;
    let given = |v: Option<String>, name: &str| {
        v.ok_or_else(|| DbErr::Custom(format!("审计记录 {seq} 缺少字段 {name}")))
    };
    Ok(AuditRecord {
        seq: u64::try_from(seq).unwrap_or(0),
        at: given(at, "at")?,
        entry: AuditEntry {
            actor: given(actor, "actor")?,
            role: given(role, "role")?,
            source_ip: given(source_ip, "source_ip")?,
            event: given(event, "event")?,
            object: given(object, "object")?,
            result: given(result, "result")?,
            before,
            after,
        },
        prev_hash: given(prev_hash, "prev_hash")?,
        hash: given(hash, "hash")?,
    })
}

/// The SM3 digest of each record's canonical bytes, computed on every core.
fn digests(records: &[AuditRecord]) -> Vec<String> {
    let one = |r: &AuditRecord| {
        digest(&audit::canonical_bytes(
            r.seq,
            &r.at,
            &r.entry,
            &r.prev_hash,
        ))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = records.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = records
            .chunks(per)
            .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("hashing does not panic"))
            .collect()
    })
}

fn check_checkpoint(
    cp: &checkpoint::Model,
    record_hash: &str,
    public_key: &impl Fn(&str) -> Option<PublicKey>,
) -> Result<(), VerifyError> {
    let seq = cp.seq as u64;
    let fail = |reason| Err(VerifyError::Checkpoint { seq, reason });
    if cp.hash != record_hash {
        return fail("检查点记录的哈希与日志不符");
    }
    let Some(key) = public_key(&cp.key_id) else {
        return fail("签名密钥不在密钥文件中");
    };
    let Some(signature) = from_hex(&cp.signature) else {
        return fail("签名格式不正确");
    };
    if !key.verify(&checkpoint_message(seq, &cp.hash), &signature) {
        return fail("签名验证失败");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::unpack;

    #[test]
    fn packed_fields_split_exactly_by_their_byte_lengths() {
        let packed = "6:审计-4:a:b:-";
        let fields = vec![Some("审计".to_owned()), None, Some("a:b:".to_owned()), None];
        assert_eq!(unpack(packed, 4), Some(fields));
        assert_eq!(unpack(packed, 3), None, "a field left over is refused");
        assert_eq!(unpack(packed, 5), None, "a missing field is refused");
        assert_eq!(unpack("0:", 1), Some(vec![Some(String::new())]));
        for broken in ["5:abc", "x:abc", "2:审", "", ":abc"] {
            assert_eq!(unpack(broken, 1), None, "{broken:?}");
        }
    }
}
