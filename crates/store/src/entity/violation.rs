//! One entry of the violation ledger; see `crate::violation`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "violation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// dispatch, report or dispute (`jianfu_domain::violation::ViolationSource`).
    pub source: String,
    /// The dispatch, report or delivery that recorded it.
    pub source_id: i64,
    /// The sending department's code (empty for a township).
    pub department: String,
    pub department_name: String,
    /// Where it happened: the reporting or disputing unit, or the sender's region for a
    /// blocked dispatch.
    pub region: String,
    /// Units it concerned.
    pub units: i32,
    pub title: String,
    pub rule: String,
    pub message: String,
    pub item_code: Option<String>,
    pub day: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
