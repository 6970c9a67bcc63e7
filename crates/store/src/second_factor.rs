//! The administrators' second factor: TOTP (RFC 6238, 6 digits, 30 s, the form every
//! authenticator app reads). Secrets are stored sealed with SM4-GCM (the key file's field key);
//! a code is accepted once only.

use chrono::{DateTime, Utc};
use jianfu_seal::FieldCipher;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use totp_rs::{Builder, Totp};

use jianfu_domain::Error;
use jianfu_domain::audit::AuditEntry;

use crate::entity::account;
use crate::{db_error, from_hex, to_hex};

const ISSUER: &str = "jianfu";

fn totp(secret: &[u8], username: &str) -> Result<Totp, Error> {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_account_name(username)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|_| Error::Internal)
}

/// 20 random bytes (160 bits, RFC 4226's recommendation).
pub fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; 20];
    getrandom::fill(&mut s).expect("the system random generator works");
    s
}

/// What an authenticator app needs: the base32 secret and the `otpauth://` address.
pub fn enrollment(secret: &[u8], username: &str) -> Result<(String, String), Error> {
    let t = totp(secret, username)?;
    let url = t.to_url().map_err(|_| Error::Internal)?;
    let base32 = totp_rs::Secret::from(secret.to_vec()).to_base32();
    Ok((base32, url))
}

/// The time step a code is valid for (allowing one step of clock drift), if it is valid.
pub fn check(secret: &[u8], username: &str, code: &str, now: DateTime<Utc>) -> Option<u64> {
    let t = totp(secret, username).ok()?;
    t.check(code.trim(), u64::try_from(now.timestamp()).ok()?)
}

/// The code for `now` (for tests and for the self-check after enrolment).
pub fn code(secret: &[u8], username: &str, now: DateTime<Utc>) -> Option<String> {
    let t = totp(secret, username).ok()?;
    Some(t.generate(u64::try_from(now.timestamp()).ok()?).to_string())
}

fn associated_data(username: &str) -> Vec<u8> {
    format!("account.totp_secret:{username}").into_bytes()
}

pub fn seal(cipher: &FieldCipher, secret: &[u8], username: &str) -> String {
    to_hex(&cipher.encrypt(secret, &associated_data(username)))
}

pub fn unseal(cipher: &FieldCipher, sealed: &str, username: &str) -> Option<Vec<u8>> {
    let bytes = from_hex(sealed)?;
    cipher.decrypt(&bytes, &associated_data(username)).ok()
}

/// Stores a verified secret for an account, with its audit record.
pub async fn enroll(
    db: &DatabaseConnection,
    account_id: i64,
    sealed: String,
    step: u64,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    crate::audit::append(&txn, audit).await.map_err(db_error)?;
    account::Entity::update_many()
        .col_expr(account::Column::TotpSecret, Expr::value(Some(sealed)))
        .col_expr(account::Column::TotpLastStep, Expr::value(step as i64))
        .filter(account::Column::Id.eq(account_id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_check_once_per_step_window() {
        let secret = new_secret();
        let now = Utc::now();
        let c = code(&secret, "sysadmin", now).unwrap();
        assert_eq!(c.len(), 6);
        assert!(check(&secret, "sysadmin", &c, now).is_some());
        assert!(check(&secret, "sysadmin", "000000", now).is_none() || c == "000000");
        let (base32, url) = enrollment(&secret, "sysadmin").unwrap();
        assert!(url.starts_with("otpauth://totp/jianfu:sysadmin?"), "{url}");
        assert!(url.contains(&base32));
    }

    #[test]
    fn sealed_secrets_belong_to_their_account() {
        let cipher = FieldCipher::new(&[7u8; 16]);
        let sealed = seal(&cipher, b"secret-bytes", "sysadmin");
        assert_eq!(
            unseal(&cipher, &sealed, "sysadmin").unwrap(),
            b"secret-bytes"
        );
        assert!(
            unseal(&cipher, &sealed, "auditadmin").is_none(),
            "copied to another account"
        );
    }
}
