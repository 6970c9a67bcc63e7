//! The audit log: records chained by SM3 in an explicit sequence, the chain head (one row, the
//! lock every appender takes, so the chain stays linear across app nodes), and signed checkpoints.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Seq,
    At,
    Actor,
    Role,
    SourceIp,
    Event,
    Object,
    Result,
    Before,
    After,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum AuditCheckpoint {
    Table,
    Id,
    Seq,
    Hash,
    KeyId,
    Algorithm,
    Signature,
    SignedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(big_integer_uniq(AuditLog::Seq))
                    .col(string_len(AuditLog::At, 32))
                    .col(string_len(AuditLog::Actor, 64))
                    .col(string_len(AuditLog::Role, 32))
                    .col(string_len(AuditLog::SourceIp, 64))
                    .col(string_len(AuditLog::Event, 64))
                    .col(string_len(AuditLog::Object, 500))
                    .col(string_len(AuditLog::Result, 16))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .col(string_len(AuditLog::PrevHash, 64))
                    .col(string_len(AuditLog::Hash, 64))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_audit_at", AuditLog::At),
            ("ix_audit_event", AuditLog::Event),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditLog::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .col(integer(AuditHead::Id).primary_key())
                    .col(big_integer(AuditHead::Seq))
                    .col(string_len(AuditHead::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                    .values_panic([
                        1.into(),
                        0i64.into(),
                        jianfu_domain::audit::GENESIS_HASH.into(),
                    ])
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditCheckpoint::Table)
                    .col(big_pk_auto(AuditCheckpoint::Id))
                    .col(big_integer_uniq(AuditCheckpoint::Seq))
                    .col(string_len(AuditCheckpoint::Hash, 64))
                    .col(string_len(AuditCheckpoint::KeyId, 64))
                    .col(string_len(AuditCheckpoint::Algorithm, 16))
                    .col(text(AuditCheckpoint::Signature))
                    .col(string_len(AuditCheckpoint::SignedAt, 32))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditCheckpoint::Table.into_iden(),
            AuditHead::Table.into_iden(),
            AuditLog::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
