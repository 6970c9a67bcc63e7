//! SeaORM entities, one module per table.

pub mod department;
pub mod region;
