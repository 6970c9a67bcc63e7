//! Admissions (准入): applications with their procedure history and countersignatures, and the
//! admitted tasks approved applications become. Scopes and co-departments are kept as JSON text:
//! nothing queries inside them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Admission {
    Table,
    Id,
    Region,
    Department,
    Applicant,
    Title,
    Content,
    Basis,
    Scope,
    StartsOn,
    EndsOn,
    WorkloadMinutes,
    Support,
    Permanent,
    CoDepartments,
    Stage,
    StageNote,
    Reviewer,
    IdempotencyKey,
    StepSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AdmissionEvent {
    Table,
    Id,
    AdmissionId,
    At,
    Actor,
    Role,
    Action,
    Stage,
    Note,
}

#[derive(DeriveIden)]
enum AdmissionCountersign {
    Table,
    Id,
    AdmissionId,
    Round,
    Department,
    Agree,
    Comment,
    Actor,
    At,
}

#[derive(DeriveIden)]
enum AdmittedTask {
    Table,
    Id,
    Code,
    AdmissionId,
    Region,
    Title,
    Scope,
    StartsOn,
    EndsOn,
    ApprovedAt,
    RevokedAt,
    RevokeReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Admission::Table)
                    .col(big_pk_auto(Admission::Id))
                    .col(string_len(Admission::Region, 12))
                    .col(string_len(Admission::Department, 32))
                    .col(string_len(Admission::Applicant, 64))
                    .col(string_len(Admission::Title, 200))
                    .col(text(Admission::Content))
                    .col(text(Admission::Basis))
                    .col(text(Admission::Scope))
                    .col(date(Admission::StartsOn))
                    .col(date(Admission::EndsOn))
                    .col(integer(Admission::WorkloadMinutes))
                    .col(text(Admission::Support))
                    .col(boolean(Admission::Permanent).default(false))
                    .col(text(Admission::CoDepartments))
                    .col(string_len(Admission::Stage, 16))
                    .col(text_null(Admission::StageNote))
                    .col(string_len_null(Admission::Reviewer, 64))
                    .col(string_len_null(Admission::IdempotencyKey, 64))
                    .col(date(Admission::StepSince))
                    .col(timestamp_with_time_zone(Admission::CreatedAt))
                    .col(timestamp_with_time_zone(Admission::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_admission_idempotency")
                    .table(Admission::Table)
                    .col(Admission::Applicant)
                    .col(Admission::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdmissionEvent::Table)
                    .col(big_pk_auto(AdmissionEvent::Id))
                    .col(big_integer(AdmissionEvent::AdmissionId))
                    .col(timestamp_with_time_zone(AdmissionEvent::At))
                    .col(string_len(AdmissionEvent::Actor, 64))
                    .col(string_len(AdmissionEvent::Role, 32))
                    .col(string_len(AdmissionEvent::Action, 16))
                    .col(string_len(AdmissionEvent::Stage, 16))
                    .col(text_null(AdmissionEvent::Note))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_admission_event")
                    .table(AdmissionEvent::Table)
                    .col(AdmissionEvent::AdmissionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdmissionCountersign::Table)
                    .col(big_pk_auto(AdmissionCountersign::Id))
                    .col(big_integer(AdmissionCountersign::AdmissionId))
                    .col(integer(AdmissionCountersign::Round))
                    .col(string_len(AdmissionCountersign::Department, 32))
                    .col(boolean(AdmissionCountersign::Agree))
                    .col(text(AdmissionCountersign::Comment))
                    .col(string_len(AdmissionCountersign::Actor, 64))
                    .col(timestamp_with_time_zone(AdmissionCountersign::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_admission_countersign")
                    .table(AdmissionCountersign::Table)
                    .col(AdmissionCountersign::AdmissionId)
                    .col(AdmissionCountersign::Round)
                    .col(AdmissionCountersign::Department)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdmittedTask::Table)
                    .col(big_pk_auto(AdmittedTask::Id))
                    .col(string_len(AdmittedTask::Code, 32))
                    .col(big_integer(AdmittedTask::AdmissionId))
                    .col(string_len(AdmittedTask::Region, 12))
                    .col(string_len(AdmittedTask::Title, 200))
                    .col(text(AdmittedTask::Scope))
                    .col(date(AdmittedTask::StartsOn))
                    .col(date(AdmittedTask::EndsOn))
                    .col(timestamp_with_time_zone(AdmittedTask::ApprovedAt))
                    .col(timestamp_with_time_zone_null(AdmittedTask::RevokedAt))
                    .col(text_null(AdmittedTask::RevokeReason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_admitted_task_code")
                    .table(AdmittedTask::Table)
                    .col(AdmittedTask::Code)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AdmittedTask::Table.into_iden(),
            AdmissionCountersign::Table.into_iden(),
            AdmissionEvent::Table.into_iden(),
            Admission::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
