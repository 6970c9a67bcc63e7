//! A person's account; see `crate::account`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub region_code: String,
    pub department_code: Option<String>,
    pub password_hash: String,
    pub password_changed_at: DateTimeUtc,
    pub must_change_password: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub disabled: bool,
    pub is_demo: bool,
    pub created_at: DateTimeUtc,
    pub totp_secret: Option<String>,
    pub totp_last_step: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
