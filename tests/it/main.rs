//! The one integration-test binary. Every test that touches a database runs on SQLite, and also
//! on PostgreSQL and MySQL when `JIANFU_TEST_POSTGRES_URL` / `JIANFU_TEST_MYSQL_URL` are set;
//! each run gets a database of its own.

mod support;

mod accounts;
mod adjustments_api;
mod admin;
mod admissions;
mod admissions_api;
mod audit;
mod auth;
mod calendar;
mod catalog;
mod catalog_pages;
mod certificates;
mod cli;
mod crash;
mod dispatch_check;
mod import;
mod inspections;
mod pages;
mod refinements;
mod regions_api;
mod scope;
mod signage;
mod violations;
