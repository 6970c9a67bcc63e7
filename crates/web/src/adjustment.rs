//! The adjustment procedure as the pages and the API both run it: who handles which level's
//! drafts, opening a draft, importing a file into it, editing a district's refinements, and
//! each step. Rule refusals come back as `Error::Refused` with every problem listed; the page
//! shows them on the draft, the API answers 422 with them.

use chrono::NaiveDate;
use jianfu_docs::directory::{self, ImportDefaults};
use jianfu_docs::refinement::refinement_rows;
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::catalog::adjustment::{Action, Change, Stage};
use jianfu_domain::catalog::{Applicability, DirectoryKind, ItemCode, Refinement};
use jianfu_domain::{Error, Level, RegionCode};
use jianfu_store::catalog::{self, ActError, AdjustmentView, NewAdjustment};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;

/// The store says why it will not write with `InvalidQuery` (an empty title, a draft no longer
/// editable): that is a rule's refusal here.
fn store_refusal(e: Error) -> Error {
    match e {
        Error::InvalidQuery(message) => Error::refused(message),
        e => e,
    }
}

/// The level whose adjustments an account handles: the city's base (an account of Tianjin
/// itself, `None`) or one district's refinements (an account of that district). Nobody handles
/// another level's: a city officer does not conduct a district's procedure, nor the reverse.
pub fn level_of(user: &CurrentUser) -> Option<RegionCode> {
    (user.principal.region.level() == Level::County).then_some(user.principal.region)
}

/// The caller may handle adjustments of `district`'s level (the city's when none).
pub async fn require_level(
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
pub async fn adjustment_for(
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

/// What a drafter writes to open a draft.
#[derive(Deserialize, ToSchema)]
pub struct DraftFields {
    /// The directory, e.g. `certificate_may_issue`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub basis: String,
}

/// Opens a draft at the caller's level (civil affairs only; the caller has passed
/// [`require_level`] for that level); returns its id.
pub async fn create(
    state: &AppState,
    user: &CurrentUser,
    fields: DraftFields,
) -> Result<i64, Error> {
    let district = level_of(user);
    if !user.principal.roles.contains(&Role::CivilAffairs) {
        return Err(Error::refused(format!(
            "起草调整须由{}办理",
            Role::CivilAffairs
        )));
    }
    let kind = DirectoryKind::parse(&fields.kind).ok_or_else(|| Error::refused("请选择目录"))?;
    let new = NewAdjustment {
        kind,
        district,
        title: fields.title,
        reason: fields.reason,
        basis: fields.basis,
    };
    let audit = user.audit_entry("adjustment.create", "adjustment");
    catalog::create_adjustment(&state.db, &new, &user.principal.username, &audit)
        .await
        .map_err(store_refusal)
}

/// Reads a file into a draft, replacing its changes: the directory's columns for a city
/// draft, the refinement template's for a district's. Any bad row and nothing changes.
/// Returns how many changes it holds now.
pub async fn import(
    state: &AppState,
    user: &CurrentUser,
    view: &AdjustmentView,
    name: &str,
    bytes: Vec<u8>,
) -> Result<usize, Error> {
    if view.drafter != user.principal.username {
        return Err(Error::refused("只有起草人可以导入调整内容"));
    }
    if name.is_empty() || bytes.is_empty() {
        return Err(Error::refused("请选择要导入的文件"));
    }
    let table = jianfu_docs::table::table_from_bytes(name, bytes)
        .map_err(|e| Error::refused(e.to_string()))?;
    let file_errors = |errors: Vec<directory::RowError>| Error::Refused {
        message: format!("文件有 {} 处错误，未导入任何内容：", errors.len()),
        details: errors.iter().map(ToString::to_string).collect(),
    };
    let changes = match &view.district {
        Some(district) => {
            let changes = refinement_rows(&table, view.kind).map_err(file_errors)?;
            if changes.is_empty() {
                return Err(Error::refused("文件中没有填写了细化内容的行"));
            }
            let changes = with_rows(changes);
            check_refinements(state, view.kind, district, &changes).await?;
            changes
        }
        None => {
            let defaults = ImportDefaults {
                valid_from: today(),
                source: name.to_owned(),
                is_demo: false,
            };
            let current = catalog::latest(&state.db, view.kind).await?;
            let items = current.as_ref().map_or(&[][..], |v| &v.items);
            let changes = directory::directory_rows(&table, view.kind, &defaults)
                .and_then(|rows| directory::changes(rows, items))
                .map_err(file_errors)?;
            if changes.is_empty() {
                return Err(Error::refused(
                    "文件中的事项与现行目录相同，没有需要调整的内容",
                ));
            }
            with_rows(changes)
        }
    };
    let audit = jianfu_domain::audit::AuditEntry {
        after: Some(serde_json::json!({ "file": name, "changes": changes.len() }).to_string()),
        ..user.audit_entry("adjustment.import", &format!("adjustment/{}", view.id))
    };
    catalog::set_changes(&state.db, view.id, &changes, &audit)
        .await
        .map_err(store_refusal)?;
    Ok(changes.len())
}

/// The file's row numbers as the store keeps them.
fn with_rows(changes: Vec<(Change, u64)>) -> Vec<(Change, Option<u32>)> {
    changes
        .into_iter()
        .map(|(c, row)| (c, u32::try_from(row).ok()))
        .collect()
}

/// One item of a district's refinement draft: refine it, withdraw the district's refinement
/// in force, or take it out of the draft.
#[derive(Deserialize, ToSchema, Default)]
pub struct RefinementEdit {
    /// `refine`, `unrefine` or `remove`.
    #[serde(default)]
    pub op: String,
    /// The city item, e.g. `KC-003`.
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub note: String,
    /// Narrower than the city's: `village` or `community`; empty keeps the city's.
    #[serde(default)]
    pub applicability: String,
    /// YYYY-MM-DD, not before the city's start.
    #[serde(default)]
    pub valid_from: String,
    /// YYYY-MM-DD, not after the city's end.
    #[serde(default)]
    pub valid_to: String,
    /// 本区制度依据
    #[serde(default)]
    pub local_basis: String,
    /// 职责范围
    #[serde(default)]
    pub scope: String,
    /// 运行流程
    #[serde(default)]
    pub process: String,
}

impl RefinementEdit {
    /// The refinement described, or what is wrong with it in Chinese.
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

/// Applies `edit` to a district's draft (its drafter only). The whole draft is checked against
/// the city's newest version at once, so a widening is refused here and not first at
/// submission.
pub async fn edit_refinement(
    state: &AppState,
    user: &CurrentUser,
    view: AdjustmentView,
    edit: &RefinementEdit,
) -> Result<(), Error> {
    let Some(district) = view.district else {
        return Err(Error::refused("市级目录调整请导入目录文件"));
    };
    if view.drafter != user.principal.username {
        return Err(Error::refused("只有起草人可以修改调整内容"));
    }
    let code = ItemCode::parse(view.kind, &edit.code).map_err(Error::refused)?;
    let change = match edit.op.as_str() {
        "refine" => Some(Change::Refine(
            code,
            edit.refinement().map_err(Error::refused)?,
        )),
        "unrefine" => Some(Change::Unrefine(code)),
        "remove" => None,
        other => {
            return Err(Error::refused(format!(
                "未知的操作“{other}”：应为 refine、unrefine 或 remove"
            )));
        }
    };
    let described = |c: Option<&Change>| match c {
        Some(Change::Refine(_, r)) => serde_json::json!({ "op": "refine", "refinement": r }),
        Some(Change::Unrefine(_)) => serde_json::json!({ "op": "unrefine" }),
        _ => serde_json::json!({ "op": "none" }),
    };
    let before = view.changes.iter().find(|(c, _)| c.code() == &code);
    let audit = jianfu_domain::audit::AuditEntry {
        before: Some(described(before.map(|(c, _)| c)).to_string()),
        after: Some(
            serde_json::json!({ "code": code.as_str(), "change": described(change.as_ref()) })
                .to_string(),
        ),
        ..user.audit_entry("adjustment.refine", &format!("adjustment/{}", view.id))
    };
    let mut changes: Vec<(Change, Option<u32>)> = view
        .changes
        .iter()
        .filter(|(c, _)| c.code() != &code)
        .cloned()
        .collect();
    changes.extend(change.map(|c| (c, None)));
    check_refinements(state, view.kind, &district, &changes).await?;
    catalog::set_changes_if_unchanged(&state.db, view.id, &view.changes, &changes, &audit)
        .await
        .map_err(store_refusal)
}

/// Refuses a district draft whose changes would not apply to the city's newest version and
/// the district's newest refinement (an unknown item, a widening, a withdrawal of nothing),
/// with every problem: checked as it is edited, not first at submission.
async fn check_refinements(
    state: &AppState,
    kind: DirectoryKind,
    district: &RegionCode,
    changes: &[(Change, Option<u32>)],
) -> Result<(), Error> {
    let proposed: Vec<Change> = changes.iter().map(|(c, _)| c.clone()).collect();
    catalog::next_refinement(&state.db, kind, district, &proposed)
        .await?
        .map(|_| ())
        .map_err(|problems| Error::Refused {
            message: format!("细化不符合规则，未保存：{} 处问题", problems.len()),
            details: problems.iter().map(ToString::to_string).collect(),
        })
}

/// The steps by the codes pages and the API use, in procedure order.
pub const ACTIONS: [&str; 6] = ["submit", "review", "approve", "return", "reject", "publish"];

/// The words for a step recorded as `event` (the stage it reached).
pub fn event_label(event: &str) -> &'static str {
    let code = match event {
        "submitted" => "submit",
        "reviewed" => "review",
        "approved" => "approve",
        "returned" => "return",
        "rejected" => "reject",
        "published" => "publish",
        _ => return "其他",
    };
    action_of(code, "", NaiveDate::MIN).map_or("其他", |a| a.label())
}

pub fn action_of(code: &str, reason: &str, day: NaiveDate) -> Option<Action> {
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
pub fn acting_role(roles: &[Role], stage: &Stage, action: &Action) -> Option<Role> {
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

/// What a step asks for.
#[derive(Deserialize, ToSchema, Default)]
pub struct StepFields {
    /// submit, review, approve, return, reject or publish.
    #[serde(default)]
    pub action: String,
    /// Required to return or reject.
    #[serde(default)]
    pub reason: String,
    /// For publish: YYYY-MM-DD, today or later (Beijing); today when empty.
    #[serde(default)]
    pub effective_from: String,
}

/// One step of the procedure by the caller; returns the new stage.
pub async fn act(
    state: &AppState,
    user: &CurrentUser,
    view: &AdjustmentView,
    step: &StepFields,
) -> Result<Stage, Error> {
    let day = match step.effective_from.trim() {
        "" => today(),
        raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| Error::refused(format!("施行日期“{raw}”格式不正确，应为 YYYY-MM-DD")))?,
    };
    let action = action_of(&step.action, &step.reason, day).ok_or_else(|| {
        Error::refused(format!(
            "未知的操作“{}”：应为 submit、review、approve、return、reject 或 publish",
            step.action
        ))
    })?;
    let role = acting_role(&user.principal.roles, &view.stage, &action).ok_or(Error::Forbidden)?;
    let audit = user.audit_entry("adjustment.act", &format!("adjustment/{}", view.id));
    let stage = catalog::act(
        &state.db,
        view.id,
        &action,
        (&user.principal.username, role),
        &audit,
    )
    .await
    .map_err(|e| match e {
        ActError::Store(e) => store_refusal(e),
        ActError::Changes(problems) => Error::Refused {
            message: format!("调整内容与现行目录不符：{} 处问题", problems.len()),
            details: problems.iter().map(ToString::to_string).collect(),
        },
        ActError::Step(e) => Error::refused(e.to_string()),
    })?;
    if matches!(stage, Stage::Published { .. }) {
        state.catalog.published_here();
    }
    Ok(stage)
}
