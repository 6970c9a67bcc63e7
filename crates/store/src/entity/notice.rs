//! A notice (通报) on violations; see `crate::notice`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notice")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The issuing level's region (the city or a district).
    pub region: String,
    /// 发文机关, e.g. 天津市民政局.
    pub issuer: String,
    /// The code word of the document number (机关代字).
    pub prefix: String,
    pub year: Option<i32>,
    pub number: Option<i32>,
    pub title: String,
    pub addressee: String,
    pub body: String,
    pub period_from: Date,
    pub period_to: Date,
    pub stage: String,
    pub drafter: String,
    pub drafter_name: String,
    pub approver: Option<String>,
    pub approver_name: Option<String>,
    pub return_reason: Option<String>,
    pub signed_on: Option<Date>,
    pub published_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// `violations` or `inspections` (`jianfu_domain::notice::NoticeSubject`).
    pub subject: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
