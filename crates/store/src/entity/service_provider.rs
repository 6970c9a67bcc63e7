//! A provider that takes work off villages: what it provides, and the region it serves.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_provider")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Every unit within it is served.
    pub region: String,
    pub name: String,
    /// government_purchase / social_organisation / volunteers
    pub kind: String,
    pub provides: String,
    pub item_code: Option<String>,
    pub contact: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
