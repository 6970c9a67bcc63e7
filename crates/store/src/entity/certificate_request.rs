//! A village's request for a certificate, issued or refused; see `crate::certificate`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate_request")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit: String,
    pub requested_by: String,
    /// The list item's code; empty for an unlisted type.
    pub type_code: String,
    pub type_name: String,
    /// `jianfu_domain::certificate::Listing` code.
    pub listing: String,
    pub list_version: Option<i32>,
    /// 要求开具单位
    pub demanding_agency: String,
    pub purpose: String,
    pub message: String,
    pub guidance: String,
    pub consulted_on: Option<Date>,
    pub consult_participants: Option<String>,
    pub consult_summary: Option<String>,
    pub director: Option<String>,
    /// The certificate issued, if one was.
    pub cert_no: Option<String>,
    pub idempotency_key: Option<String>,
    /// Beijing day of the request.
    pub day: Date,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
