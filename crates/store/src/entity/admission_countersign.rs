//! A co-department's countersignature (会签) in one round of an admission; see `crate::admission`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admission_countersign")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub admission_id: i64,
    pub round: i32,
    pub department: String,
    pub agree: bool,
    pub comment: String,
    pub actor: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
