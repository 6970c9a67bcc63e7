//! One change an adjustment proposes; the proposed item is JSON text. See `crate::catalog`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "adjustment_change")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub adjustment_id: i64,
    pub position: i32,
    /// `add`, `modify` or `retire`.
    pub op: String,
    pub code: String,
    pub item: Option<String>,
    /// The spreadsheet row it was imported from, if any.
    pub source_row: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
