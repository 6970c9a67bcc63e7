//! The admission procedure (准入) as the pages and the API both run it: whose level an
//! application belongs to and who may see it, reading what an applicant writes, and each step.
//! A step out of order is `Error::WrongStage` (409 naming the stage); another level's or
//! another department's application is 403 and audited; a rule's refusal is 422.

use chrono::NaiveDate;
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::admission::{
    self, Action, Actor, Facts, ReturnTo, ScopeEntry, Stage, StepError,
};
use jianfu_domain::catalog::Applicability;
use jianfu_domain::workday::Calendar;
use jianfu_domain::{Error, Level, RegionCode};
use jianfu_store::admission::{self as store, AdmissionError, AdmissionView, By, NewAdmission};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;

/// The level whose admissions an account takes part in: Tianjin's (city departments, city
/// civil affairs and approval) or its district's. Townships and villages have none.
pub fn level_of(user: &CurrentUser) -> Option<RegionCode> {
    let region = user.principal.region;
    matches!(region.level(), Level::Province | Level::County).then_some(region)
}

/// The caller may take part in admissions, at its level; returns the level.
pub async fn require_admissions(
    state: &AppState,
    user: &CurrentUser,
    object: &str,
) -> Result<RegionCode, Error> {
    user.require(state, Perm::HandleAdmissions, object).await?;
    match level_of(user) {
        Some(level) => Ok(level),
        None => {
            let detail = serde_json::json!({ "region": user.principal.region.as_str() });
            Err(deny(
                state,
                user,
                object,
                detail,
                "本单位（准入由市、区两级办理）",
            )
            .await)
        }
    }
}

/// Records a refusal outside the caller's scope and returns the error that says so.
async fn deny(
    state: &AppState,
    user: &CurrentUser,
    object: &str,
    detail: serde_json::Value,
    what: &str,
) -> Error {
    let entry = jianfu_domain::audit::AuditEntry {
        result: "denied".into(),
        after: Some(detail.to_string()),
        ..user.audit_entry("authz.out_of_scope", object)
    };
    match jianfu_store::audit::append(&state.db, &entry).await {
        Ok(()) => Error::OutsideScope(what.to_owned()),
        Err(_) => Error::Internal,
    }
}

/// Whether the caller sees every application of its level (civil affairs, the approver) or
/// only its department's and those it is asked to countersign.
pub fn sees_whole_level(user: &CurrentUser) -> bool {
    user.principal
        .roles
        .iter()
        .any(|r| matches!(r, Role::CivilAffairs | Role::Approver))
}

/// The application, once the caller is known to belong to its level (and, for a department,
/// to apply for it or countersign it). Anything else is 403 and audited.
pub async fn admission_for(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<AdmissionView, Error> {
    let object = format!("admission/{id}");
    require_admissions(state, user, &object).await?;
    let view = store::get(&state.db, id).await?;
    let unit = jianfu_store::region::require(&state.db, &view.region).await?;
    user.require_at(state, Perm::HandleAdmissions, &unit, &object)
        .await?;
    if !sees_whole_level(user) {
        let department = user.principal.department.as_deref().unwrap_or_default();
        let involved =
            view.department == department || view.co_departments.iter().any(|c| c == department);
        if !involved {
            let detail =
                serde_json::json!({ "department": department, "applicant": view.department });
            return Err(deny(state, user, &object, detail, &format!("准入申请 {id}")).await);
        }
    }
    Ok(view)
}

/// One part of a scope as the API writes it.
#[derive(Deserialize, ToSchema, Clone)]
pub struct ScopeFields {
    /// A village or community (12 digits), or a township, district or the city for all of its
    /// units of the kind `applies`.
    #[schema(example = "120101000000")]
    pub unit: String,
    /// `village`, `community` or `both` (default): which units of a subtree.
    #[serde(default)]
    #[schema(example = "community")]
    pub applies: String,
}

/// What an applying department writes.
#[derive(Deserialize, ToSchema, Default, Clone)]
pub struct ApplicationFields {
    #[serde(default)]
    #[schema(example = "学生课后服务需求摸底")]
    pub title: String,
    /// What the villages and communities are asked to do.
    #[serde(default)]
    pub content: String,
    /// The legal or policy basis.
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub scope: Vec<ScopeFields>,
    /// YYYY-MM-DD, at least the level's notice period (default 30 working days) after submission.
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    /// Estimated work per unit, in hours.
    #[serde(default)]
    pub workload_hours: f64,
    /// Funding and working conditions provided (费随事转).
    #[serde(default)]
    pub support: String,
    /// Should become a permanent item of the directory.
    #[serde(default)]
    pub permanent: bool,
    /// Codes of the departments that countersign (会签), of the same level.
    #[serde(default)]
    pub co_departments: Vec<String>,
    /// A repeated request with the same key creates nothing new.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

fn date(raw: &str, what: &str) -> Result<NaiveDate, Error> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Error::refused(format!("请填写{what}")));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| Error::refused(format!("{what}“{raw}”格式不正确，应为 YYYY-MM-DD")))
}

/// Reads and checks what an applicant wrote, for the caller's department at `level`: dates,
/// workload, a scope of existing units inside the level, co-departments of the same level.
async fn new_admission(
    state: &AppState,
    user: &CurrentUser,
    level: RegionCode,
    fields: ApplicationFields,
) -> Result<NewAdmission, Error> {
    let department = user
        .principal
        .department
        .clone()
        .filter(|_| user.principal.roles.contains(&Role::DepartmentOfficer))
        .ok_or_else(|| Error::refused(format!("准入申请须由{}提出", Role::DepartmentOfficer)))?;
    let starts_on = date(&fields.starts_on, "开始日期")?;
    let ends_on = date(&fields.ends_on, "结束日期")?;
    if !(0.0..=1000.0).contains(&fields.workload_hours) || fields.workload_hours.is_nan() {
        return Err(Error::refused("预计工作量应在 0 至 1000 小时之间"));
    }
    let mut scope = Vec::new();
    for part in &fields.scope {
        let unit = RegionCode::parse(part.unit.trim())?;
        let applies = Applicability::parse(&part.applies).ok_or_else(|| {
            Error::refused(format!(
                "范围 {} 的适用对象“{}”不正确：应为 village、community 或 both",
                part.unit, part.applies
            ))
        })?;
        scope.push(ScopeEntry {
            unit,
            subtree: unit.level() != Level::Village,
            applies,
        });
    }
    let codes: Vec<RegionCode> = scope.iter().map(|s| s.unit).collect();
    let found = jianfu_store::region::get_many(&state.db, &codes).await?;
    if let Some(missing) = codes.iter().find(|c| !found.iter().any(|r| r.code == **c)) {
        return Err(Error::RegionNotFound(missing.short().to_owned()));
    }
    let mut co = fields.co_departments.clone();
    co.retain(|c| !c.trim().is_empty());
    co.sort();
    co.dedup();
    let known = jianfu_store::department::get_many(&state.db, &co).await?;
    if let Some(bad) = co.iter().find(|c| {
        !known
            .iter()
            .any(|d| d.code == **c && d.region_code == level)
    }) {
        return Err(Error::refused(format!("会签部门“{bad}”不是本级的部门")));
    }
    Ok(NewAdmission {
        region: level,
        department,
        title: fields.title,
        content: fields.content,
        basis: fields.basis,
        scope,
        starts_on,
        ends_on,
        workload_minutes: (fields.workload_hours * 60.0).round() as u32,
        support: fields.support,
        permanent: fields.permanent,
        co_departments: co,
        idempotency_key: fields
            .idempotency_key
            .map(|k| k.trim().chars().take(64).collect::<String>())
            .filter(|k| !k.is_empty()),
    })
}

/// The store refuses with `Refused` already; its not-found and faults pass through.
pub async fn create(
    state: &AppState,
    user: &CurrentUser,
    fields: ApplicationFields,
) -> Result<i64, Error> {
    let level = require_admissions(state, user, "admission").await?;
    let new = new_admission(state, user, level, fields).await?;
    let audit = user.audit_entry("admission.create", "admission");
    store::create(&state.db, &new, &user.principal.username, today(), &audit).await
}

/// Rewrites a draft or returned application.
pub async fn update(
    state: &AppState,
    user: &CurrentUser,
    view: &AdmissionView,
    fields: ApplicationFields,
) -> Result<(), Error> {
    let new = new_admission(state, user, view.region, fields).await?;
    let audit = user.audit_entry("admission.update", &format!("admission/{}", view.id));
    store::update(&state.db, view.id, &new, &new.department, &audit).await
}

/// What a step says: a comment (the reason of a return, rejection or revocation, a
/// countersignature's opinion), where a return goes, whether a countersignature agrees.
#[derive(Deserialize, ToSchema, Default)]
pub struct StepFields {
    #[serde(default)]
    #[schema(example = "请补充经费来源")]
    pub comment: String,
    /// For return: `applicant` (default) or `review` (the approver sends it back to civil
    /// affairs).
    #[serde(default)]
    pub to: String,
    /// For countersign: agree (default) or not.
    #[serde(default)]
    pub agree: Option<bool>,
}

/// The steps by the codes pages and the API use, in procedure order.
pub const ACTIONS: [&str; 9] = [
    "submit",
    "countersign",
    "return",
    "resubmit",
    "pass",
    "approve",
    "reject",
    "withdraw",
    "revoke",
];

pub fn action_of(code: &str, fields: &StepFields) -> Option<Action> {
    let comment = fields.comment.clone();
    Some(match code {
        "submit" => Action::Submit,
        "countersign" => Action::Countersign {
            agree: fields.agree.unwrap_or(true),
            comment,
        },
        "return" => Action::Return {
            reason: comment,
            to: if fields.to == "review" {
                ReturnTo::Review
            } else {
                ReturnTo::Applicant
            },
        },
        "resubmit" => Action::Resubmit,
        "pass" => Action::Pass,
        "approve" => Action::Approve,
        "reject" => Action::Reject { reason: comment },
        "withdraw" => Action::Withdraw,
        "revoke" => Action::Revoke { reason: comment },
        _ => return None,
    })
}

/// The role a step needs at `stage`.
fn needed_role(stage: &Stage, action: &Action) -> Role {
    match (stage, action) {
        (Stage::Submitted, Action::Return { .. }) | (_, Action::Pass) => Role::CivilAffairs,
        (_, Action::Return { .. } | Action::Approve | Action::Reject { .. })
        | (_, Action::Revoke { .. }) => Role::Approver,
        _ => Role::DepartmentOfficer,
    }
}

/// The role the user acts in: the one the step needs if held, otherwise any business role
/// (which the procedure then refuses with the role it needs).
fn acting_role(roles: &[Role], stage: &Stage, action: &Action) -> Option<Role> {
    let needed = needed_role(stage, action);
    if roles.contains(&needed) {
        Some(needed)
    } else {
        roles.first().copied()
    }
}

/// Who the user is to this application, as the procedure asks.
fn actor(user: &CurrentUser, view: &AdmissionView, role: Role) -> (Actor, Facts) {
    let department = user.principal.department.as_deref();
    let round_signed: Vec<&str> = current_round(view)
        .iter()
        .map(|s| s.department.as_str())
        .collect();
    let actor = Actor {
        role,
        is_applicant: department == Some(view.department.as_str()),
        owes_countersign: department.is_some_and(|d| {
            view.co_departments.iter().any(|c| c == d) && !round_signed.contains(&d)
        }),
        may_review: view
            .reviewer
            .as_deref()
            .is_none_or(|r| r == user.principal.username),
    };
    let facts = Facts {
        co_departments: view.co_departments.len(),
        countersigns_pending: view.co_departments.len().saturating_sub(round_signed.len()),
    };
    (actor, facts)
}

/// The countersignatures of the round in progress (the last submission's).
pub fn current_round(view: &AdmissionView) -> Vec<&store::Countersign> {
    // As the store counts rounds: each submission that went to countersigning opens one.
    let round = view
        .events
        .iter()
        .filter(|e| e.stage == Stage::Countersigning.code() && e.action != "countersign")
        .count() as i32;
    view.countersigns
        .iter()
        .filter(|s| s.round == round)
        .collect()
}

/// The steps the procedure allows this user now, in procedure order.
pub fn open_actions(user: &CurrentUser, view: &AdmissionView) -> Vec<&'static str> {
    let filled = StepFields {
        comment: "—".into(),
        to: String::new(),
        agree: Some(true),
    };
    ACTIONS
        .into_iter()
        .filter(|code| {
            let action = action_of(code, &filled).expect("known codes");
            acting_role(&user.principal.roles, &view.stage, &action).is_some_and(|role| {
                let (actor, facts) = actor(user, view, role);
                admission::step(&view.stage, &action, actor, facts).is_ok()
            })
        })
        .collect()
}

/// The holiday calendar working days are counted on.
pub async fn calendar(state: &AppState) -> Result<Calendar, Error> {
    jianfu_store::calendar::load(&state.db).await
}

/// One step of the procedure by the caller; returns the new stage.
pub async fn act(
    state: &AppState,
    user: &CurrentUser,
    view: &AdmissionView,
    code: &str,
    fields: &StepFields,
) -> Result<Stage, Error> {
    let action = action_of(code, fields).ok_or_else(|| {
        Error::refused(format!("未知的操作“{code}”：应为 {}", ACTIONS.join("、")))
    })?;
    let role = acting_role(&user.principal.roles, &view.stage, &action).ok_or(Error::Forbidden)?;
    let calendar = calendar(state).await?;
    let by = By {
        username: &user.principal.username,
        name: &user.principal.display_name,
        role,
        department: user.principal.department.as_deref(),
    };
    let on = store::Today {
        day: today(),
        calendar: &calendar,
    };
    let audit = user.audit_entry(
        &format!("admission.{}", action.code()),
        &format!("admission/{}", view.id),
    );
    store::act(&state.db, view.id, &action, by, on, &audit)
        .await
        .map_err(step_error)
}

/// A refused step as the caller sees it: out of order is a conflict naming the stage.
pub fn step_error(e: AdmissionError) -> Error {
    match e {
        AdmissionError::Step(StepError::Stage { code, .. }) => Error::WrongStage {
            stage: code,
            message: e.to_string(),
        },
        AdmissionError::Step(e) => Error::refused(e.to_string()),
        AdmissionError::TooSoon(e) => Error::refused(e.to_string()),
        AdmissionError::Store(e) => e,
    }
}

/// "和平区全部社区；劝业场街道全部村和社区；花园路社区": a scope in words, with the units' names.
pub async fn describe_scope(state: &AppState, scope: &[ScopeEntry]) -> Result<String, Error> {
    let codes: Vec<RegionCode> = scope.iter().map(|s| s.unit).collect();
    let units = jianfu_store::region::get_many(&state.db, &codes).await?;
    Ok(scope
        .iter()
        .map(|s| {
            let name = units
                .iter()
                .find(|u| u.code == s.unit)
                .map_or_else(|| s.unit.short().to_owned(), |u| u.name.clone());
            if s.subtree {
                format!("{name}全部{}", s.applies.label())
            } else {
                name
            }
        })
        .collect::<Vec<_>>()
        .join("；"))
}

/// The body that signs for a step: the department, the level's civil affairs, or its party
/// committee and government ("和平区委区政府", "市委市政府").
pub fn signing_body(
    level_name: &str,
    is_city: bool,
    role: &str,
    department: Option<&str>,
) -> String {
    match Role::parse(role) {
        Some(Role::CivilAffairs) if is_city => "市民政局".to_owned(),
        Some(Role::CivilAffairs) => format!("{level_name}民政局"),
        Some(Role::Approver) if is_city => "市委市政府".to_owned(),
        Some(Role::Approver) => {
            let last = level_name.chars().last().unwrap_or('区');
            format!("{level_name}委{last}政府")
        }
        _ => department.unwrap_or_default().to_owned(),
    }
}

/// Which list of applications: what waits for the caller, what is overdue, or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListView {
    Pending,
    Overdue,
    All,
}

impl ListView {
    pub fn parse(raw: &str) -> Result<ListView, Error> {
        match raw.trim() {
            "" | "pending" => Ok(ListView::Pending),
            "overdue" => Ok(ListView::Overdue),
            "all" => Ok(ListView::All),
            other => Err(Error::InvalidQuery(format!(
                "列表“{other}”不存在：应为 pending、overdue 或 all"
            ))),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ListView::Pending => "pending",
            ListView::Overdue => "overdue",
            ListView::All => "all",
        }
    }
}

/// The stages that wait for someone to decide within the level's deadline.
pub const WAITING: [&str; 3] = ["countersigning", "submitted", "passed"];

/// The stage codes with their words, for filters.
pub fn stages() -> Vec<(&'static str, &'static str)> {
    [
        "draft",
        "countersigning",
        "submitted",
        "passed",
        "returned",
        "approved",
        "rejected",
        "withdrawn",
        "revoked",
    ]
    .into_iter()
    .map(|code| {
        let label = Stage::from_code(code, None).map_or("", |s| s.label());
        (code, label)
    })
    .collect()
}

/// The filter of a list at the caller's level: a department sees its own and those it
/// countersigns; what waits for the caller is the stages its roles decide.
pub async fn filter_for(
    state: &AppState,
    user: &CurrentUser,
    level: RegionCode,
    view: ListView,
    stage: &str,
) -> Result<store::AdmissionFilter, Error> {
    let department =
        (!sees_whole_level(user)).then(|| user.principal.department.clone().unwrap_or_default());
    let mut filter = store::AdmissionFilter {
        level: Some(level),
        department,
        stages: Vec::new(),
        arrived_by: None,
    };
    match view {
        ListView::Pending => {
            for role in &user.principal.roles {
                filter.stages.extend(match role {
                    Role::CivilAffairs => &["submitted"][..],
                    Role::Approver => &["passed"][..],
                    Role::DepartmentOfficer => &["draft", "returned", "countersigning"][..],
                    _ => &[][..],
                });
            }
            if filter.stages.is_empty() {
                // Nothing waits for roles that take no step: an impossible stage lists nothing.
                filter.stages.push("none");
            }
        }
        ListView::Overdue => {
            let days = store::deadlines(&state.db, &level).await?.review_days;
            let calendar = calendar(state).await?;
            filter.stages = WAITING.to_vec();
            filter.arrived_by = Some(admission::overdue_cutoff(&calendar, today(), days));
        }
        ListView::All => {}
    }
    match stage.trim() {
        "" => {}
        s => {
            let (code, _) = stages()
                .into_iter()
                .find(|(code, _)| *code == s)
                .ok_or_else(|| Error::InvalidQuery(format!("状态“{s}”不存在")))?;
            if filter.stages.is_empty() || filter.stages.contains(&code) {
                filter.stages = vec![code];
            } else {
                filter.stages = vec!["none"];
            }
        }
    }
    Ok(filter)
}

/// The admitted tasks in force on `at` that concern `region` (all regions when none), or,
/// with `at` none, every admitted task ever approved.
pub async fn admitted(
    state: &AppState,
    region: Option<&RegionCode>,
    at: Option<NaiveDate>,
) -> Result<Vec<store::AdmittedTask>, Error> {
    let kind = match region {
        Some(code) => Some(jianfu_store::region::require(&state.db, code).await?.kind),
        None => None,
    };
    let mut tasks = store::admitted_tasks(&state.db).await?;
    tasks.retain(|t| {
        at.is_none_or(|day| t.in_force(day))
            && region
                .zip(kind)
                .is_none_or(|(code, kind)| t.scope.iter().any(|entry| entry.concerns(code, kind)))
    });
    Ok(tasks)
}

/// The units a level's scope is chosen from: a district's townships, or the city's districts
/// (Tianjin's districts sit under its one 市辖区, which is skipped).
pub async fn areas_below(
    state: &AppState,
    level: &RegionCode,
) -> Result<Vec<jianfu_domain::Region>, Error> {
    let all = jianfu_domain::PageRequest::new(None, Some(100));
    let mut out = Vec::new();
    for unit in jianfu_store::region::children(&state.db, level, all)
        .await?
        .items
    {
        if unit.level == Level::City {
            out.extend(
                jianfu_store::region::children(&state.db, &unit.code, all)
                    .await?
                    .items,
            );
        } else if unit.level != Level::Village {
            out.push(unit);
        }
    }
    Ok(out)
}

/// A warning when working days up to `to` reach a year whose holiday notice is not imported:
/// such deadlines count weekends only and may move once it is.
pub fn uncovered_warning(calendar: &Calendar, to: NaiveDate) -> Option<String> {
    let years = calendar.uncovered(today(), to);
    (!years.is_empty()).then(|| {
        let years: Vec<String> = years.iter().map(i32::to_string).collect();
        format!(
            "{} 年的节假日安排尚未导入，涉及的期限暂按周末计算，导入后可能变化；请系统管理员在“节假日安排”中导入",
            years.join("、")
        )
    })
}
