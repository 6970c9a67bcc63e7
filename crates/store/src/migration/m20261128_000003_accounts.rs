//! Accounts, their roles and their password history. Lockout counters live here, not in app
//! memory, so they hold across app nodes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Username,
    DisplayName,
    RegionCode,
    DepartmentCode,
    PasswordHash,
    PasswordChangedAt,
    MustChangePassword,
    FailedLogins,
    LockedUntil,
    Disabled,
    IsDemo,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccountRole {
    Table,
    Id,
    AccountId,
    Role,
}

#[derive(DeriveIden)]
enum PasswordHistory {
    Table,
    Id,
    AccountId,
    PasswordHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Account::Table)
                    .col(big_pk_auto(Account::Id))
                    .col(string_len_uniq(Account::Username, 64))
                    .col(string_len(Account::DisplayName, 64))
                    .col(string_len(Account::RegionCode, 12))
                    .col(string_len_null(Account::DepartmentCode, 32))
                    .col(string_len(Account::PasswordHash, 200))
                    .col(timestamp_with_time_zone(Account::PasswordChangedAt))
                    .col(boolean(Account::MustChangePassword).default(true))
                    .col(integer(Account::FailedLogins).default(0))
                    .col(timestamp_with_time_zone_null(Account::LockedUntil))
                    .col(boolean(Account::Disabled).default(false))
                    .col(boolean(Account::IsDemo).default(false))
                    .col(timestamp_with_time_zone(Account::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountRole::Table)
                    .col(big_pk_auto(AccountRole::Id))
                    .col(big_integer(AccountRole::AccountId))
                    .col(string_len(AccountRole::Role, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_account_role")
                    .table(AccountRole::Table)
                    .col(AccountRole::AccountId)
                    .col(AccountRole::Role)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordHistory::Table)
                    .col(big_pk_auto(PasswordHistory::Id))
                    .col(big_integer(PasswordHistory::AccountId))
                    .col(string_len(PasswordHistory::PasswordHash, 200))
                    .col(timestamp_with_time_zone(PasswordHistory::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_password_history_account")
                    .table(PasswordHistory::Table)
                    .col(PasswordHistory::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PasswordHistory::Table.into_iden(),
            AccountRole::Table.into_iden(),
            Account::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
