//! Inspection and rectification, shared by the pages and the API: who may run a group's plans
//! (its creator and its members, inspectors of a region containing the group's), drawing a
//! plan's sample, sealing and revealing it, findings with photos, and the rectification steps
//! of the responsible unit and the inspector.

use chrono::NaiveDate;
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::inspection::{
    self as rules, Clash, Member, PlanAction, PlanStage, SealedPlan, Stratum, Topic, Visibility,
};
use jianfu_domain::rectification::{self as rect, RectAction, RectStage};
use jianfu_domain::{Error, Level, Region, RegionCode};
use jianfu_store::inspection::{
    Finding, Group, NewFile, NewPlan, NewRectification, Plan, Rectification,
};

use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;

/// The most units drawn from one district for one plan.
pub const MAX_PER_DISTRICT: u32 = 50;
/// The most units one plan visits.
pub const MAX_VISITS: usize = 500;
/// The deadline a rectification gets unless the inspector gives another.
pub const DEFAULT_DAYS: u32 = 15;

/// A random u64 from the system's source (a plan's seed when none is given).
fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("系统随机数源不可用");
    u64::from_le_bytes(b)
}

/// Random hex of `n` bytes (a seal's nonce).
fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("系统随机数源不可用");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|x| format!("{x:02x}")).collect()
}

/// The longest free text kept (a finding, the measures asked, a report or a reason).
pub const MAX_TEXT: usize = 2_000;

/// Refuses `text` (named `what`) when it is longer than the columns keep.
fn bounded(text: &str, what: &str) -> Result<(), Error> {
    let n = text.trim().chars().count();
    if n > MAX_TEXT {
        return Err(Error::refused(format!(
            "{what}最多 {MAX_TEXT} 字，现为 {n} 字"
        )));
    }
    Ok(())
}

/// Records a refusal the permission checks did not (the caller holds the permission, but not
/// for this group or this plan).
async fn audit_denied(
    state: &AppState,
    user: &CurrentUser,
    event: &str,
    object: &str,
    reason: &str,
) -> Result<(), Error> {
    let entry = jianfu_domain::audit::AuditEntry {
        result: "denied".into(),
        after: Some(serde_json::json!({ "reason": reason }).to_string()),
        ..user.audit_entry(event, object)
    };
    jianfu_store::audit::append(&state.db, &entry)
        .await
        .map_err(|_| Error::Internal)
}

/// Forms a joint group at the caller's own level (the city or a district).
pub async fn form_group(
    state: &AppState,
    user: &CurrentUser,
    name: &str,
    members: Vec<Member>,
) -> Result<i64, Error> {
    user.require(state, Perm::Inspect, "/inspections/groups")
        .await?;
    let region = user.principal.region;
    if !matches!(region.level(), Level::Province | Level::County) {
        return Err(Error::refused("联合检查组由市、区组建"));
    }
    let problems = rules::check_group(name, &members);
    if !problems.is_empty() {
        return Err(Error::Refused {
            message: format!("检查组信息有 {} 处需要修改", problems.len()),
            details: problems,
        });
    }
    jianfu_store::inspection::create_group(
        &state.db,
        &region,
        name,
        &members,
        &user.audit_entry("inspection.group.create", region.as_str()),
    )
    .await
}

/// Whether the caller runs `group`'s plans: an inspector of a region containing the group's
/// who formed it or is one of its members.
pub fn runs(user: &CurrentUser, group: &Group) -> bool {
    user.principal.roles.contains(&Role::Inspector)
        && user.principal.region.contains(&group.region)
        && (group.created_by == user.principal.username
            || group.has_member(&user.principal.username))
}

/// `group_id`'s group, once the caller may run its plans (a refusal is audited).
pub async fn running(state: &AppState, user: &CurrentUser, group_id: i64) -> Result<Group, Error> {
    let object = format!("inspection/group/{group_id}");
    user.require(state, Perm::Inspect, &object).await?;
    let group = jianfu_store::inspection::group(&state.db, group_id).await?;
    if runs(user, &group) {
        return Ok(group);
    }
    let region = jianfu_store::region::require(&state.db, &group.region).await?;
    // Outside the scope: refused and audited there. Inside but not a member: refused here.
    user.require_within(state, Perm::Inspect, &region, &object)
        .await?;
    audit_denied(
        state,
        user,
        "authz.not_member",
        &object,
        "not a member of the group",
    )
    .await?;
    Err(Error::refused(format!(
        "您不是“{}”的成员，不能办理它的检查计划",
        group.name
    )))
}

/// What a new plan asks for.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub group_id: i64,
    pub title: String,
    pub visibility: Visibility,
    pub topics: Vec<Topic>,
    /// The area sampled: the group's region or one below it.
    pub within: RegionCode,
    /// None: drawn now from the system's random source, and recorded.
    pub seed: Option<u64>,
    pub per_district: u32,
    pub first_day: NaiveDate,
    pub per_day: u32,
}

/// The units drawn for `within` with `seed`, scheduled from `first_day`.
async fn draw(
    state: &AppState,
    within: &RegionCode,
    seed: u64,
    per_district: u32,
    first_day: NaiveDate,
    per_day: u32,
) -> Result<Vec<rules::PlannedVisit>, Error> {
    if per_district == 0 || per_district > MAX_PER_DISTRICT {
        return Err(Error::refused(format!(
            "每区抽取的村（社区）数应为 1 至 {MAX_PER_DISTRICT}"
        )));
    }
    let units = jianfu_store::region::villages_within(&state.db, within).await?;
    let mut strata: Vec<Stratum> = Vec::new();
    for u in &units {
        let district = u.code.county().unwrap_or(*within);
        match strata.iter_mut().find(|s| s.district == district) {
            Some(s) => s.units.push(u.code),
            None => strata.push(Stratum {
                district,
                units: vec![u.code],
            }),
        }
    }
    let drawn: Vec<RegionCode> = rules::sample(seed, per_district, &strata)
        .into_iter()
        .flat_map(|s| s.units)
        .collect();
    if drawn.is_empty() {
        return Err(Error::refused("所选范围内没有村（社区）可供抽取"));
    }
    if drawn.len() > MAX_VISITS {
        return Err(Error::refused(format!(
            "一次检查最多安排 {MAX_VISITS} 个村（社区），本次抽取了 {} 个，请缩小范围或减少每区数量",
            drawn.len()
        )));
    }
    let calendar = jianfu_store::calendar::load(&state.db).await?;
    Ok(rules::schedule(&drawn, first_day, per_day, &calendar))
}

/// Draws a plan's sample and keeps the plan as a draft of the group.
pub async fn create_plan(
    state: &AppState,
    user: &CurrentUser,
    req: PlanRequest,
) -> Result<i64, Error> {
    let group = running(state, user, req.group_id).await?;
    let mut problems = Vec::new();
    if req.title.trim().is_empty() {
        problems.push("请填写计划名称".to_owned());
    }
    if req.topics.is_empty() {
        problems.push("请至少选择一个检查内容".to_owned());
    }
    if !group.region.contains(&req.within) {
        problems.push(format!("抽样范围 {} 不在检查组的辖区内", req.within));
    }
    if req.first_day < today() {
        problems.push("首次检查日期不能早于今天".to_owned());
    }
    if !problems.is_empty() {
        return Err(Error::Refused {
            message: format!("检查计划有 {} 处需要修改", problems.len()),
            details: problems,
        });
    }
    let seed = req.seed.unwrap_or_else(random_u64);
    let visits = draw(
        state,
        &req.within,
        seed,
        req.per_district,
        req.first_day,
        req.per_day,
    )
    .await?;
    jianfu_store::inspection::create_plan(
        &state.db,
        &NewPlan {
            group_id: group.id,
            region: req.within,
            title: req.title,
            visibility: req.visibility,
            topics: req.topics,
            seed,
            per_district: req.per_district,
            visits,
        },
        &user.audit_entry(
            "inspection.plan.create",
            &format!("inspection/group/{}", group.id),
        ),
    )
    .await
}

/// A plan the caller may read: every inspector of the group, and, once it is disclosed,
/// whoever follows the campaign over its region.
pub async fn readable(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(Plan, Group), Error> {
    let plan = jianfu_store::inspection::plan(&state.db, id).await?;
    let group = jianfu_store::inspection::group(&state.db, plan.group_id).await?;
    if runs(user, &group) {
        return Ok((plan, group));
    }
    let region = jianfu_store::region::require(&state.db, &plan.region).await?;
    let object = format!("inspection/plan/{id}");
    user.require_within(state, Perm::FollowCampaign, &region, &object)
        .await?;
    if plan.stage.disclosed() {
        return Ok((plan, group));
    }
    // A sealed plan exists for its group only; to others it is as if it did not (the
    // attempt is recorded all the same).
    audit_denied(state, user, "authz.sealed", &object, "plan not disclosed").await?;
    Err(Error::CatalogNotFound(format!("检查计划 {id}")))
}

/// A new draw for a draft plan: another seed or another number per district.
pub async fn redraw(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    seed: Option<u64>,
    per_district: u32,
    first_day: NaiveDate,
    per_day: u32,
) -> Result<(), Error> {
    let plan = jianfu_store::inspection::plan(&state.db, id).await?;
    running(state, user, plan.group_id).await?;
    if plan.stage != PlanStage::Draft {
        return Err(Error::refused("计划已封存或已通知，不能重新抽样"));
    }
    if first_day < today() {
        return Err(Error::refused("首次检查日期不能早于今天"));
    }
    let seed = seed.unwrap_or_else(random_u64);
    let visits = draw(state, &plan.region, seed, per_district, first_day, per_day).await?;
    jianfu_store::inspection::redraw(
        &state.db,
        &plan,
        seed,
        per_district,
        &visits,
        &user.audit_entry("inspection.plan.redraw", &format!("inspection/plan/{id}")),
    )
    .await
}

/// Seals, announces or completes a plan.
pub async fn act_on_plan(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    action: PlanAction,
) -> Result<PlanStage, Error> {
    let plan = jianfu_store::inspection::plan(&state.db, id).await?;
    let group = running(state, user, plan.group_id).await?;
    let to = rules::plan_step(
        plan.stage,
        plan.visibility,
        action,
        Role::Inspector,
        plan.visits.len(),
    )
    .map_err(Error::refused)?;
    let first = plan.visits.iter().map(|v| v.on).min();
    if action == PlanAction::Complete && first.is_some_and(|d| today() < d) {
        // Revealing an unannounced plan early would warn the units still to be visited.
        return Err(Error::refused(format!(
            "检查从 {} 开始，尚未开始的检查不能结束",
            first.unwrap_or_default()
        )));
    }
    let sealed = (action == PlanAction::Seal).then(|| {
        let text = SealedPlan {
            plan_id: plan.id,
            group: group.name.clone(),
            title: plan.title.clone(),
            seed: plan.seed,
            per_district: plan.per_district,
            topics: plan.topics.clone(),
            visits: plan.visits.clone(),
            nonce: random_hex(16),
        }
        .canonical();
        (hex(&jianfu_seal::sm3(text.as_bytes())), text)
    });
    jianfu_store::inspection::move_plan(
        &state.db,
        &plan,
        to,
        sealed.as_ref().map(|(d, t)| (d.as_str(), t.as_str())),
        &user.audit_entry(
            &format!("inspection.plan.{}", action.code()),
            &format!("inspection/plan/{id}"),
        ),
    )
    .await?;
    Ok(to)
}

/// Whether a revealed plan's text is exactly the plan as recorded (rebuilt with the nonce the
/// text carries) and hashes to the digest registered when it was sealed. None while sealed, or
/// for an announced plan.
pub fn seal_holds(plan: &Plan, group: &str) -> Option<bool> {
    if plan.stage != PlanStage::Completed {
        return None;
    }
    let (seal, text) = (plan.seal.as_ref()?, plan.sealed_text.as_ref()?);
    let nonce = text.rsplit_once("\nnonce=").map(|(_, n)| n)?;
    let rebuilt = SealedPlan {
        plan_id: plan.id,
        group: group.to_owned(),
        title: plan.title.clone(),
        seed: plan.seed,
        per_district: plan.per_district,
        topics: plan.topics.clone(),
        visits: plan.visits.clone(),
        nonce: nonce.to_owned(),
    }
    .canonical();
    Some(rebuilt == *text && hex(&jianfu_seal::sm3(text.as_bytes())) == *seal)
}

/// The weeks in which another group visits one of `plan`'s units too.
pub async fn clashes(state: &AppState, plan: &Plan) -> Result<Vec<Clash>, Error> {
    let (Some(first), Some(last)) = (
        plan.visits.iter().map(|v| v.on).min(),
        plan.visits.iter().map(|v| v.on).max(),
    ) else {
        return Ok(Vec::new());
    };
    let units: Vec<RegionCode> = plan.visits.iter().map(|v| v.unit).collect();
    let week = chrono::Duration::days(7);
    let near = jianfu_store::inspection::visits_near(
        &state.db,
        plan.group_id,
        &units,
        first - week,
        last + week,
    )
    .await?;
    Ok(rules::clashes(&near)
        .into_iter()
        .filter(|c| c.plans.contains(&plan.id))
        .collect())
}

/// The kind of an evidence file by its first bytes: an image, or a PDF.
pub fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    crate::signage::image_type(bytes)
        .or_else(|| bytes.starts_with(b"%PDF-").then_some("application/pdf"))
}

/// Files as uploaded, checked: each an image or a PDF of at most 1.5 MB.
pub fn files(uploaded: Vec<(String, Vec<u8>)>) -> Result<Vec<NewFile>, Error> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (name, content) in uploaded {
        if content.len() > jianfu_store::inspection::MAX_FILE_BYTES {
            problems.push(format!("“{name}”超过 1.5 MB，请压缩后再上传"));
        } else if let Some(mime) = evidence_type(&content) {
            out.push(NewFile {
                name,
                mime: mime.to_owned(),
                content,
            });
        } else {
            problems.push(format!("“{name}”不是 JPEG、PNG、WebP 图片或 PDF 文件"));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::Refused {
            message: "上传的文件不符合要求".into(),
            details: problems,
        })
    }
}

/// Records what a visit found at `unit`, with the inspector's photos.
pub async fn record_finding(
    state: &AppState,
    user: &CurrentUser,
    plan_id: i64,
    unit: &str,
    item_code: &str,
    description: &str,
    photos: Vec<NewFile>,
) -> Result<i64, Error> {
    let plan = jianfu_store::inspection::plan(&state.db, plan_id).await?;
    running(state, user, plan.group_id).await?;
    if !plan.stage.visiting() {
        return Err(Error::refused("计划封存或通知后才能记录检查发现"));
    }
    let mut problems = Vec::new();
    let unit = RegionCode::parse(unit)
        .ok()
        .filter(|u| plan.visits.iter().any(|v| v.unit == *u));
    if unit.is_none() {
        problems.push("请选择本计划检查的村（社区）".to_owned());
    }
    match rules::check_item(item_code) {
        None => problems.push("请选择检查清单中的一项".to_owned()),
        Some(item) if !plan.topics.contains(&item.topic) => {
            problems.push(format!("“{}”不在本计划的检查内容内", item.topic.label()))
        }
        Some(_) => {}
    }
    if description.trim().is_empty() {
        problems.push("请填写发现的问题".to_owned());
    }
    if let Err(e) = bounded(description, "发现的问题") {
        problems.push(e.to_string());
    }
    let Some(unit) = unit.filter(|_| problems.is_empty()) else {
        return Err(Error::Refused {
            message: format!("检查发现有 {} 处需要修改", problems.len()),
            details: problems,
        });
    };
    jianfu_store::inspection::record_finding(
        &state.db,
        &jianfu_store::inspection::NewFinding {
            plan_id: plan.id,
            sealed: plan.stage == PlanStage::Sealed,
            unit,
            item_code,
            description,
        },
        &photos,
        &user.audit_entry(
            "inspection.finding.record",
            &format!("inspection/plan/{plan_id}"),
        ),
    )
    .await
}

/// Issues the rectification of a finding to its unit, due in `days` working days.
pub async fn issue(
    state: &AppState,
    user: &CurrentUser,
    finding_id: i64,
    measures: &str,
    days: u32,
) -> Result<i64, Error> {
    let finding = jianfu_store::inspection::finding(&state.db, finding_id).await?;
    let plan = jianfu_store::inspection::plan(&state.db, finding.plan_id).await?;
    running(state, user, plan.group_id).await?;
    if !plan.stage.disclosed() {
        return Err(Error::refused(
            "暗访计划公开后才能下达整改：整改通知会让被检单位知道检查组来过",
        ));
    }
    if measures.trim().is_empty() {
        return Err(Error::refused("请填写整改要求"));
    }
    bounded(measures, "整改要求")?;
    let calendar = jianfu_store::calendar::load(&state.db).await?;
    let issued_on = today();
    let due_on = rect::due_on(&calendar, issued_on, days).map_err(Error::refused)?;
    jianfu_store::inspection::issue(
        &state.db,
        &NewRectification {
            finding_id,
            unit: finding.unit,
            measures: measures.to_owned(),
            issued_on,
            days,
            due_on,
        },
        Role::Inspector.as_str(),
        &user.audit_entry(
            "rectification.issue",
            &format!("inspection/finding/{finding_id}"),
        ),
    )
    .await
}

/// A rectification the caller may read: the responsible unit's own accounts and those above
/// it who rectify or follow the campaign, and the inspectors of the group that found it.
pub async fn readable_rectification(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(Rectification, Finding, Group), Error> {
    let r = jianfu_store::inspection::rectification(&state.db, id).await?;
    let finding = jianfu_store::inspection::finding(&state.db, r.finding_id).await?;
    let plan = jianfu_store::inspection::plan(&state.db, finding.plan_id).await?;
    let group = jianfu_store::inspection::group(&state.db, plan.group_id).await?;
    if runs(user, &group) {
        return Ok((r, finding, group));
    }
    let unit = jianfu_store::region::require(&state.db, &r.unit).await?;
    let perm = if user.principal.roles.iter().any(|x| x.has(Perm::Rectify)) {
        Perm::Rectify
    } else {
        Perm::FollowCampaign
    };
    user.require_within(state, perm, &unit, &format!("rectification/{id}"))
        .await?;
    Ok((r, finding, group))
}

/// The role the caller takes `action` in: the inspector verifies, the unit's worker or its
/// township's officer reports.
fn acting_role(user: &CurrentUser, action: RectAction) -> Option<Role> {
    let wanted: &[Role] = match action {
        RectAction::Submit => &[Role::VillageWorker, Role::TownshipOfficer],
        RectAction::Accept | RectAction::Reopen => &[Role::Inspector],
    };
    wanted
        .iter()
        .copied()
        .find(|r| user.principal.roles.contains(r))
}

/// Takes a step on a rectification.
pub async fn act(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    action: RectAction,
    note: &str,
    files: Vec<NewFile>,
) -> Result<RectStage, Error> {
    let (r, _, group) = readable_rectification(state, user, id).await?;
    let object = format!("rectification/{id}");
    let role = match acting_role(user, action) {
        Some(Role::Inspector) if runs(user, &group) => Role::Inspector,
        Some(Role::Inspector) | None => {
            let perm = if action == RectAction::Submit {
                Perm::Rectify
            } else {
                Perm::Inspect
            };
            user.require(state, perm, &object).await?;
            audit_denied(
                state,
                user,
                "authz.not_member",
                &object,
                "not a member of the group",
            )
            .await?;
            return Err(Error::refused(format!(
                "整改核查须由“{}”的成员办理",
                group.name
            )));
        }
        Some(role) => role,
    };
    bounded(note, "说明")?;
    let to = rect::step(r.stage, action, role, note, files.len()).map_err(Error::refused)?;
    jianfu_store::inspection::act(
        &state.db,
        &r,
        action,
        to,
        note,
        &files,
        role.as_str(),
        today(),
        &user.audit_entry(&format!("rectification.{}", action.code()), &object),
    )
    .await?;
    Ok(to)
}

/// How a rectification stands on `today`: the working days overdue and the levels it has
/// been escalated to (none once it is closed or with the inspector).
pub fn standing(
    r: &Rectification,
    calendar: &jianfu_domain::workday::Calendar,
    today: NaiveDate,
) -> (u32, Vec<RegionCode>) {
    if !r.stage.with_unit() {
        return (0, Vec::new());
    }
    let overdue = rect::overdue_days(calendar, r.due_on, today);
    (overdue, rect::escalated_to(&r.unit, overdue))
}

/// The names of `codes`, in order, for showing (codes whose unit is gone show as codes).
pub async fn names(state: &AppState, codes: &[RegionCode]) -> Result<Vec<String>, Error> {
    let found: Vec<Region> = jianfu_store::region::get_many(&state.db, codes).await?;
    Ok(codes
        .iter()
        .map(|c| {
            found
                .iter()
                .find(|r| r.code == *c)
                .map_or_else(|| c.to_string(), |r| r.name.clone())
        })
        .collect())
}
