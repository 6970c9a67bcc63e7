//! What oversight of the dispatch gateway keeps: tasks villages report as having reached them
//! outside the platform (with evidence files), the violation ledger, notices (通报) with the
//! violations each covers, referrals for accountability (追责问责移交), and civil affairs'
//! answer on a disputed delivery.
//!
//! Files are stored as BLOBs; MySQL's `blob` holds only 64 KB, so there the file columns are
//! `mediumblob` (16 MB), including the admission attachments of migration 11.

use sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Report {
    Table,
    Id,
    Unit,
    Reporter,
    SenderDepartment,
    SenderName,
    SenderRegion,
    Channel,
    Title,
    Body,
    ReceivedOn,
    CitesItem,
    Outcome,
    Reasons,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReportEvidence {
    Table,
    Id,
    ReportId,
    Name,
    Mime,
    Size,
    Digest,
    Content,
    UploadedAt,
}

#[derive(DeriveIden)]
enum Violation {
    Table,
    Id,
    Source,
    SourceId,
    Department,
    DepartmentName,
    Region,
    Units,
    Title,
    Rule,
    Message,
    ItemCode,
    Day,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notice {
    Table,
    Id,
    Region,
    Issuer,
    Prefix,
    Year,
    Number,
    Title,
    Addressee,
    Body,
    PeriodFrom,
    PeriodTo,
    Stage,
    Drafter,
    DrafterName,
    Approver,
    ApproverName,
    ReturnReason,
    SignedOn,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NoticeViolation {
    Table,
    NoticeId,
    ViolationId,
}

#[derive(DeriveIden)]
enum Referral {
    Table,
    Id,
    Region,
    Department,
    DepartmentName,
    ReceivingBody,
    Reason,
    State,
    Outcome,
    ReferredBy,
    ReferredAt,
    ConcludedBy,
    ConcludedAt,
}

#[derive(DeriveIden)]
enum ReferralViolation {
    Table,
    ReferralId,
    ViolationId,
}

#[derive(DeriveIden)]
enum Delivery {
    Table,
    Ruling,
    RuledBy,
}

#[derive(DeriveIden)]
enum AdmissionAttachment {
    Table,
    Content,
}

/// A file's bytes, up to 16 MB on every backend.
fn file_column(backend: DatabaseBackend, name: impl IntoIden) -> ColumnDef {
    if backend == DatabaseBackend::MySql {
        ColumnDef::new(name)
            .custom(Alias::new("mediumblob"))
            .not_null()
            .to_owned()
    } else {
        blob(name)
    }
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    if unique {
        i.unique();
    }
    manager.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Report::Table)
                    .col(big_pk_auto(Report::Id))
                    .col(string_len(Report::Unit, 12))
                    .col(string_len(Report::Reporter, 64))
                    .col(string_len(Report::SenderDepartment, 32))
                    .col(string_len(Report::SenderName, 100))
                    .col(string_len(Report::SenderRegion, 12))
                    .col(string_len(Report::Channel, 16))
                    .col(string_len(Report::Title, 200))
                    .col(text(Report::Body))
                    .col(date(Report::ReceivedOn))
                    .col(string_len_null(Report::CitesItem, 16))
                    .col(string_len(Report::Outcome, 8))
                    .col(text(Report::Reasons))
                    .col(timestamp_with_time_zone(Report::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_report_unit",
            Report::Table,
            vec![Report::Unit.into_iden(), Report::Id.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReportEvidence::Table)
                    .col(big_pk_auto(ReportEvidence::Id))
                    .col(big_integer(ReportEvidence::ReportId))
                    .col(string_len(ReportEvidence::Name, 200))
                    .col(string_len(ReportEvidence::Mime, 100))
                    .col(integer(ReportEvidence::Size))
                    .col(string_len(ReportEvidence::Digest, 64))
                    .col(file_column(backend, ReportEvidence::Content))
                    .col(timestamp_with_time_zone(ReportEvidence::UploadedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_report_evidence",
            ReportEvidence::Table,
            vec![ReportEvidence::ReportId.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Violation::Table)
                    .col(big_pk_auto(Violation::Id))
                    .col(string_len(Violation::Source, 12))
                    .col(big_integer(Violation::SourceId))
                    .col(string_len(Violation::Department, 32))
                    .col(string_len(Violation::DepartmentName, 100))
                    .col(string_len(Violation::Region, 12))
                    .col(integer(Violation::Units))
                    .col(string_len(Violation::Title, 200))
                    .col(string_len(Violation::Rule, 40))
                    .col(text(Violation::Message))
                    .col(string_len_null(Violation::ItemCode, 16))
                    .col(date(Violation::Day))
                    .col(timestamp_with_time_zone(Violation::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // One violation per source record: a retried write cannot record it twice.
        index(
            manager,
            "ux_violation_source",
            Violation::Table,
            vec![
                Violation::Source.into_iden(),
                Violation::SourceId.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "ix_violation_region_day",
            Violation::Table,
            vec![Violation::Region.into_iden(), Violation::Day.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_violation_department",
            Violation::Table,
            vec![
                Violation::Department.into_iden(),
                Violation::Day.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notice::Table)
                    .col(big_pk_auto(Notice::Id))
                    .col(string_len(Notice::Region, 12))
                    .col(string_len(Notice::Issuer, 100))
                    .col(string_len(Notice::Prefix, 40))
                    .col(integer_null(Notice::Year))
                    .col(integer_null(Notice::Number))
                    .col(string_len(Notice::Title, 300))
                    .col(string_len(Notice::Addressee, 300))
                    .col(text(Notice::Body))
                    .col(date(Notice::PeriodFrom))
                    .col(date(Notice::PeriodTo))
                    .col(string_len(Notice::Stage, 12))
                    .col(string_len(Notice::Drafter, 64))
                    .col(string_len(Notice::DrafterName, 100))
                    .col(string_len_null(Notice::Approver, 64))
                    .col(string_len_null(Notice::ApproverName, 100))
                    .col(text_null(Notice::ReturnReason))
                    .col(date_null(Notice::SignedOn))
                    .col(timestamp_with_time_zone_null(Notice::PublishedAt))
                    .col(timestamp_with_time_zone(Notice::CreatedAt))
                    .col(timestamp_with_time_zone(Notice::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Document numbers are unique per issuer's code word and year (NULL until approved).
        index(
            manager,
            "ux_notice_number",
            Notice::Table,
            vec![
                Notice::Region.into_iden(),
                Notice::Prefix.into_iden(),
                Notice::Year.into_iden(),
                Notice::Number.into_iden(),
            ],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(NoticeViolation::Table)
                    .col(big_integer(NoticeViolation::NoticeId))
                    .col(big_integer(NoticeViolation::ViolationId))
                    .primary_key(
                        Index::create()
                            .col(NoticeViolation::NoticeId)
                            .col(NoticeViolation::ViolationId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Referral::Table)
                    .col(big_pk_auto(Referral::Id))
                    .col(string_len(Referral::Region, 12))
                    .col(string_len(Referral::Department, 32))
                    .col(string_len(Referral::DepartmentName, 100))
                    .col(string_len(Referral::ReceivingBody, 100))
                    .col(text(Referral::Reason))
                    .col(string_len(Referral::State, 12))
                    .col(text_null(Referral::Outcome))
                    .col(string_len(Referral::ReferredBy, 64))
                    .col(timestamp_with_time_zone(Referral::ReferredAt))
                    .col(string_len_null(Referral::ConcludedBy, 64))
                    .col(timestamp_with_time_zone_null(Referral::ConcludedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReferralViolation::Table)
                    .col(big_integer(ReferralViolation::ReferralId))
                    .col(big_integer(ReferralViolation::ViolationId))
                    .primary_key(
                        Index::create()
                            .col(ReferralViolation::ReferralId)
                            .col(ReferralViolation::ViolationId),
                    )
                    .to_owned(),
            )
            .await?;
        for col in [Delivery::Ruling, Delivery::RuledBy] {
            let def = if matches!(col, Delivery::Ruling) {
                text_null(col)
            } else {
                string_len_null(col, 64)
            };
            manager
                .alter_table(
                    Table::alter()
                        .table(Delivery::Table)
                        .add_column(def)
                        .to_owned(),
                )
                .await?;
        }
        if backend == DatabaseBackend::MySql {
            manager
                .alter_table(
                    Table::alter()
                        .table(AdmissionAttachment::Table)
                        .modify_column(file_column(backend, AdmissionAttachment::Content))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [Delivery::Ruling, Delivery::RuledBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Delivery::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            ReferralViolation::Table.into_iden(),
            Referral::Table.into_iden(),
            NoticeViolation::Table.into_iden(),
            Notice::Table.into_iden(),
            Violation::Table.into_iden(),
            ReportEvidence::Table.into_iden(),
            Report::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
