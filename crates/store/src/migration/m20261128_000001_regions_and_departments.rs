//! The administrative tree and the departments attached to it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Region {
    Table,
    Id,
    Code,
    Name,
    Level,
    Kind,
    ParentCode,
    ChildrenCount,
    ValidFrom,
    ValidTo,
}

#[derive(DeriveIden)]
enum Department {
    Table,
    Id,
    Code,
    Name,
    FullName,
    Category,
    RegionCode,
    IsDemo,
    Source,
    ValidFrom,
    ValidTo,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Region::Table)
                    .col(big_pk_auto(Region::Id))
                    .col(string_len(Region::Code, 12))
                    .col(string_len(Region::Name, 200))
                    .col(string_len(Region::Level, 16))
                    .col(string_len(Region::Kind, 16))
                    .col(string_len_null(Region::ParentCode, 12))
                    .col(integer(Region::ChildrenCount).default(0))
                    .col(date(Region::ValidFrom))
                    .col(date_null(Region::ValidTo))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ux_region_code_from", vec![Region::Code, Region::ValidFrom]),
            (
                "ix_region_parent",
                vec![Region::ParentCode, Region::ValidTo],
            ),
            ("ix_region_level", vec![Region::Level, Region::ValidTo]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Region::Table);
            if name.starts_with("ux_") {
                index.unique();
            }
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Department::Table)
                    .col(big_pk_auto(Department::Id))
                    .col(string_len(Department::Code, 32))
                    .col(string_len(Department::Name, 100))
                    .col(string_len(Department::FullName, 200))
                    .col(string_len(Department::Category, 32))
                    .col(string_len(Department::RegionCode, 12))
                    .col(boolean(Department::IsDemo).default(false))
                    .col(string_len(Department::Source, 500))
                    .col(date(Department::ValidFrom))
                    .col(date_null(Department::ValidTo))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_department_code_from")
                    .table(Department::Table)
                    .col(Department::Code)
                    .col(Department::ValidFrom)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_department_region")
                    .table(Department::Table)
                    .col(Department::RegionCode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Department::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Region::Table).to_owned())
            .await
    }
}
