//! An application for admission (准入申请) and where its procedure stands; see `crate::admission`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "admission")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub region: String,
    pub department: String,
    pub applicant: String,
    pub title: String,
    pub content: String,
    pub basis: String,
    pub scope: String,
    pub starts_on: Date,
    pub ends_on: Date,
    pub workload_minutes: i32,
    pub support: String,
    pub permanent: bool,
    pub co_departments: String,
    pub stage: String,
    pub stage_note: Option<String>,
    pub reviewer: Option<String>,
    pub idempotency_key: Option<String>,
    pub step_since: Date,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
