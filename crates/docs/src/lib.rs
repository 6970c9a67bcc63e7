//! Documents in and out: reading the tables people hand us — CSV in UTF-8 (with or
//! without BOM) or GB18030, plain or gzip-compressed, and Excel workbooks — into rows that keep
//! the row number a spreadsheet shows, so every complaint can name its row — and writing the
//! spreadsheets people download and fill in (directory templates and versions).

pub mod calendar;
pub mod directory;
pub mod qr;
pub mod refinement;
pub mod regions;
pub mod sign_rules;
pub mod table;
pub mod xlsx;

pub use table::{ReadError, Table, read_table};
