//! The holiday calendar: the days the State Council's annual notices make holidays or make-up
//! working days. Every other day is a working day if it is a weekday.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CalendarDay {
    Table,
    Id,
    Day,
    Kind,
    Name,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CalendarDay::Table)
                    .col(big_pk_auto(CalendarDay::Id))
                    .col(date(CalendarDay::Day))
                    .col(string_len(CalendarDay::Kind, 8))
                    .col(string_len(CalendarDay::Name, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_calendar_day")
                    .table(CalendarDay::Table)
                    .col(CalendarDay::Day)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CalendarDay::Table).to_owned())
            .await
    }
}
