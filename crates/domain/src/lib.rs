//! Pure rules and types of jianfu. No IO and no async: everything here can be unit- and
//! property-tested in isolation, and every other crate builds on these types.

pub mod account;
pub mod admission;
pub mod audit;
pub mod campaign;
pub mod catalog;
pub mod certificate;
pub mod delivery;
pub mod department;
pub mod error;
pub mod inspection;
pub mod notice;
pub mod page;
pub mod rectification;
pub mod region;
pub mod region_import;
pub mod signage;
pub mod verdict;
pub mod violation;
pub mod work_method;
pub mod workday;

pub use department::Department;
pub use error::{Error, ErrorKind};
pub use page::{Page, PageRequest};
pub use region::{Level, Region, RegionCode, RegionKind};

/// The day in Beijing at `at`: directories take effect, and deadlines count, by the officials'
/// calendar, while times are stored in UTC.
pub fn beijing_date(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    (at + chrono::Duration::hours(8)).date_naive()
}

#[cfg(test)]
mod tests {
    #[test]
    fn beijing_days_start_at_16_utc() {
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert_eq!(
            super::beijing_date(at("2026-12-01T15:59:59Z")).to_string(),
            "2026-12-01"
        );
        assert_eq!(
            super::beijing_date(at("2026-12-01T16:00:00Z")).to_string(),
            "2026-12-02"
        );
    }
}
