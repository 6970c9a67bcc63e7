//! The rectification (整改) a finding became.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rectification")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub finding_id: i64,
    pub unit: String,
    /// What the inspector asks the unit to do.
    pub measures: String,
    pub issued_on: Date,
    /// The deadline in working days, as given.
    pub days: i32,
    pub due_on: Date,
    /// `open`, `submitted`, `closed` or `reopened`.
    pub stage: String,
    /// What the unit last reported it did.
    pub report: Option<String>,
    pub issued_by: String,
    pub updated_at: DateTimeUtc,
    pub closed_on: Option<Date>,
    /// Raised by every step.
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
