//! One step of a rectification: issued, submitted, accepted or reopened.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rectification_step")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub rectification_id: i64,
    pub action: String,
    pub actor: String,
    pub role: String,
    pub note: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
