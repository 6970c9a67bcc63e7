//! An inspection plan: its sample, its visibility, and for an unannounced plan its seal.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspection_plan")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_id: i64,
    pub region: String,
    pub title: String,
    /// `announced` or `unannounced`.
    pub visibility: String,
    /// `draft`, `sealed`, `announced` or `completed`.
    pub stage: String,
    /// Topic codes, comma-separated.
    pub topics: String,
    /// The sampling seed, decimal.
    pub seed: String,
    pub per_district: i32,
    /// SM3 of `sealed_text`, hex; registered when sealed.
    pub seal: Option<String>,
    /// The text the seal was taken of (with its nonce); shown once the plan is complete.
    pub sealed_text: Option<String>,
    pub sealed_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
