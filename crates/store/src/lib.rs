//! Persistence for jianfu. One migration source serves SQLite (the embedded default), PostgreSQL
//! and MySQL/MariaDB; repositories per capability return domain types, never entities.

pub mod account;
pub mod admission;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod campaign;
pub mod catalog;
pub mod certificate;
pub mod db;
pub mod department;
pub mod dispatch;
pub mod entity;
pub mod inspection;
pub mod migration;
pub mod notice;
pub mod notification;
pub mod region;
pub mod report;
pub mod second_factor;
pub mod signage;
mod sql;
pub mod violation;
pub mod webhook;
pub mod work_method;

pub use db::{Backend, ConnectError, connect, migrate};
pub use sea_orm::DatabaseConnection;

/// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
/// a deferred transaction that reads first and writes later fails with "database is locked",
/// without waiting, whenever another connection committed in between — and the audit chainer
/// commits every 200 ms. Other backends begin as usual.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Database faults are logged here with their details and surface as a plain domain error.
pub(crate) fn db_error(e: sea_orm::DbErr) -> jianfu_domain::Error {
    tracing::error!(error = %e, "database error");
    match e {
        sea_orm::DbErr::Conn(_) | sea_orm::DbErr::ConnectionAcquire(_) => {
            jianfu_domain::Error::DatabaseUnavailable
        }
        _ => jianfu_domain::Error::Internal,
    }
}

/// Lowercase hex, for hashes, signatures and sealed fields stored as text.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

pub(crate) fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// One page of an ordered query, mapped to domain types.
pub(crate) async fn paged<E, T>(
    db: &DatabaseConnection,
    query: sea_orm::Select<E>,
    page: jianfu_domain::PageRequest,
    map: impl Fn(E::Model) -> T,
) -> Result<jianfu_domain::Page<T>, jianfu_domain::Error>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::{PaginatorTrait, QuerySelect};
    let total = query.clone().count(db).await.map_err(db_error)?;
    let items = query
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(jianfu_domain::Page {
        items: items.into_iter().map(map).collect(),
        total,
        page: page.page,
        per_page: page.per_page,
    })
}
