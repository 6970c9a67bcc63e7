//! Notices (通报): civil affairs of the city or a district drafts one from the violation
//! ledger of a period, edits it, submits it; the approver approves it (which numbers it);
//! civil affairs publishes it. Published notices are public, on a page and as a PDF in the
//! layout of official documents (GB/T 9704).

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::notice::{self, NoticeAction, NoticeStage, NoticeSubject};
use jianfu_domain::{Error, Level, PageRequest, RegionCode};
use jianfu_store::notice::{Actor, NewNotice, Notice, NoticeText, Step};
use serde::Deserialize;

use super::field;
use super::violations::{LedgerRow, ledger_row};
use super::{Crumb, Nav};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::{CurrentUser, MaybeUser};
use crate::error::PageError;
use jianfu_store::auth::Principal;

/// Only the city and the districts issue notices.
fn level_of(user: &CurrentUser) -> Result<RegionCode, Error> {
    let r = user.principal.region;
    if matches!(r.level(), Level::Province | Level::County) {
        Ok(r)
    } else {
        Err(Error::refused("通报由市、区民政部门起草和发布"))
    }
}

/// A notice as its pages show it.
pub struct NoticeView {
    pub id: i64,
    pub stage: &'static str,
    pub number: String,
    pub issuer: String,
    pub prefix: String,
    pub title: String,
    pub addressee: String,
    pub paragraphs: Vec<String>,
    pub body: String,
    pub period: String,
    pub drafter: String,
    pub approver: String,
    pub signed_on: String,
    pub return_reason: String,
}

fn view(n: &Notice) -> NoticeView {
    let stage = NoticeStage::from_code(&n.stage).unwrap_or(NoticeStage::Draft);
    NoticeView {
        id: n.id,
        stage: stage.label(),
        number: jianfu_store::notice::document_number(n).unwrap_or_default(),
        issuer: n.issuer.clone(),
        prefix: n.prefix.clone(),
        title: n.title.clone(),
        addressee: n.addressee.clone(),
        paragraphs: n
            .body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        body: n.body.clone(),
        period: format!("{} 至 {}", n.period_from, n.period_to),
        drafter: n.drafter_name.clone(),
        approver: n.approver_name.clone().unwrap_or_default(),
        signed_on: n.signed_on.map(notice::written_date).unwrap_or_default(),
        return_reason: n.return_reason.clone().unwrap_or_default(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "notice_drafts.html")]
pub struct DraftsPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    can_draft: bool,
    issuer: String,
    prefix: String,
    addressee: String,
    from: String,
    to: String,
    rows: Vec<NoticeView>,
    total: u64,
    page: u64,
    pages: u64,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DraftsParams {
    page: Option<u64>,
}

/// The defaults a level's notices start from: issuer, code word, addressee.
async fn defaults(state: &AppState, level: &RegionCode) -> Result<(String, String, String), Error> {
    let unit = jianfu_store::region::require(&state.db, level).await?;
    if level.level() == Level::Province {
        return Ok((
            format!("{}民政局", unit.name),
            "津民减负通".into(),
            "各区民政局，市级各有关部门".into(),
        ));
    }
    let short: String = unit.name.chars().take(1).collect();
    Ok((
        format!("天津市{}民政局", unit.name),
        format!("{short}民减负通"),
        "各街道办事处、乡镇人民政府，区级各有关部门".into(),
    ))
}

async fn drafts_page(
    state: &AppState,
    user: &CurrentUser,
    params: DraftsParams,
    form: &[(String, String)],
    error: Option<String>,
) -> Result<DraftsPage, Error> {
    let level = level_of(user)?;
    let (issuer, prefix, addressee) = defaults(state, &level).await?;
    let found =
        jianfu_store::notice::of_level(&state.db, &level, PageRequest::new(params.page, None))
            .await?;
    let today = today();
    let first = today.with_day0(0).unwrap_or(today);
    let or = |name: &str, default: String| match field(form, name) {
        "" => default,
        v => v.to_owned(),
    };
    Ok(DraftsPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("通报")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        can_draft: user.principal.roles.contains(&Role::CivilAffairs),
        issuer: or("issuer", issuer),
        prefix: or("prefix", prefix),
        addressee: or("addressee", addressee),
        from: or("from", first.to_string()),
        to: or("to", today.to_string()),
        pages: found.pages(),
        total: found.total,
        page: found.page,
        rows: found.items.iter().map(view).collect(),
        error,
    })
}

pub async fn drafts(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<DraftsParams>,
) -> Result<DraftsPage, PageError> {
    user.require(&state, Perm::HandleNotices, "/notice-drafts")
        .await?;
    Ok(drafts_page(&state, &user, params, &[], None).await?)
}

/// Drafts a notice from the ledger of the period.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Supervise, "/notice-drafts")
        .await?;
    let form = super::posted(&user, &body)?;
    let result = async {
        let level = level_of(&user)?;
        let day = |name: &str, what: &str| {
            NaiveDate::parse_from_str(field(&form, name).trim(), "%Y-%m-%d")
                .map_err(|_| Error::refused(format!("请填写{what}（YYYY-MM-DD）")))
        };
        let new = NewNotice {
            region: level,
            issuer: field(&form, "issuer").to_owned(),
            prefix: field(&form, "prefix").to_owned(),
            addressee: field(&form, "addressee").to_owned(),
            period_from: day("from", "通报期间的开始日期")?,
            period_to: day("to", "通报期间的结束日期")?,
            drafter: user.principal.username.clone(),
            drafter_name: user.principal.display_name.clone(),
            subject: NoticeSubject::from_code(field(&form, "subject"))
                .unwrap_or(NoticeSubject::Violations),
        };
        let audit = user.audit_entry("notice.draft", "notice");
        jianfu_store::notice::draft(&state.db, &new, &audit).await
    }
    .await;
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/notices/{id}")).into_response()),
        Err(e @ Error::Refused { .. }) => {
            let page = drafts_page(
                &state,
                &user,
                DraftsParams::default(),
                &form,
                Some(e.to_string()),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "notices.html")]
pub struct PublicList {
    nav: Nav,
    crumbs: Vec<Crumb>,
    rows: Vec<NoticeView>,
    total: u64,
    page: u64,
    pages: u64,
}

/// The published notices of every level.
pub async fn published(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(params): Query<DraftsParams>,
) -> Result<PublicList, PageError> {
    let found =
        jianfu_store::notice::published(&state.db, PageRequest::new(params.page, None)).await?;
    Ok(PublicList {
        nav: Nav::new(user.as_ref()),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("通报公开")],
        pages: found.pages(),
        total: found.total,
        page: found.page,
        rows: found.items.iter().map(view).collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "notice.html")]
pub struct DetailPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    notice: NoticeView,
    /// Staff of the level see the procedure, the covered entries and what they may do.
    staff: bool,
    editable: bool,
    actions: Vec<(&'static str, &'static str)>,
    covered: Vec<LedgerRow>,
    flash: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DetailParams {
    #[serde(default)]
    notice: String,
}

/// Whether `user` works on `n`'s level's notices.
fn staff_of(user: Option<&Principal>, n: &Notice) -> bool {
    user.is_some_and(|u| {
        u.region.as_str() == n.region && u.roles.iter().any(|r| r.has(Perm::HandleNotices))
    })
}

/// The notice, or not found: a notice not yet published is its level's staff's alone.
async fn visible(
    state: &AppState,
    user: Option<&Principal>,
    id: i64,
) -> Result<(Notice, Vec<jianfu_store::violation::Violation>, bool), Error> {
    let (n, covered) = jianfu_store::notice::get(&state.db, id).await?;
    let staff = staff_of(user, &n);
    if !staff && n.stage != NoticeStage::Published.code() {
        return Err(Error::CatalogNotFound(format!("通报 {id}")));
    }
    Ok((n, covered, staff))
}

async fn detail_page(
    state: &AppState,
    user: Option<&Principal>,
    id: i64,
    flash: Option<String>,
    error: Option<String>,
) -> Result<DetailPage, Error> {
    let (n, covered, staff) = visible(state, user, id).await?;
    let stage = NoticeStage::from_code(&n.stage).ok_or(Error::Internal)?;
    let mut actions = Vec::new();
    let mut editable = false;
    if let Some(u) = user.filter(|_| staff) {
        let drafter = n.drafter == u.username;
        for role in &u.roles {
            for a in notice::open_actions(stage, *role, drafter) {
                if !actions.iter().any(|(c, _)| *c == a.code()) {
                    actions.push((a.code(), a.label()));
                }
            }
        }
        editable = stage.editable() && u.roles.contains(&Role::CivilAffairs);
    }
    let v = view(&n);
    Ok(DetailPage {
        nav: Nav::new(user),
        crumbs: vec![
            Crumb::link("首页", "/"),
            if staff {
                Crumb::link("通报", "/notice-drafts")
            } else {
                Crumb::link("通报公开", "/notices")
            },
            Crumb::here(if v.number.is_empty() {
                "通报草稿".to_owned()
            } else {
                v.number.clone()
            }),
        ],
        csrf: user.and_then(|u| u.csrf.clone()).unwrap_or_default(),
        notice: v,
        staff,
        editable,
        actions,
        covered: if staff {
            covered.into_iter().map(ledger_row).collect()
        } else {
            Vec::new()
        },
        flash,
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
    Query(params): Query<DetailParams>,
) -> Result<DetailPage, PageError> {
    let flash = Some(params.notice).filter(|n| !n.is_empty());
    Ok(detail_page(&state, user.as_ref(), id, flash, None).await?)
}

/// Saves the text of a draft or returned notice.
pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Supervise, &format!("notice/{id}"))
        .await?;
    let form = super::posted(&user, &body)?;
    let text = NoticeText {
        issuer: field(&form, "issuer").to_owned(),
        prefix: field(&form, "prefix").to_owned(),
        title: field(&form, "title").to_owned(),
        addressee: field(&form, "addressee").to_owned(),
        body: field(&form, "body").to_owned(),
    };
    let audit = user.audit_entry("notice.edit", &format!("notice/{id}"));
    let result =
        jianfu_store::notice::update(&state.db, id, &user.principal.region, &text, &audit).await;
    after_step(&state, &user, id, result.map(|()| "已保存".to_owned())).await
}

/// Submits, approves, returns or publishes a notice.
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::HandleNotices, &format!("notice/{id}"))
        .await?;
    let form = super::posted(&user, &body)?;
    let action = NoticeAction::parse(field(&form, "action"))
        .ok_or_else(|| Error::InvalidQuery("未知的操作".into()))?;
    // An account holding both business roles acts in the one the step needs; otherwise in
    // its own, and the procedure says whether that role may take the step.
    let needed = match action {
        NoticeAction::Approve | NoticeAction::Return => Role::Approver,
        NoticeAction::Submit | NoticeAction::Publish => Role::CivilAffairs,
    };
    let role = if user.principal.roles.contains(&needed) {
        needed
    } else {
        *user.principal.roles.first().ok_or(Error::Internal)?
    };
    let step = Step {
        action,
        actor: Actor {
            username: &user.principal.username,
            name: &user.principal.display_name,
            role,
        },
        reason: field(&form, "reason"),
        today: today(),
    };
    let audit = user.audit_entry(
        &format!("notice.{}", action.code()),
        &format!("notice/{id}"),
    );
    let result =
        jianfu_store::notice::act(&state.db, id, &user.principal.region, step, &audit).await;
    after_step(
        &state,
        &user,
        id,
        result.map(|next| format!("已{}：{}", action.label(), next.label())),
    )
    .await
}

async fn after_step(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    result: Result<String, Error>,
) -> Result<Response, PageError> {
    match result {
        Ok(flash) => Ok(
            Redirect::to(&format!("/notices/{id}?notice={}", super::encode(&flash)))
                .into_response(),
        ),
        Err(e @ (Error::Refused { .. } | Error::WrongStage { .. })) => {
            let page =
                detail_page(state, Some(&user.principal), id, None, Some(e.to_string())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The notice as PDF: public once published; a draft prints for its level's staff, marked
/// as such.
pub async fn pdf(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (n, _, _) = visible(&state, user.as_ref(), id).await?;
    let number = jianfu_store::notice::document_number(&n).unwrap_or_default();
    let doc = jianfu_print::NoticeDocument {
        issuer: n.issuer.clone(),
        document_number: number.clone(),
        title: n.title.clone(),
        addressee: n.addressee.clone(),
        body: n.body.clone(),
        signed_on: n.signed_on,
    };
    let bytes = jianfu_print::notice_pdf(&doc, today()).map_err(|e| {
        tracing::error!(error = %e, "notice failed to print");
        Error::Internal
    })?;
    let name = if number.is_empty() {
        format!("通报草稿-{id}.pdf")
    } else {
        format!("{number}.pdf")
    };
    Ok(super::attachment(
        bytes,
        "application/pdf",
        &format!("notice-{id}.pdf"),
        &name,
    ))
}
