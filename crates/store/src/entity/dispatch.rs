//! A task as sent to villages and communities; see `crate::dispatch`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dispatch")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub sender: String,
    pub sender_department: String,
    pub sender_name: String,
    pub sender_region: String,
    pub title: String,
    pub body: String,
    pub cites_item: Option<String>,
    pub cites_admission: Option<String>,
    pub due_date: Option<Date>,
    pub day: Date,
    /// The targets as asked (codes, JSON).
    pub targets: String,
    pub allowed: i32,
    pub flagged: i32,
    pub blocked: i32,
    pub idempotency_key: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
