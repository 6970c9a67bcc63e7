//! Departments' webhooks: a department's own system hears of each step of the applications it
//! makes or countersigns. Events go into an outbox in the step's own transaction (nothing is
//! announced that did not happen); a sender claims due rows, posts them, and retries with
//! back-off. Several app nodes may send: a claim moves the row's next attempt forward first.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use jianfu_domain::Error;
use jianfu_domain::audit::AuditEntry;

use crate::db_error;
use crate::entity::{department_webhook as hook, webhook_delivery as delivery};

pub use crate::entity::webhook_delivery::Model as Delivery;

/// After this many failed attempts a delivery is given up (kept, visible, not retried).
pub const MAX_ATTEMPTS: i32 = 8;

/// A claimed delivery is not claimed again by another node for this long.
const CLAIM_FOR: Duration = Duration::minutes(2);

fn associated_data(department: &str) -> Vec<u8> {
    format!("department_webhook.secret:{department}").into_bytes()
}

/// A webhook secret sealed for storage (SM4-GCM under the key file's field key, bound to the
/// department so a sealed value cannot be moved to another row).
pub fn seal(cipher: &jianfu_seal::FieldCipher, secret: &str, department: &str) -> String {
    crate::to_hex(&cipher.encrypt(secret.as_bytes(), &associated_data(department)))
}

pub fn unseal(cipher: &jianfu_seal::FieldCipher, sealed: &str, department: &str) -> Option<String> {
    let bytes = crate::from_hex(sealed)?;
    let plain = cipher.decrypt(&bytes, &associated_data(department)).ok()?;
    String::from_utf8(plain).ok()
}

/// The department's webhook: its address and sealed secret.
pub async fn get(db: &DatabaseConnection, department: &str) -> Result<Option<hook::Model>, Error> {
    hook::Entity::find_by_id(department)
        .one(db)
        .await
        .map_err(db_error)
}

/// Sets (or, with `url` none, removes) a department's webhook; `sealed_secret` is the new
/// secret sealed by the caller.
pub async fn set(
    db: &DatabaseConnection,
    department: &str,
    url: Option<&str>,
    sealed_secret: &str,
    by: &str,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let before = hook::Entity::find_by_id(department)
        .one(&txn)
        .await
        .map_err(db_error)?
        .map(|h| h.url);
    match url {
        Some(url) => {
            hook::Entity::insert(hook::ActiveModel {
                department: Set(department.to_owned()),
                url: Set(url.to_owned()),
                secret: Set(sealed_secret.to_owned()),
                updated_by: Set(by.to_owned()),
                updated_at: Set(Utc::now()),
            })
            .on_conflict(
                OnConflict::column(hook::Column::Department)
                    .update_columns([
                        hook::Column::Url,
                        hook::Column::Secret,
                        hook::Column::UpdatedBy,
                        hook::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
        }
        None => {
            hook::Entity::delete_by_id(department)
                .exec(&txn)
                .await
                .map_err(db_error)?;
        }
    }
    let entry = AuditEntry {
        object: format!("department/{department}/webhook"),
        // The secret is never recorded, only that a new one was issued.
        before: Some(serde_json::json!({ "url": before }).to_string()),
        after: Some(serde_json::json!({ "url": url, "secret": "new" }).to_string()),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

/// Queues `body` as `event` for each of `departments` that has a webhook, in the caller's
/// transaction.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    departments: &[String],
    event: &str,
    body: &serde_json::Value,
) -> Result<(), Error> {
    if departments.is_empty() {
        return Ok(());
    }
    let hooks = hook::Entity::find()
        .filter(hook::Column::Department.is_in(departments.iter().cloned()))
        .all(conn)
        .await
        .map_err(db_error)?;
    if hooks.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = hooks.into_iter().map(|h| delivery::ActiveModel {
        department: Set(h.department),
        url: Set(h.url),
        event: Set(event.to_owned()),
        body: Set(body.to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        delivered_at: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        ..Default::default()
    });
    delivery::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Claims up to `limit` deliveries due at `now` for this sender: each is moved out of the
/// others' reach for a while before it is returned.
pub async fn claim_due(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Delivery>, Error> {
    let due = delivery::Entity::find()
        .filter(delivery::Column::DeliveredAt.is_null())
        .filter(delivery::Column::Attempts.lt(MAX_ATTEMPTS))
        .filter(delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(db_error)?;
    let mut claimed = Vec::with_capacity(due.len());
    for d in due {
        // Only the node whose update still sees the old time gets the row.
        let won = delivery::Entity::update_many()
            .col_expr(
                delivery::Column::NextAttemptAt,
                Expr::value(now + CLAIM_FOR),
            )
            .filter(delivery::Column::Id.eq(d.id))
            .filter(delivery::Column::NextAttemptAt.eq(d.next_attempt_at))
            .exec(db)
            .await
            .map_err(db_error)?
            .rows_affected
            == 1;
        if won {
            claimed.push(d);
        }
    }
    Ok(claimed)
}

/// The sealed secret of the department a delivery is for (none when its webhook was removed).
pub async fn secret_of(db: &DatabaseConnection, department: &str) -> Result<Option<String>, Error> {
    Ok(get(db, department).await?.map(|h| h.secret))
}

/// Records an attempt: delivered, or failed with the status or error and retried later
/// (1, 2, 4 … minutes after, up to [`MAX_ATTEMPTS`]).
pub async fn record(
    db: &DatabaseConnection,
    d: &Delivery,
    status: Option<u16>,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let delivered = error.is_none() && status.is_some_and(|s| (200..300).contains(&s));
    let attempts = d.attempts + 1;
    let mut update = delivery::Entity::update_many()
        .col_expr(delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(
            delivery::Column::LastStatus,
            Expr::value(status.map(i32::from)),
        )
        .col_expr(
            delivery::Column::LastError,
            Expr::value(error.map(|e| e.chars().take(500).collect::<String>())),
        );
    update = if delivered {
        update.col_expr(delivery::Column::DeliveredAt, Expr::value(now))
    } else {
        let wait = Duration::minutes(1i64 << attempts.clamp(0, 10).saturating_sub(1));
        update.col_expr(delivery::Column::NextAttemptAt, Expr::value(now + wait))
    };
    update
        .filter(delivery::Column::Id.eq(d.id))
        .exec(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// A department's most recent deliveries, newest first.
pub async fn recent(
    db: &DatabaseConnection,
    department: &str,
    limit: u64,
) -> Result<Vec<Delivery>, Error> {
    delivery::Entity::find()
        .filter(delivery::Column::Department.eq(department))
        .order_by_desc(delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(db_error)
}
