//! A task a village reported as reaching it outside the platform; see `crate::report`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit: String,
    pub reporter: String,
    pub sender_department: String,
    pub sender_name: String,
    pub sender_region: String,
    pub channel: String,
    pub title: String,
    pub body: String,
    pub received_on: Date,
    pub cites_item: Option<String>,
    pub outcome: String,
    /// The verdict's reasons (JSON).
    pub reasons: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
