//! Mechanisms, signs and service centres (机制牌子与党群服务中心): each region's rule set (the
//! allowed signs and the least activity share), each unit's registry as last submitted with
//! the number of non-compliances found, and the clean-up list (清理整改清单) — one item per
//! non-compliance, with its deadline, closed when a later submission no longer shows it; the
//! photos of its signs and service centre; and the providers that take work off villages (工作方式), by the region they serve.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SignRuleSet {
    Table,
    Id,
    Region,
    MinActivityPercent,
    Rules,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SignageRegistry {
    Table,
    Id,
    Unit,
    Registry,
    NonCompliances,
    SubmittedBy,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum SignageCleanup {
    Table,
    Id,
    Unit,
    CheckCode,
    Object,
    Reason,
    FoundOn,
    DueOn,
    ClosedOn,
}

#[derive(DeriveIden)]
enum SignagePhoto {
    Table,
    Id,
    Unit,
    Subject,
    Name,
    Mime,
    Size,
    Digest,
    Content,
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum ServiceProvider {
    Table,
    Id,
    Region,
    Name,
    Kind,
    Provides,
    ItemCode,
    Contact,
    StartsOn,
    EndsOn,
    CreatedBy,
    CreatedAt,
}

/// A photo's bytes: MySQL's plain BLOB stops at 64 KB, so MEDIUMBLOB there (16 MB).
fn photo_column(backend: sea_orm::DatabaseBackend, name: impl IntoIden) -> ColumnDef {
    if backend == sea_orm::DatabaseBackend::MySql {
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
        use SignRuleSet as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(big_pk_auto(R::Id))
                    .col(string_len(R::Region, 12))
                    .col(integer(R::MinActivityPercent))
                    // The rules as JSON: read and written whole, never queried inside.
                    .col(text(R::Rules))
                    .col(string_len(R::UpdatedBy, 64))
                    .col(timestamp_with_time_zone(R::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_sign_rule_set_region",
            R::Table,
            vec![R::Region.into_iden()],
            true,
        )
        .await?;

        use SignageRegistry as G;
        manager
            .create_table(
                Table::create()
                    .table(G::Table)
                    .col(big_pk_auto(G::Id))
                    .col(string_len(G::Unit, 12))
                    .col(text(G::Registry))
                    .col(integer(G::NonCompliances))
                    .col(string_len(G::SubmittedBy, 64))
                    .col(timestamp_with_time_zone(G::SubmittedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_signage_registry_unit",
            G::Table,
            vec![G::Unit.into_iden()],
            true,
        )
        .await?;

        use SignageCleanup as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(big_pk_auto(C::Id))
                    .col(string_len(C::Unit, 12))
                    .col(string_len(C::CheckCode, 48))
                    .col(string_len(C::Object, 240))
                    .col(text(C::Reason))
                    .col(date(C::FoundOn))
                    .col(date(C::DueOn))
                    .col(date_null(C::ClosedOn))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_signage_cleanup_unit",
            C::Table,
            vec![C::Unit.into_iden(), C::ClosedOn.into_iden()],
            false,
        )
        .await?;

        use SignagePhoto as F;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .col(big_pk_auto(F::Id))
                    .col(string_len(F::Unit, 12))
                    // `centre`, or `sign:` and the sign's name.
                    .col(string_len(F::Subject, 240))
                    .col(string_len(F::Name, 200))
                    .col(string_len(F::Mime, 64))
                    .col(integer(F::Size))
                    .col(string_len(F::Digest, 64))
                    .col(photo_column(manager.get_database_backend(), F::Content))
                    .col(string_len(F::UploadedBy, 64))
                    .col(timestamp_with_time_zone(F::UploadedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_signage_photo_unit",
            F::Table,
            vec![F::Unit.into_iden()],
            false,
        )
        .await?;

        use ServiceProvider as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(big_pk_auto(P::Id))
                    // The unit, township, district or city it serves: every unit within.
                    .col(string_len(P::Region, 12))
                    .col(string_len(P::Name, 100))
                    .col(string_len(P::Kind, 32))
                    .col(text(P::Provides))
                    .col(string_len_null(P::ItemCode, 16))
                    .col(string_len(P::Contact, 100))
                    .col(date(P::StartsOn))
                    .col(date_null(P::EndsOn))
                    .col(string_len(P::CreatedBy, 64))
                    .col(timestamp_with_time_zone(P::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_service_provider_region",
            P::Table,
            vec![P::Region.into_iden()],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ServiceProvider::Table.into_iden(),
            SignagePhoto::Table.into_iden(),
            SignageCleanup::Table.into_iden(),
            SignageRegistry::Table.into_iden(),
            SignRuleSet::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
