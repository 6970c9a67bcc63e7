//! The public verification's read and log made cheap: a covering index holds what the verifier
//! shows (so one lookup in one narrow B-tree answers it, where the table's rows are wide), and
//! the log loses its index on the certificate number — every verification inserted into it at a
//! random place in that index, so a batch of log rows dirtied as many index pages as it had rows.
//! The log is read by number only when an abuse is looked into, where a scan will do.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Certificate {
    Table,
    CertNo,
    Tag,
    Status,
    Listing,
    TypeName,
    UnitName,
    ApplicantName,
    IssuedOn,
}

#[derive(DeriveIden)]
enum Verification {
    Table,
    CertNo,
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    manager.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Certificate as C;
        index(
            manager,
            "ix_certificate_public",
            C::Table,
            vec![
                C::CertNo.into_iden(),
                C::Tag.into_iden(),
                C::Status.into_iden(),
                C::Listing.into_iden(),
                C::TypeName.into_iden(),
                C::UnitName.into_iden(),
                C::ApplicantName.into_iden(),
                C::IssuedOn.into_iden(),
            ],
        )
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_verification_cert")
                    .table(Verification::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            "ix_verification_cert",
            Verification::Table,
            vec![Verification::CertNo.into_iden()],
        )
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_certificate_public")
                    .table(Certificate::Table)
                    .to_owned(),
            )
            .await
    }
}
