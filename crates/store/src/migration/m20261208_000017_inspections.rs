//! Inspection and rectification (检查评估、整改落实) and the campaign timeline: joint groups
//! and their members; plans with the seed and size of their sample, and for an unannounced
//! plan the digest registered when it was sealed and the text it was taken of (shown only
//! once the plan is complete); the visits a plan makes; findings against the checklist; the
//! rectification each finding becomes, with its steps; the evidence files of both; and the
//! campaign's phase dates and any override, per region; and what a notice reports on.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InspectionGroup {
    Table,
    Id,
    Region,
    Name,
    Members,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InspectionPlan {
    Table,
    Id,
    GroupId,
    Region,
    Title,
    Visibility,
    Stage,
    Topics,
    Seed,
    PerDistrict,
    Seal,
    SealedText,
    SealedAt,
    CompletedAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InspectionVisit {
    Table,
    Id,
    PlanId,
    GroupId,
    Unit,
    VisitOn,
}

#[derive(DeriveIden)]
enum Finding {
    Table,
    Id,
    PlanId,
    Unit,
    ItemCode,
    Description,
    RecordedBy,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Rectification {
    Table,
    Id,
    FindingId,
    Unit,
    Measures,
    IssuedOn,
    Days,
    DueOn,
    Stage,
    Report,
    IssuedBy,
    UpdatedAt,
    ClosedOn,
    Version,
}

#[derive(DeriveIden)]
enum RectificationStep {
    Table,
    Id,
    RectificationId,
    Action,
    Actor,
    Role,
    Note,
    At,
}

#[derive(DeriveIden)]
enum InspectionEvidence {
    Table,
    Id,
    FindingId,
    RectificationId,
    Name,
    Mime,
    Size,
    Digest,
    Content,
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum Notice {
    Table,
    Subject,
}

#[derive(DeriveIden)]
enum CampaignSetting {
    Table,
    Id,
    Region,
    Starts,
    OverridePhase,
    OverrideReason,
    UpdatedBy,
    UpdatedAt,
}

/// A file's bytes: MySQL's plain BLOB stops at 64 KB, so MEDIUMBLOB there (16 MB).
fn file_column(backend: sea_orm::DatabaseBackend, name: impl IntoIden) -> ColumnDef {
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
        use InspectionGroup as G;
        manager
            .create_table(
                Table::create()
                    .table(G::Table)
                    .col(big_pk_auto(G::Id))
                    .col(string_len(G::Region, 12))
                    .col(string_len(G::Name, 120))
                    // The members as JSON (account, name, body): read and written whole.
                    .col(text(G::Members))
                    .col(string_len(G::CreatedBy, 64))
                    .col(timestamp_with_time_zone(G::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_inspection_group_region",
            G::Table,
            vec![G::Region.into_iden()],
            false,
        )
        .await?;

        use InspectionPlan as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(big_pk_auto(P::Id))
                    .col(big_integer(P::GroupId))
                    .col(string_len(P::Region, 12))
                    .col(string_len(P::Title, 200))
                    .col(string_len(P::Visibility, 16))
                    .col(string_len(P::Stage, 16))
                    .col(string_len(P::Topics, 120))
                    // A u64 seed as its decimal digits (no engine here has an unsigned 64-bit type in common).
                    .col(string_len(P::Seed, 20))
                    .col(integer(P::PerDistrict))
                    .col(string_len_null(P::Seal, 64))
                    .col(text_null(P::SealedText))
                    .col(timestamp_with_time_zone_null(P::SealedAt))
                    .col(timestamp_with_time_zone_null(P::CompletedAt))
                    .col(string_len(P::CreatedBy, 64))
                    .col(timestamp_with_time_zone(P::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_inspection_plan_group",
            P::Table,
            vec![P::GroupId.into_iden()],
            false,
        )
        .await?;

        use InspectionVisit as V;
        manager
            .create_table(
                Table::create()
                    .table(V::Table)
                    .col(big_pk_auto(V::Id))
                    .col(big_integer(V::PlanId))
                    .col(big_integer(V::GroupId))
                    .col(string_len(V::Unit, 12))
                    .col(date(V::VisitOn))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_inspection_visit_plan_unit",
            V::Table,
            vec![V::PlanId.into_iden(), V::Unit.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_inspection_visit_unit",
            V::Table,
            vec![V::Unit.into_iden(), V::VisitOn.into_iden()],
            false,
        )
        .await?;

        use Finding as F;
        manager
            .create_table(
                Table::create()
                    .table(F::Table)
                    .col(big_pk_auto(F::Id))
                    .col(big_integer(F::PlanId))
                    .col(string_len(F::Unit, 12))
                    .col(string_len(F::ItemCode, 48))
                    .col(text(F::Description))
                    .col(string_len(F::RecordedBy, 64))
                    .col(timestamp_with_time_zone(F::RecordedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_finding_plan",
            F::Table,
            vec![F::PlanId.into_iden()],
            false,
        )
        .await?;

        use Rectification as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(big_pk_auto(R::Id))
                    .col(big_integer(R::FindingId))
                    .col(string_len(R::Unit, 12))
                    .col(text(R::Measures))
                    .col(date(R::IssuedOn))
                    .col(integer(R::Days))
                    .col(date(R::DueOn))
                    .col(string_len(R::Stage, 16))
                    // What the unit last reported it did.
                    .col(text_null(R::Report))
                    .col(string_len(R::IssuedBy, 64))
                    .col(timestamp_with_time_zone(R::UpdatedAt))
                    .col(date_null(R::ClosedOn))
                    // Raised by every step: a step taken on what was read applies to that only.
                    .col(integer(R::Version).default(0))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_rectification_finding",
            R::Table,
            vec![R::FindingId.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_rectification_unit",
            R::Table,
            vec![R::Unit.into_iden()],
            false,
        )
        .await?;

        use RectificationStep as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(big_pk_auto(S::Id))
                    .col(big_integer(S::RectificationId))
                    .col(string_len(S::Action, 16))
                    .col(string_len(S::Actor, 64))
                    .col(string_len(S::Role, 32))
                    .col(text(S::Note))
                    .col(timestamp_with_time_zone(S::At))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_rectification_step_rect",
            S::Table,
            vec![S::RectificationId.into_iden()],
            false,
        )
        .await?;

        use InspectionEvidence as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(big_pk_auto(E::Id))
                    // A finding's photo, or (with the rectification set) the unit's evidence.
                    .col(big_integer(E::FindingId))
                    .col(big_integer_null(E::RectificationId))
                    .col(string_len(E::Name, 200))
                    .col(string_len(E::Mime, 100))
                    .col(integer(E::Size))
                    .col(string_len(E::Digest, 64))
                    .col(file_column(manager.get_database_backend(), E::Content))
                    .col(string_len(E::UploadedBy, 64))
                    .col(timestamp_with_time_zone(E::UploadedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_inspection_evidence_finding",
            E::Table,
            vec![E::FindingId.into_iden()],
            false,
        )
        .await?;

        use CampaignSetting as C;
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(big_pk_auto(C::Id))
                    .col(string_len(C::Region, 12))
                    // The five phases' start dates as JSON.
                    .col(text(C::Starts))
                    .col(string_len_null(C::OverridePhase, 16))
                    .col(text_null(C::OverrideReason))
                    .col(string_len(C::UpdatedBy, 64))
                    .col(timestamp_with_time_zone(C::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // A notice reports on violations (as before) or on inspection results.
        manager
            .alter_table(
                Table::alter()
                    .table(Notice::Table)
                    .add_column(string_len(Notice::Subject, 16).default("violations"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_campaign_setting_region",
            C::Table,
            vec![C::Region.into_iden()],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Notice::Table)
                    .drop_column(Notice::Subject)
                    .to_owned(),
            )
            .await?;
        for table in [
            CampaignSetting::Table.into_iden(),
            InspectionEvidence::Table.into_iden(),
            RectificationStep::Table.into_iden(),
            Rectification::Table.into_iden(),
            Finding::Table.into_iden(),
            InspectionVisit::Table.into_iden(),
            InspectionPlan::Table.into_iden(),
            InspectionGroup::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
