//! The next certificate sequence of a unit in a year; see `crate::certificate::next_number`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate_counter")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit: String,
    pub year: i32,
    pub next: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
