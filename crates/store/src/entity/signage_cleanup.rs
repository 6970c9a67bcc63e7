//! One item of a unit's clean-up list: a non-compliance to rectify by its deadline.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signage_cleanup")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit: String,
    /// The check's stable code (`sign.outside_not_allowed`…).
    pub check_code: String,
    pub object: String,
    pub reason: String,
    pub found_on: Date,
    pub due_on: Date,
    /// The day a submission no longer showed it.
    pub closed_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
