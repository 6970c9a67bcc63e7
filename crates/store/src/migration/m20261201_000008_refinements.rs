//! District refinements (区级细化) of the city's directories: an adjustment now belongs to the
//! city (no district) or to one district, and a district's published refinement is kept like a
//! city version: a numbered, immutable set of entries, one per refined city item.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Adjustment {
    Table,
    District,
}

#[derive(DeriveIden)]
enum DirectoryRefinement {
    Table,
    Id,
    Kind,
    District,
    Number,
    EffectiveFrom,
    PublishedAt,
    PublishedBy,
    AdjustmentId,
}

#[derive(DeriveIden)]
enum RefinementEntry {
    Table,
    Id,
    RefinementId,
    Code,
    Note,
    Applicability,
    ValidFrom,
    ValidTo,
    LocalBasis,
    Scope,
    Process,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Adjustment::Table)
                    .add_column(string_len_null(Adjustment::District, 12))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DirectoryRefinement::Table)
                    .col(big_pk_auto(DirectoryRefinement::Id))
                    .col(string_len(DirectoryRefinement::Kind, 32))
                    .col(string_len(DirectoryRefinement::District, 12))
                    .col(integer(DirectoryRefinement::Number))
                    .col(date(DirectoryRefinement::EffectiveFrom))
                    .col(timestamp_with_time_zone(DirectoryRefinement::PublishedAt))
                    .col(string_len(DirectoryRefinement::PublishedBy, 64))
                    .col(big_integer_null(DirectoryRefinement::AdjustmentId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_directory_refinement")
                    .table(DirectoryRefinement::Table)
                    .col(DirectoryRefinement::Kind)
                    .col(DirectoryRefinement::District)
                    .col(DirectoryRefinement::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefinementEntry::Table)
                    .col(big_pk_auto(RefinementEntry::Id))
                    .col(big_integer(RefinementEntry::RefinementId))
                    .col(string_len(RefinementEntry::Code, 16))
                    .col(text_null(RefinementEntry::Note))
                    .col(string_len_null(RefinementEntry::Applicability, 16))
                    .col(date_null(RefinementEntry::ValidFrom))
                    .col(date_null(RefinementEntry::ValidTo))
                    .col(text_null(RefinementEntry::LocalBasis))
                    .col(text_null(RefinementEntry::Scope))
                    .col(text_null(RefinementEntry::Process))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_refinement_entry")
                    .table(RefinementEntry::Table)
                    .col(RefinementEntry::RefinementId)
                    .col(RefinementEntry::Code)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RefinementEntry::Table.into_iden(),
            DirectoryRefinement::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Adjustment::Table)
                    .drop_column(Adjustment::District)
                    .to_owned(),
            )
            .await
    }
}
