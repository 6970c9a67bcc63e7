//! Guidance directories: published versions and their items (immutable once written), and
//! adjustments — drafts of changes with their procedure history. A draft's proposed items are
//! kept as JSON text: nothing queries inside them, and they become proper rows on publication.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DirectoryVersion {
    Table,
    Id,
    Kind,
    Number,
    EffectiveFrom,
    PublishedAt,
    PublishedBy,
    AdjustmentId,
}

#[derive(DeriveIden)]
enum DirectoryItem {
    Table,
    Id,
    VersionId,
    Code,
    Name,
    Category,
    Basis,
    Department,
    VillageRole,
    Support,
    Applicability,
    ValidFrom,
    ValidTo,
    GuideMaterials,
    GuideConditions,
    GuideSteps,
    GuideTimeLimitDays,
    GuideDemandingAgency,
    GuideTemplate,
    RefusalGuidance,
    Source,
    IsDemo,
}

#[derive(DeriveIden)]
enum Adjustment {
    Table,
    Id,
    Kind,
    Title,
    Reason,
    Basis,
    Stage,
    StageNote,
    BaseVersion,
    Drafter,
    CreatedAt,
    UpdatedAt,
    PublishedVersion,
    EffectiveFrom,
}

#[derive(DeriveIden)]
enum AdjustmentChange {
    Table,
    Id,
    AdjustmentId,
    Position,
    Op,
    Code,
    Item,
    SourceRow,
}

#[derive(DeriveIden)]
enum AdjustmentEvent {
    Table,
    Id,
    AdjustmentId,
    At,
    Actor,
    Role,
    Action,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DirectoryVersion::Table)
                    .col(big_pk_auto(DirectoryVersion::Id))
                    .col(string_len(DirectoryVersion::Kind, 32))
                    .col(integer(DirectoryVersion::Number))
                    .col(date(DirectoryVersion::EffectiveFrom))
                    .col(timestamp_with_time_zone(DirectoryVersion::PublishedAt))
                    .col(string_len(DirectoryVersion::PublishedBy, 64))
                    .col(big_integer_null(DirectoryVersion::AdjustmentId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_directory_version")
                    .table(DirectoryVersion::Table)
                    .col(DirectoryVersion::Kind)
                    .col(DirectoryVersion::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DirectoryItem::Table)
                    .col(big_pk_auto(DirectoryItem::Id))
                    .col(big_integer(DirectoryItem::VersionId))
                    .col(string_len(DirectoryItem::Code, 16))
                    .col(string_len(DirectoryItem::Name, 500))
                    .col(string_len(DirectoryItem::Category, 100))
                    .col(text(DirectoryItem::Basis))
                    .col(string_len(DirectoryItem::Department, 200))
                    .col(text(DirectoryItem::VillageRole))
                    .col(text(DirectoryItem::Support))
                    .col(string_len(DirectoryItem::Applicability, 16))
                    .col(date(DirectoryItem::ValidFrom))
                    .col(date_null(DirectoryItem::ValidTo))
                    .col(text_null(DirectoryItem::GuideMaterials))
                    .col(text_null(DirectoryItem::GuideConditions))
                    .col(text_null(DirectoryItem::GuideSteps))
                    .col(integer_null(DirectoryItem::GuideTimeLimitDays))
                    .col(string_len_null(DirectoryItem::GuideDemandingAgency, 200))
                    .col(text_null(DirectoryItem::GuideTemplate))
                    .col(text_null(DirectoryItem::RefusalGuidance))
                    .col(text(DirectoryItem::Source))
                    .col(boolean(DirectoryItem::IsDemo).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_directory_item")
                    .table(DirectoryItem::Table)
                    .col(DirectoryItem::VersionId)
                    .col(DirectoryItem::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Adjustment::Table)
                    .col(big_pk_auto(Adjustment::Id))
                    .col(string_len(Adjustment::Kind, 32))
                    .col(string_len(Adjustment::Title, 200))
                    .col(text(Adjustment::Reason))
                    .col(text(Adjustment::Basis))
                    .col(string_len(Adjustment::Stage, 16))
                    .col(text_null(Adjustment::StageNote))
                    .col(integer_null(Adjustment::BaseVersion))
                    .col(string_len(Adjustment::Drafter, 64))
                    .col(timestamp_with_time_zone(Adjustment::CreatedAt))
                    .col(timestamp_with_time_zone(Adjustment::UpdatedAt))
                    .col(integer_null(Adjustment::PublishedVersion))
                    .col(date_null(Adjustment::EffectiveFrom))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdjustmentChange::Table)
                    .col(big_pk_auto(AdjustmentChange::Id))
                    .col(big_integer(AdjustmentChange::AdjustmentId))
                    .col(integer(AdjustmentChange::Position))
                    .col(string_len(AdjustmentChange::Op, 8))
                    .col(string_len(AdjustmentChange::Code, 16))
                    .col(text_null(AdjustmentChange::Item))
                    .col(integer_null(AdjustmentChange::SourceRow))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_adjustment_change")
                    .table(AdjustmentChange::Table)
                    .col(AdjustmentChange::AdjustmentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdjustmentEvent::Table)
                    .col(big_pk_auto(AdjustmentEvent::Id))
                    .col(big_integer(AdjustmentEvent::AdjustmentId))
                    .col(timestamp_with_time_zone(AdjustmentEvent::At))
                    .col(string_len(AdjustmentEvent::Actor, 64))
                    .col(string_len(AdjustmentEvent::Role, 32))
                    .col(string_len(AdjustmentEvent::Action, 16))
                    .col(text_null(AdjustmentEvent::Note))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_adjustment_event")
                    .table(AdjustmentEvent::Table)
                    .col(AdjustmentEvent::AdjustmentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AdjustmentEvent::Table.into_iden(),
            AdjustmentChange::Table.into_iden(),
            Adjustment::Table.into_iden(),
            DirectoryItem::Table.into_iden(),
            DirectoryVersion::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
