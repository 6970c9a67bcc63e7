//! Party, government and mass-organisation bodies (党政群机构). Each is attached to the region of
//! its level: Tianjin's city-level bodies to 天津市, a district's to that district.

use serde::Serialize;

use crate::RegionCode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub code: String,
    /// The short name officials use (市民政局).
    pub name: String,
    pub full_name: String,
    /// 党委工作机关 / 政府工作部门 / 群团组织 / 其他.
    pub category: String,
    pub region_code: RegionCode,
    /// True where the entry is not taken from a published source.
    pub is_demo: bool,
    pub source: String,
}
