//! A region's rule on certificates the lists do not name.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate_rule")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub region: String,
    /// May an unlisted type go through a residents' consultation and the director's signature?
    pub allow_consulted: bool,
    pub updated_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
