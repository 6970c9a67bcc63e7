//! 证明开具 on a phone, the certificate ledger (台账) and seal-use book (用章登记) of a
//! village or community; 证明统计 for civil affairs and townships (counts, the agencies that
//! demand must-not certificates, the reconciliation of seal uses and ledger); templates and
//! the rule on unlisted types for civil affairs; and the public verifier (/verify).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use jianfu_domain::account::Perm;
use jianfu_domain::catalog::DirectoryKind;
use jianfu_domain::certificate::{self as rules, CertNo, Listing, Status, mask_name};
use jianfu_domain::{Error, Level, PageRequest, RegionCode};
use jianfu_store::certificate::{Certificate, LedgerFilter, RequestFilter, SealKind};
use serde::{Deserialize, Serialize};

use super::{Crumb, Nav, field, posted};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::certificate::{self as desk, ApplicantFields, CertificateFields, ConsultationFields};
use crate::error::PageError;

/// A type as the picker shows it.
pub struct TypeCard {
    pub code: String,
    pub name: String,
    pub basis: String,
    /// (label, text) of the service guide or the refusal guidance.
    pub guide: Vec<(&'static str, String)>,
    pub is_demo: bool,
}

fn card(e: &jianfu_domain::catalog::EffectiveItem<'_>) -> TypeCard {
    let mut guide = Vec::new();
    if let Some(g) = &e.item.guide {
        for (label, text) in [
            ("所需材料", &g.materials),
            ("办理条件", &g.conditions),
            ("办理流程", &g.steps),
        ] {
            if !text.trim().is_empty() {
                guide.push((label, text.clone()));
            }
        }
        if let Some(d) = g.time_limit_days {
            guide.push(("办理时限", format!("{d} 个工作日")));
        }
    }
    if let Some(r) = e
        .item
        .refusal_guidance
        .as_ref()
        .filter(|r| !r.trim().is_empty())
    {
        guide.push(("办理指引", r.clone()));
    }
    TypeCard {
        code: e.item.code.as_str().to_owned(),
        name: e.item.name.clone(),
        basis: e.item.basis.clone(),
        guide,
        is_demo: e.item.is_demo,
    }
}

/// A ledger line.
pub struct LedgerRow {
    pub cert_no: String,
    pub unit: String,
    pub type_name: String,
    pub applicant: String,
    pub id_number: String,
    pub purpose: String,
    pub demanding_agency: String,
    pub issued_on: String,
    pub status: &'static str,
    pub valid: bool,
}

fn ledger_row(c: &Certificate) -> LedgerRow {
    LedgerRow {
        cert_no: c.cert_no.clone(),
        unit: c.unit_name.clone(),
        type_name: c.type_name.clone(),
        applicant: c.applicant_name.clone(),
        id_number: c.id_masked.clone(),
        purpose: c.purpose.clone(),
        demanding_agency: c.demanding_agency.clone(),
        issued_on: c.issued_on.to_string(),
        status: Status::from_code(&c.status).map_or("状态不明", Status::label),
        valid: c.status == Status::Valid.code(),
    }
}

/// A refusal as the worker sees it, to hand on to the resident.
pub struct Refusal {
    pub message: String,
    pub guidance: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "certificates.html")]
pub struct DeskPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    unit: String,
    day: String,
    may_issue: Vec<TypeCard>,
    must_not: Vec<TypeCard>,
    versions: String,
    allow_consulted: bool,
    fields: Vec<(String, String)>,
    idempotency_key: String,
    refusal: Option<Refusal>,
    error: Option<String>,
    notice: Option<String>,
    rows: Vec<LedgerRow>,
    query: String,
    status: String,
    text: String,
    statuses: Vec<(&'static str, &'static str)>,
    total: u64,
    page: u64,
    pages: u64,
}

impl DeskPage {
    fn value(&self, name: &str) -> &str {
        field(&self.fields, name)
    }
}

#[derive(Deserialize, Default)]
pub struct DeskParams {
    page: Option<u64>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    format: String,
}

fn status_filter(raw: &str) -> Result<Option<Status>, Error> {
    match raw.trim() {
        "" => Ok(None),
        s => Status::from_code(s).map(Some).ok_or_else(|| {
            Error::InvalidQuery(format!("状态“{s}”应为 valid、revoked 或 superseded"))
        }),
    }
}

async fn desk_page(
    state: &AppState,
    user: &CurrentUser,
    params: &DeskParams,
    fields: Vec<(String, String)>,
    refusal: Option<Refusal>,
    error: Option<String>,
) -> Result<DeskPage, Error> {
    let unit = desk::own_unit(state, user, "/certificates").await?;
    let day = today();
    let allow = jianfu_store::certificate::allows_consulted(&state.db, &unit.code).await?;
    let snapshot = state.catalog.snapshot(&state.db, day).await?;
    let lists = desk::lists(&snapshot, &unit, day, allow);
    let filter = LedgerFilter {
        within: Some(unit.code),
        status: status_filter(&params.status)?,
        text: Some(params.text.clone()),
        ..Default::default()
    };
    let found =
        jianfu_store::certificate::ledger(&state.db, &filter, PageRequest::new(params.page, None))
            .await?;
    let idempotency_key = match field(&fields, "idempotency_key") {
        "" => jianfu_store::auth::random_secret()[..32].to_owned(),
        k => k.to_owned(),
    };
    Ok(DeskPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("证明开具")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        unit: unit.name.clone(),
        day: day.to_string(),
        may_issue: lists.may_issue.iter().map(card).collect(),
        must_not: lists.must_not.iter().map(card).collect(),
        versions: format!(
            "可出具证明事项清单第 {} 版、不应出具证明事项清单第 {} 版",
            lists
                .may_issue_version
                .map_or("—".into(), |v| v.to_string()),
            lists.must_not_version.map_or("—".into(), |v| v.to_string())
        ),
        allow_consulted: allow,
        fields,
        idempotency_key,
        refusal,
        error,
        notice: Some(params.notice.clone()).filter(|n| !n.is_empty()),
        query: format!(
            "status={}&text={}",
            super::encode(&params.status),
            super::encode(&params.text)
        ),
        status: params.status.clone(),
        text: params.text.clone(),
        statuses: Status::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        pages: found.pages(),
        total: found.total,
        page: found.page,
        rows: found.items.iter().map(ledger_row).collect(),
    })
}

const LEDGER_HEADERS: [&str; 10] = [
    "证明编号",
    "开具单位",
    "证明类型",
    "申请人",
    "身份证号（脱敏）",
    "事由",
    "要求开具单位",
    "开具日期",
    "状态",
    "撤销或补发原因",
];

/// A ledger line as the Excel sheet has it, under [`LEDGER_HEADERS`].
fn ledger_cells(c: &Certificate) -> Vec<String> {
    let r = ledger_row(c);
    vec![
        r.cert_no,
        r.unit,
        r.type_name,
        r.applicant,
        r.id_number,
        r.purpose,
        r.demanding_agency,
        r.issued_on,
        r.status.to_owned(),
        c.reason.clone().unwrap_or_default(),
    ]
}

fn ledger_workbook(rows: &[Certificate], sheet: &str) -> Result<Vec<u8>, Error> {
    jianfu_docs::xlsx::workbook(sheet, &LEDGER_HEADERS, rows.iter().map(ledger_cells)).map_err(
        |e| {
            tracing::error!(error = %e, "certificate export failed");
            Error::Internal
        },
    )
}

/// 证明开具: the types, the form, the unit's ledger; `format=xlsx` downloads the ledger.
pub async fn desk(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<DeskParams>,
) -> Result<Response, PageError> {
    if params.format == "xlsx" {
        let unit = desk::own_unit(&state, &user, "/certificates").await?;
        let filter = LedgerFilter {
            within: Some(unit.code),
            status: status_filter(&params.status)?,
            text: Some(params.text.clone()),
            ..Default::default()
        };
        let rows = jianfu_store::certificate::ledger_all(&state.db, &filter).await?;
        let bytes = ledger_workbook(&rows, "证明台账")?;
        let name = format!("证明台账-{}-{}.xlsx", unit.name, today());
        return Ok(super::attachment(
            bytes,
            super::XLSX,
            "certificates.xlsx",
            &name,
        ));
    }
    Ok(desk_page(&state, &user, &params, Vec::new(), None, None)
        .await?
        .into_response())
}

fn fields_of(form: &[(String, String)]) -> CertificateFields {
    let picked = field(form, "type_code");
    let unlisted = picked == "unlisted";
    CertificateFields {
        type_code: Some(picked.to_owned()).filter(|c| !c.is_empty() && !unlisted),
        type_name: Some(field(form, "type_name").to_owned()).filter(|_| unlisted),
        applicant: ApplicantFields {
            name: field(form, "applicant_name").to_owned(),
            id_number: field(form, "id_number").to_owned(),
        },
        purpose: field(form, "purpose").to_owned(),
        demanding_agency: field(form, "demanding_agency").to_owned(),
        details: field(form, "details").to_owned(),
        consultation: unlisted.then(|| ConsultationFields {
            held_on: field(form, "consulted_on").to_owned(),
            participants: field(form, "participants").to_owned(),
            summary: field(form, "summary").to_owned(),
            director: field(form, "director").to_owned(),
        }),
    }
}

/// Issues, or shows the refusal with its guidance (recorded all the same).
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    desk::own_unit(&state, &user, "/certificates").await?;
    let form = posted(&user, &body)?;
    let key = Some(field(&form, "idempotency_key").to_owned()).filter(|k| !k.is_empty());
    match desk::request(&state, &user, &fields_of(&form), key, None).await {
        Ok(c) => Ok(Redirect::to(&format!(
            "/certificates/{}?notice={}",
            c.cert_no,
            super::encode("证明已开具，请打印后加盖公章")
        ))
        .into_response()),
        Err(Error::CertificateNotAllowed { message, guidance }) => {
            let refusal = Refusal { message, guidance };
            // A new key: the worker may go on with another request.
            let fields = form
                .into_iter()
                .filter(|(n, _)| n != "idempotency_key")
                .collect();
            let page = desk_page(
                &state,
                &user,
                &DeskParams::default(),
                fields,
                Some(refusal),
                None,
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) if e.kind() == jianfu_domain::ErrorKind::Refused => {
            let page = desk_page(
                &state,
                &user,
                &DeskParams::default(),
                form,
                None,
                Some(e.to_string()),
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "certificate.html")]
pub struct CertificatePage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    c: Certificate,
    status: &'static str,
    valid: bool,
    listing: &'static str,
    /// The body as the screen shows it (identity number masked, or in full once asked for).
    body: String,
    id_number: String,
    full_shown: bool,
    verify_url: String,
    qr_svg: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ShowParams {
    #[serde(default)]
    notice: String,
}

fn certificate_page(
    state: &AppState,
    user: &CurrentUser,
    c: Certificate,
    full_id: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<CertificatePage, Error> {
    let verify_url = state.certificates.verify_url(&c.cert_no, &c.tag);
    let qr_svg = jianfu_docs::qr::svg(&verify_url).map_err(|e| {
        tracing::error!(error = %e, "qr code");
        Error::Internal
    })?;
    let id_number = full_id.clone().unwrap_or_else(|| c.id_masked.clone());
    Ok(CertificatePage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("证明开具", "/certificates"),
            Crumb::here(c.cert_no.clone()),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        status: Status::from_code(&c.status).map_or("状态不明", Status::label),
        valid: c.status == Status::Valid.code(),
        listing: Listing::from_code(&c.listing).map_or("", Listing::label),
        body: rules::with_identity(&c.body, &id_number),
        full_shown: full_id.is_some(),
        id_number,
        verify_url,
        // The SVG is ours (qrcode's output of our own URL), shown inline.
        qr_svg: qr_svg
            .trim_start_matches(|ch| ch != '<')
            .split_once("?>")
            .map_or(qr_svg.clone(), |(_, svg)| svg.to_owned()),
        c,
        notice,
        error,
    })
}

/// One certificate of the caller's unit.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(no): Path<String>,
    Query(params): Query<ShowParams>,
) -> Result<CertificatePage, PageError> {
    let c = desk::own(&state, &user, &no).await?;
    let notice = Some(params.notice).filter(|n| !n.is_empty());
    Ok(certificate_page(&state, &user, c, None, notice, None)?)
}

/// The printout, with the identity number in full (audited).
pub async fn pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    let c = desk::own(&state, &user, &no).await?;
    let bytes = desk::pdf(&state, &user, &c).await?;
    let name = format!("{}-{}.pdf", c.type_name, c.cert_no);
    let mut response = super::attachment(bytes, "application/pdf", "certificate.pdf", &name);
    // Opened in the browser's viewer, to print.
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        format!(
            "inline; filename=\"certificate.pdf\"; filename*=UTF-8''{}",
            super::encode(&name)
        )
        .parse()
        .map_err(|_| Error::Internal)?,
    );
    Ok(response)
}

/// Shows the identity number in full, once, to the issuing unit (audited).
pub async fn reveal(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(no): Path<String>,
    body: axum::body::Bytes,
) -> Result<CertificatePage, PageError> {
    let c = desk::own(&state, &user, &no).await?;
    posted(&user, &body)?;
    let audit = user.audit_entry("certificate.view_id", &format!("certificate/{no}"));
    let full =
        jianfu_store::certificate::full_id_number(&state.db, &state.keys, &c, &audit).await?;
    Ok(certificate_page(
        &state,
        &user,
        c,
        Some(full),
        Some("完整身份证号的查看已记入审计日志".into()),
        None,
    )?)
}

/// Revokes, with the reason.
pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(no): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let c = desk::own(&state, &user, &no).await?;
    let form = posted(&user, &body)?;
    let done = desk::revoke(&state, &user, &no, field(&form, "reason")).await;
    after_act(&state, &user, c, done, "证明已撤销，核验时将显示已撤销")
}

/// Where a revocation or reissue leads: the certificate it made, with `notice`; or back to
/// the one acted on, with the refusal.
fn after_act(
    state: &AppState,
    user: &CurrentUser,
    acted_on: Certificate,
    done: Result<Certificate, Error>,
    notice: &str,
) -> Result<Response, PageError> {
    match done {
        Ok(c) => Ok(Redirect::to(&format!(
            "/certificates/{}?notice={}",
            c.cert_no,
            super::encode(notice)
        ))
        .into_response()),
        Err(e)
            if matches!(
                e.kind(),
                jianfu_domain::ErrorKind::Refused | jianfu_domain::ErrorKind::Conflict
            ) =>
        {
            let page = certificate_page(state, user, acted_on, None, None, Some(e.to_string()))?;
            Ok(page.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Reissues (补发/更正) with corrections: a new number, the old one superseded.
pub async fn reissue(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(no): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let old = desk::own(&state, &user, &no).await?;
    let form = posted(&user, &body)?;
    let attempt = async {
        let reason = rules::check_reason(field(&form, "reason"), "补发")?;
        let audit = user.audit_entry("certificate.view_id", &format!("certificate/{no}"));
        let id =
            jianfu_store::certificate::full_id_number(&state.db, &state.keys, &old, &audit).await?;
        let mut f = desk::reissue_fields(&old);
        f.applicant.id_number = id;
        for (name, slot) in [
            ("applicant_name", &mut f.applicant.name),
            ("purpose", &mut f.purpose),
            ("demanding_agency", &mut f.demanding_agency),
            ("details", &mut f.details),
        ] {
            if !field(&form, name).trim().is_empty() {
                *slot = field(&form, name).to_owned();
            }
        }
        let key = Some(field(&form, "idempotency_key").to_owned()).filter(|k| !k.is_empty());
        desk::request(
            &state,
            &user,
            &f,
            key,
            Some((CertNo::parse(&old.cert_no)?, reason)),
        )
        .await
    };
    let done = attempt.await;
    after_act(
        &state,
        &user,
        old,
        done,
        &format!("已补发新证明，原证明 {no} 已作废"),
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "seal_uses.html")]
pub struct SealPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    unit: String,
    today: String,
    rows: Vec<jianfu_store::certificate::SealUse>,
    total: u64,
    page: u64,
    pages: u64,
    notice: Option<String>,
    error: Option<String>,
}

impl SealPage {
    fn kind(&self, code: &str) -> &'static str {
        SealKind::from_code(code).map_or("其他用章", SealKind::label)
    }
}

#[derive(Deserialize, Default)]
pub struct SealParams {
    page: Option<u64>,
    #[serde(default)]
    notice: String,
}

async fn seal_page(
    state: &AppState,
    user: &CurrentUser,
    page: Option<u64>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<SealPage, Error> {
    let unit = desk::own_unit(state, user, "/seal-uses").await?;
    let found =
        jianfu_store::certificate::seal_uses(&state.db, &unit.code, PageRequest::new(page, None))
            .await?;
    Ok(SealPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("证明开具", "/certificates"),
            Crumb::here("用章登记"),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        unit: unit.name,
        today: today().to_string(),
        pages: found.pages(),
        total: found.total,
        page: found.page,
        rows: found.items,
        notice,
        error,
    })
}

/// 用章登记: the seal's uses (those for certificates are written by the issuance itself).
pub async fn seals(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<SealParams>,
) -> Result<SealPage, PageError> {
    let notice = Some(params.notice).filter(|n| !n.is_empty());
    Ok(seal_page(&state, &user, params.page, notice, None).await?)
}

/// Records a seal use by hand.
pub async fn record_seal(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let unit = desk::own_unit(&state, &user, "/seal-uses").await?;
    let form = posted(&user, &body)?;
    let attempt = async {
        let used_on = NaiveDate::parse_from_str(field(&form, "used_on").trim(), "%Y-%m-%d")
            .map_err(|_| Error::refused("用章日期格式不正确，应为 YYYY-MM-DD"))?;
        if used_on > today() {
            return Err(Error::refused("用章日期不能晚于今天"));
        }
        let kind = SealKind::from_code(field(&form, "kind"))
            .ok_or_else(|| Error::refused("请选择用章类别"))?;
        let cert_no = match field(&form, "cert_no").trim() {
            "" => None,
            raw => Some(CertNo::parse(raw)?.to_string()),
        };
        let new = jianfu_store::certificate::NewSealUse {
            unit: unit.code,
            used_on,
            kind,
            purpose: field(&form, "purpose").to_owned(),
            document: field(&form, "document").to_owned(),
            cert_no,
            recorded_by: user.principal.username.clone(),
        };
        let audit = user.audit_entry("seal_use.record", "seal-use");
        jianfu_store::certificate::record_seal_use(&state.db, &new, &audit).await
    };
    match attempt.await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/seal-uses?notice={}",
            super::encode("用章已登记")
        ))
        .into_response()),
        Err(e) if e.kind() == jianfu_domain::ErrorKind::Refused => {
            let page = seal_page(&state, &user, None, None, Some(e.to_string())).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A count line of the statistics.
pub struct CountRow {
    pub code: String,
    pub name: String,
    pub issued: i64,
    pub refused: i64,
    pub must_not: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "certificate_oversight.html")]
pub struct OversightPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    region: String,
    from: String,
    to: String,
    query: String,
    by_district: Vec<CountRow>,
    by_unit: Vec<CountRow>,
    by_type: Vec<CountRow>,
    agencies: Vec<(String, i64)>,
    seal_without_ledger: Vec<jianfu_store::certificate::SealUse>,
    ledger_without_seal: Vec<LedgerRow>,
    rows: Vec<LedgerRow>,
    total: u64,
    page: u64,
    pages: u64,
    can_configure: bool,
}

#[derive(Deserialize, Default)]
pub struct OversightParams {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<u64>,
    /// `xlsx`: the statistics and the ledger as a workbook.
    #[serde(default)]
    format: String,
}

fn day_param(raw: &str, label: &str) -> Result<Option<NaiveDate>, Error> {
    match raw.trim() {
        "" => Ok(None),
        d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::InvalidQuery(format!("{label}“{d}”格式不正确，应为 YYYY-MM-DD"))),
    }
}

/// Sums request counts into rows keyed by `key` (unit, district or type).
fn tally(
    counts: &[jianfu_store::certificate::RequestCount],
    key: impl Fn(&jianfu_store::certificate::RequestCount) -> String,
) -> Vec<CountRow> {
    let mut rows: Vec<CountRow> = Vec::new();
    for c in counts {
        let k = key(c);
        let i = match rows.iter().position(|r| r.code == k) {
            Some(i) => i,
            None => {
                rows.push(CountRow {
                    code: k.clone(),
                    name: k,
                    issued: 0,
                    refused: 0,
                    must_not: 0,
                });
                rows.len() - 1
            }
        };
        let listing = Listing::from_code(&c.listing);
        if listing.is_some_and(Listing::issues) {
            rows[i].issued += c.n;
        } else {
            rows[i].refused += c.n;
        }
        if listing == Some(Listing::MustNotIssue) {
            rows[i].must_not += c.n;
        }
    }
    rows.sort_by(|a, b| {
        (b.issued + b.refused)
            .cmp(&(a.issued + a.refused))
            .then_with(|| a.code.cmp(&b.code))
    });
    rows
}

/// 证明统计: counts by district, unit and type, the agencies demanding must-not certificates,
/// the reconciliation, and the ledger of the region (identity numbers masked).
pub async fn oversight(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<OversightParams>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::OverseeCertificates, "/certificates/oversight")
        .await?;
    let region = user.principal.region;
    let (from, to) = (
        day_param(&p.from, "开始日期")?,
        day_param(&p.to, "结束日期")?,
    );
    let filter = RequestFilter {
        within: Some(region),
        listing: None,
        from,
        to,
    };
    let counts = jianfu_store::certificate::request_counts(&state.db, &filter).await?;
    let codes: Vec<RegionCode> = counts
        .iter()
        .filter_map(|c| RegionCode::parse(&c.unit).ok())
        .collect();
    let districts: Vec<RegionCode> = codes.iter().filter_map(RegionCode::county).collect();
    let names =
        jianfu_store::region::get_many(&state.db, &[codes.clone(), districts].concat()).await?;
    let name_of = |code: &str| {
        names
            .iter()
            .find(|r| r.code.as_str() == code)
            .map_or(code.to_owned(), |r| r.name.clone())
    };
    let named = |mut rows: Vec<CountRow>| {
        for r in &mut rows {
            r.name = name_of(&r.code);
        }
        rows
    };
    let by_unit = named(tally(&counts, |c| c.unit.clone()));
    let by_district = named(tally(&counts, |c| {
        RegionCode::parse(&c.unit)
            .ok()
            .and_then(|u| u.county())
            .map_or_else(|| c.unit.clone(), |d| d.as_str().to_owned())
    }));
    let mut by_type = tally(&counts, |c| c.type_name.clone());
    for r in &mut by_type {
        r.code.clear();
    }
    let agencies: Vec<(String, i64)> =
        jianfu_store::certificate::demanding_agencies(&state.db, &filter, 20)
            .await?
            .into_iter()
            .map(|a| (a.demanding_agency, a.n))
            .collect();
    let recon = jianfu_store::certificate::reconcile(&state.db, &region).await?;
    let ledger_filter = LedgerFilter {
        within: Some(region),
        from,
        to,
        ..Default::default()
    };
    if p.format == "xlsx" {
        let rows = jianfu_store::certificate::ledger_all(&state.db, &ledger_filter).await?;
        let bytes = oversight_workbook(&by_district, &by_unit, &by_type, &agencies, &rows)?;
        let name = format!("证明事项统计-{}.xlsx", today());
        return Ok(super::attachment(
            bytes,
            super::XLSX,
            "certificate-statistics.xlsx",
            &name,
        ));
    }
    let found = jianfu_store::certificate::ledger(
        &state.db,
        &ledger_filter,
        PageRequest::new(p.page, None),
    )
    .await?;
    let region_name = jianfu_store::region::require(&state.db, &region)
        .await?
        .name;
    Ok(OversightPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("证明事项统计")],
        region: region_name,
        query: format!(
            "from={}&to={}",
            super::encode(&p.from),
            super::encode(&p.to)
        ),
        from: p.from,
        to: p.to,
        by_district,
        by_unit,
        by_type,
        agencies,
        seal_without_ledger: recon.seal_without_ledger,
        ledger_without_seal: recon.ledger_without_seal.iter().map(ledger_row).collect(),
        pages: found.pages(),
        total: found.total,
        page: found.page,
        rows: found.items.iter().map(ledger_row).collect(),
        can_configure: can_configure(&user),
    }
    .into_response())
}

/// The statistics workbook: one sheet per table, as officials file them.
fn oversight_workbook(
    by_district: &[CountRow],
    by_unit: &[CountRow],
    by_type: &[CountRow],
    agencies: &[(String, i64)],
    ledger: &[Certificate],
) -> Result<Vec<u8>, Error> {
    let counts = |rows: &[CountRow], with_code: bool| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| {
                let mut v = Vec::new();
                if with_code {
                    v.push(r.code.clone());
                }
                v.extend([
                    r.name.clone(),
                    r.issued.to_string(),
                    r.refused.to_string(),
                    r.must_not.to_string(),
                ]);
                v
            })
            .collect()
    };
    let fail = |e: jianfu_docs::xlsx::ExportError| {
        tracing::error!(error = %e, "certificate statistics export failed");
        Error::Internal
    };
    jianfu_docs::xlsx::workbook_sheets(&[
        (
            "按区统计",
            vec!["区划代码", "区", "开具", "不予开具", "其中不应出具"],
            counts(by_district, true),
        ),
        (
            "按村（社区）统计",
            vec!["区划代码", "村（社区）", "开具", "不予开具", "其中不应出具"],
            counts(by_unit, true),
        ),
        (
            "按证明类型统计",
            vec!["证明类型", "开具", "不予开具", "其中不应出具"],
            counts(by_type, false),
        ),
        (
            "要求开具不应出具证明的单位",
            vec!["要求开具单位", "次数"],
            agencies
                .iter()
                .map(|(a, n)| vec![a.clone(), n.to_string()])
                .collect(),
        ),
        (
            "证明台账",
            LEDGER_HEADERS.to_vec(),
            ledger.iter().map(ledger_cells).collect(),
        ),
    ])
    .map_err(fail)
}

/// Civil affairs of the city or a district keeps the templates and the rule.
fn can_configure(user: &CurrentUser) -> bool {
    user.principal
        .roles
        .contains(&jianfu_domain::account::Role::CivilAffairs)
        && matches!(
            user.principal.region.level(),
            Level::Province | Level::County
        )
}

pub struct TemplateRow {
    pub code: String,
    pub name: String,
    pub body: String,
    pub edited: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "certificate_settings.html")]
pub struct SettingsPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    region: String,
    allow_consulted: bool,
    rows: Vec<TemplateRow>,
    placeholders: Vec<(&'static str, &'static str)>,
    notice: Option<String>,
    error: Option<String>,
}

/// Only civil affairs of the city or a district keeps the templates and the rule.
async fn require_configure(state: &AppState, user: &CurrentUser) -> Result<(), Error> {
    user.require(state, Perm::OverseeCertificates, "/certificates/settings")
        .await?;
    if !can_configure(user) {
        return Err(Error::refused(
            "证明模板和清单外证明的规则由市、区民政部门维护",
        ));
    }
    Ok(())
}

async fn settings_page(
    state: &AppState,
    user: &CurrentUser,
    notice: Option<String>,
    error: Option<String>,
) -> Result<SettingsPage, Error> {
    require_configure(state, user).await?;
    let region = jianfu_store::region::require(&state.db, &user.principal.region).await?;
    let day = today();
    let snapshot = state.catalog.snapshot(&state.db, day).await?;
    let edited = jianfu_store::certificate::templates(&state.db).await?;
    let mut rows = Vec::new();
    let items = snapshot
        .in_force(DirectoryKind::CertificateMayIssue, day)
        .map(|v| v.items.clone())
        .unwrap_or_default();
    for item in &items {
        let code = item.code.as_str();
        let found = edited.iter().find(|t| t.type_code == code);
        rows.push(TemplateRow {
            code: code.to_owned(),
            name: item.name.clone(),
            body: desk::template_for(state, code, Some(item)).await?,
            edited: found.map_or("平台默认".into(), |t| {
                format!("{} 于 {} 修改", t.updated_by, super::beijing(t.updated_at))
            }),
        });
    }
    let rules = jianfu_store::certificate::rules(&state.db).await?;
    Ok(SettingsPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("证明事项统计", "/certificates/oversight"),
            Crumb::here("证明模板与规则"),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        allow_consulted: rules
            .iter()
            .any(|(r, allow)| r == region.code.as_str() && *allow),
        region: region.name,
        rows,
        placeholders: rules::PLACEHOLDERS.to_vec(),
        notice,
        error,
    })
}

#[derive(Deserialize, Default)]
pub struct SettingsParams {
    #[serde(default)]
    notice: String,
}

pub async fn settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<SettingsParams>,
) -> Result<SettingsPage, PageError> {
    Ok(settings_page(
        &state,
        &user,
        Some(p.notice).filter(|n| !n.is_empty()),
        None,
    )
    .await?)
}

/// Saves a template (`type_code` + `body`) or the rule (`allow_consulted`).
pub async fn save_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    require_configure(&state, &user).await?;
    let form = posted(&user, &body)?;
    let by = user.principal.username.clone();
    let done = if field(&form, "what") == "rule" {
        let allow = field(&form, "allow_consulted") == "yes";
        let audit = user.audit_entry("certificate.rule", "certificate-rule");
        jianfu_store::certificate::set_rule(&state.db, &user.principal.region, allow, &by, &audit)
            .await
            .map(|_| "规则已保存")
    } else {
        let code = field(&form, "type_code").trim().to_uppercase();
        let audit = user.audit_entry("certificate.template", "certificate-template");
        jianfu_store::certificate::set_template(&state.db, &code, field(&form, "body"), &by, &audit)
            .await
            .map(|_| "模板已保存")
    };
    match done {
        Ok(n) => Ok(Redirect::to(&format!(
            "/certificates/settings?notice={}",
            super::encode(n)
        ))
        .into_response()),
        Err(e) if e.kind() == jianfu_domain::ErrorKind::Refused => {
            let page = settings_page(&state, &user, None, Some(e.to_string())).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "verify.html")]
pub struct VerifyPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    cert_no: String,
    tag: String,
    answer: Option<VerifyDto>,
}

/// What the verifier answers (the page and `Accept: application/json`).
#[derive(Serialize)]
pub struct VerifyDto {
    cert_no: String,
    /// The number exists and the QR code's tag is the one issued with it.
    authentic: bool,
    /// Not revoked and not replaced.
    current: bool,
    /// The type was on the may-issue list in force on the issue date.
    allowed: bool,
    /// valid, revoked or superseded; absent when not authentic.
    status: Option<&'static str>,
    summary: String,
    type_name: Option<String>,
    issuer: Option<String>,
    issued_on: Option<NaiveDate>,
    applicant: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct VerifyParams {
    #[serde(default)]
    t: String,
    /// The form's field when a number is typed.
    #[serde(default)]
    no: String,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// The verifier's form (a number and tag typed from the paper).
pub async fn verify_form(Query(p): Query<VerifyParams>) -> Response {
    if !p.no.trim().is_empty() {
        return Redirect::to(&format!(
            "/verify/{}?t={}",
            super::encode(p.no.trim()),
            super::encode(p.t.trim())
        ))
        .into_response();
    }
    VerifyPage {
        nav: Nav::new(None),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("证明核验")],
        cert_no: String::new(),
        tag: String::new(),
        answer: None,
    }
    .into_response()
}

/// What the QR code opens: authentic, current, allowed, issuer — and nothing more about the
/// person than a masked name. JSON for `Accept: application/json`.
pub async fn verify(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Path(no): Path<String>,
    Query(p): Query<VerifyParams>,
) -> Result<Response, PageError> {
    let client = crate::auth::source_ip(&parts);
    let json = wants_json(&parts.headers);
    let answer = match desk::verify(&state, &no, Some(p.t.as_str()), &client).await {
        Ok(a) => a,
        Err(e) if json => return Ok(crate::error::ApiError(e).into_response()),
        Err(e) => return Err(e.into()),
    };
    let shown = answer.shown.as_ref();
    let dto = VerifyDto {
        cert_no: answer.cert_no.clone(),
        authentic: answer.verification.authentic,
        current: answer.verification.current,
        allowed: answer.verification.allowed,
        status: answer.verification.status.map(Status::code),
        summary: answer.verification.summary.clone(),
        type_name: shown.map(|s| s.type_name.clone()),
        issuer: shown.map(|s| s.unit_name.clone()),
        issued_on: shown.map(|s| s.issued_on),
        applicant: shown.map(|s| mask_name(&s.applicant_name)),
    };
    if json {
        return Ok(axum::Json(dto).into_response());
    }
    Ok(VerifyPage {
        nav: Nav::new(None),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("证明核验", "/verify"),
            Crumb::here(no.clone()),
        ],
        cert_no: no,
        tag: p.t,
        answer: Some(dto),
    }
    .into_response())
}
