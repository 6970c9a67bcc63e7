//! A violation a referral hands over.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_violation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub referral_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub violation_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
