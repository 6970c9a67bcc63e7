//! Certificates (证明事项): every request a village makes, issued or refused, with the agency
//! that demanded it; the issued certificates (identity numbers SM4-encrypted, the content
//! signed, the status signed again at each change); the number counter per unit and year;
//! seal uses; the template per certificate type; the region's rule on unlisted types; and the
//! log of public verifications.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CertificateRequest {
    Table,
    Id,
    Unit,
    RequestedBy,
    TypeCode,
    TypeName,
    Listing,
    ListVersion,
    DemandingAgency,
    Purpose,
    Message,
    Guidance,
    ConsultedOn,
    ConsultParticipants,
    ConsultSummary,
    Director,
    CertNo,
    IdempotencyKey,
    Day,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Certificate {
    Table,
    Id,
    CertNo,
    RequestId,
    Unit,
    UnitName,
    Year,
    Seq,
    TypeCode,
    TypeName,
    Listing,
    ListVersion,
    ApplicantName,
    IdCipher,
    IdMasked,
    IdDigest,
    Purpose,
    DemandingAgency,
    Details,
    Body,
    IssuedOn,
    IssuedAt,
    IssuedBy,
    ContentSm3,
    Signature,
    KeyId,
    Tag,
    Status,
    StatusSince,
    StatusSignature,
    StatusKeyId,
    Reason,
    Supersedes,
    SupersededBy,
}

#[derive(DeriveIden)]
enum CertificateCounter {
    Table,
    Id,
    Unit,
    Year,
    Next,
}

#[derive(DeriveIden)]
enum SealUse {
    Table,
    Id,
    Unit,
    UsedOn,
    Kind,
    Purpose,
    Document,
    CertNo,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CertificateTemplate {
    Table,
    Id,
    TypeCode,
    Body,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CertificateRule {
    Table,
    Id,
    Region,
    AllowConsulted,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Verification {
    Table,
    Id,
    CertNo,
    Outcome,
    Client,
    At,
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
        use CertificateRequest as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(big_pk_auto(R::Id))
                    .col(string_len(R::Unit, 12))
                    .col(string_len(R::RequestedBy, 64))
                    .col(string_len(R::TypeCode, 16))
                    .col(string_len(R::TypeName, 200))
                    .col(string_len(R::Listing, 16))
                    .col(integer_null(R::ListVersion))
                    .col(string_len(R::DemandingAgency, 200))
                    .col(string_len(R::Purpose, 300))
                    .col(text(R::Message))
                    .col(text(R::Guidance))
                    .col(date_null(R::ConsultedOn))
                    .col(text_null(R::ConsultParticipants))
                    .col(text_null(R::ConsultSummary))
                    .col(string_len_null(R::Director, 100))
                    .col(string_len_null(R::CertNo, 32))
                    .col(string_len_null(R::IdempotencyKey, 64))
                    .col(date(R::Day))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_certificate_request_unit",
            R::Table,
            vec![R::Unit.into_iden(), R::Day.into_iden()],
            false,
        )
        .await?;
        // A retried request with the same key finds the first one's outcome.
        index(
            manager,
            "ux_certificate_request_key",
            R::Table,
            vec![R::RequestedBy.into_iden(), R::IdempotencyKey.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_certificate_request_day",
            R::Table,
            vec![R::Day.into_iden()],
            false,
        )
        .await?;

        use Certificate as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(big_pk_auto(C::Id))
                    .col(string_len(C::CertNo, 32))
                    .col(big_integer(C::RequestId))
                    .col(string_len(C::Unit, 12))
                    .col(string_len(C::UnitName, 100))
                    .col(integer(C::Year))
                    .col(integer(C::Seq))
                    .col(string_len(C::TypeCode, 16))
                    .col(string_len(C::TypeName, 200))
                    .col(string_len(C::Listing, 16))
                    .col(integer_null(C::ListVersion))
                    .col(string_len(C::ApplicantName, 100))
                    .col(blob(C::IdCipher))
                    .col(string_len(C::IdMasked, 18))
                    .col(string_len(C::IdDigest, 64))
                    .col(string_len(C::Purpose, 300))
                    .col(string_len(C::DemandingAgency, 200))
                    .col(text(C::Details))
                    .col(text(C::Body))
                    .col(date(C::IssuedOn))
                    .col(timestamp_with_time_zone(C::IssuedAt))
                    .col(string_len(C::IssuedBy, 64))
                    .col(string_len(C::ContentSm3, 64))
                    .col(text(C::Signature))
                    .col(string_len(C::KeyId, 64))
                    .col(string_len(C::Tag, 32))
                    .col(string_len(C::Status, 16))
                    .col(timestamp_with_time_zone(C::StatusSince))
                    .col(text(C::StatusSignature))
                    .col(string_len(C::StatusKeyId, 64))
                    .col(text_null(C::Reason))
                    .col(string_len_null(C::Supersedes, 32))
                    .col(string_len_null(C::SupersededBy, 32))
                    .to_owned(),
            )
            .await?;
        // The number is the certificate's identity: one row per number, whichever node wrote it.
        index(
            manager,
            "ux_certificate_no",
            C::Table,
            vec![C::CertNo.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ux_certificate_seq",
            C::Table,
            vec![C::Unit.into_iden(), C::Year.into_iden(), C::Seq.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_certificate_issued",
            C::Table,
            vec![C::IssuedOn.into_iden()],
            false,
        )
        .await?;

        use CertificateCounter as N;
        manager
            .create_table(
                Table::create()
                    .table(N::Table)
                    .col(big_pk_auto(N::Id))
                    .col(string_len(N::Unit, 12))
                    .col(integer(N::Year))
                    .col(integer(N::Next))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_certificate_counter",
            N::Table,
            vec![N::Unit.into_iden(), N::Year.into_iden()],
            true,
        )
        .await?;

        use SealUse as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(big_pk_auto(S::Id))
                    .col(string_len(S::Unit, 12))
                    .col(date(S::UsedOn))
                    .col(string_len(S::Kind, 16))
                    .col(string_len(S::Purpose, 200))
                    .col(string_len(S::Document, 200))
                    .col(string_len_null(S::CertNo, 32))
                    .col(string_len(S::RecordedBy, 64))
                    .col(timestamp_with_time_zone(S::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_seal_use_unit",
            S::Table,
            vec![S::Unit.into_iden(), S::UsedOn.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_seal_use_cert",
            S::Table,
            vec![S::CertNo.into_iden()],
            false,
        )
        .await?;

        use CertificateTemplate as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(big_pk_auto(T::Id))
                    .col(string_len(T::TypeCode, 16))
                    .col(text(T::Body))
                    .col(string_len(T::UpdatedBy, 64))
                    .col(timestamp_with_time_zone(T::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_certificate_template",
            T::Table,
            vec![T::TypeCode.into_iden()],
            true,
        )
        .await?;

        use CertificateRule as U;
        manager
            .create_table(
                Table::create()
                    .table(U::Table)
                    .col(big_pk_auto(U::Id))
                    .col(string_len(U::Region, 12))
                    .col(boolean(U::AllowConsulted).default(false))
                    .col(string_len(U::UpdatedBy, 64))
                    .col(timestamp_with_time_zone(U::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_certificate_rule",
            U::Table,
            vec![U::Region.into_iden()],
            true,
        )
        .await?;

        use Verification as V;
        manager
            .create_table(
                Table::create()
                    .table(V::Table)
                    .col(big_pk_auto(V::Id))
                    .col(string_len(V::CertNo, 40))
                    .col(string_len(V::Outcome, 16))
                    .col(string_len(V::Client, 64))
                    .col(timestamp_with_time_zone(V::At))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_verification_cert",
            V::Table,
            vec![V::CertNo.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Verification::Table.into_iden(),
            CertificateRule::Table.into_iden(),
            CertificateTemplate::Table.into_iden(),
            SealUse::Table.into_iden(),
            CertificateCounter::Table.into_iden(),
            Certificate::Table.into_iden(),
            CertificateRequest::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
