//! A directory adjustment (动态调整) and where its procedure stands; see `crate::catalog`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "adjustment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub reason: String,
    pub basis: String,
    pub stage: String,
    pub stage_note: Option<String>,
    pub base_version: Option<i32>,
    pub drafter: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_version: Option<i32>,
    pub effective_from: Option<Date>,
    /// The district whose refinement this is; none for the city base.
    pub district: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
