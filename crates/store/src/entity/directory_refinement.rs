//! A district's published refinement of one city directory; see `crate::catalog`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_refinement")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub district: String,
    pub number: i32,
    pub effective_from: Date,
    pub published_at: DateTimeUtc,
    pub published_by: String,
    pub adjustment_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
