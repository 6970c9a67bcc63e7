//! A unit's mechanisms, signs and service centre as last submitted (摸排自查).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signage_registry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit: String,
    /// `Registry` as JSON.
    pub registry: String,
    /// How many non-compliances the rules found at submission.
    pub non_compliances: i32,
    pub submitted_by: String,
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
