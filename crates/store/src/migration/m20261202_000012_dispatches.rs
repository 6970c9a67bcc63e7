//! Dispatches (任务派发): a task as sent, with one delivery per village-level unit it reached
//! and that unit's verdict; written in one transaction so a dispatch is never half delivered.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Dispatch {
    Table,
    Id,
    Sender,
    SenderDepartment,
    SenderName,
    SenderRegion,
    Title,
    Body,
    CitesItem,
    CitesAdmission,
    DueDate,
    Day,
    Targets,
    Allowed,
    Flagged,
    Blocked,
    IdempotencyKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Delivery {
    Table,
    Id,
    DispatchId,
    Unit,
    Outcome,
    Reasons,
    State,
    StateNote,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Dispatch::Table)
                    .col(big_pk_auto(Dispatch::Id))
                    .col(string_len(Dispatch::Sender, 64))
                    .col(string_len(Dispatch::SenderDepartment, 32))
                    .col(string_len(Dispatch::SenderName, 100))
                    .col(string_len(Dispatch::SenderRegion, 12))
                    .col(string_len(Dispatch::Title, 200))
                    .col(text(Dispatch::Body))
                    .col(string_len_null(Dispatch::CitesItem, 16))
                    .col(string_len_null(Dispatch::CitesAdmission, 32))
                    .col(date_null(Dispatch::DueDate))
                    .col(date(Dispatch::Day))
                    .col(text(Dispatch::Targets))
                    .col(integer(Dispatch::Allowed))
                    .col(integer(Dispatch::Flagged))
                    .col(integer(Dispatch::Blocked))
                    .col(string_len_null(Dispatch::IdempotencyKey, 64))
                    .col(timestamp_with_time_zone(Dispatch::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_dispatch_idempotency")
                    .table(Dispatch::Table)
                    .col(Dispatch::Sender)
                    .col(Dispatch::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Delivery::Table)
                    .col(big_pk_auto(Delivery::Id))
                    .col(big_integer(Delivery::DispatchId))
                    .col(string_len(Delivery::Unit, 12))
                    .col(string_len(Delivery::Outcome, 8))
                    .col(text(Delivery::Reasons))
                    .col(string_len(Delivery::State, 12))
                    .col(text_null(Delivery::StateNote))
                    .col(timestamp_with_time_zone(Delivery::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_delivery_dispatch")
                    .table(Delivery::Table)
                    .col(Delivery::DispatchId)
                    .to_owned(),
            )
            .await?;
        // A unit's inbox: its deliveries, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_delivery_unit")
                    .table(Delivery::Table)
                    .col(Delivery::Unit)
                    .col(Delivery::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Delivery::Table.into_iden(), Dispatch::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
