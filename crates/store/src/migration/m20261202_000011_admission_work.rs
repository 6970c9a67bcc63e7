//! What the admission procedure needs around its steps: deadlines per level, attachments,
//! in-app notifications, departments' webhooks with their outbox, and who signed each step
//! under which name and department (the approval form prints them as they were on the day).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdmissionSetting {
    Table,
    Region,
    NoticeDays,
    ReviewDays,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AdmissionAttachment {
    Table,
    Id,
    AdmissionId,
    Name,
    Mime,
    Size,
    Digest,
    Content,
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum Notification {
    Table,
    Id,
    Recipient,
    Object,
    Kind,
    Message,
    Link,
    Dedupe,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum DepartmentWebhook {
    Table,
    Department,
    Url,
    Secret,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
    Department,
    Url,
    Event,
    Body,
    Attempts,
    NextAttemptAt,
    DeliveredAt,
    LastStatus,
    LastError,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AdmissionEvent {
    Table,
    ActorName,
    ActorDepartment,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdmissionSetting::Table)
                    .col(string_len(AdmissionSetting::Region, 12).primary_key())
                    .col(integer(AdmissionSetting::NoticeDays))
                    .col(integer(AdmissionSetting::ReviewDays))
                    .col(string_len(AdmissionSetting::UpdatedBy, 64))
                    .col(timestamp_with_time_zone(AdmissionSetting::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdmissionAttachment::Table)
                    .col(big_pk_auto(AdmissionAttachment::Id))
                    .col(big_integer(AdmissionAttachment::AdmissionId))
                    .col(string_len(AdmissionAttachment::Name, 200))
                    .col(string_len(AdmissionAttachment::Mime, 100))
                    .col(integer(AdmissionAttachment::Size))
                    .col(string_len(AdmissionAttachment::Digest, 64))
                    .col(blob(AdmissionAttachment::Content))
                    .col(string_len(AdmissionAttachment::UploadedBy, 64))
                    .col(timestamp_with_time_zone(AdmissionAttachment::UploadedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_admission_attachment")
                    .table(AdmissionAttachment::Table)
                    .col(AdmissionAttachment::AdmissionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notification::Table)
                    .col(big_pk_auto(Notification::Id))
                    .col(string_len(Notification::Recipient, 64))
                    .col(string_len(Notification::Object, 64))
                    .col(string_len(Notification::Kind, 32))
                    .col(text(Notification::Message))
                    .col(string_len(Notification::Link, 200))
                    .col(string_len_null(Notification::Dedupe, 128))
                    .col(timestamp_with_time_zone(Notification::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notification::ReadAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notification_recipient")
                    .table(Notification::Table)
                    .col(Notification::Recipient)
                    .col(Notification::Id)
                    .to_owned(),
            )
            .await?;
        // A deadline reminder is sent once per recipient and step, however many nodes sweep.
        manager
            .create_index(
                Index::create()
                    .name("ux_notification_dedupe")
                    .table(Notification::Table)
                    .col(Notification::Dedupe)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DepartmentWebhook::Table)
                    .col(string_len(DepartmentWebhook::Department, 32).primary_key())
                    .col(string_len(DepartmentWebhook::Url, 500))
                    .col(text(DepartmentWebhook::Secret))
                    .col(string_len(DepartmentWebhook::UpdatedBy, 64))
                    .col(timestamp_with_time_zone(DepartmentWebhook::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(big_pk_auto(WebhookDelivery::Id))
                    .col(string_len(WebhookDelivery::Department, 32))
                    .col(string_len(WebhookDelivery::Url, 500))
                    .col(string_len(WebhookDelivery::Event, 32))
                    .col(text(WebhookDelivery::Body))
                    .col(integer(WebhookDelivery::Attempts))
                    .col(timestamp_with_time_zone(WebhookDelivery::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::DeliveredAt))
                    .col(integer_null(WebhookDelivery::LastStatus))
                    .col(text_null(WebhookDelivery::LastError))
                    .col(timestamp_with_time_zone(WebhookDelivery::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_delivery_due")
                    .table(WebhookDelivery::Table)
                    .col(WebhookDelivery::DeliveredAt)
                    .col(WebhookDelivery::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AdmissionEvent::Table)
                    .add_column(string_len_null(AdmissionEvent::ActorName, 100))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AdmissionEvent::Table)
                    .add_column(string_len_null(AdmissionEvent::ActorDepartment, 32))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [AdmissionEvent::ActorDepartment, AdmissionEvent::ActorName] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AdmissionEvent::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            WebhookDelivery::Table.into_iden(),
            DepartmentWebhook::Table.into_iden(),
            Notification::Table.into_iden(),
            AdmissionAttachment::Table.into_iden(),
            AdmissionSetting::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
