//! In-app notifications (站内消息): one row per recipient, written in the same transaction as
//! the step that causes it, so nobody is told of a step that did not happen.

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use jianfu_domain::account::Role;
use jianfu_domain::{Error, Page, PageRequest, RegionCode};

use crate::db_error;
use crate::entity::{account, account_role, notification as note};

pub use crate::entity::notification::Model as Notification;

/// What to tell, and where it leads.
#[derive(Debug, Clone)]
pub struct Notice<'a> {
    /// What it is about, e.g. `admission/17`.
    pub object: &'a str,
    /// e.g. `admission.review`, `admission.overdue`.
    pub kind: &'a str,
    pub message: &'a str,
    pub link: &'a str,
}

/// The usernames of the enabled accounts of `region` holding `role` (and, for department
/// officers, of one of `departments`).
pub async fn holders<C: ConnectionTrait>(
    conn: &C,
    region: &RegionCode,
    role: Role,
    departments: Option<&[String]>,
) -> Result<Vec<String>, Error> {
    let holding = account_role::Entity::find()
        .select_only()
        .column(account_role::Column::AccountId)
        .filter(account_role::Column::Role.eq(role.as_str()))
        .into_query();
    let mut query = account::Entity::find()
        .filter(account::Column::Id.in_subquery(holding))
        .filter(account::Column::RegionCode.eq(region.as_str()))
        .filter(account::Column::Disabled.eq(false));
    if let Some(departments) = departments {
        query = query.filter(account::Column::DepartmentCode.is_in(departments.iter().cloned()));
    }
    let mut names: Vec<String> = query
        .select_only()
        .column(account::Column::Username)
        .into_tuple()
        .all(conn)
        .await
        .map_err(db_error)?;
    names.sort();
    names.dedup();
    Ok(names)
}

/// Tells each of `recipients`. With `dedupe`, a recipient is told once per key (reminders
/// sent by every node's sweep).
pub async fn send<C: ConnectionTrait>(
    conn: &C,
    recipients: &[String],
    notice: &Notice<'_>,
    dedupe: Option<&str>,
) -> Result<(), Error> {
    if recipients.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = recipients.iter().map(|r| note::ActiveModel {
        recipient: Set(r.clone()),
        object: Set(notice.object.to_owned()),
        kind: Set(notice.kind.to_owned()),
        message: Set(notice.message.to_owned()),
        link: Set(notice.link.to_owned()),
        dedupe: Set(dedupe.map(|d| format!("{d}:{r}"))),
        created_at: Set(now),
        read_at: Set(None),
        ..Default::default()
    });
    // `do_nothing_on` names a column so MySQL gets its polyfill (`UPDATE dedupe = dedupe`).
    let once = OnConflict::column(note::Column::Dedupe)
        .do_nothing_on([note::Column::Dedupe])
        .to_owned();
    note::Entity::insert_many(rows)
        .on_conflict(once)
        .exec_without_returning(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// One page of `username`'s notifications, newest first.
pub async fn of(
    db: &DatabaseConnection,
    username: &str,
    unread_only: bool,
    paging: PageRequest,
) -> Result<Page<Notification>, Error> {
    let mut query = note::Entity::find().filter(note::Column::Recipient.eq(username));
    if unread_only {
        query = query.filter(note::Column::ReadAt.is_null());
    }
    crate::paged(db, query.order_by_desc(note::Column::Id), paging, |n| n).await
}

pub async fn unread(db: &DatabaseConnection, username: &str) -> Result<u64, Error> {
    note::Entity::find()
        .filter(note::Column::Recipient.eq(username))
        .filter(note::Column::ReadAt.is_null())
        .count(db)
        .await
        .map_err(db_error)
}

/// Marks `username`'s notification `id` read (all of them when none); returns how many were.
pub async fn mark_read(
    db: &DatabaseConnection,
    username: &str,
    id: Option<i64>,
) -> Result<u64, Error> {
    let mut update = note::Entity::update_many()
        .col_expr(note::Column::ReadAt, Expr::value(Utc::now()))
        .filter(note::Column::Recipient.eq(username))
        .filter(note::Column::ReadAt.is_null());
    if let Some(id) = id {
        update = update.filter(note::Column::Id.eq(id));
    }
    Ok(update.exec(db).await.map_err(db_error)?.rows_affected)
}
