//! Code-first migrations, written once for every backend. Only portable SQL: no triggers, no
//! partial indexes, no JSON operators; string keys have explicit lengths so MySQL can index them.

use sea_orm_migration::prelude::*;

mod m20261128_000001_regions_and_departments;
mod m20261128_000002_audit_log;
mod m20261128_000003_accounts;
mod m20261128_000004_sessions_and_tokens;
mod m20261128_000005_second_factor;
mod m20261128_000006_audit_pending;
mod m20261128_000007_catalog;
mod m20261201_000008_refinements;
mod m20261201_000009_calendar;
mod m20261201_000010_admissions;
mod m20261202_000011_admission_work;
mod m20261202_000012_dispatches;
mod m20261202_000013_supervision;
mod m20261203_000014_certificates;
mod m20261204_000015_signage;
mod m20261204_000016_verification_reads;
mod m20261208_000017_inspections;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_regions_and_departments::Migration),
            Box::new(m20261128_000002_audit_log::Migration),
            Box::new(m20261128_000003_accounts::Migration),
            Box::new(m20261128_000004_sessions_and_tokens::Migration),
            Box::new(m20261128_000005_second_factor::Migration),
            Box::new(m20261128_000006_audit_pending::Migration),
            Box::new(m20261128_000007_catalog::Migration),
            Box::new(m20261201_000008_refinements::Migration),
            Box::new(m20261201_000009_calendar::Migration),
            Box::new(m20261201_000010_admissions::Migration),
            Box::new(m20261202_000011_admission_work::Migration),
            Box::new(m20261202_000012_dispatches::Migration),
            Box::new(m20261202_000013_supervision::Migration),
            Box::new(m20261203_000014_certificates::Migration),
            Box::new(m20261204_000015_signage::Migration),
            Box::new(m20261204_000016_verification_reads::Migration),
            Box::new(m20261208_000017_inspections::Migration),
        ]
    }
}
