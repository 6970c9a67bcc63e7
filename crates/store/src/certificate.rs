//! Certificates (证明事项): requests (issued or refused, each with the agency that demanded
//! it), the certificate ledger (台账), seal uses (用章登记), templates per type, the regions'
//! rule on unlisted types, and the log of public verifications. The rules are
//! `jianfu_domain::certificate`; here they are written, one transaction per act, each audited.
//!
//! An issuance writes the request, the certificate and its seal use together, so neither a
//! number without a ledger entry nor a ledger entry without a seal use comes out of the
//! platform; the reconciliation finds the ones that came in another way (a seal use recorded
//! by hand, a row changed in the database). The number's sequence comes from a counter row
//! that the transaction locks, so numbers are unique across app nodes; the unique index on
//! the number is the backstop.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::certificate::{
    self as rules, CertNo, Consultation, Content, Decision, IdCardNo, Listing, Status,
};
use jianfu_domain::{Error, Page, PageRequest, Region, RegionCode, beijing_date};
use jianfu_seal::KeyRing;

use crate::entity::{
    certificate as cert, certificate_counter as counter, certificate_request as request,
    certificate_rule as rule, certificate_template as template, seal_use as seal,
    verification as check,
};
use crate::{db_error, to_hex};

pub use crate::entity::certificate::Model as Certificate;
pub use crate::entity::certificate_request::Model as Request;
pub use crate::entity::seal_use::Model as SealUse;

/// MAC purposes (each its own key, `KeyRing::mac`).
const TAG_PURPOSE: &str = "certificate-tag/1";
const ID_PURPOSE: &str = "id-number/1";

/// Who asks, for which unit, on which day, and what the lists decided.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub unit: Region,
    pub requested_by: String,
    pub decision: Decision,
    /// The item code asked for; empty for an unlisted type.
    pub type_code: String,
    pub demanding_agency: String,
    pub purpose: String,
    pub consultation: Option<Consultation>,
    pub idempotency_key: Option<String>,
    pub at: DateTime<Utc>,
}

/// What an issuance adds to the request.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub applicant_name: String,
    pub id_number: IdCardNo,
    /// 证明内容, as the worker wrote it.
    pub details: String,
    /// The type's template (checked).
    pub template: String,
    /// The certificate this one replaces (补发/更正), with the reason.
    pub supersedes: Option<(CertNo, String)>,
}

/// The outcome of a request, new or found again by its idempotency key.
#[derive(Debug, Clone)]
pub enum Outcome {
    Issued(Box<Certificate>),
    Refused(Box<Request>),
}

/// The verification tag a QR code carries for a certificate: 16 characters of Crockford
/// base32 over a keyed MAC of the number and the content digest, so neither can be changed
/// and a number cannot be given another certificate's tag.
pub fn tag(keys: &KeyRing, cert_no: &str, content_sm3: &str) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mac = keys.mac(TAG_PURPOSE, format!("{cert_no}\n{content_sm3}").as_bytes());
    let mut bits: u64 = u64::from_be_bytes(mac[..8].try_into().expect("8 bytes"));
    let mut out = String::with_capacity(16);
    for i in 0..16 {
        if i == 12 {
            // 12 × 5 = 60 bits used; four more from the next bytes.
            bits = u64::from(mac[8]) << 56 | u64::from(mac[9]) << 48;
        }
        out.push(ALPHABET[(bits >> 59) as usize] as char);
        bits <<= 5;
    }
    out
}

/// Compares two tags in constant time (a verifier probing tags learns nothing from timing).
pub fn tags_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn request_row(new: &NewRequest, cert_no: Option<String>) -> request::ActiveModel {
    let c = new.consultation.as_ref();
    request::ActiveModel {
        unit: Set(new.unit.code.as_str().to_owned()),
        requested_by: Set(new.requested_by.clone()),
        type_code: Set(new.type_code.clone()),
        type_name: Set(new.decision.type_name.chars().take(200).collect()),
        listing: Set(new.decision.listing.code().to_owned()),
        list_version: Set(new.decision.version.map(|v| v as i32)),
        demanding_agency: Set(new.demanding_agency.chars().take(200).collect()),
        purpose: Set(new.purpose.chars().take(300).collect()),
        message: Set(new.decision.message.clone()),
        guidance: Set(new.decision.guidance.clone()),
        consulted_on: Set(c.map(|c| c.held_on)),
        consult_participants: Set(c.map(|c| c.participants.clone())),
        consult_summary: Set(c.map(|c| c.summary.clone())),
        director: Set(c.map(|c| c.director.chars().take(100).collect())),
        cert_no: Set(cert_no),
        idempotency_key: Set(new.idempotency_key.clone()),
        day: Set(beijing_date(new.at)),
        created_at: Set(new.at),
        ..Default::default()
    }
}

/// The outcome an earlier request with the same key had.
async fn earlier<C: ConnectionTrait>(conn: &C, new: &NewRequest) -> Result<Option<Outcome>, Error> {
    let Some(key) = &new.idempotency_key else {
        return Ok(None);
    };
    let found = request::Entity::find()
        .filter(request::Column::RequestedBy.eq(new.requested_by.as_str()))
        .filter(request::Column::IdempotencyKey.eq(key.as_str()))
        .one(conn)
        .await
        .map_err(db_error)?;
    let Some(found) = found else {
        return Ok(None);
    };
    match &found.cert_no {
        Some(no) => Ok(Some(Outcome::Issued(Box::new(require(conn, no).await?)))),
        None => Ok(Some(Outcome::Refused(Box::new(found)))),
    }
}

/// Records a refused request (the refusal is kept, with the demanding agency).
pub async fn refuse(
    db: &DatabaseConnection,
    new: &NewRequest,
    audit: &AuditEntry,
) -> Result<Outcome, Error> {
    debug_assert!(!new.decision.listing.issues());
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    if let Some(found) = earlier(&txn, new).await? {
        return Ok(found);
    }
    let id = request::Entity::insert(request_row(new, None))
        .exec(&txn)
        .await
        .map_err(db_error)?
        .last_insert_id;
    let entry = AuditEntry {
        object: format!("certificate-request/{id}"),
        after: Some(
            serde_json::json!({
                "unit": new.unit.code.as_str(),
                "type": new.decision.type_name,
                "listing": new.decision.listing.code(),
                "demanding_agency": new.demanding_agency,
            })
            .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    let row = request::Entity::find_by_id(id)
        .one(&txn)
        .await
        .map_err(db_error)?
        .ok_or(Error::Internal)?;
    txn.commit().await.map_err(db_error)?;
    Ok(Outcome::Refused(Box::new(row)))
}

/// The next sequence of `unit` in `year`, from its counter row, which this transaction then
/// holds locked until it ends: two nodes issuing at once get consecutive numbers.
async fn next_seq(txn: &DatabaseTransaction, unit: &RegionCode, year: i32) -> Result<u32, Error> {
    counter::Entity::insert(counter::ActiveModel {
        unit: Set(unit.as_str().to_owned()),
        year: Set(year),
        next: Set(0),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([counter::Column::Unit, counter::Column::Year])
            .do_nothing_on([counter::Column::Unit])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await
    .map_err(db_error)?;
    counter::Entity::update_many()
        .col_expr(
            counter::Column::Next,
            Expr::col(counter::Column::Next).add(1),
        )
        .filter(counter::Column::Unit.eq(unit.as_str()))
        .filter(counter::Column::Year.eq(year))
        .exec(txn)
        .await
        .map_err(db_error)?;
    let next: Option<i32> = counter::Entity::find()
        .select_only()
        .column(counter::Column::Next)
        .filter(counter::Column::Unit.eq(unit.as_str()))
        .filter(counter::Column::Year.eq(year))
        .into_tuple()
        .one(txn)
        .await
        .map_err(db_error)?;
    next.map(|n| n as u32).ok_or(Error::Internal)
}

/// Signs a status statement; returns the signature (hex) and the key's id.
fn sign_status(
    keys: &KeyRing,
    no: &CertNo,
    content_sm3: &str,
    status: Status,
    since: DateTime<Utc>,
) -> (String, String) {
    let signer = keys.signer();
    let statement = rules::status_statement(no, content_sm3, status, &since.to_rfc3339());
    (to_hex(&signer.sign(&statement)), signer.key_id().to_owned())
}

/// Issues a certificate: number, signed content, tag, ledger entry, seal use and the request,
/// in one transaction; a reissue marks the old certificate superseded in the same one.
pub async fn issue(
    db: &DatabaseConnection,
    keys: &KeyRing,
    new: &NewRequest,
    c: &NewCertificate,
    audit: &AuditEntry,
) -> Result<Outcome, Error> {
    debug_assert!(new.decision.listing.issues());
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    if let Some(found) = earlier(&txn, new).await? {
        return Ok(found);
    }
    // Whole seconds: the signed status names its time, and MySQL keeps no fractions.
    let at = whole_seconds(new.at);
    let day = beijing_date(at);
    let superseded = match &c.supersedes {
        None => None,
        Some((old, reason)) => {
            let old = require(&txn, &old.to_string()).await?;
            if old.unit != new.unit.code.as_str() {
                return Err(Error::OutsideScope(format!("证明 {}", old.cert_no)));
            }
            if old.status != Status::Valid.code() {
                return Err(wrong_status(&old, "补发"));
            }
            Some((old, reason))
        }
    };
    let seq = next_seq(&txn, &new.unit.code, day.year()).await?;
    let no = CertNo::new(new.unit.code, day.year(), seq);
    let no_text = no.to_string();
    let body = rules::render_template(
        &c.template,
        &rules::TemplateValues {
            applicant: c.applicant_name.clone(),
            id_number: rules::ID_PLACEHOLDER.to_owned(),
            details: c.details.clone(),
            purpose: new.purpose.clone(),
            demanding_agency: new.demanding_agency.clone(),
            issuer: new.unit.name.clone(),
            issued_on: Some(day),
            cert_no: no_text.clone(),
        },
    );
    let content = Content {
        cert_no: no.clone(),
        type_code: new.type_code.clone(),
        type_name: new.decision.type_name.clone(),
        listing: new.decision.listing,
        issuer_code: new.unit.code,
        issuer_name: new.unit.name.clone(),
        issued_on: day,
        applicant_name: c.applicant_name.clone(),
        id_digest: to_hex(&keys.mac(ID_PURPOSE, c.id_number.as_str().as_bytes())),
        purpose: new.purpose.clone(),
        demanding_agency: new.demanding_agency.clone(),
        body: body.clone(),
        supersedes: c.supersedes.as_ref().map(|(n, _)| n.clone()),
    };
    let canonical = rules::canonical(&content);
    let content_sm3 = to_hex(&jianfu_seal::sm3(&canonical));
    let signer = keys.signer();
    let signature = to_hex(&signer.sign(&canonical));
    let (status_signature, status_key_id) = sign_status(keys, &no, &content_sm3, Status::Valid, at);
    let request_id = request::Entity::insert(request_row(new, Some(no_text.clone())))
        .exec(&txn)
        .await
        .map_err(db_error)?
        .last_insert_id;
    cert::Entity::insert(cert::ActiveModel {
        cert_no: Set(no_text.clone()),
        request_id: Set(request_id),
        unit: Set(new.unit.code.as_str().to_owned()),
        unit_name: Set(new.unit.name.chars().take(100).collect()),
        year: Set(no.year),
        seq: Set(seq as i32),
        type_code: Set(new.type_code.clone()),
        type_name: Set(new.decision.type_name.chars().take(200).collect()),
        listing: Set(new.decision.listing.code().to_owned()),
        list_version: Set(new.decision.version.map(|v| v as i32)),
        applicant_name: Set(c.applicant_name.clone()),
        id_cipher: Set(keys
            .field_cipher()
            .encrypt(c.id_number.as_str().as_bytes(), no_text.as_bytes())),
        id_masked: Set(c.id_number.masked()),
        id_digest: Set(content.id_digest.clone()),
        purpose: Set(new.purpose.clone()),
        demanding_agency: Set(new.demanding_agency.clone()),
        details: Set(c.details.clone()),
        body: Set(body),
        issued_on: Set(day),
        issued_at: Set(at),
        issued_by: Set(new.requested_by.clone()),
        content_sm3: Set(content_sm3.clone()),
        signature: Set(signature),
        key_id: Set(signer.key_id().to_owned()),
        tag: Set(tag(keys, &no_text, &content_sm3)),
        status: Set(Status::Valid.code().to_owned()),
        status_since: Set(at),
        status_signature: Set(status_signature),
        status_key_id: Set(status_key_id),
        reason: Set(None),
        supersedes: Set(content.supersedes.as_ref().map(|n| n.to_string())),
        superseded_by: Set(None),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    seal::Entity::insert(seal::ActiveModel {
        unit: Set(new.unit.code.as_str().to_owned()),
        used_on: Set(day),
        kind: Set(SealKind::Certificate.code().to_owned()),
        purpose: Set(format!("开具证明：{}", new.decision.type_name)
            .chars()
            .take(200)
            .collect()),
        document: Set(no_text.clone()),
        cert_no: Set(Some(no_text.clone())),
        recorded_by: Set(new.requested_by.clone()),
        created_at: Set(new.at),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    if let Some((old, reason)) = &superseded {
        set_status(
            &txn,
            keys,
            old,
            Status::Superseded,
            reason,
            Some(&no_text),
            at,
        )
        .await?;
    }
    let entry = AuditEntry {
        object: format!("certificate/{no_text}"),
        after: Some(
            serde_json::json!({
                "type": new.decision.type_name,
                "listing": new.decision.listing.code(),
                "list_version": new.decision.version,
                "applicant": rules::mask_name(&c.applicant_name),
                "id_number": c.id_number.masked(),
                "demanding_agency": new.demanding_agency,
                "content_sm3": content_sm3,
                "supersedes": content.supersedes.as_ref().map(|n| n.to_string()),
            })
            .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    let row = require(&txn, &no_text).await?;
    txn.commit().await.map_err(db_error)?;
    Ok(Outcome::Issued(Box::new(row)))
}

fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(0).unwrap_or(at)
}

fn wrong_status(c: &Certificate, act: &str) -> Error {
    let label = Status::from_code(&c.status).map_or("状态不明", Status::label);
    Error::WrongStage {
        stage: Status::from_code(&c.status).map_or("unknown", Status::code),
        message: format!("证明 {} {label}，不能{act}", c.cert_no),
    }
}

/// Moves `old`, read valid in this transaction, to `status`, with a new signed status
/// statement; the update's own condition catches a change made since.
async fn set_status(
    txn: &DatabaseTransaction,
    keys: &KeyRing,
    old: &Certificate,
    status: Status,
    reason: &str,
    superseded_by: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let no = CertNo::parse(&old.cert_no)?;
    let (signature, key_id) = sign_status(keys, &no, &old.content_sm3, status, at);
    let changed = cert::Entity::update_many()
        .col_expr(cert::Column::Status, Expr::value(status.code()))
        .col_expr(cert::Column::StatusSince, Expr::value(at))
        .col_expr(cert::Column::StatusSignature, Expr::value(signature))
        .col_expr(cert::Column::StatusKeyId, Expr::value(key_id))
        .col_expr(cert::Column::Reason, Expr::value(reason))
        .col_expr(
            cert::Column::SupersededBy,
            Expr::value(superseded_by.map(str::to_owned)),
        )
        .filter(cert::Column::CertNo.eq(old.cert_no.as_str()))
        .filter(cert::Column::Status.eq(Status::Valid.code()))
        .exec(txn)
        .await
        .map_err(db_error)?;
    if changed.rows_affected != 1 {
        return Err(wrong_status(old, "更改"));
    }
    Ok(())
}

/// Revokes a valid certificate of `unit`, with the reason.
pub async fn revoke(
    db: &DatabaseConnection,
    keys: &KeyRing,
    unit: &RegionCode,
    no: &CertNo,
    reason: &str,
    audit: &AuditEntry,
) -> Result<Certificate, Error> {
    let reason = rules::check_reason(reason, "撤销")?;
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let old = require(&txn, &no.to_string()).await?;
    if old.unit != unit.as_str() {
        return Err(Error::CatalogNotFound(format!("证明 {no}")));
    }
    if old.status != Status::Valid.code() {
        return Err(wrong_status(&old, "撤销"));
    }
    let now = whole_seconds(Utc::now());
    set_status(&txn, keys, &old, Status::Revoked, &reason, None, now).await?;
    let entry = AuditEntry {
        object: format!("certificate/{no}"),
        before: Some(serde_json::json!({ "status": old.status }).to_string()),
        after: Some(
            serde_json::json!({ "status": Status::Revoked.code(), "reason": reason }).to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    let row = require(&txn, &no.to_string()).await?;
    txn.commit().await.map_err(db_error)?;
    Ok(row)
}

async fn require<C: ConnectionTrait>(conn: &C, no: &str) -> Result<Certificate, Error> {
    cert::Entity::find()
        .filter(cert::Column::CertNo.eq(no))
        .one(conn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("证明 {no}")))
}

/// A certificate by number.
pub async fn get(db: &DatabaseConnection, no: &CertNo) -> Result<Option<Certificate>, Error> {
    cert::Entity::find()
        .filter(cert::Column::CertNo.eq(no.to_string()))
        .one(db)
        .await
        .map_err(db_error)
}

/// The identity number in full, for the issuing village only; every reading is audited.
pub async fn full_id_number(
    db: &DatabaseConnection,
    keys: &KeyRing,
    c: &Certificate,
    audit: &AuditEntry,
) -> Result<String, Error> {
    let plain = keys
        .field_cipher()
        .decrypt(&c.id_cipher, c.cert_no.as_bytes())
        .map_err(|e| {
            tracing::error!(cert_no = %c.cert_no, error = %e, "identity number does not decrypt");
            Error::Internal
        })?;
    let entry = AuditEntry {
        object: format!("certificate/{}", c.cert_no),
        after: Some(serde_json::json!({ "viewed": "id_number" }).to_string()),
        ..audit.clone()
    };
    crate::audit::append(db, &entry).await.map_err(db_error)?;
    String::from_utf8(plain).map_err(|_| Error::Internal)
}

/// Checks a stored certificate's two signatures and its tag against the keys: what a
/// verification trusts without redoing. Returns the problems found, in Chinese.
pub fn check_stored(keys: &KeyRing, c: &Certificate) -> Vec<String> {
    let mut problems = Vec::new();
    let Ok(no) = CertNo::parse(&c.cert_no) else {
        return vec![format!("编号 {} 格式不正确", c.cert_no)];
    };
    let content = Content {
        cert_no: no.clone(),
        type_code: c.type_code.clone(),
        type_name: c.type_name.clone(),
        listing: Listing::from_code(&c.listing).unwrap_or(Listing::NotListed),
        issuer_code: no.unit,
        issuer_name: c.unit_name.clone(),
        issued_on: c.issued_on,
        applicant_name: c.applicant_name.clone(),
        id_digest: c.id_digest.clone(),
        purpose: c.purpose.clone(),
        demanding_agency: c.demanding_agency.clone(),
        body: c.body.clone(),
        supersedes: c.supersedes.as_deref().and_then(|n| CertNo::parse(n).ok()),
    };
    let canonical = rules::canonical(&content);
    if to_hex(&jianfu_seal::sm3(&canonical)) != c.content_sm3 {
        problems.push("内容与签名时的摘要不符（记录被改动）".to_owned());
    }
    let verified = |key_id: &str, message: &[u8], signature: &str| {
        keys.public_key(key_id)
            .zip(crate::from_hex(signature))
            .is_some_and(|(k, s)| k.verify(message, &s))
    };
    if !verified(&c.key_id, &canonical, &c.signature) {
        problems.push("内容签名验证失败".to_owned());
    }
    let status = Status::from_code(&c.status);
    let statement = status
        .map(|s| rules::status_statement(&no, &c.content_sm3, s, &c.status_since.to_rfc3339()));
    if !statement.is_some_and(|m| verified(&c.status_key_id, &m, &c.status_signature)) {
        problems.push("状态签名验证失败（状态被改动）".to_owned());
    }
    if !tags_match(&tag(keys, &c.cert_no, &c.content_sm3), &c.tag) {
        problems.push("校验码与编号不符".to_owned());
    }
    match IdCardNo::parse(
        &keys
            .field_cipher()
            .decrypt(&c.id_cipher, c.cert_no.as_bytes())
            .ok()
            .and_then(|p| String::from_utf8(p).ok())
            .unwrap_or_default(),
    ) {
        Ok(id) if to_hex(&keys.mac(ID_PURPOSE, id.as_str().as_bytes())) == c.id_digest => {}
        _ => problems.push("加密的身份证号无法解密或与摘要不符".to_owned()),
    }
    problems
}

/// Up to `limit` certificates after the id `after`, in id order (a scan of all of them).
pub async fn after(
    db: &DatabaseConnection,
    after: i64,
    limit: u64,
) -> Result<Vec<Certificate>, Error> {
    cert::Entity::find()
        .filter(cert::Column::Id.gt(after))
        .order_by_asc(cert::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(db_error)
}

/// What a public verification reads: one row by the unique number, only the columns shown.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct Public {
    pub unit_name: String,
    pub type_name: String,
    pub listing: String,
    pub applicant_name: String,
    pub issued_on: NaiveDate,
    pub tag: String,
    pub status: String,
}

pub async fn public(db: &DatabaseConnection, no: &str) -> Result<Option<Public>, Error> {
    use sea_orm::{FromQueryResult, Statement};
    // The public verification's one read: its SQL is built once.
    static SQL: crate::sql::CachedSql = crate::sql::CachedSql::new();
    let backend = db.get_database_backend();
    let sql = SQL.get(backend, |b| {
        let sql = cert::Entity::find()
            .select_only()
            .columns([
                cert::Column::UnitName,
                cert::Column::TypeName,
                cert::Column::Listing,
                cert::Column::ApplicantName,
                cert::Column::IssuedOn,
                cert::Column::Tag,
                cert::Column::Status,
            ])
            .filter(cert::Column::CertNo.eq(""))
            .build(b)
            .sql;
        // The covering index answers from one narrow B-tree; SQLite's planner prefers the
        // unique index and then reads the wide row, unless told.
        match b {
            sea_orm::DbBackend::Sqlite => {
                let from = r#"FROM "certificate""#;
                // A change in sea-query's output would otherwise drop the hint without a word.
                debug_assert!(sql.contains(from), "{sql}");
                sql.replacen(
                    from,
                    r#"FROM "certificate" INDEXED BY "ix_certificate_public""#,
                    1,
                )
            }
            _ => sql,
        }
    });
    let stmt = Statement::from_sql_and_values(backend, sql, [no.into()]);
    let row = db.query_one_raw(stmt).await.map_err(db_error)?;
    row.map(|r| Public::from_query_result(&r, ""))
        .transpose()
        .map_err(db_error)
}

/// One verification as logged.
#[derive(Debug, Clone)]
pub struct Verified {
    pub cert_no: String,
    pub outcome: &'static str,
    pub client: String,
    pub at: DateTime<Utc>,
}

/// Writes a batch of verifications (the web layer collects them and writes every second), all
/// or none: a batch that failed is sent again whole, so none of it may have been written.
pub async fn log_verifications(db: &DatabaseConnection, batch: &[Verified]) -> Result<(), Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    for chunk in batch.chunks(1000) {
        check::Entity::insert_many(chunk.iter().map(|v| check::ActiveModel {
            cert_no: Set(v.cert_no.chars().take(40).collect()),
            outcome: Set(v.outcome.to_owned()),
            client: Set(v.client.clone()),
            at: Set(v.at),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await
        .map_err(db_error)?;
    }
    txn.commit().await.map_err(db_error)
}

/// How many times a number was verified.
pub async fn verification_count(db: &DatabaseConnection, no: &str) -> Result<u64, Error> {
    use sea_orm::PaginatorTrait;
    check::Entity::find()
        .filter(check::Column::CertNo.eq(no))
        .count(db)
        .await
        .map_err(db_error)
}

/// Which ledger entries to read.
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub within: Option<RegionCode>,
    pub type_code: Option<String>,
    pub status: Option<Status>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Applicant name or certificate number, as typed.
    pub text: Option<String>,
}

fn ledger_query(f: &LedgerFilter) -> sea_orm::Select<cert::Entity> {
    let mut q = cert::Entity::find();
    if let Some(within) = &f.within {
        let (lo, hi) = crate::region::subtree_range(within);
        q = q
            .filter(cert::Column::Unit.gte(lo))
            .filter(cert::Column::Unit.lte(hi));
    }
    if let Some(t) = &f.type_code {
        q = q.filter(cert::Column::TypeCode.eq(t.as_str()));
    }
    if let Some(s) = f.status {
        q = q.filter(cert::Column::Status.eq(s.code()));
    }
    if let Some(from) = f.from {
        q = q.filter(cert::Column::IssuedOn.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(cert::Column::IssuedOn.lte(to));
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q = q.filter(
            cert::Column::CertNo
                .eq(text)
                .or(cert::Column::ApplicantName.eq(text)),
        );
    }
    q.order_by_desc(cert::Column::IssuedAt)
        .order_by_desc(cert::Column::Id)
}

/// One page of the ledger, newest first.
pub async fn ledger(
    db: &DatabaseConnection,
    f: &LedgerFilter,
    page: PageRequest,
) -> Result<Page<Certificate>, Error> {
    crate::paged(db, ledger_query(f), page, |c| c).await
}

/// Most rows one export reads.
pub const MAX_READ: u64 = 20_000;

/// Every ledger entry the filter selects, newest first, up to [`MAX_READ`] (for Excel).
pub async fn ledger_all(
    db: &DatabaseConnection,
    f: &LedgerFilter,
) -> Result<Vec<Certificate>, Error> {
    ledger_query(f)
        .limit(MAX_READ)
        .all(db)
        .await
        .map_err(db_error)
}

/// Which requests to read.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub within: Option<RegionCode>,
    pub listing: Option<Listing>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn request_query(f: &RequestFilter) -> sea_orm::Select<request::Entity> {
    request_filter(f)
        .order_by_desc(request::Column::CreatedAt)
        .order_by_desc(request::Column::Id)
}

/// The filter's requests, unordered (grouped counts may order only by what they group).
fn request_filter(f: &RequestFilter) -> sea_orm::Select<request::Entity> {
    let mut q = request::Entity::find();
    if let Some(within) = &f.within {
        let (lo, hi) = crate::region::subtree_range(within);
        q = q
            .filter(request::Column::Unit.gte(lo))
            .filter(request::Column::Unit.lte(hi));
    }
    if let Some(l) = f.listing {
        q = q.filter(request::Column::Listing.eq(l.code()));
    }
    if let Some(from) = f.from {
        q = q.filter(request::Column::Day.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(request::Column::Day.lte(to));
    }
    q
}

/// One page of requests, newest first.
pub async fn requests(
    db: &DatabaseConnection,
    f: &RequestFilter,
    page: PageRequest,
) -> Result<Page<Request>, Error> {
    crate::paged(db, request_query(f), page, |r| r).await
}

/// Requests counted by unit, type and how the lists treated them.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct RequestCount {
    pub unit: String,
    pub type_name: String,
    pub listing: String,
    pub n: i64,
}

/// Request counts in the filter's region and period, by unit, type and listing.
pub async fn request_counts(
    db: &DatabaseConnection,
    f: &RequestFilter,
) -> Result<Vec<RequestCount>, Error> {
    request_filter(f)
        .select_only()
        .column(request::Column::Unit)
        .column(request::Column::TypeName)
        .column(request::Column::Listing)
        .column_as(Expr::col(request::Column::Id).count(), "n")
        .group_by(request::Column::Unit)
        .group_by(request::Column::TypeName)
        .group_by(request::Column::Listing)
        .order_by_asc(request::Column::Unit)
        .into_model::<RequestCount>()
        .all(db)
        .await
        .map_err(db_error)
}

/// An agency and how many must-not-issue certificates it demanded.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct AgencyCount {
    pub demanding_agency: String,
    pub n: i64,
}

/// The agencies that most often demand must-not-issue certificates, most first.
pub async fn demanding_agencies(
    db: &DatabaseConnection,
    f: &RequestFilter,
    limit: u64,
) -> Result<Vec<AgencyCount>, Error> {
    let f = RequestFilter {
        listing: Some(Listing::MustNotIssue),
        ..f.clone()
    };
    let mut rows = request_filter(&f)
        .select_only()
        .column(request::Column::DemandingAgency)
        .column_as(Expr::col(request::Column::Id).count(), "n")
        .group_by(request::Column::DemandingAgency)
        .into_model::<AgencyCount>()
        .all(db)
        .await
        .map_err(db_error)?;
    rows.sort_by(|a, b| {
        b.n.cmp(&a.n)
            .then_with(|| a.demanding_agency.cmp(&b.demanding_agency))
    });
    rows.truncate(limit as usize);
    Ok(rows)
}

/// What a seal was used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealKind {
    /// For a certificate, which the ledger must hold.
    Certificate,
    Other,
}

impl SealKind {
    pub fn code(self) -> &'static str {
        match self {
            SealKind::Certificate => "certificate",
            SealKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SealKind::Certificate => "开具证明",
            SealKind::Other => "其他用章",
        }
    }

    pub fn from_code(code: &str) -> Option<SealKind> {
        [SealKind::Certificate, SealKind::Other]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// A seal use recorded by hand (a paper document, a certificate stamped outside the platform).
#[derive(Debug, Clone)]
pub struct NewSealUse {
    pub unit: RegionCode,
    pub used_on: NaiveDate,
    pub kind: SealKind,
    pub purpose: String,
    pub document: String,
    pub cert_no: Option<String>,
    pub recorded_by: String,
}

pub async fn record_seal_use(
    db: &DatabaseConnection,
    new: &NewSealUse,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    let purpose = rules::check_field("用章事由", &new.purpose, 200, true)?;
    let document = rules::check_field("用章文件", &new.document, 200, false)?;
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let id = seal::Entity::insert(seal::ActiveModel {
        unit: Set(new.unit.as_str().to_owned()),
        used_on: Set(new.used_on),
        kind: Set(new.kind.code().to_owned()),
        purpose: Set(purpose.clone()),
        document: Set(document),
        cert_no: Set(new.cert_no.clone()),
        recorded_by: Set(new.recorded_by.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    let entry = AuditEntry {
        object: format!("seal-use/{id}"),
        after: Some(
            serde_json::json!({
                "unit": new.unit.as_str(),
                "kind": new.kind.code(),
                "purpose": purpose,
                "cert_no": new.cert_no,
            })
            .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(id)
}

/// One page of a unit's seal uses, newest first.
pub async fn seal_uses(
    db: &DatabaseConnection,
    unit: &RegionCode,
    page: PageRequest,
) -> Result<Page<SealUse>, Error> {
    let q = seal::Entity::find()
        .filter(seal::Column::Unit.eq(unit.as_str()))
        .order_by_desc(seal::Column::UsedOn)
        .order_by_desc(seal::Column::Id);
    crate::paged(db, q, page, |s| s).await
}

/// What the reconciliation (台账与用章核对) finds in a region.
#[derive(Debug, Clone, Default)]
pub struct Reconciliation {
    /// Seal uses for a certificate the ledger does not hold (or that name none).
    pub seal_without_ledger: Vec<SealUse>,
    /// Ledger entries no seal use was recorded for.
    pub ledger_without_seal: Vec<Certificate>,
}

/// Compares the seal uses with the ledger in `within`.
pub async fn reconcile(
    db: &DatabaseConnection,
    within: &RegionCode,
) -> Result<Reconciliation, Error> {
    let (lo, hi) = crate::region::subtree_range(within);
    let numbers = cert::Entity::find()
        .select_only()
        .column(cert::Column::CertNo)
        .into_query();
    let seal_without_ledger = seal::Entity::find()
        .filter(seal::Column::Unit.gte(lo.clone()))
        .filter(seal::Column::Unit.lte(hi.clone()))
        .filter(seal::Column::Kind.eq(SealKind::Certificate.code()))
        .filter(
            seal::Column::CertNo
                .is_null()
                .or(seal::Column::CertNo.not_in_subquery(numbers)),
        )
        .order_by_desc(seal::Column::UsedOn)
        .limit(MAX_READ)
        .all(db)
        .await
        .map_err(db_error)?;
    let stamped = seal::Entity::find()
        .select_only()
        .column(seal::Column::CertNo)
        .filter(seal::Column::CertNo.is_not_null())
        .into_query();
    let ledger_without_seal = cert::Entity::find()
        .filter(cert::Column::Unit.gte(lo))
        .filter(cert::Column::Unit.lte(hi))
        .filter(cert::Column::CertNo.not_in_subquery(stamped))
        .order_by_desc(cert::Column::IssuedAt)
        .limit(MAX_READ)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(Reconciliation {
        seal_without_ledger,
        ledger_without_seal,
    })
}

/// The template of a type, if civil affairs set one.
pub async fn template(db: &DatabaseConnection, type_code: &str) -> Result<Option<String>, Error> {
    Ok(template::Entity::find()
        .filter(template::Column::TypeCode.eq(type_code))
        .one(db)
        .await
        .map_err(db_error)?
        .map(|t| t.body))
}

/// Every type's edited template: (type code, body, who, when).
pub async fn templates(
    db: &DatabaseConnection,
) -> Result<Vec<crate::entity::certificate_template::Model>, Error> {
    template::Entity::find()
        .order_by_asc(template::Column::TypeCode)
        .all(db)
        .await
        .map_err(db_error)
}

/// Sets a type's template (checked), keeping the old one in the audit record.
pub async fn set_template(
    db: &DatabaseConnection,
    type_code: &str,
    body: &str,
    by: &str,
    audit: &AuditEntry,
) -> Result<(), Error> {
    rules::check_template(body)?;
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let old = template::Entity::find()
        .filter(template::Column::TypeCode.eq(type_code))
        .one(&txn)
        .await
        .map_err(db_error)?;
    template::Entity::insert(template::ActiveModel {
        type_code: Set(type_code.to_owned()),
        body: Set(body.trim().to_owned()),
        updated_by: Set(by.to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(template::Column::TypeCode)
            .update_columns([
                template::Column::Body,
                template::Column::UpdatedBy,
                template::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("certificate-template/{type_code}"),
        before: old.map(|o| serde_json::json!({ "body": o.body }).to_string()),
        after: Some(serde_json::json!({ "body": body.trim() }).to_string()),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// Whether unlisted types may go through a residents' consultation in `unit`: the rule of
/// the nearest region above it that has one (district before city); none means no.
pub async fn allows_consulted(db: &DatabaseConnection, unit: &RegionCode) -> Result<bool, Error> {
    let mut codes = Vec::new();
    let mut at = Some(*unit);
    while let Some(code) = at {
        codes.push(code.as_str().to_owned());
        at = code.parent();
    }
    let rules = rule::Entity::find()
        .filter(rule::Column::Region.is_in(codes))
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(rules
        .into_iter()
        .max_by_key(|r| r.region.trim_end_matches('0').len())
        .is_some_and(|r| r.allow_consulted))
}

/// Every region's rule: (region code, allows).
pub async fn rules(db: &DatabaseConnection) -> Result<Vec<(String, bool)>, Error> {
    Ok(rule::Entity::find()
        .order_by_asc(rule::Column::Region)
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|r| (r.region, r.allow_consulted))
        .collect())
}

/// Sets a region's rule on unlisted types.
pub async fn set_rule(
    db: &DatabaseConnection,
    region: &RegionCode,
    allow: bool,
    by: &str,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    rule::Entity::insert(rule::ActiveModel {
        region: Set(region.as_str().to_owned()),
        allow_consulted: Set(allow),
        updated_by: Set(by.to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(rule::Column::Region)
            .update_columns([
                rule::Column::AllowConsulted,
                rule::Column::UpdatedBy,
                rule::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("certificate-rule/{region}"),
        after: Some(serde_json::json!({ "allow_consulted": allow }).to_string()),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}
