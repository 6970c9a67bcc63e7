//! Accounts. Passwords are stored only as Argon2id PHC strings; every change is audited in the
//! same transaction; the rules (roles, levels, password policy) come from `jianfu_domain::account`.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use jianfu_domain::account::{PasswordProblem, Role, RoleConflict, check_password, check_roles};
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::{Error, RegionCode};

use crate::db_error;
use crate::entity::{account, account_role, department, password_history, session};

/// What is needed to open an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub region: RegionCode,
    pub department: Option<String>,
    pub roles: Vec<Role>,
    pub is_demo: bool,
    /// The first password is a one-time password: it must be changed at first login.
    pub must_change_password: bool,
}

/// An account as listed to administrators (never the hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub username: String,
    pub display_name: String,
    pub region: RegionCode,
    pub department: Option<String>,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub is_demo: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("用户名“{0}”不符合要求：应为 3–32 位小写字母、数字、点、下划线或连字符，以字母开头")]
    InvalidUsername(String),
    #[error("用户名“{0}”已被使用")]
    UsernameTaken(String),
    #[error("{0}")]
    Roles(RoleConflict),
    #[error("{role}不能设在{level}单位（{region}）")]
    RoleLevel {
        role: Role,
        level: &'static str,
        region: String,
    },
    #[error("{0}须指定所属部门")]
    NeedsDepartment(Role),
    #[error("部门“{0}”不存在")]
    UnknownDepartment(String),
    #[error("区划 {0} 不存在")]
    UnknownRegion(String),
    #[error("账号“{0}”不存在")]
    UnknownAccount(String),
    #[error("不能对自己的账号执行此操作")]
    OwnAccount,
    #[error("当前密码不正确")]
    WrongPassword,
    #[error("密码不符合要求：{0}")]
    Password(PasswordProblem),
    #[error("{0}")]
    Store(Error),
}

impl From<Error> for AccountError {
    fn from(e: Error) -> Self {
        AccountError::Store(e)
    }
}

fn valid_username(u: &str) -> bool {
    (3..=32).contains(&u.len())
        && u.starts_with(|c: char| c.is_ascii_lowercase())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

/// Argon2id with the crate's defaults (the OWASP recommendation), as a PHC string.
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("the system random generator works")
        .to_string()
}

/// Whether `password` matches a stored PHC string; a malformed string never matches.
pub fn password_matches(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Opens an account after checking every rule; the account and its audit record commit together.
pub async fn create(
    db: &DatabaseConnection,
    new: &NewAccount,
    password: &str,
    audit: &AuditEntry,
) -> Result<(), AccountError> {
    if !valid_username(&new.username) {
        return Err(AccountError::InvalidUsername(new.username.clone()));
    }
    check_roles(&new.roles).map_err(AccountError::Roles)?;
    check_password(password, &new.username).map_err(AccountError::Password)?;
    check_placement(db, &new.roles, &new.region, new.department.as_deref()).await?;
    let taken = account::Entity::find()
        .filter(account::Column::Username.eq(new.username.as_str()))
        .one(db)
        .await
        .map_err(db_error)?;
    if taken.is_some() {
        return Err(AccountError::UsernameTaken(new.username.clone()));
    }
    let hash = hash_password(password);
    let now = Utc::now();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, audit).await.map_err(db_error)?;
    let id = account::Entity::insert(account::ActiveModel {
        username: Set(new.username.clone()),
        display_name: Set(new.display_name.clone()),
        region_code: Set(new.region.to_string()),
        department_code: Set(new.department.clone()),
        password_hash: Set(hash.clone()),
        password_changed_at: Set(now),
        must_change_password: Set(new.must_change_password),
        failed_logins: Set(0),
        locked_until: Set(None),
        disabled: Set(false),
        is_demo: Set(new.is_demo),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    account_role::Entity::insert_many(new.roles.iter().map(|r| account_role::ActiveModel {
        account_id: Set(id),
        role: Set(r.as_str().to_owned()),
        ..Default::default()
    }))
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    remember_password(&txn, id, hash, now).await?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// Checks that `roles` may be held in `region` with `department`: each role fits the region's
/// level, department officers name a department that exists.
async fn check_placement(
    db: &DatabaseConnection,
    roles: &[Role],
    region: &RegionCode,
    department: Option<&str>,
) -> Result<(), AccountError> {
    let unit = crate::region::get(db, region)
        .await?
        .ok_or_else(|| AccountError::UnknownRegion(region.to_string()))?;
    for role in roles {
        if !role.fits(unit.level) {
            return Err(AccountError::RoleLevel {
                role: *role,
                level: unit.level.label(),
                region: unit.name.clone(),
            });
        }
        if role.needs_department() && department.is_none() {
            return Err(AccountError::NeedsDepartment(*role));
        }
    }
    if let Some(code) = department {
        let found = department::Entity::find()
            .filter(department::Column::Code.eq(code))
            .filter(department::Column::ValidTo.is_null())
            .one(db)
            .await
            .map_err(db_error)?;
        if found.is_none() {
            return Err(AccountError::UnknownDepartment(code.to_owned()));
        }
    }
    Ok(())
}

async fn find(db: &DatabaseConnection, username: &str) -> Result<account::Model, AccountError> {
    account::Entity::find()
        .filter(account::Column::Username.eq(username))
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| AccountError::UnknownAccount(username.to_owned()))
}

/// Ends every session of an account (after it was disabled, its password reset or its roles
/// changed, so nobody keeps acting with what it had before).
async fn end_sessions(
    txn: &sea_orm::DatabaseTransaction,
    account_id: i64,
) -> Result<(), AccountError> {
    session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account_id))
        .exec(txn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Disables or re-enables an account (the system administrator's work; never their own).
/// `audit` names who asked; its before/after are filled in here.
pub async fn set_disabled(
    db: &DatabaseConnection,
    username: &str,
    disabled: bool,
    audit: &AuditEntry,
) -> Result<(), AccountError> {
    if audit.actor == username {
        return Err(AccountError::OwnAccount);
    }
    let a = find(db, username).await?;
    let state = |d: bool| Some(format!("{{\"disabled\":{d}}}"));
    let entry = AuditEntry {
        object: username.to_owned(),
        before: state(a.disabled),
        after: state(disabled),
        ..audit.clone()
    };
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    account::Entity::update_many()
        .col_expr(account::Column::Disabled, Expr::value(disabled))
        .filter(account::Column::Id.eq(a.id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    if disabled {
        end_sessions(&txn, a.id).await?;
    }
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// Gives an account a new one-time password (to be changed at the next login), lifts a lockout
/// and ends its sessions. Never for one's own account: that is the password page.
pub async fn reset_password(
    db: &DatabaseConnection,
    username: &str,
    one_time_password: &str,
    audit: &AuditEntry,
) -> Result<(), AccountError> {
    if audit.actor == username {
        return Err(AccountError::OwnAccount);
    }
    let a = find(db, username).await?;
    let hash = hash_password(one_time_password);
    let now = Utc::now();
    let entry = AuditEntry {
        object: username.to_owned(),
        ..audit.clone()
    };
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash.clone()))
        .col_expr(account::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(account::Column::MustChangePassword, Expr::value(true))
        .col_expr(account::Column::FailedLogins, Expr::value(0))
        .col_expr(
            account::Column::LockedUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(account::Column::Id.eq(a.id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    remember_password(&txn, a.id, hash, now).await?;
    end_sessions(&txn, a.id).await?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// Replaces an account's roles (the security administrator's work; never their own), with the
/// same rules as opening an account: 三员分立, levels, departments.
pub async fn set_roles(
    db: &DatabaseConnection,
    username: &str,
    roles: &[Role],
    audit: &AuditEntry,
) -> Result<(), AccountError> {
    if audit.actor == username {
        return Err(AccountError::OwnAccount);
    }
    let a = find(db, username).await?;
    check_roles(roles).map_err(AccountError::Roles)?;
    let region = RegionCode::parse(&a.region_code).map_err(AccountError::Store)?;
    check_placement(db, roles, &region, a.department_code.as_deref()).await?;
    let before: Vec<String> = account_role::Entity::find()
        .filter(account_role::Column::AccountId.eq(a.id))
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|r| r.role)
        .collect();
    let names = |list: Vec<&str>| Some(serde_json::json!({ "roles": list }).to_string());
    let entry = AuditEntry {
        object: username.to_owned(),
        before: names(before.iter().map(String::as_str).collect()),
        after: names(roles.iter().map(|r| r.as_str()).collect()),
        ..audit.clone()
    };
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    account_role::Entity::delete_many()
        .filter(account_role::Column::AccountId.eq(a.id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    account_role::Entity::insert_many(roles.iter().map(|r| account_role::ActiveModel {
        account_id: Set(a.id),
        role: Set(r.as_str().to_owned()),
        ..Default::default()
    }))
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    end_sessions(&txn, a.id).await?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// Changes a password after checking the current one, the policy and the last five passwords.
pub async fn change_password(
    db: &DatabaseConnection,
    account_id: i64,
    current: &str,
    new_password: &str,
    audit: &AuditEntry,
) -> Result<(), AccountError> {
    let a = account::Entity::find_by_id(account_id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or(AccountError::Store(Error::Unauthenticated))?;
    if !password_matches(current, &a.password_hash) {
        return Err(AccountError::WrongPassword);
    }
    check_password(new_password, &a.username).map_err(AccountError::Password)?;
    let history = password_history::Entity::find()
        .filter(password_history::Column::AccountId.eq(account_id))
        .order_by_desc(password_history::Column::CreatedAt)
        .all(db)
        .await
        .map_err(db_error)?;
    if history
        .iter()
        .take(jianfu_domain::account::PASSWORD_HISTORY)
        .any(|h| password_matches(new_password, &h.password_hash))
    {
        return Err(AccountError::Password(PasswordProblem::Reused));
    }
    let hash = hash_password(new_password);
    let now = Utc::now();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, audit).await.map_err(db_error)?;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash.clone()))
        .col_expr(account::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(account::Column::MustChangePassword, Expr::value(false))
        .filter(account::Column::Id.eq(account_id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    remember_password(&txn, account_id, hash, now).await?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// Keeps a password hash for the no-reuse rule.
async fn remember_password(
    txn: &sea_orm::DatabaseTransaction,
    account_id: i64,
    hash: String,
    now: chrono::DateTime<Utc>,
) -> Result<(), AccountError> {
    password_history::Entity::insert(password_history::ActiveModel {
        account_id: Set(account_id),
        password_hash: Set(hash),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Every account with its roles, by username.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<AccountSummary>, Error> {
    summaries(db, account::Entity::find()).await
}

/// The accounts of one unit (not of the units below it), by username.
pub async fn in_unit(
    db: &DatabaseConnection,
    unit: &RegionCode,
) -> Result<Vec<AccountSummary>, Error> {
    summaries(
        db,
        account::Entity::find().filter(account::Column::RegionCode.eq(unit.as_str())),
    )
    .await
}

async fn summaries(
    db: &DatabaseConnection,
    query: sea_orm::Select<account::Entity>,
) -> Result<Vec<AccountSummary>, Error> {
    use sea_orm::{QuerySelect, QueryTrait};
    let ids = query
        .clone()
        .select_only()
        .column(account::Column::Id)
        .into_query();
    let roles = account_role::Entity::find()
        .filter(account_role::Column::AccountId.in_subquery(ids))
        .all(db)
        .await
        .map_err(db_error)?;
    let accounts = query
        .order_by_asc(account::Column::Username)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(accounts
        .into_iter()
        .map(|a| AccountSummary {
            roles: roles
                .iter()
                .filter(|r| r.account_id == a.id)
                .filter_map(|r| Role::parse(&r.role))
                .collect(),
            region: RegionCode::parse(&a.region_code).expect("stored region codes are valid"),
            username: a.username,
            display_name: a.display_name,
            department: a.department_code,
            disabled: a.disabled,
            is_demo: a.is_demo,
        })
        .collect())
}

/// Whether anyone holds `role` (first start creates the three administrators when nobody does).
pub async fn anyone_holds(db: &DatabaseConnection, role: Role) -> Result<bool, Error> {
    account_role::Entity::find()
        .filter(account_role::Column::Role.eq(role.as_str()))
        .one(db)
        .await
        .map(|r| r.is_some())
        .map_err(db_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(valid_username("wang.li"));
        assert!(valid_username("sysadmin"));
        assert!(!valid_username("ab"));
        assert!(!valid_username("Wang"));
        assert!(!valid_username("1abc"));
        assert!(!valid_username("王力"));
    }

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("Tianjin-2023");
        let b = hash_password("Tianjin-2023");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert!(password_matches("Tianjin-2023", &a));
        assert!(!password_matches("Tianjin-2024", &a));
        assert!(!password_matches("Tianjin-2023", "not a hash"));
    }
}
