//! One step of an admission's procedure (who, when, what, why); see `crate::admission`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admission_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub admission_id: i64,
    pub at: DateTimeUtc,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub stage: String,
    pub note: Option<String>,
    /// The signer's display name and department on the day (older events have none).
    pub actor_name: Option<String>,
    pub actor_department: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
