//! Directory adjustments (动态调整) in the browser: civil affairs opens a draft and imports a
//! spreadsheet into it (a bad file is refused whole, every bad row shown), submits it; another
//! civil-affairs officer reviews it, the approver approves it, civil affairs publishes it with an
//! effective day. A district's civil affairs refines the city's items the same way (区级细化),
//! item by item in a form, through the district's own review and approval. Which buttons a user
//! sees is asked of the procedure itself.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use jianfu_docs::directory::{self, ImportDefaults};
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::catalog::adjustment::{self, Action, Actor, Change, Stage};
use jianfu_domain::catalog::{Applicability, DirectoryKind, DirectoryVersion, Refinement};
use jianfu_domain::{Error, Level, RegionCode};
use jianfu_store::catalog::{self, ActError, AdjustmentView, NewAdjustment};
use serde::Deserialize;

use super::{Crumb, Nav};
use crate::AppState;
use crate::api::catalog::{parse_kind, today};
use crate::auth::CurrentUser;
use crate::error::PageError;

/// The level whose adjustments an account handles: the city's base (an account of Tianjin
/// itself, `None`) or one district's refinements (an account of that district). Nobody handles
/// another level's: a city officer does not conduct a district's procedure, nor the reverse.
fn level_of(user: &CurrentUser) -> Option<RegionCode> {
    (user.principal.region.level() == Level::County).then_some(user.principal.region)
}

/// The caller may handle adjustments of `district`'s level (the city's when none).
async fn require_level(
    state: &AppState,
    user: &CurrentUser,
    district: Option<&RegionCode>,
    object: &str,
) -> Result<(), Error> {
    let owner = match district {
        Some(d) => *d,
        None => RegionCode::parse("12")?,
    };
    let unit = jianfu_store::region::require(&state.db, &owner).await?;
    user.require_at(state, Perm::HandleAdjustments, &unit, object)
        .await
}

/// The adjustment, once the caller is known to handle its level.
async fn adjustment_for(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<AdjustmentView, Error> {
    let object = format!("adjustment/{id}");
    // Who may handle adjustments at all is settled before anything is read.
    require_level(state, user, level_of(user).as_ref(), &object).await?;
    let view = catalog::adjustment(&state.db, id).await?;
    require_level(state, user, view.district.as_ref(), &object).await?;
    Ok(view)
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
    rows: Vec<Row>,
    error: Option<String>,
}

fn beijing(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    error: Option<String>,
) -> Result<ListPage, Error> {
    let level = level_of(user);
    let district = match &level {
        Some(code) => Some(jianfu_store::region::require(&state.db, code).await?.name),
        None => None,
    };
    let rows = catalog::adjustments(&state.db, level.as_ref(), 200)
        .await?
        .into_iter()
        .map(|a| Row {
            id: a.id,
            kind: a.kind.label(),
            title: a.title,
            stage: a.stage.label(),
            drafter: a.drafter,
            updated: beijing(a.updated_at),
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
        rows,
        error,
    })
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<ListPage, PageError> {
    require_level(&state, &user, level_of(&user).as_ref(), "/adjustments").await?;
    Ok(list_page(&state, &user, None).await?)
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    basis: String,
}

/// Opens a draft (civil affairs) and goes to it.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::Form(form): axum::Form<NewForm>,
) -> Result<Response, PageError> {
    let district = level_of(&user);
    require_level(&state, &user, district.as_ref(), "/adjustments").await?;
    user.check_csrf(&form.csrf)?;
    let refuse = |message: String| async {
        let page = list_page(&state, &user, Some(message)).await?;
        Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if !user.principal.roles.contains(&Role::CivilAffairs) {
        return refuse(format!("起草调整须由{}办理", Role::CivilAffairs)).await;
    }
    let Some(kind) = DirectoryKind::parse(&form.kind) else {
        return refuse("请选择目录".into()).await;
    };
    let new = NewAdjustment {
        kind,
        district,
        title: form.title,
        reason: form.reason,
        basis: form.basis,
    };
    let audit = user.audit_entry("adjustment.create", "adjustment");
    match catalog::create_adjustment(&state.db, &new, &user.principal.username, &audit).await {
        Ok(id) => Ok(Redirect::to(&format!("/adjustments/{id}")).into_response()),
        Err(Error::InvalidQuery(message)) => refuse(message).await,
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

const ACTIONS: [(&str, &str); 6] = [
    ("submit", "提交审核"),
    ("review", "审核通过"),
    ("approve", "批准"),
    ("return", "退回修改"),
    ("reject", "不予批准"),
    ("publish", "发布"),
];

fn action_of(code: &str, reason: &str, day: NaiveDate) -> Option<Action> {
    Some(match code {
        "submit" => Action::Submit,
        "review" => Action::Review,
        "approve" => Action::Approve,
        "return" => Action::Return {
            reason: reason.to_owned(),
        },
        "reject" => Action::Reject {
            reason: reason.to_owned(),
        },
        "publish" => Action::Publish {
            version: 0,
            effective_from: day,
        },
        _ => return None,
    })
}

/// The role the user acts in for `action` at `stage`: the one the step needs, if held,
/// otherwise any business role the user holds (which the procedure then refuses).
fn acting_role(roles: &[Role], stage: &Stage, action: &Action) -> Option<Role> {
    let needed = match (stage, action) {
        (_, Action::Approve | Action::Reject { .. }) => Role::Approver,
        (Stage::Reviewed, Action::Return { .. }) => Role::Approver,
        _ => Role::CivilAffairs,
    };
    if roles.contains(&needed) {
        Some(needed)
    } else {
        roles.first().copied()
    }
}

fn event_label(action: &str) -> &'static str {
    match action {
        "submitted" => "提交审核",
        "reviewed" => "审核通过",
        "approved" => "批准",
        "published" => "发布",
        "returned" => "退回",
        "rejected" => "不予批准",
        _ => "其他",
    }
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
        .filter_map(|(code, label)| {
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
                    label,
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
            at: beijing(e.at),
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
    let impact = Impact {
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
        } => format!("第 {version} 版，{effective_from} 起施行"),
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
        applicabilities: Applicability::ALL
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
        .and_then(|d| ACTIONS.iter().find(|(code, _)| *code == d))
        .map(|(_, label)| *label);
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

/// A refusal shown on the adjustment's page (422), what was there kept.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    error: String,
    row_errors: Vec<String>,
) -> Result<Response, PageError> {
    let messages = Messages {
        row_errors,
        error: Some(error),
        notice: None,
    };
    let page = detail_page(state, user, id, messages).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Imports an uploaded spreadsheet into the draft, replacing its changes; any bad row and
/// nothing changes.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    // Who may import is settled before the body is looked at.
    let view = adjustment_for(&state, &user, id).await?;
    let mut form = form.map_err(|e| Error::InvalidQuery(format!("上传的表单无法读取：{e}")))?;
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Error::InvalidQuery(format!("上传的表单无法读取：{e}")))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_lowercase();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| Error::InvalidQuery(format!("文件上传未完成：{e}")))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    user.check_csrf(&csrf)?;
    if view.district.is_some() {
        let message = "区级细化请在本页逐项填写，不能导入目录文件".to_owned();
        return refused(&state, &user, id, message, Vec::new()).await;
    }
    let Some((name, bytes)) = file.filter(|(n, b)| !n.is_empty() && !b.is_empty()) else {
        return refused(&state, &user, id, "请选择要导入的文件".into(), Vec::new()).await;
    };
    if view.drafter != user.principal.username {
        let message = "只有起草人可以导入调整内容".to_owned();
        return refused(&state, &user, id, message, Vec::new()).await;
    }
    let table = match jianfu_docs::table::table_from_bytes(&name, bytes) {
        Ok(t) => t,
        Err(e) => return refused(&state, &user, id, e.to_string(), Vec::new()).await,
    };
    let defaults = ImportDefaults {
        valid_from: today(),
        source: name.clone(),
        is_demo: false,
    };
    let current = catalog::latest(&state.db, view.kind).await?;
    let changes = directory::directory_rows(&table, view.kind, &defaults)
        .and_then(|rows| directory::changes(rows, current.as_ref().map_or(&[][..], |v| &v.items)));
    let changes = match changes {
        Ok(c) if c.is_empty() => {
            let message = "文件中的事项与现行目录相同，没有需要调整的内容".to_owned();
            return refused(&state, &user, id, message, Vec::new()).await;
        }
        Ok(c) => c,
        Err(errors) => {
            let message = format!("文件有 {} 处错误，未导入任何内容：", errors.len());
            let rows = errors.iter().map(ToString::to_string).collect();
            return refused(&state, &user, id, message, rows).await;
        }
    };
    let changes: Vec<_> = changes
        .into_iter()
        .map(|(c, row)| (c, u32::try_from(row).ok()))
        .collect();
    let audit = jianfu_domain::audit::AuditEntry {
        after: Some(serde_json::json!({ "file": name, "changes": changes.len() }).to_string()),
        ..user.audit_entry("adjustment.import", &format!("adjustment/{id}"))
    };
    match catalog::set_changes(&state.db, id, &changes, &audit).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/adjustments/{id}?imported={}", changes.len())).into_response(),
        ),
        Err(Error::InvalidQuery(message)) => refused(&state, &user, id, message, Vec::new()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RefineForm {
    #[serde(default)]
    csrf: String,
    /// refine, unrefine or remove (take the item out of the draft).
    #[serde(default)]
    op: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    applicability: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
    #[serde(default)]
    local_basis: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    process: String,
}

impl RefineForm {
    /// The refinement the form describes, or what is wrong with it in Chinese.
    fn refinement(&self) -> Result<Refinement, String> {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let date = |raw: &str, field: &str| match raw.trim() {
            "" => Ok(None),
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| format!("{field}“{d}”格式不正确，应为 YYYY-MM-DD")),
        };
        let applicability = match self.applicability.trim() {
            "" => None,
            raw => {
                Some(Applicability::parse(raw).ok_or_else(|| format!("适用范围“{raw}”无法识别"))?)
            }
        };
        let r = Refinement {
            note: text(&self.note),
            applicability,
            valid_from: date(&self.valid_from, "生效日期")?,
            valid_to: date(&self.valid_to, "失效日期")?,
            local_basis: text(&self.local_basis),
            scope: text(&self.scope),
            process: text(&self.process),
        };
        if let (Some(from), Some(to)) = (r.valid_from, r.valid_to)
            && to < from
        {
            return Err("失效日期不能早于生效日期".into());
        }
        Ok(r)
    }
}

/// The draft's changes with one item refined, its refinement withdrawn, or taken out of the
/// draft (district refinements only, by their drafter). The whole draft is checked against the
/// city's newest version at once, so a widening is refused here and not first at submission.
pub async fn refine(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RefineForm>,
) -> Result<Response, PageError> {
    let view = adjustment_for(&state, &user, id).await?;
    user.check_csrf(&form.csrf)?;
    let refuse = |message: String| refused(&state, &user, id, message, Vec::new());
    let Some(district) = view.district else {
        return refuse("市级目录调整请导入目录文件".into()).await;
    };
    if view.drafter != user.principal.username {
        return refuse("只有起草人可以修改调整内容".into()).await;
    }
    let code = match jianfu_domain::catalog::ItemCode::parse(view.kind, &form.code) {
        Ok(c) => c,
        Err(message) => return refuse(message).await,
    };
    let change = match form.op.as_str() {
        "refine" => match form.refinement() {
            Ok(r) => Some(Change::Refine(code.clone(), r)),
            Err(message) => return refuse(message).await,
        },
        "unrefine" => Some(Change::Unrefine(code.clone())),
        "remove" => None,
        _ => return refuse("未知的操作".into()).await,
    };
    let mut changes: Vec<(Change, Option<u32>)> = view
        .changes
        .into_iter()
        .filter(|(c, _)| c.code() != &code)
        .collect();
    changes.extend(change.map(|c| (c, None)));
    let base = catalog::latest(&state.db, view.kind)
        .await?
        .unwrap_or(DirectoryVersion {
            kind: view.kind,
            number: 0,
            effective_from: today(),
            items: Vec::new(),
        });
    let now = catalog::latest_refinement(&state.db, view.kind, &district)
        .await?
        .map(|r| r.entries)
        .unwrap_or_default();
    let proposed: Vec<Change> = changes.iter().map(|(c, _)| c.clone()).collect();
    if let Err(problems) = adjustment::apply_refinement(&base, &now, &proposed) {
        let message = format!("细化不符合规则，未保存：{} 处问题", problems.len());
        let rows = problems.iter().map(ToString::to_string).collect();
        return refused(&state, &user, id, message, rows).await;
    }
    let audit = jianfu_domain::audit::AuditEntry {
        after: Some(serde_json::json!({ "op": form.op, "code": code.as_str() }).to_string()),
        ..user.audit_entry("adjustment.refine", &format!("adjustment/{id}"))
    };
    match catalog::set_changes(&state.db, id, &changes, &audit).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/adjustments/{id}?edited={}",
            super::encode(&form.op)
        ))
        .into_response()),
        Err(Error::InvalidQuery(message)) => refuse(message).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    effective_from: String,
}

/// One step of the procedure; a refusal comes back on the page with the rule's reason.
pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<ActForm>,
) -> Result<Response, PageError> {
    let view = adjustment_for(&state, &user, id).await?;
    user.check_csrf(&form.csrf)?;
    let day = match form.effective_from.trim() {
        "" => today(),
        raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                let message = format!("施行日期“{raw}”格式不正确，应为 YYYY-MM-DD");
                return refused(&state, &user, id, message, Vec::new()).await;
            }
        },
    };
    let Some(action) = action_of(&form.action, &form.reason, day) else {
        return refused(&state, &user, id, "未知的操作".into(), Vec::new()).await;
    };
    let Some(role) = acting_role(&user.principal.roles, &view.stage, &action) else {
        return Err(Error::Forbidden.into());
    };
    let audit = user.audit_entry("adjustment.act", &format!("adjustment/{id}"));
    match catalog::act(
        &state.db,
        id,
        &action,
        (&user.principal.username, role),
        &audit,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/adjustments/{id}?done={}",
            super::encode(&form.action)
        ))
        .into_response()),
        Err(ActError::Store(e)) => Err(e.into()),
        Err(e) => refused(&state, &user, id, e.to_string(), Vec::new()).await,
    }
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
