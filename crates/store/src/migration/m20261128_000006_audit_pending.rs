//! Pending audit records and the purge anchor. A business transaction writes its audit record
//! here with one INSERT and no lock; the chainer moves pending records into the SM3 chain right
//! after commit. The head remembers where the chain starts once old records were purged.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditPending {
    Table,
    Id,
    At,
    Actor,
    Role,
    SourceIp,
    Event,
    Object,
    Result,
    Before,
    After,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    FirstSeq,
    BaseHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditPending::Table)
                    .col(big_pk_auto(AuditPending::Id))
                    .col(string_len(AuditPending::At, 32))
                    .col(string_len(AuditPending::Actor, 64))
                    .col(string_len(AuditPending::Role, 32))
                    .col(string_len(AuditPending::SourceIp, 64))
                    .col(string_len(AuditPending::Event, 64))
                    .col(string_len(AuditPending::Object, 500))
                    .col(string_len(AuditPending::Result, 16))
                    .col(text_null(AuditPending::Before))
                    .col(text_null(AuditPending::After))
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite cannot add several in one ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(AuditHead::Table)
                    .add_column(big_integer(AuditHead::FirstSeq).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditHead::Table)
                    .add_column(
                        string_len(AuditHead::BaseHash, 64)
                            .default(jianfu_domain::audit::GENESIS_HASH),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [AuditHead::BaseHash, AuditHead::FirstSeq] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditHead::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AuditPending::Table).to_owned())
            .await
    }
}
