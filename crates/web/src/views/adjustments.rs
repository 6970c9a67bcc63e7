//! Directory adjustments (动态调整) in the browser: civil affairs opens a draft and imports a
//! spreadsheet into it (a bad file is refused whole, every bad row shown), submits it; another
//! civil-affairs officer reviews it, the approver approves it, civil affairs publishes it with an
//! effective day. A district's civil affairs refines the city's items the same way (区级细化),
//! item by item in a form, through the district's own review and approval. Which buttons a user
//! sees is asked of the procedure itself.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::FormRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_docs::directory;
use jianfu_domain::Error;
use jianfu_domain::account::Role;
use jianfu_domain::catalog::adjustment::{self, Action, Actor, Change, Stage};
use jianfu_domain::catalog::{Applicability, DirectoryKind};
use jianfu_store::catalog::{self, AdjustmentView};
use serde::Deserialize;

use super::{Crumb, Nav};
use crate::AppState;
use crate::adjustment::{
    self as procedure, ACTIONS, DraftFields, RefinementEdit, StepFields, acting_role, action_of,
    adjustment_for, event_label, level_of, require_level,
};
use crate::api::catalog::{parse_kind, today};
use crate::auth::CurrentUser;
use crate::error::PageError;

/// A form body that cannot be read, said after who may send it has been settled.
fn unreadable(e: FormRejection) -> Error {
    Error::InvalidQuery(format!("表单无法读取：{}", e.body_text()))
}

pub struct Row {
    pub id: i64,
    pub kind: &'static str,
    pub title: String,
    pub stage: &'static str,
    pub drafter: String,
    pub updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "adjustments.html")]
pub struct ListPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    /// The district's name for its refinements; none for the city's adjustments.
    district: Option<String>,
    may_draft: bool,
    kinds: Vec<(&'static str, &'static str)>,
    stages: Vec<(&'static str, &'static str)>,
    params: ListParams,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    error: Option<String>,
}

impl ListPage {
    /// The list's address with its filters, on another page.
    pub fn link(&self, page: &u64) -> String {
        format!(
            "/adjustments?kind={}&stage={}&page={page}",
            super::encode(&self.params.kind),
            super::encode(&self.params.stage)
        )
    }
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    stage: String,
    page: Option<u64>,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    params: ListParams,
    error: Option<String>,
) -> Result<ListPage, Error> {
    let level = level_of(user);
    let district = match &level {
        Some(code) => Some(jianfu_store::region::require(&state.db, code).await?.name),
        None => None,
    };
    let filter = crate::api::adjustments::filter_of(Some(&params.kind), Some(&params.stage))?;
    let paging = jianfu_domain::PageRequest::new(params.page, None);
    let found = catalog::adjustments(&state.db, level.as_ref(), &filter, paging).await?;
    let pages = found.pages();
    let rows = found
        .items
        .into_iter()
        .map(|a| Row {
            id: a.id,
            kind: a.kind.label(),
            title: a.title,
            stage: a.stage.label(),
            drafter: a.drafter,
            updated: super::beijing(a.updated_at),
        })
        .collect();
    Ok(ListPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("目录调整")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        district,
        may_draft: user.principal.roles.contains(&Role::CivilAffairs),
        kinds: DirectoryKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        stages: catalog::stages(),
        params,
        rows,
        total: found.total,
        page: found.page,
        pages,
        error,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Query(params): axum::extract::Query<ListParams>,
) -> Result<ListPage, PageError> {
    require_level(&state, &user, level_of(&user).as_ref(), "/adjustments").await?;
    Ok(list_page(&state, &user, params, None).await?)
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: DraftFields,
}

/// Opens a draft (civil affairs) and goes to it.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    form: Result<axum::Form<NewForm>, FormRejection>,
) -> Result<Response, PageError> {
    require_level(&state, &user, level_of(&user).as_ref(), "/adjustments").await?;
    let axum::Form(form) = form.map_err(unreadable)?;
    user.check_csrf(&form.csrf)?;
    match procedure::create(&state, &user, form.fields).await {
        Ok(id) => Ok(Redirect::to(&format!("/adjustments/{id}")).into_response()),
        Err(Error::Refused { message, .. }) => {
            let page = list_page(&state, &user, ListParams::default(), Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub struct ChangeRow {
    pub op: &'static str,
    pub code: String,
    pub name: String,
    /// What a refinement says; empty for the city's changes.
    pub detail: String,
    pub row: String,
}

pub struct EventRow {
    pub at: String,
    pub actor: String,
    pub action: &'static str,
    pub note: String,
}

/// A button the procedure allows this user now.
pub struct Button {
    pub action: &'static str,
    pub label: &'static str,
    /// Returns and rejections ask for a reason; publication for a day.
    pub needs_reason: bool,
    pub needs_day: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "adjustment.html")]
pub struct DetailPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    view: AdjustmentView,
    kind_label: &'static str,
    /// The district's name for its refinements; none for the city's adjustments.
    district: Option<String>,
    /// The city's items a district may refine, and those it has refined now.
    refinable: Vec<(String, String)>,
    refined: Vec<(String, String)>,
    applicabilities: Vec<(&'static str, &'static str)>,
    stage_note: String,
    editable: bool,
    changes: Vec<ChangeRow>,
    events: Vec<EventRow>,
    buttons: Vec<Button>,
    today: String,
    row_errors: Vec<String>,
    error: Option<String>,
    notice: Option<String>,
    impact: Impact,
}

/// What publishing the draft would do: how many items it adds, changes and retires (or
/// refines), the other drafts in progress that touch the same items, and the districts'
/// refinements in force of items it changes or retires.
pub struct Impact {
    pub summary: String,
    pub overlaps: Vec<OverlapRow>,
    pub refinements: Vec<RefinedElsewhere>,
    /// The directory's golden cases before and after publication (city adjustments).
    pub golden: Vec<GoldenRow>,
    pub golden_summary: String,
}

/// A golden case matched against the version before and after publication.
pub struct GoldenRow {
    pub id: String,
    pub task: String,
    pub expected: String,
    pub before: String,
    pub after: String,
    pub changed: bool,
    pub passes: bool,
}

/// A district's refinement in force that a city change touches.
pub struct RefinedElsewhere {
    pub district: String,
    pub number: u32,
    pub codes: String,
}

pub struct OverlapRow {
    pub id: i64,
    pub title: String,
    pub stage: &'static str,
    pub codes: String,
}

struct Messages {
    row_errors: Vec<String>,
    error: Option<String>,
    notice: Option<String>,
}

async fn detail_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    messages: Messages,
) -> Result<DetailPage, Error> {
    let view = catalog::adjustment(&state.db, id).await?;
    let day = today();
    let city = catalog::latest(&state.db, view.kind).await?;
    let city_items = city.as_ref().map_or(&[][..], |v| &v.items);
    let name_of = |code: &jianfu_domain::catalog::ItemCode| {
        city_items
            .iter()
            .find(|i| &i.code == code)
            .map(|i| i.name.clone())
            .unwrap_or_default()
    };
    let buttons = ACTIONS
        .iter()
        .filter_map(|code| {
            let action = action_of(code, "理由", day)?;
            let actor = Actor {
                role: acting_role(&user.principal.roles, &view.stage, &action)?,
                is_drafter: view.drafter == user.principal.username,
                is_reviewer: catalog::reviewed_since_submission(
                    &view.events,
                    &user.principal.username,
                ),
            };
            adjustment::step(&view.stage, &action, actor, view.changes.len(), day)
                .ok()
                .map(|_| Button {
                    action: code,
                    label: action.label(),
                    needs_reason: matches!(action, Action::Return { .. } | Action::Reject { .. }),
                    needs_day: matches!(action, Action::Publish { .. }),
                })
        })
        .collect();
    let changes = view
        .changes
        .iter()
        .map(|(c, row)| ChangeRow {
            op: c.label(),
            code: c.code().to_string(),
            name: match c {
                Change::Add(i) | Change::Modify(i) => i.name.clone(),
                other => name_of(other.code()),
            },
            detail: match c {
                Change::Refine(_, r) => super::catalog::refinement_text(r),
                _ => String::new(),
            },
            row: row.map(|r| r.to_string()).unwrap_or_default(),
        })
        .collect();
    let events = view
        .events
        .iter()
        .map(|e| EventRow {
            at: super::beijing(e.at),
            actor: e.actor.clone(),
            action: event_label(&e.action),
            note: e.note.clone().unwrap_or_default(),
        })
        .collect();
    let touched: Vec<String> = view
        .changes
        .iter()
        .filter(|(c, _)| !matches!(c, Change::Add(_)))
        .map(|(c, _)| c.code().to_string())
        .collect();
    let district = match &view.district {
        Some(code) => Some(jianfu_store::region::require(&state.db, code).await?.name),
        None => None,
    };
    let refined_now = match &view.district {
        Some(d) => catalog::latest_refinement(&state.db, view.kind, d)
            .await?
            .map(|r| r.entries)
            .unwrap_or_default(),
        None => Default::default(),
    };
    let golden = golden_rows(&view, city.as_ref(), state).await?;
    let impact = Impact {
        golden_summary: format!(
            "本目录有黄金用例 {} 个：发布后结果改变 {} 个，未通过 {} 个。",
            golden.len(),
            golden.iter().filter(|g| g.changed).count(),
            golden.iter().filter(|g| !g.passes).count()
        ),
        golden,
        summary: impact_summary(&view.changes),
        refinements: refined_elsewhere(state, &view, &touched).await?,
        overlaps: catalog::overlapping(
            &state.db,
            view.kind,
            view.district.as_ref(),
            view.id,
            &touched,
        )
        .await?
        .into_iter()
        .map(|o| OverlapRow {
            id: o.id,
            title: o.title,
            stage: o.stage.label(),
            codes: o.codes.join("、"),
        })
        .collect(),
    };
    let stage_note = match &view.stage {
        Stage::Returned { reason } | Stage::Rejected { reason } => reason.clone(),
        Stage::Published {
            version,
            effective_from,
        } => format!(
            "{}第 {version} 版，{effective_from} 起施行",
            if view.district.is_some() {
                "区级细化"
            } else {
                ""
            }
        ),
        _ => String::new(),
    };
    Ok(DetailPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("目录调整", "/adjustments"),
            Crumb::here(view.title.clone()),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        kind_label: view.kind.label(),
        refinable: if view.district.is_some() {
            city_items
                .iter()
                .map(|i| (i.code.to_string(), i.name.clone()))
                .collect()
        } else {
            Vec::new()
        },
        refined: refined_now
            .keys()
            .map(|c| (c.to_string(), name_of(c)))
            .collect(),
        // Only narrower choices: 村和社区 would narrow nothing.
        applicabilities: [Applicability::Village, Applicability::Community]
            .iter()
            .map(|a| (a.as_str(), a.label()))
            .collect(),
        district,
        // Only the drafter edits: the reviewer must not review content it wrote.
        editable: view.stage.editable() && view.drafter == user.principal.username,
        stage_note,
        changes,
        events,
        buttons,
        today: day.to_string(),
        row_errors: messages.row_errors,
        error: messages.error,
        notice: messages.notice,
        impact,
        view,
    })
}

/// The golden cases of a city draft's directory matched against the newest version and the one
/// the draft would publish (once published: the version before it and its own). Nothing while
/// the draft's changes do not apply; submission names those problems.
async fn golden_rows(
    view: &AdjustmentView,
    latest: Option<&jianfu_domain::catalog::DirectoryVersion>,
    state: &AppState,
) -> Result<Vec<GoldenRow>, Error> {
    // Two small indexes are built per view; a district's or a rejected draft needs none.
    if view.district.is_some() || matches!(view.stage, Stage::Rejected { .. }) {
        return Ok(Vec::new());
    }
    let items = |v: Option<jianfu_domain::catalog::DirectoryVersion>| {
        v.map(|v| v.items).unwrap_or_default()
    };
    let (before, after) = match &view.stage {
        Stage::Published { version, .. } => (
            items(catalog::version(&state.db, view.kind, version - 1).await?),
            items(catalog::version(&state.db, view.kind, *version).await?),
        ),
        _ => {
            let current = latest.map_or(&[][..], |v| &v.items);
            let proposed: Vec<Change> = view.changes.iter().map(|(c, _)| c.clone()).collect();
            match adjustment::apply(current, &proposed) {
                Ok(next) => (current.to_vec(), next),
                Err(_) => return Ok(Vec::new()),
            }
        }
    };
    let shown = |o: &jianfu_domain::catalog::golden::CaseOutcome| match &o.matched {
        Some(code) => format!("{code} {}", o.verdict),
        None => o.verdict.to_string(),
    };
    Ok(crate::search::rerun_cases(view.kind, &before, &after)
        .await?
        .into_iter()
        .map(|run| GoldenRow {
            id: run.case.id.clone(),
            task: run.case.task.clone(),
            expected: match &run.case.expected {
                Some(code) => format!("{code} {}", run.case.verdict),
                None => run.case.verdict.to_string(),
            },
            before: shown(&run.before),
            after: shown(&run.after),
            changed: run.before != run.after,
            passes: run.after.passes,
        })
        .collect())
}

/// "发布后新增 1 项、修改 2 项" — only the kinds of change the draft has.
fn impact_summary(changes: &[(Change, Option<u32>)]) -> String {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for (c, _) in changes {
        match counts.iter_mut().find(|(label, _)| *label == c.label()) {
            Some((_, n)) => *n += 1,
            None => counts.push((c.label(), 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(label, n)| format!("{label} {n} 项"))
        .collect();
    format!("发布后{}。", parts.join("、"))
}

/// For a city adjustment: the districts whose refinements in force today refine items it
/// modifies or retires (they keep applying to the new text, narrowed to it if need be).
async fn refined_elsewhere(
    state: &AppState,
    view: &AdjustmentView,
    touched: &[String],
) -> Result<Vec<RefinedElsewhere>, Error> {
    if view.district.is_some() || touched.is_empty() {
        return Ok(Vec::new());
    }
    let day = today();
    let snapshot = state.catalog.snapshot(&state.db, day).await?;
    let mut out = Vec::new();
    for r in snapshot.refinements_in_force(view.kind, day) {
        let codes: Vec<&str> = r
            .entries
            .keys()
            .map(|c| c.as_str())
            .filter(|c| touched.iter().any(|t| t == c))
            .collect();
        if !codes.is_empty() {
            out.push(RefinedElsewhere {
                district: jianfu_store::region::require(&state.db, &r.district)
                    .await?
                    .name,
                number: r.number,
                codes: codes.join("、"),
            });
        }
    }
    Ok(out)
}

#[derive(Deserialize, Default)]
pub struct DetailParams {
    imported: Option<usize>,
    done: Option<String>,
    edited: Option<String>,
}

/// What the refinement form did, by its `op`.
const EDITS: [(&str, &str); 3] = [
    ("refine", "已加入细化"),
    ("unrefine", "已加入取消细化"),
    ("remove", "已从草稿中移出该事项"),
];

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    axum::extract::Query(params): axum::extract::Query<DetailParams>,
) -> Result<DetailPage, PageError> {
    adjustment_for(&state, &user, id).await?;
    // The notice names a known step only: the address is anyone's to write.
    let done = params
        .done
        .and_then(|d| action_of(&d, "", today()))
        .map(|a| a.label());
    let edited = params
        .edited
        .and_then(|e| EDITS.iter().find(|(op, _)| *op == e))
        .map(|(_, label)| format!("{label}。"));
    let notice = match (params.imported, done) {
        (Some(n), _) => Some(format!("已导入 {n} 项调整内容。")),
        (None, Some(label)) => Some(format!("已{label}。")),
        _ => edited,
    };
    let messages = Messages {
        row_errors: Vec::new(),
        error: None,
        notice,
    };
    Ok(detail_page(&state, &user, id, messages).await?)
}

/// What a step did to the draft: back to its page with a notice, or the page again with the
/// rule's refusal (422), what was there kept.
async fn outcome<T>(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    result: Result<T, Error>,
    next: impl FnOnce(T) -> String,
) -> Result<Response, PageError> {
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/adjustments/{id}?{}", next(done))).into_response()),
        Err(Error::Refused { message, details }) => {
            let messages = Messages {
                row_errors: details,
                error: Some(message),
                notice: None,
            };
            let page = detail_page(state, user, id, messages).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Imports an uploaded spreadsheet into the draft, replacing its changes; any bad row and
/// nothing changes.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    // Who may import is settled before the body is looked at.
    let view = adjustment_for(&state, &user, id).await?;
    let upload = super::upload(form).await?;
    user.check_csrf(&upload.csrf)?;
    let result = procedure::import(&state, &user, &view, &upload.name, upload.bytes).await;
    outcome(&state, &user, id, result, |n| format!("imported={n}")).await
}

#[derive(Deserialize)]
pub struct RefineForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    edit: RefinementEdit,
}

/// One item of a district's draft refined, its refinement withdrawn, or taken out.
pub async fn refine(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<axum::Form<RefineForm>, FormRejection>,
) -> Result<Response, PageError> {
    let view = adjustment_for(&state, &user, id).await?;
    let axum::Form(form) = form.map_err(unreadable)?;
    user.check_csrf(&form.csrf)?;
    let result = procedure::edit_refinement(&state, &user, view, &form.edit).await;
    let op = super::encode(&form.edit.op);
    outcome(&state, &user, id, result, |()| format!("edited={op}")).await
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    step: StepFields,
}

/// One step of the procedure; a refusal comes back on the page with the rule's reason.
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<axum::Form<ActForm>, FormRejection>,
) -> Result<Response, PageError> {
    let view = adjustment_for(&state, &user, id).await?;
    let axum::Form(form) = form.map_err(unreadable)?;
    user.check_csrf(&form.csrf)?;
    let result = procedure::act(&state, &user, &view, &form.step).await;
    let done = super::encode(&form.step.action);
    outcome(&state, &user, id, result, |_| format!("done={done}")).await
}

/// The empty import template of a directory (public: departments prepare files offline).
pub async fn template(Path(kind): Path<String>) -> Result<Response, PageError> {
    let kind = parse_kind(&kind)?;
    let bytes = directory::template_xlsx(kind).map_err(|e| {
        tracing::error!(error = %e, "template");
        Error::Internal
    })?;
    let ascii = format!("{}-template.xlsx", kind.as_str());
    let name = format!("{}导入模板.xlsx", kind.label());
    Ok(super::attachment(bytes, super::XLSX, &ascii, &name))
}

/// The district refinement template of a directory, listing the city's newest items (public:
/// districts prepare files offline).
pub async fn refinement_template(
    State(state): State<AppState>,
    Path(kind): Path<String>,
) -> Result<Response, PageError> {
    let kind = parse_kind(&kind)?;
    let city = catalog::latest(&state.db, kind).await?;
    let items = city.as_ref().map_or(&[][..], |v| &v.items);
    let bytes = jianfu_docs::refinement::refinement_template_xlsx(kind, items).map_err(|e| {
        tracing::error!(error = %e, "refinement template");
        Error::Internal
    })?;
    let ascii = format!("{}-refinement-template.xlsx", kind.as_str());
    let name = format!("{}区级细化模板.xlsx", kind.label());
    Ok(super::attachment(bytes, super::XLSX, &ascii, &name))
}
