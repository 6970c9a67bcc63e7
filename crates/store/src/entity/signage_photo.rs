//! A photo of a unit's sign or of its service centre.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signage_photo")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit: String,
    /// `centre`, or `sign:` and the sign's name.
    pub subject: String,
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
