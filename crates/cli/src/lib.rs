//! What the `jianfu` binary does, as a library so the integration tests drive the very same
//! code: configuration, opening (and on first start, filling) the database, imports and exports.

pub mod bootstrap;
pub mod config;
pub mod directory;
pub mod import;
pub mod webhook;
