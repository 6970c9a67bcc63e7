//! One refined city item in a district's published refinement; see `crate::catalog`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refinement_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub refinement_id: i64,
    pub code: String,
    pub note: Option<String>,
    pub applicability: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub local_basis: Option<String>,
    pub scope: Option<String>,
    pub process: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
