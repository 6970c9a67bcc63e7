//! Logging in, sessions and API tokens. Clients hold random secrets; the database keeps only
//! their SM3 hashes. Lockout counters and sessions live in the database, so they hold across
//! app nodes. Every security event is audited.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use jianfu_domain::account::{PASSWORD_MAX_AGE_DAYS, Role, after_failure, idle_limit};
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::{Error, RegionCode};
use jianfu_seal::FieldCipher;

use crate::account::password_matches;
use crate::db_error;
use crate::entity::{account, api_token, session};
use crate::second_factor;
use crate::sql::CachedSql;

/// Who is acting, as every handler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub region: RegionCode,
    pub department: Option<String>,
    /// The department's full name, read with the account (a department's sender name).
    pub department_name: Option<String>,
    pub roles: Vec<Role>,
    pub must_change_password: bool,
    /// An administrator without a second factor must enrol one before anything else.
    pub must_enroll_second_factor: bool,
    /// A one-time password, or one older than 90 days, must be changed before anything else.
    /// The session's anti-forgery token follows; `None` for API tokens (no cookies, no CSRF).
    pub csrf: Option<String>,
}

/// How often a session's last-seen time is written (not on every request).
const TOUCH_EVERY: Duration = Duration::seconds(60);
/// How often the use of an API token is recorded.
const TOKEN_USE_AUDIT_EVERY: Duration = Duration::hours(1);

/// 32 random bytes as hex.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system random generator works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A one-time password: 16 characters from every class the password policy counts, from the
/// system's random source (modulo bias is immaterial at these alphabet sizes).
pub fn one_time_password() -> String {
    const CLASSES: [&[u8]; 4] = [
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"abcdefghijkmnpqrstuvwxyz",
        b"23456789",
        b"-_.!@#%+=",
    ];
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).expect("the system random generator works");
    random
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let class = CLASSES[i % CLASSES.len()];
            class[usize::from(*r) % class.len()] as char
        })
        .collect()
}

fn secret_hash(secret: &str) -> String {
    crate::audit::digest(secret.as_bytes())
}

fn event(actor: &str, source_ip: &str, event: &str, result: &str) -> AuditEntry {
    AuditEntry {
        actor: actor.into(),
        role: String::new(),
        source_ip: source_ip.into(),
        event: event.into(),
        object: actor.into(),
        result: result.into(),
        before: None,
        after: None,
    }
}

/// The principal of account `a` with `roles`, as [`find_credential`] found them.
fn principal(
    a: account::Model,
    roles: Vec<Role>,
    department_name: Option<String>,
    csrf: Option<String>,
) -> Result<Principal, Error> {
    let expired = Utc::now() - a.password_changed_at > Duration::days(PASSWORD_MAX_AGE_DAYS);
    let must_enroll_second_factor =
        a.totp_secret.is_none() && roles.iter().any(|r: &Role| r.is_administrator());
    Ok(Principal {
        must_enroll_second_factor,
        account_id: a.id,
        region: RegionCode::parse(&a.region_code).map_err(|_| Error::Internal)?,
        username: a.username,
        display_name: a.display_name,
        department: a.department_code,
        department_name,
        roles,
        must_change_password: a.must_change_password || expired,
        csrf,
    })
}

/// Where a caller's secret is kept: a session (cookie) or an API token.
#[derive(Clone, Copy)]
enum Credential {
    Session,
    Token,
}

/// A credential found by its secret's hash, with its account, the account's roles and its
/// department's name, in one round trip: every request of a logged-in caller reads this, and
/// separate reads (credential, account, roles, department) cost a trip each.
struct Found<M> {
    credential: M,
    account: account::Model,
    roles: Vec<Role>,
    department_name: Option<String>,
}

async fn find_credential<M: sea_orm::FromQueryResult>(
    db: &DatabaseConnection,
    credential: Credential,
    hash: String,
) -> Result<Option<Found<M>>, Error> {
    use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, IdenStatic, Iterable, Statement};
    static SQL: [CachedSql; 2] = [CachedSql::new(), CachedSql::new()];
    let (table, key, columns): (&str, &str, Vec<&str>) = match credential {
        Credential::Session => (
            "session",
            "id",
            session::Column::iter().map(|c| c.as_str()).collect(),
        ),
        Credential::Token => (
            "api_token",
            "token_hash",
            api_token::Column::iter().map(|c| c.as_str()).collect(),
        ),
    };
    let backend = db.get_database_backend();
    let sql = SQL[credential as usize].get(backend, |b| {
        let select = |alias: &str, names: &[&str]| {
            names
                .iter()
                .map(|c| format!("{alias}.{c} AS {alias}_{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let account_columns: Vec<&str> = account::Column::iter().map(|c| c.as_str()).collect();
        let placeholder = if b == DbBackend::Postgres { "$1" } else { "?" };
        format!(
            "SELECT {}, {}, r.role AS r_role, d.full_name AS d_full_name \
             FROM {table} c JOIN account a ON a.id = c.account_id \
             LEFT JOIN account_role r ON r.account_id = a.id \
             LEFT JOIN department d ON d.code = a.department_code \
             WHERE c.{key} = {placeholder}",
            select("c", &columns),
            select("a", &account_columns),
        )
    });
    let stmt = Statement::from_sql_and_values(backend, sql, [hash.into()]);
    let rows = db.query_all_raw(stmt).await.map_err(db_error)?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let roles = rows
        .iter()
        .filter_map(|r| r.try_get::<Option<String>>("", "r_role").ok().flatten())
        .filter_map(|r| Role::parse(&r))
        .collect();
    Ok(Some(Found {
        credential: M::from_query_result(first, "c_").map_err(db_error)?,
        account: account::Model::from_query_result(first, "a_").map_err(db_error)?,
        roles,
        department_name: first
            .try_get::<Option<String>>("", "d_full_name")
            .map_err(db_error)?,
    }))
}

/// A successful login: the cookie secret (shown to the browser only) and who logged in.
#[derive(Debug)]
pub struct Login {
    pub secret: String,
    pub principal: Principal,
}

/// What a login form carries.
pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The TOTP code; required once an administrator has enrolled a second factor.
    pub code: Option<&'a str>,
}

/// Checks a password (and an enrolled second factor). Unknown users, wrong passwords or codes,
/// disabled and locked accounts — and demo accounts when `allow_demo` is false (production) —
/// all answer `None`, so the answer tells an attacker nothing; the audit log says which it was.
pub async fn login(
    db: &DatabaseConnection,
    credentials: &Credentials<'_>,
    cipher: &FieldCipher,
    source_ip: &str,
    now: DateTime<Utc>,
    allow_demo: bool,
) -> Result<Option<Login>, Error> {
    let Credentials {
        username,
        password,
        code,
    } = *credentials;
    let found = find_account(db, username).await?;
    let audit_only =
        |entry: AuditEntry| async move { crate::audit::append(db, &entry).await.map_err(db_error) };
    let Some(a) = found else {
        // Spend the same time as a real check so timing does not reveal unknown names.
        password_matches(password, dummy_hash());
        audit_only(event(username, source_ip, "auth.login", "failed")).await?;
        return Ok(None);
    };
    if a.disabled || (a.is_demo && !allow_demo) {
        audit_only(event(username, source_ip, "auth.login", "denied")).await?;
        return Ok(None);
    }
    if a.locked_until.is_some_and(|t| t > now) {
        audit_only(event(username, source_ip, "auth.locked", "denied")).await?;
        return Ok(None);
    }
    if !password_matches(password, &a.password_hash) {
        return failed(db, &a, source_ip, now, "auth.login").await;
    }
    let step = match &a.totp_secret {
        None => None,
        Some(sealed) => {
            let step = second_factor::unseal(cipher, sealed, username)
                .and_then(|secret| second_factor::check(&secret, username, code.unwrap_or(""), now))
                .filter(|step| i64::try_from(*step).is_ok_and(|s| s > a.totp_last_step));
            if step.is_none() {
                return failed(db, &a, source_ip, now, "auth.second_factor").await;
            }
            step
        }
    };
    let secret = random_secret();
    let csrf = random_secret();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, &event(username, source_ip, "auth.login", "ok"))
        .await
        .map_err(db_error)?;
    let mut reset = account::Entity::update_many()
        .col_expr(account::Column::FailedLogins, Expr::value(0))
        .col_expr(
            account::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        );
    if let Some(step) = step {
        reset = reset.col_expr(account::Column::TotpLastStep, Expr::value(step as i64));
    }
    reset
        .filter(account::Column::Id.eq(a.id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    session::Entity::insert(session::ActiveModel {
        id: Set(secret_hash(&secret)),
        account_id: Set(a.id),
        csrf_token: Set(csrf.clone()),
        source_ip: Set(source_ip.into()),
        created_at: Set(now),
        last_seen_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    // The new session read back as every later request reads it.
    let found = find_credential::<session::Model>(db, Credential::Session, secret_hash(&secret))
        .await?
        .ok_or(Error::Internal)?;
    let principal = principal(
        found.account,
        found.roles,
        found.department_name,
        Some(csrf),
    )?;
    Ok(Some(Login { secret, principal }))
}

/// A wrong password or code: counts toward the lockout, and is audited with it.
async fn failed(
    db: &DatabaseConnection,
    a: &account::Model,
    source_ip: &str,
    now: DateTime<Utc>,
    what: &str,
) -> Result<Option<Login>, Error> {
    let username = a.username.as_str();
    let (failures, locked) = after_failure(u32::try_from(a.failed_logins).unwrap_or(0), now);
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, &event(username, source_ip, what, "failed"))
        .await
        .map_err(db_error)?;
    if locked.is_some() {
        crate::audit::append(&txn, &event(username, source_ip, "auth.lockout", "ok"))
            .await
            .map_err(db_error)?;
    }
    account::Entity::update_many()
        .col_expr(account::Column::FailedLogins, Expr::value(failures as i32))
        .col_expr(account::Column::LockedUntil, Expr::value(locked))
        .filter(account::Column::Id.eq(a.id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(None)
}

/// A real Argon2id hash of a random secret, checked against when the user does not exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| crate::account::hash_password(&random_secret()))
}

/// The session behind a cookie secret, if it is still alive. A session idle for longer than the
/// roles allow (30 minutes; 15 for administrators) ends here.
pub async fn session(
    db: &DatabaseConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, Error> {
    let id = secret_hash(secret);
    let Some(found) = find_credential::<session::Model>(db, Credential::Session, id.clone())
        .await?
        .filter(|f| !f.account.disabled)
    else {
        return Ok(None);
    };
    let s = found.credential;
    let p = principal(
        found.account,
        found.roles,
        found.department_name,
        Some(s.csrf_token),
    )?;
    if now - s.last_seen_at > idle_limit(&p.roles) {
        let txn = crate::begin_write(db).await.map_err(db_error)?;
        crate::audit::append(
            &txn,
            &event(&p.username, &s.source_ip, "auth.idle_timeout", "ok"),
        )
        .await
        .map_err(db_error)?;
        session::Entity::delete_by_id(id)
            .exec(&txn)
            .await
            .map_err(db_error)?;
        txn.commit().await.map_err(db_error)?;
        return Ok(None);
    }
    if now - s.last_seen_at > TOUCH_EVERY {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(id))
            .exec(db)
            .await
            .map_err(db_error)?;
    }
    Ok(Some(p))
}

/// Ends one session (logout) or, with `everywhere`, every session of its account.
pub async fn logout(
    db: &DatabaseConnection,
    secret: &str,
    everywhere: bool,
    source_ip: &str,
) -> Result<(), Error> {
    let id = secret_hash(secret);
    let Some(s) = session::Entity::find_by_id(id.clone())
        .one(db)
        .await
        .map_err(db_error)?
    else {
        return Ok(());
    };
    let username = account::Entity::find_by_id(s.account_id)
        .one(db)
        .await
        .map_err(db_error)?
        .map_or_else(String::new, |a| a.username);
    let what = if everywhere {
        "auth.logout_everywhere"
    } else {
        "auth.logout"
    };
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, &event(&username, source_ip, what, "ok"))
        .await
        .map_err(db_error)?;
    let delete = session::Entity::delete_many();
    let delete = if everywhere {
        delete.filter(session::Column::AccountId.eq(s.account_id))
    } else {
        delete.filter(session::Column::Id.eq(id))
    };
    delete.exec(&txn).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

async fn find_account(
    db: &DatabaseConnection,
    username: &str,
) -> Result<Option<account::Model>, Error> {
    account::Entity::find()
        .filter(account::Column::Username.eq(username))
        .one(db)
        .await
        .map_err(db_error)
}

/// Creates an API token for `username`; the token is returned once and never stored.
pub async fn create_token(
    db: &DatabaseConnection,
    username: &str,
    name: &str,
    expires: Option<DateTime<Utc>>,
    audit: &AuditEntry,
) -> Result<Option<String>, Error> {
    let Some(a) = find_account(db, username).await? else {
        return Ok(None);
    };
    let token = format!("jf_{}", random_secret());
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, audit).await.map_err(db_error)?;
    api_token::Entity::insert(api_token::ActiveModel {
        account_id: Set(a.id),
        name: Set(name.into()),
        token_hash: Set(secret_hash(&token)),
        created_at: Set(Utc::now()),
        expires_at: Set(expires),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(Some(token))
}

/// The account behind a bearer token, if the token is known, unexpired and not revoked. A
/// refused token is audited; a used one at most once an hour.
pub async fn token(
    db: &DatabaseConnection,
    token: &str,
    source_ip: &str,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, Error> {
    let found = find_credential::<api_token::Model>(db, Credential::Token, secret_hash(token))
        .await?
        .filter(|f| {
            let t = &f.credential;
            t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now) && !f.account.disabled
        });
    let Some(Found {
        credential: t,
        account: a,
        roles,
        department_name,
    }) = found
    else {
        let prefix: String = token.chars().take(8).collect();
        let mut refused = event(&prefix, source_ip, "auth.token", "denied");
        refused.object = format!("{prefix}…");
        crate::audit::append(db, &refused).await.map_err(db_error)?;
        return Ok(None);
    };
    if t.last_used_at
        .is_none_or(|u| now - u > TOKEN_USE_AUDIT_EVERY)
    {
        let txn = crate::begin_write(db).await.map_err(db_error)?;
        let mut used = event(&a.username, source_ip, "auth.token", "ok");
        used.object = t.name.clone();
        crate::audit::append(&txn, &used).await.map_err(db_error)?;
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(t.id))
            .exec(&txn)
            .await
            .map_err(db_error)?;
        txn.commit().await.map_err(db_error)?;
    }
    principal(a, roles, department_name, None).map(Some)
}

/// Revokes the named token of `username`; false when there is no such live token.
pub async fn revoke_token(
    db: &DatabaseConnection,
    username: &str,
    name: &str,
    audit: &AuditEntry,
) -> Result<bool, Error> {
    let Some(a) = find_account(db, username).await? else {
        return Ok(false);
    };
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let revoked = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(Utc::now())))
        .filter(api_token::Column::AccountId.eq(a.id))
        .filter(api_token::Column::Name.eq(name))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await
        .map_err(db_error)?
        .rows_affected;
    if revoked == 0 {
        txn.rollback().await.map_err(db_error)?;
        return Ok(false);
    }
    crate::audit::append(&txn, audit).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(true)
}
