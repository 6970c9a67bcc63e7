//! Where a department's own system hears of its admissions; see `crate::webhook`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "department_webhook")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub department: String,
    pub url: String,
    /// The signing secret, sealed with the key file's field key (hex).
    pub secret: String,
    pub updated_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
