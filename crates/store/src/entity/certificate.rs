//! An issued certificate; see `crate::certificate`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cert_no: String,
    pub request_id: i64,
    pub unit: String,
    pub unit_name: String,
    pub year: i32,
    pub seq: i32,
    pub type_code: String,
    pub type_name: String,
    pub listing: String,
    pub list_version: Option<i32>,
    pub applicant_name: String,
    /// The identity number, SM4-GCM with the number as associated data.
    pub id_cipher: Vec<u8>,
    pub id_masked: String,
    /// HMAC-SM3 of the identity number, hex: what the signature covers instead of the number.
    pub id_digest: String,
    pub purpose: String,
    pub demanding_agency: String,
    pub details: String,
    pub body: String,
    pub issued_on: Date,
    pub issued_at: DateTimeUtc,
    pub issued_by: String,
    /// SM3 of the canonical content, hex.
    pub content_sm3: String,
    /// SM2 signature over the canonical content, hex.
    pub signature: String,
    pub key_id: String,
    /// The verification tag the QR code carries.
    pub tag: String,
    pub status: String,
    pub status_since: DateTimeUtc,
    /// Signature over the status statement, hex.
    pub status_signature: String,
    pub status_key_id: String,
    /// Why it was revoked or reissued.
    pub reason: Option<String>,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
