//! Certificates at the village (证明开具), shared by the phone pages and the API: which types
//! the lists let the unit issue today, a request decided by `jianfu_domain::certificate::decide`
//! and written by `jianfu_store::certificate` (issued, or refused with guidance, always with the
//! demanding agency), the printout, and the public verification behind the QR code.
//!
//! A verification reads one row by its unique number and compares the tag in constant time;
//! the signatures were checked when they were made and are checked again by `jianfu
//! certificates verify`, not per request. Verifications are logged in batches, once a
//! second, so the public page does not write to the database on every scan.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use jianfu_domain::account::Perm;
use jianfu_domain::catalog::{DirectoryItem, DirectoryKind, ItemCode};
use jianfu_domain::certificate::{
    self as rules, CertNo, Consultation, Decision, IdCardNo, Listing, Lists, Requested, Status,
};
use jianfu_domain::{Error, Level, Region};
use jianfu_store::certificate::{
    Certificate, NewCertificate, NewRequest, Outcome, Public, Verified,
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::limit::RateLimiter;
use crate::search::Snapshot;

/// Verifications one address may make in a minute (a bank counter scanning a queue of
/// residents stays far below; a script enumerating numbers does not).
pub const VERIFICATIONS_PER_MINUTE: u32 = 120;

/// The certificate desk of one app node: the public address QR codes point to, the
/// verification limiter, and the verifications waiting to be logged.
pub struct Desk {
    /// e.g. `https://jianfu.example.gov.cn`, without a trailing slash.
    pub public_url: String,
    limiter: RateLimiter,
    /// Verifications not yet logged, with the caller's address.
    queued: Mutex<Vec<Queued>>,
    /// Logged entries a failed write left over (their addresses hashed already).
    unwritten: Mutex<Vec<Verified>>,
    flusher: std::sync::OnceLock<()>,
}

impl Desk {
    pub fn new(public_url: &str, verifications_per_minute: u32) -> Desk {
        Desk {
            public_url: public_url.trim().trim_end_matches('/').to_owned(),
            limiter: RateLimiter::per_minute(verifications_per_minute),
            queued: Mutex::new(Vec::new()),
            unwritten: Mutex::new(Vec::new()),
            flusher: std::sync::OnceLock::new(),
        }
    }

    /// What the QR code of `c` opens.
    pub fn verify_url(&self, cert_no: &str, tag: &str) -> String {
        format!("{}/verify/{cert_no}?t={tag}", self.public_url)
    }

    /// Queues a verification for the log; the first one starts the node's writer, which
    /// writes what has queued up once a second.
    fn log(&self, state: &AppState, v: Queued) {
        self.queued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(v);
        self.flusher.get_or_init(|| {
            let (db, keys, desk) = (
                state.db.clone(),
                state.keys.clone(),
                state.certificates.clone(),
            );
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    desk.flush(&db, &keys).await;
                }
            });
        });
    }

    /// Writes the queued verifications now (the writer's tick; tests call it directly). The
    /// log keeps a keyed hash of each address, not the address; hashed here, once per address
    /// in a batch, rather than on each request's path.
    pub async fn flush(&self, db: &jianfu_store::DatabaseConnection, keys: &jianfu_seal::KeyRing) {
        let queued = std::mem::take(&mut *self.queued.lock().unwrap_or_else(|e| e.into_inner()));
        let mut batch =
            std::mem::take(&mut *self.unwritten.lock().unwrap_or_else(|e| e.into_inner()));
        if queued.is_empty() && batch.is_empty() {
            return;
        }
        let mut hashed: HashMap<String, String> = HashMap::new();
        batch.extend(queued.into_iter().map(|q| {
            Verified {
                client: hashed
                    .entry(q.address)
                    .or_insert_with_key(|a| hex_prefix(&keys.mac("verify-client/1", a.as_bytes())))
                    .clone(),
                cert_no: q.cert_no,
                outcome: q.outcome,
                at: q.at,
            }
        }));
        if let Err(e) = jianfu_store::certificate::log_verifications(db, &batch).await {
            // Kept for the next tick.
            tracing::warn!(error = %e, n = batch.len(), "verification log not written");
            self.unwritten
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(batch);
        }
    }
}

/// A verification waiting for the log.
struct Queued {
    cert_no: String,
    outcome: &'static str,
    address: String,
    at: chrono::DateTime<Utc>,
}

impl Default for Desk {
    fn default() -> Desk {
        Desk::new("http://127.0.0.1:8080", VERIFICATIONS_PER_MINUTE)
    }
}

/// A certificate type as the unit may pick it.
#[derive(Debug, Clone)]
pub struct TypeEntry<'s> {
    pub item: &'s DirectoryItem,
    pub version: u32,
}

/// The lists for `unit` on `day`: the city versions in force with the district's refinement,
/// only the items valid and applicable to the unit's kind.
pub fn lists<'s>(
    snapshot: &'s Snapshot,
    unit: &Region,
    day: NaiveDate,
    allow_consulted: bool,
) -> Lists<'s> {
    let of = |kind: DirectoryKind| {
        (
            snapshot.effective_for(kind, unit, day),
            snapshot.in_force(kind, day).map(|v| v.number),
        )
    };
    let (may_issue, may_issue_version) = of(DirectoryKind::CertificateMayIssue);
    let (must_not, must_not_version) = of(DirectoryKind::CertificateMustNotIssue);
    Lists {
        may_issue,
        may_issue_version,
        must_not,
        must_not_version,
        allow_consulted,
    }
}

/// The unit of a village worker; certificates are issued by villages and communities only.
pub async fn own_unit(state: &AppState, user: &CurrentUser, object: &str) -> Result<Region, Error> {
    user.require(state, Perm::IssueCertificates, object).await?;
    if user.principal.region.level() != Level::Village {
        return Err(Error::refused("证明由村（社区）开具"));
    }
    jianfu_store::region::require(&state.db, &user.principal.region).await
}

/// The applicant as the form or the API sends them.
#[derive(Deserialize, ToSchema, Default, Clone)]
pub struct ApplicantFields {
    #[serde(default)]
    #[schema(example = "张三")]
    pub name: String,
    /// 18-character resident identity number (GB 11643).
    #[serde(default)]
    #[schema(example = "120101199001011239")]
    pub id_number: String,
}

/// The residents' consultation that lets an unlisted type through where the region allows it.
#[derive(Deserialize, ToSchema, Default, Clone)]
pub struct ConsultationFields {
    /// YYYY-MM-DD.
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub participants: String,
    #[serde(default)]
    pub summary: String,
    /// The director (主任) who signed.
    #[serde(default)]
    pub director: String,
}

/// A certificate request.
#[derive(Deserialize, ToSchema, Default, Clone)]
pub struct CertificateFields {
    /// The list item's code (KC-… may issue; a BC-… must-not code is refused with guidance).
    #[serde(default)]
    #[schema(example = "KC-001")]
    pub type_code: Option<String>,
    /// For a type on neither list: its name (then `type_code` is left out).
    #[serde(default)]
    pub type_name: Option<String>,
    #[serde(default)]
    pub applicant: ApplicantFields,
    /// What the resident needs it for (事由).
    #[serde(default)]
    #[schema(example = "子女入学")]
    pub purpose: String,
    /// The agency that demanded the certificate (要求开具单位); recorded with every request.
    #[serde(default)]
    #[schema(example = "和平区某小学")]
    pub demanding_agency: String,
    /// What is certified (证明内容), e.g. the address; printed where the template says.
    #[serde(default)]
    #[schema(example = "自2020年起居住在本社区幸福里3号楼")]
    pub details: String,
    #[serde(default)]
    pub consultation: Option<ConsultationFields>,
}

fn requested(f: &CertificateFields) -> Result<Requested, Error> {
    let code = f
        .type_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let name = f
        .type_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    match (code, name) {
        (Some(code), _) => {
            let code = code.to_uppercase();
            [DirectoryKind::CertificateMayIssue, DirectoryKind::CertificateMustNotIssue]
                .into_iter()
                .find_map(|k| ItemCode::parse(k, &code).ok())
                .map(Requested::Item)
                .ok_or_else(|| {
                    Error::refused(format!(
                        "证明类型编码“{code}”格式不正确：可出具证明为 KC-001 这样的编码，不应出具证明为 BC-001"
                    ))
                })
        }
        (None, Some(name)) => Ok(Requested::Unlisted(rules::check_field(
            "证明名称",
            name,
            100,
            true,
        )?)),
        (None, None) => Err(Error::refused("请选择证明类型")),
    }
}

fn consultation(f: &CertificateFields) -> Result<Option<Consultation>, Error> {
    let Some(c) = &f.consultation else {
        return Ok(None);
    };
    if [&c.held_on, &c.participants, &c.summary, &c.director]
        .iter()
        .all(|v| v.trim().is_empty())
    {
        return Ok(None);
    }
    let held_on = NaiveDate::parse_from_str(c.held_on.trim(), "%Y-%m-%d").map_err(|_| {
        Error::refused(format!(
            "协商日期“{}”格式不正确，应为 YYYY-MM-DD",
            c.held_on.trim()
        ))
    })?;
    if held_on > today() {
        return Err(Error::refused("协商日期不能晚于今天"));
    }
    Ok(Some(Consultation {
        held_on,
        participants: rules::check_field("参加协商人员", &c.participants, 500, true)?,
        summary: rules::check_field("协商意见", &c.summary, 1000, true)?,
        director: rules::check_field("签字主任", &c.director, 50, true)?,
    }))
}

/// The template a type prints with: civil affairs' edit, else the one in the list's service
/// guide, else the platform's general one.
pub async fn template_for(
    state: &AppState,
    type_code: &str,
    item: Option<&DirectoryItem>,
) -> Result<String, Error> {
    if !type_code.is_empty()
        && let Some(t) = jianfu_store::certificate::template(&state.db, type_code).await?
    {
        return Ok(t);
    }
    let from_guide = item
        .and_then(|i| i.guide.as_ref())
        .map(|g| g.template.trim())
        .filter(|t| !t.is_empty() && rules::check_template(t).is_ok());
    Ok(from_guide.unwrap_or(rules::DEFAULT_TEMPLATE).to_owned())
}

/// The decision for `unit` today on what was asked for, with the consultation given.
async fn decide(
    state: &AppState,
    unit: &Region,
    wanted: &Requested,
    consulted: Option<&Consultation>,
) -> Result<Decision, Error> {
    let allow = jianfu_store::certificate::allows_consulted(&state.db, &unit.code).await?;
    let day = today();
    let snapshot = state.catalog.snapshot(&state.db, day).await?;
    let lists = lists(&snapshot, unit, day, allow);
    rules::decide(&lists, wanted, consulted)
}

/// Decides and records a request of the caller's unit: a certificate, or the refusal (also
/// recorded) as `Error::CertificateNotAllowed` with its guidance. `supersedes` makes it a
/// reissue (补发/更正) of a valid certificate of the unit, with the reason.
pub async fn request(
    state: &AppState,
    user: &CurrentUser,
    f: &CertificateFields,
    idempotency_key: Option<String>,
    supersedes: Option<(CertNo, String)>,
) -> Result<Certificate, Error> {
    let unit = own_unit(state, user, "certificate").await?;
    let demanding_agency = rules::check_field("要求开具单位", &f.demanding_agency, 200, true)?;
    let purpose = rules::check_field("事由", &f.purpose, 300, true)?;
    let wanted = requested(f)?;
    let consulted = consultation(f)?;
    let decision = decide(state, &unit, &wanted, consulted.as_ref()).await?;
    let type_code = match &wanted {
        Requested::Item(code) => code.as_str().to_owned(),
        Requested::Unlisted(_) => String::new(),
    };
    let new = NewRequest {
        unit: unit.clone(),
        requested_by: user.principal.username.clone(),
        decision: decision.clone(),
        type_code: type_code.clone(),
        demanding_agency,
        purpose,
        consultation: consulted,
        idempotency_key,
        at: Utc::now(),
    };
    if !decision.listing.issues() {
        let audit = user.audit_entry("certificate.refuse", "certificate-request");
        return match jianfu_store::certificate::refuse(&state.db, &new, &audit).await? {
            Outcome::Issued(c) => Ok(*c),
            Outcome::Refused(r) => Err(Error::CertificateNotAllowed {
                message: r.message,
                guidance: r.guidance,
            }),
        };
    }
    let applicant_name = rules::check_field("申请人姓名", &f.applicant.name, 50, true)?;
    let id_number = IdCardNo::parse(&f.applicant.id_number)?;
    let details = rules::check_field("证明内容", &f.details, 1000, false)?;
    let template = template_for(state, &type_code, decision.item.as_ref()).await?;
    let c = NewCertificate {
        applicant_name,
        id_number,
        details,
        template,
        supersedes,
    };
    let event = if c.supersedes.is_some() {
        "certificate.reissue"
    } else {
        "certificate.issue"
    };
    let audit = user.audit_entry(event, "certificate");
    match jianfu_store::certificate::issue(&state.db, &state.keys, &new, &c, &audit).await? {
        Outcome::Issued(c) => Ok(*c),
        Outcome::Refused(r) => Err(Error::CertificateNotAllowed {
            message: r.message,
            guidance: r.guidance,
        }),
    }
}

/// A certificate of the caller's own unit (others' are not found, as if they did not exist).
pub async fn own(state: &AppState, user: &CurrentUser, raw: &str) -> Result<Certificate, Error> {
    let unit = own_unit(state, user, "certificate").await?;
    let no = CertNo::parse(raw)?;
    match jianfu_store::certificate::get(&state.db, &no).await? {
        Some(c) if c.unit == unit.code.as_str() => Ok(c),
        _ => Err(Error::CatalogNotFound(format!("证明 {no}"))),
    }
}

/// Revokes a certificate of the caller's unit.
pub async fn revoke(
    state: &AppState,
    user: &CurrentUser,
    raw: &str,
    reason: &str,
) -> Result<Certificate, Error> {
    let c = own(state, user, raw).await?;
    let no = CertNo::parse(&c.cert_no)?;
    let audit = user.audit_entry("certificate.revoke", &format!("certificate/{no}"));
    let unit = user.principal.region;
    jianfu_store::certificate::revoke(&state.db, &state.keys, &unit, &no, reason, &audit).await
}

/// The fields of a reissue: the old certificate's, with the worker's corrections.
pub fn reissue_fields(c: &Certificate) -> CertificateFields {
    CertificateFields {
        type_code: Some(c.type_code.clone()).filter(|t| !t.is_empty()),
        type_name: Some(c.type_name.clone()).filter(|_| c.type_code.is_empty()),
        applicant: ApplicantFields {
            name: c.applicant_name.clone(),
            id_number: String::new(),
        },
        purpose: c.purpose.clone(),
        demanding_agency: c.demanding_agency.clone(),
        details: c.details.clone(),
        consultation: None,
    }
}

/// The printout of a certificate of the caller's unit, with the identity number in full
/// (the reading is audited).
pub async fn pdf(state: &AppState, user: &CurrentUser, c: &Certificate) -> Result<Vec<u8>, Error> {
    let audit = user.audit_entry("certificate.print", &format!("certificate/{}", c.cert_no));
    let id = jianfu_store::certificate::full_id_number(&state.db, &state.keys, c, &audit).await?;
    let url = state.certificates.verify_url(&c.cert_no, &c.tag);
    let qr_svg = jianfu_docs::qr::svg(&url).map_err(|e| {
        tracing::error!(error = %e, "qr code");
        Error::Internal
    })?;
    let doc = jianfu_print::CertificateDocument {
        cert_no: c.cert_no.clone(),
        title: c.type_name.clone(),
        body: rules::with_identity(&c.body, &id),
        issuer: c.unit_name.clone(),
        issued_on: c.issued_on,
        verify_url: url,
        qr_svg,
        void: match Status::from_code(&c.status) {
            Some(Status::Valid) => None,
            Some(Status::Revoked) => Some("已撤销".to_owned()),
            _ => Some("已作废".to_owned()),
        },
    };
    let day = today();
    tokio::task::spawn_blocking(move || jianfu_print::certificate_pdf(&doc, day))
        .await
        .map_err(|_| Error::Internal)?
        .map_err(|e| {
            tracing::error!(error = %e, "certificate pdf");
            Error::Internal
        })
}

/// What the verifier answers, with the few facts it may show.
pub struct Answer {
    pub cert_no: String,
    pub verification: rules::Verification,
    /// Shown only when authentic: type, issuer, date, masked name.
    pub shown: Option<Public>,
}

/// Verifies a number and its tag for `client` (their address); logged and rate-limited.
pub async fn verify(
    state: &AppState,
    raw: &str,
    tag: Option<&str>,
    client: &str,
) -> Result<Answer, Error> {
    if !state.certificates.limiter.allow(client, Instant::now()) {
        return Err(Error::RateLimited);
    }
    let raw = raw.trim();
    let found = match CertNo::parse(raw) {
        Ok(no) => jianfu_store::certificate::public(&state.db, &no.to_string()).await?,
        Err(_) => None,
    };
    let tag = tag.map(str::trim).unwrap_or_default();
    let tag_matches = found
        .as_ref()
        .is_some_and(|f| jianfu_store::certificate::tags_match(tag, &f.tag));
    let facts = found.as_ref().map(|f| {
        (
            Status::from_code(&f.status).unwrap_or(Status::Revoked),
            Listing::from_code(&f.listing).unwrap_or(Listing::NotListed),
        )
    });
    // The list that decided was recorded, and signed, with the certificate.
    let verification = rules::verify(
        facts,
        tag_matches,
        facts.is_some_and(|(_, l)| l == Listing::MayIssue),
    );
    let outcome = match verification.status {
        _ if found.is_none() => "unknown",
        None => "forged",
        Some(s) => s.code(),
    };
    state.certificates.log(
        state,
        Queued {
            cert_no: raw.chars().take(40).collect(),
            outcome,
            address: client.to_owned(),
            at: Utc::now(),
        },
    );
    Ok(Answer {
        cert_no: raw.to_owned(),
        shown: found.filter(|_| verification.authentic),
        verification,
    })
}

fn hex_prefix(mac: &[u8; 32]) -> String {
    use std::fmt::Write;
    mac[..8].iter().fold(String::with_capacity(16), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
