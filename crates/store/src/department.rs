//! Departments (党政群机构) attached to regions.

use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::{Department, Error, RegionCode};

use crate::db_error;
use crate::entity::department::{ActiveModel, Column, Entity, Model};

fn to_domain(m: Model) -> Department {
    Department {
        region_code: RegionCode::parse(&m.region_code).expect("stored region codes are valid"),
        code: m.code,
        name: m.name,
        full_name: m.full_name,
        category: m.category,
        is_demo: m.is_demo,
        source: m.source,
    }
}

/// The departments in force attached to `region`, in code order.
pub async fn list_for_region(
    db: &DatabaseConnection,
    region: &RegionCode,
) -> Result<Vec<Department>, Error> {
    Entity::find()
        .filter(Column::RegionCode.eq(region.as_str()))
        .filter(Column::ValidTo.is_null())
        .order_by_asc(Column::Code)
        .all(db)
        .await
        .map(|v| v.into_iter().map(to_domain).collect())
        .map_err(db_error)
}

pub async fn count(db: &DatabaseConnection) -> Result<u64, Error> {
    Entity::find().count(db).await.map_err(db_error)
}

/// Adds departments in one transaction with its audit record (the shipped list on first start).
pub async fn insert_all(
    db: &DatabaseConnection,
    departments: &[Department],
    valid_from: NaiveDate,
    audit: &AuditEntry,
) -> Result<(), Error> {
    if departments.is_empty() {
        return Ok(());
    }
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, audit).await.map_err(db_error)?;
    let models = departments.iter().map(|d| ActiveModel {
        code: Set(d.code.clone()),
        name: Set(d.name.clone()),
        full_name: Set(d.full_name.clone()),
        category: Set(d.category.clone()),
        region_code: Set(d.region_code.to_string()),
        is_demo: Set(d.is_demo),
        source: Set(d.source.clone()),
        valid_from: Set(valid_from),
        ..Default::default()
    });
    Entity::insert_many(models)
        .exec_without_returning(&txn)
        .await
        .map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

/// The departments with these codes, in code order (retired ones too: old records name them).
pub async fn get_many(db: &DatabaseConnection, codes: &[String]) -> Result<Vec<Department>, Error> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    Entity::find()
        .filter(Column::Code.is_in(codes.iter().cloned()))
        .order_by_asc(Column::Code)
        .all(db)
        .await
        .map(|v| v.into_iter().map(to_domain).collect())
        .map_err(db_error)
}
