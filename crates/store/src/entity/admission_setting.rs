//! The working-day deadlines of one level's admissions; see `crate::admission`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admission_setting")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
    pub notice_days: i32,
    pub review_days: i32,
    pub updated_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
