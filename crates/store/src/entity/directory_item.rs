//! One item of a published directory version (never updated); see `crate::catalog`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_item")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub version_id: i64,
    pub code: String,
    pub name: String,
    pub category: String,
    pub basis: String,
    pub department: String,
    pub village_role: String,
    pub support: String,
    pub applicability: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub guide_materials: Option<String>,
    pub guide_conditions: Option<String>,
    pub guide_steps: Option<String>,
    pub guide_time_limit_days: Option<i32>,
    pub guide_demanding_agency: Option<String>,
    pub guide_template: Option<String>,
    pub refusal_guidance: Option<String>,
    pub source: String,
    pub is_demo: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
