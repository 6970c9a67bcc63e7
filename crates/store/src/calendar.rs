//! The holiday calendar (节假日安排): the official days by year. An import replaces whole
//! years — a year's notice is taken as a whole, so a corrected one leaves nothing of the old —
//! in one transaction with its audit record.

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use jianfu_domain::Error;
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::workday::{Calendar, DayKind, OfficialDay};

use crate::db_error;
use crate::entity::calendar_day as day;

/// Rows per INSERT (3 columns a row: far below every backend's limit).
const INSERT_CHUNK: usize = 500;

/// Every official day known, as a calendar.
pub async fn load(db: &DatabaseConnection) -> Result<Calendar, Error> {
    let rows = day::Entity::find()
        .order_by_asc(day::Column::Day)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(Calendar::new(rows.into_iter().filter_map(|m| {
        Some(OfficialDay {
            date: m.day,
            kind: DayKind::parse(&m.kind)?,
            name: m.name,
        })
    })))
}

/// How many official days are stored (none on a new database).
pub async fn count(db: &DatabaseConnection) -> Result<u64, Error> {
    day::Entity::find().count(db).await.map_err(db_error)
}

/// Replaces the years `days` name with `days`; returns those years in order.
pub async fn import(
    db: &DatabaseConnection,
    days: &[OfficialDay],
    audit: &AuditEntry,
) -> Result<Vec<i32>, Error> {
    let mut years: Vec<i32> = days.iter().map(|d| d.date.year()).collect();
    years.sort_unstable();
    years.dedup();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    for year in &years {
        let (first, last) = (
            NaiveDate::from_ymd_opt(*year, 1, 1).ok_or(Error::Internal)?,
            NaiveDate::from_ymd_opt(*year, 12, 31).ok_or(Error::Internal)?,
        );
        day::Entity::delete_many()
            .filter(day::Column::Day.between(first, last))
            .exec(&txn)
            .await
            .map_err(db_error)?;
    }
    let rows: Vec<day::ActiveModel> = days
        .iter()
        .map(|d| day::ActiveModel {
            day: Set(d.date),
            kind: Set(d.kind.as_str().to_owned()),
            name: Set(d.name.chars().take(32).collect()),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        day::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
    }
    let entry = AuditEntry {
        after: Some(serde_json::json!({ "years": years, "days": days.len() }).to_string()),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(years)
}
