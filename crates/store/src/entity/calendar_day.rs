//! A day an official holiday notice names; see `crate::calendar`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_day")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub day: Date,
    pub kind: String,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
