//! A use of a village's seal (用章登记); see `crate::certificate`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seal_use")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit: String,
    pub used_on: Date,
    /// `certificate` (for a certificate, which the ledger must hold) or `other`.
    pub kind: String,
    pub purpose: String,
    pub document: String,
    /// The certificate the seal was used for, if any.
    pub cert_no: Option<String>,
    pub recorded_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
