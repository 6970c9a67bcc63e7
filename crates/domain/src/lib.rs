//! Pure rules and types of jianfu. No IO and no async: everything here can be unit- and
//! property-tested in isolation, and every other crate builds on these types.

pub mod account;
pub mod audit;
pub mod catalog;
pub mod department;
pub mod error;
pub mod page;
pub mod region;
pub mod region_import;

pub use department::Department;
pub use error::{Error, ErrorKind};
pub use page::{Page, PageRequest};
pub use region::{Level, Region, RegionCode, RegionKind};
