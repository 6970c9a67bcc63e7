//! One public verification of a certificate number, written in batches.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verification")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cert_no: String,
    /// valid / revoked / superseded / forged / unknown
    pub outcome: String,
    /// A keyed digest of the client's address: enough to see abuse, not to find a person.
    pub client: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
