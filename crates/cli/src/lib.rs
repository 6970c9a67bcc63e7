//! What the `jianfu` binary does, as a library so the integration tests drive the very same
//! code: configuration, opening (and on first start, filling) the database, and imports.

pub mod bootstrap;
pub mod config;
pub mod import;
