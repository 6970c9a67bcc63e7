//! A file of an inspection: a finding's photo, or a unit's evidence of its rectification.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspection_evidence")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub finding_id: i64,
    /// Set when the unit uploaded it with its rectification.
    pub rectification_id: Option<i64>,
    pub name: String,
    pub mime: String,
    pub size: i32,
    /// SM3 of the content, hex.
    pub digest: String,
    pub content: Vec<u8>,
    pub uploaded_by: String,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
