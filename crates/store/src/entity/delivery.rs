//! One unit's copy of a dispatched task with its verdict; see `crate::dispatch`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dispatch_id: i64,
    pub unit: String,
    /// allowed, flagged or blocked.
    pub outcome: String,
    /// The verdict's reasons (JSON).
    pub reasons: String,
    pub state: String,
    pub state_note: Option<String>,
    /// Civil affairs' answer to a dispute.
    pub ruling: Option<String>,
    pub ruled_by: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
