//! Appending to and verifying the audit chain (rules in `jianfu_domain::audit`). An append runs
//! inside the caller's transaction, so a change and its record commit or vanish together; it
//! starts by bumping the head row, which makes concurrent appenders (also on other app nodes)
//! wait their turn and, on SQLite, takes the write lock before anything is read.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use jianfu_domain::audit::{
    self, AuditEntry, AuditRecord, BreakReason, ChainBreak, ChainVerifier, checkpoint_message,
};
use jianfu_domain::{Error, Page, PageRequest};
use jianfu_seal::{PublicKey, Signer};

use crate::entity::{audit_checkpoint as checkpoint, audit_head as head, audit_log as log};
use crate::{db_error, from_hex, to_hex};

/// Records read per query while verifying.
const VERIFY_BATCH: u64 = 5000;

/// The chain's digest: SM3, lowercase hex.
pub fn digest(bytes: &[u8]) -> String {
    to_hex(&jianfu_seal::sm3(bytes))
}

fn now() -> String {
    Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Appends `entry` in the caller's transaction (or connection) and returns its sequence number.
pub async fn append<C: ConnectionTrait>(conn: &C, entry: &AuditEntry) -> Result<u64, DbErr> {
    let bump = Query::update()
        .table(head::Entity)
        .value(head::Column::Seq, Expr::col(head::Column::Seq).add(1))
        .and_where(Expr::col(head::Column::Id).eq(1))
        .to_owned();
    conn.execute(&bump).await?;
    let current = head::Entity::find_by_id(1)
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit_head".into()))?;
    let seq = u64::try_from(current.seq).map_err(|_| DbErr::Custom("audit seq".into()))?;
    let record = audit::seal_record(seq, now(), entry.clone(), current.hash, digest);
    log::Entity::insert(log::ActiveModel {
        seq: Set(current.seq),
        at: Set(record.at),
        actor: Set(record.entry.actor),
        role: Set(record.entry.role),
        source_ip: Set(record.entry.source_ip),
        event: Set(record.entry.event),
        object: Set(record.entry.object),
        result: Set(record.entry.result),
        before: Set(record.entry.before),
        after: Set(record.entry.after),
        prev_hash: Set(record.prev_hash),
        hash: Set(record.hash.clone()),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    head::Entity::update_many()
        .col_expr(head::Column::Hash, Expr::value(record.hash))
        .filter(head::Column::Id.eq(1))
        .exec(conn)
        .await?;
    Ok(seq)
}

/// Signs the current chain head, unless it is empty or already signed. Returns the signed seq.
pub async fn checkpoint(
    db: &DatabaseConnection,
    signer: &dyn Signer,
) -> Result<Option<u64>, Error> {
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
    query.order_by_desc(log::Column::Seq)
}

/// Records matching `filter`, newest first, one page.
pub async fn search(
    db: &DatabaseConnection,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditRecord>, Error> {
    crate::paged(db, filtered(filter), page, to_record).await
}

/// Records matching `filter`, newest first, at most `limit` of them (for export).
pub async fn export(
    db: &DatabaseConnection,
    filter: &AuditFilter,
    limit: u64,
) -> Result<Vec<AuditRecord>, Error> {
    let rows = filtered(filter)
        .limit(limit)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(rows.into_iter().map(to_record).collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    pub checkpoints: u64,
    pub last_checkpoint: Option<u64>,
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

/// Checks the whole chain in sequence order, the head, and every checkpoint's signature (with
/// `public_key` looking up current and retired keys by id).
pub async fn verify(
    db: &DatabaseConnection,
    public_key: impl Fn(&str) -> Option<PublicKey>,
) -> Result<VerifyReport, VerifyError> {
    let dberr = |e| VerifyError::Database(db_error(e));
    let checkpoints: HashMap<u64, checkpoint::Model> = checkpoint::Entity::find()
        .all(db)
        .await
        .map_err(dberr)?
        .into_iter()
        .map(|c| (c.seq as u64, c))
        .collect();
    let mut verifier = ChainVerifier::default();
    let mut after = 0i64;
    loop {
        let batch = log::Entity::find()
            .filter(log::Column::Seq.gt(after))
            .order_by_asc(log::Column::Seq)
            .limit(VERIFY_BATCH)
            .all(db)
            .await
            .map_err(dberr)?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for m in batch {
            let record = to_record(m);
            verifier
                .check(&record, digest)
                .map_err(VerifyError::Broken)?;
            if let Some(cp) = checkpoints.get(&record.seq) {
                check_checkpoint(cp, &record.hash, &public_key)?;
            }
        }
    }
    let head = head::Entity::find_by_id(1)
        .one(db)
        .await
        .map_err(dberr)?
        .ok_or(VerifyError::Database(Error::Internal))?;
    let records = verifier
        .finish(head.seq as u64, &head.hash)
        .map_err(VerifyError::Broken)?;
    if checkpoints.keys().any(|s| *s > records) {
        return Err(VerifyError::Broken(ChainBreak {
            seq: records,
            reason: BreakReason::Truncated,
        }));
    }
    Ok(VerifyReport {
        records,
        checkpoints: checkpoints.len() as u64,
        last_checkpoint: checkpoints.keys().copied().max(),
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
