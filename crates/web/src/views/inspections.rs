//! 检查评估 for inspectors and those following them: joint groups, plans drawn by a recorded
//! seed, the seal of an unannounced plan shown before the visits and the plan after them,
//! findings with photos, and the rectification each finding becomes. 整改 for the responsible
//! unit (on a phone: the measures asked for, what it did, its evidence) and for the levels
//! above it, with escalation of what is overdue, and Excel export.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::inspection::{
    CHECKLIST, Member, MemberBody, PlanAction, PlanStage, Topic, Visibility,
};
use jianfu_domain::{Error, RegionCode};
use serde::Deserialize;

use super::{Crumb, Nav, field, multipart, posted};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::inspection as desk;

/// A refusal as a page shows it: the message, then each problem.
pub fn problems(e: &Error) -> Vec<String> {
    let mut out = vec![e.to_string()];
    if let Error::Refused { details, .. } = e {
        out.extend(details.iter().cloned());
    }
    out
}

/// Whether `e` is the caller's to fix (shown on the page) rather than a fault.
fn fixable(e: &Error) -> bool {
    matches!(e, Error::Refused { .. } | Error::WrongStage { .. })
}

fn back(to: &str, notice: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}notice={}", super::encode(notice))).into_response()
}

#[derive(Deserialize, Default)]
pub struct NoticeParams {
    #[serde(default)]
    notice: String,
}

impl NoticeParams {
    pub fn notice(&self) -> Option<&str> {
        (!self.notice.is_empty()).then_some(self.notice.as_str())
    }
}

pub struct GroupRow {
    pub id: i64,
    pub name: String,
    pub region: String,
    pub members: String,
    pub mine: bool,
}

pub struct PlanRow {
    pub id: i64,
    pub title: String,
    pub group: String,
    pub visibility: &'static str,
    pub stage: &'static str,
    pub visits: String,
    pub created_at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "inspections.html")]
pub struct IndexPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    inspector: bool,
    groups: Vec<GroupRow>,
    plans: Vec<PlanRow>,
    bodies: Vec<(&'static str, &'static str)>,
    /// The body preselected on each blank member row: one of each.
    member_defaults: Vec<&'static str>,
    topics: Vec<(&'static str, &'static str)>,
    region: String,
    first_day: String,
    notice: Option<String>,
    errors: Vec<String>,
}

async fn index_page(
    state: &AppState,
    user: &CurrentUser,
    notice: Option<String>,
    errors: Vec<String>,
) -> Result<IndexPage, Error> {
    let region = user.principal.region;
    let inspector = user.principal.roles.contains(&Role::Inspector);
    let groups = jianfu_store::inspection::groups(&state.db, &region).await?;
    let plans = jianfu_store::inspection::plans(&state.db, &region).await?;
    let group_name = |id: i64| {
        groups
            .iter()
            .find(|g| g.id == id)
            .map_or_else(|| format!("检查组 {id}"), |g| g.name.clone())
    };
    let plan_rows = plans
        .iter()
        .filter(|p| {
            p.stage.disclosed()
                || groups
                    .iter()
                    .any(|g| g.id == p.group_id && desk::runs(user, g))
        })
        .map(|p| PlanRow {
            id: p.id,
            title: p.title.clone(),
            group: group_name(p.group_id),
            visibility: p.visibility.label(),
            stage: p.stage.label(),
            visits: if p.stage.disclosed()
                || groups
                    .iter()
                    .any(|g| g.id == p.group_id && desk::runs(user, g))
            {
                format!("{} 个", p.visits.len())
            } else {
                "封存".into()
            },
            created_at: super::beijing(p.created_at),
        })
        .collect();
    Ok(IndexPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("检查评估")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        inspector,
        groups: groups
            .iter()
            .map(|g| GroupRow {
                id: g.id,
                name: g.name.clone(),
                region: g.region.to_string(),
                members: g
                    .members
                    .iter()
                    .map(|m| format!("{}（{}）", m.name, m.body.label()))
                    .collect::<Vec<_>>()
                    .join("、"),
                mine: desk::runs(user, g),
            })
            .collect(),
        plans: plan_rows,
        bodies: MemberBody::ALL
            .iter()
            .map(|b| (b.code(), b.label()))
            .collect(),
        member_defaults: MemberBody::ALL.iter().map(|b| b.code()).collect(),
        topics: Topic::ALL.iter().map(|t| (t.code(), t.label())).collect(),
        region: region.to_string(),
        first_day: today().to_string(),
        notice,
        errors,
    })
}

/// 检查评估: the groups and plans of the caller's region.
pub async fn index(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<NoticeParams>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::FollowCampaign, "/inspections")
        .await?;
    let notice = (!p.notice.is_empty()).then_some(p.notice);
    Ok(index_page(&state, &user, notice, Vec::new())
        .await?
        .into_response())
}

async fn refused_on_index(
    state: &AppState,
    user: &CurrentUser,
    e: Error,
) -> Result<Response, PageError> {
    if !fixable(&e) {
        return Err(e.into());
    }
    let page = index_page(state, user, None, problems(&e)).await?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Forms a joint group from the rows of the form (blank rows are ignored).
pub async fn create_group(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Inspect, "/inspections/groups")
        .await?;
    let form = posted(&user, &body)?;
    let column = |name: &str| -> Vec<&str> {
        form.iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let (usernames, names, bodies) = (
        column("member_username"),
        column("member_name"),
        column("member_body"),
    );
    let mut members = Vec::new();
    let mut bad = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let username = usernames.get(i).copied().unwrap_or("").trim();
        if name.trim().is_empty() && username.is_empty() {
            continue;
        }
        match MemberBody::parse(bodies.get(i).copied().unwrap_or("")) {
            Some(body) => members.push(Member {
                username: if username.is_empty() {
                    format!("member-{}", i + 1)
                } else {
                    username.to_owned()
                },
                name: name.trim().to_owned(),
                body,
            }),
            None => bad.push(format!("第 {} 位成员：请选择所在部门", i + 1)),
        }
    }
    let outcome = if bad.is_empty() {
        desk::form_group(&state, &user, field(&form, "name"), members).await
    } else {
        Err(Error::Refused {
            message: "检查组成员信息不完整".into(),
            details: bad,
        })
    };
    match outcome {
        Ok(_) => Ok(back("/inspections", "检查组已组建")),
        Err(e) => refused_on_index(&state, &user, e).await,
    }
}

fn parse_day(raw: &str, what: &str) -> Result<NaiveDate, Error> {
    raw.trim()
        .parse()
        .map_err(|_| Error::refused(format!("{what}“{raw}”不是有效日期（例如 2026-12-10）")))
}

fn parse_count(raw: &str, what: &str) -> Result<u32, Error> {
    raw.trim()
        .parse()
        .map_err(|_| Error::refused(format!("{what}“{raw}”应为正整数")))
}

/// The seed as typed: blank for a fresh one from the system's random source.
fn parse_seed(raw: &str) -> Result<Option<u64>, Error> {
    match raw.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| {
            Error::refused(format!(
                "随机种子“{s}”应为 0 至 18446744073709551615 之间的整数"
            ))
        }),
    }
}

/// Draws and keeps a new plan.
pub async fn create_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Inspect, "/inspections/plans")
        .await?;
    let form = posted(&user, &body)?;
    let request = || -> Result<desk::PlanRequest, Error> {
        Ok(desk::PlanRequest {
            group_id: field(&form, "group")
                .parse()
                .map_err(|_| Error::refused("请选择检查组"))?,
            title: field(&form, "title").to_owned(),
            visibility: Visibility::from_code(field(&form, "visibility"))
                .ok_or_else(|| Error::refused("请选择明察或暗访"))?,
            topics: form
                .iter()
                .filter(|(n, _)| n == "topic")
                .filter_map(|(_, v)| Topic::from_code(v))
                .collect(),
            within: RegionCode::parse(field(&form, "within"))?,
            seed: parse_seed(field(&form, "seed"))?,
            per_district: parse_count(field(&form, "per_district"), "每区抽取数")?,
            first_day: parse_day(field(&form, "first_day"), "首次检查日期")?,
            per_day: parse_count(field(&form, "per_day"), "每天检查数")?,
        })
    };
    let outcome = match request() {
        Ok(r) => desk::create_plan(&state, &user, r).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(id) => Ok(back(
            &format!("/inspections/plans/{id}"),
            "检查计划已生成，请核对抽样结果",
        )),
        Err(e) => refused_on_index(&state, &user, e).await,
    }
}

pub struct VisitRow {
    pub unit: String,
    pub name: String,
    pub on: String,
}

pub struct FindingView {
    pub id: i64,
    pub unit: String,
    pub item: String,
    pub description: String,
    pub recorded: String,
    pub photos: Vec<(i64, String)>,
    pub rectification: Option<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "inspection_plan.html")]
pub struct PlanPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    id: i64,
    title: String,
    group: String,
    visibility: &'static str,
    stage: &'static str,
    draft: bool,
    topics: String,
    seed: String,
    per_district: u32,
    region: String,
    seal: Option<String>,
    sealed_at: Option<String>,
    sealed_text: Option<String>,
    seal_holds: Option<bool>,
    visits: Vec<VisitRow>,
    clashes: Vec<String>,
    runs: bool,
    actions: Vec<(&'static str, &'static str)>,
    items: Vec<(&'static str, String)>,
    findings: Vec<FindingView>,
    can_issue: bool,
    default_days: u32,
    first_day: String,
    notice: Option<String>,
    errors: Vec<String>,
}

async fn plan_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    notice: Option<String>,
    errors: Vec<String>,
) -> Result<PlanPage, Error> {
    let (plan, group) = desk::readable(state, user, id).await?;
    let runs = desk::runs(user, &group);
    let units: Vec<RegionCode> = plan.visits.iter().map(|v| v.unit).collect();
    let names = desk::names(state, &units).await?;
    let clashes = if runs {
        desk::clashes(state, &plan)
            .await?
            .iter()
            .map(ToString::to_string)
            .collect()
    } else {
        Vec::new()
    };
    let findings = jianfu_store::inspection::findings(&state.db, plan.id).await?;
    let actions = PlanAction::ALL
        .into_iter()
        .filter(|a| {
            runs && jianfu_domain::inspection::plan_step(
                plan.stage,
                plan.visibility,
                *a,
                Role::Inspector,
                plan.visits.len(),
            )
            .is_ok()
        })
        .map(|a| (a.code(), a.label()))
        .collect();
    let name_of = |code: &RegionCode| {
        units
            .iter()
            .position(|u| u == code)
            .map_or_else(|| code.to_string(), |i| names[i].clone())
    };
    Ok(PlanPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("检查评估", "/inspections"),
            Crumb::here(plan.title.clone()),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        id: plan.id,
        title: plan.title.clone(),
        group: group.name.clone(),
        visibility: plan.visibility.label(),
        stage: plan.stage.label(),
        draft: plan.stage == PlanStage::Draft,
        topics: plan
            .topics
            .iter()
            .map(|t| t.label())
            .collect::<Vec<_>>()
            .join("、"),
        seed: plan.seed.to_string(),
        per_district: plan.per_district,
        region: plan.region.to_string(),
        seal: plan.seal.clone(),
        sealed_at: plan.sealed_at.map(super::beijing),
        // The text is the plan itself: shown to others only once it is complete.
        sealed_text: plan
            .sealed_text
            .clone()
            .filter(|_| plan.stage == PlanStage::Completed),
        seal_holds: desk::seal_holds(&plan, &group.name),
        visits: plan
            .visits
            .iter()
            .map(|v| VisitRow {
                unit: v.unit.to_string(),
                name: name_of(&v.unit),
                on: v.on.to_string(),
            })
            .collect(),
        clashes,
        runs,
        actions,
        items: CHECKLIST
            .iter()
            .filter(|i| plan.topics.contains(&i.topic))
            .map(|i| (i.code, format!("{}：{}", i.topic.label(), i.question)))
            .collect(),
        findings: findings
            .into_iter()
            .map(|f| FindingView {
                id: f.id,
                unit: name_of(&f.unit),
                item: jianfu_domain::inspection::check_item(&f.item_code)
                    .map_or_else(|| f.item_code.clone(), |i| i.question.to_owned()),
                description: f.description,
                recorded: format!("{} {}", f.recorded_by, super::beijing(f.recorded_at)),
                photos: f.photos.into_iter().map(|p| (p.id, p.name)).collect(),
                rectification: f.rectification,
            })
            .collect(),
        can_issue: runs && plan.stage.disclosed(),
        default_days: desk::DEFAULT_DAYS,
        first_day: today().to_string(),
        notice,
        errors,
    })
}

/// One plan: its sample, its seal, its findings.
pub async fn show_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(p): Query<NoticeParams>,
) -> Result<Response, PageError> {
    let notice = (!p.notice.is_empty()).then_some(p.notice);
    Ok(plan_page(&state, &user, id, notice, Vec::new())
        .await?
        .into_response())
}

async fn refused_on_plan(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    e: Error,
) -> Result<Response, PageError> {
    if !fixable(&e) {
        return Err(e.into());
    }
    let page = plan_page(state, user, id, None, problems(&e)).await?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Seals, announces or completes a plan.
pub async fn act_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Inspect, &format!("inspection/plan/{id}"))
        .await?;
    let form = posted(&user, &body)?;
    let outcome = match PlanAction::parse(field(&form, "action")) {
        Some(a) => desk::act_on_plan(&state, &user, id, a).await,
        None => Err(Error::refused("未知的操作")),
    };
    match outcome {
        Ok(stage) => Ok(back(
            &format!("/inspections/plans/{id}"),
            &format!("计划状态：{}", stage.label()),
        )),
        Err(e) => refused_on_plan(&state, &user, id, e).await,
    }
}

/// Draws a draft plan's sample again.
pub async fn redraw(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Inspect, &format!("inspection/plan/{id}"))
        .await?;
    let form = posted(&user, &body)?;
    let outcome = async {
        desk::redraw(
            &state,
            &user,
            id,
            parse_seed(field(&form, "seed"))?,
            parse_count(field(&form, "per_district"), "每区抽取数")?,
            parse_day(field(&form, "first_day"), "首次检查日期")?,
            parse_count(field(&form, "per_day"), "每天检查数")?,
        )
        .await
    }
    .await;
    match outcome {
        Ok(()) => Ok(back(&format!("/inspections/plans/{id}"), "已重新抽样")),
        Err(e) => refused_on_plan(&state, &user, id, e).await,
    }
}

/// Records a finding with its photos.
pub async fn add_finding(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Inspect, &format!("inspection/plan/{id}"))
        .await?;
    let (fields, uploaded) = multipart(form).await?;
    user.check_csrf(field(&fields, "csrf"))?;
    let outcome = match desk::files(uploaded.into_iter().map(|(_, n, b)| (n, b)).collect()) {
        Ok(photos) => {
            desk::record_finding(
                &state,
                &user,
                id,
                field(&fields, "unit"),
                field(&fields, "item"),
                field(&fields, "description"),
                photos,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Ok(back(&format!("/inspections/plans/{id}"), "检查发现已记录")),
        Err(e) => refused_on_plan(&state, &user, id, e).await,
    }
}

/// Issues the rectification of a finding.
pub async fn issue(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Inspect, &format!("inspection/finding/{id}"))
        .await?;
    let form = posted(&user, &body)?;
    let plan_id = jianfu_store::inspection::finding(&state.db, id)
        .await?
        .plan_id;
    let outcome = match parse_count(field(&form, "days"), "整改时限") {
        Ok(days) => desk::issue(&state, &user, id, field(&form, "measures"), days).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(rid) => Ok(back(&format!("/rectifications/{rid}"), "整改已下达")),
        Err(e) => refused_on_plan(&state, &user, plan_id, e).await,
    }
}

/// One file of a finding or of a rectification, for whoever may read it.
pub async fn file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let f = jianfu_store::inspection::file(&state.db, id).await?;
    match f.rectification_id {
        Some(r) => {
            desk::readable_rectification(&state, &user, r).await?;
        }
        None => {
            let finding = jianfu_store::inspection::finding(&state.db, f.finding_id).await?;
            match finding.rectification {
                // The unit sees the inspector's photo of what its rectification is about.
                Some(r) => {
                    desk::readable_rectification(&state, &user, r).await?;
                }
                None => {
                    desk::readable(&state, &user, finding.plan_id).await?;
                }
            }
        }
    }
    let disposition = format!("inline; filename*=UTF-8''{}", super::encode(&f.name));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, f.mime),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        f.content,
    )
        .into_response())
}
