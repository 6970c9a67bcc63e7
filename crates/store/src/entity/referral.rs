//! A referral for accountability (追责问责移交); see `crate::violation`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub region: String,
    pub department: String,
    pub department_name: String,
    /// The body it was handed to, e.g. 区纪委监委.
    pub receiving_body: String,
    pub reason: String,
    /// referred or concluded.
    pub state: String,
    pub outcome: Option<String>,
    pub referred_by: String,
    pub referred_at: DateTimeUtc,
    pub concluded_by: Option<String>,
    pub concluded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
