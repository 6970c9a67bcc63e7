//! SeaORM entities, one module per table.

pub mod account;
pub mod account_role;
pub mod adjustment;
pub mod adjustment_change;
pub mod adjustment_event;
pub mod admission;
pub mod admission_countersign;
pub mod admission_event;
pub mod admitted_task;
pub mod api_token;
pub mod audit_checkpoint;
pub mod audit_head;
pub mod audit_log;
pub mod audit_pending;
pub mod calendar_day;
pub mod department;
pub mod directory_item;
pub mod directory_refinement;
pub mod directory_version;
pub mod password_history;
pub mod refinement_entry;
pub mod region;
pub mod session;
