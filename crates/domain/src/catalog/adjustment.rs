//! Adjustments (动态调整): every change to a directory is a draft of added, modified and retired
//! items with a reason and a basis; civil affairs reviews it, the party committee/government of
//! that level approves it, and publication makes it a new immutable version with an effective
//! day. This module holds the procedure (a small state machine) and how a draft's changes turn
//! the version in force into the next one.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;

use chrono::NaiveDate;

use super::{DirectoryItem, DirectoryVersion, ItemCode, Refinement, Widening, check_refinement};
use crate::account::Role;

/// One change a draft proposes. The city adds, modifies and retires items of its base; a
/// district refines the city's items or withdraws a refinement, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add(DirectoryItem),
    /// The item as it should read from now on (same code).
    Modify(DirectoryItem),
    Retire(ItemCode),
    /// The district's detail of a city item, replacing any it had.
    Refine(ItemCode, Refinement),
    /// The district's detail of the item withdrawn: the city's item applies as it is.
    Unrefine(ItemCode),
}

impl Change {
    pub fn code(&self) -> &ItemCode {
        match self {
            Change::Add(i) | Change::Modify(i) => &i.code,
            Change::Retire(c) | Change::Refine(c, _) | Change::Unrefine(c) => c,
        }
    }

    /// The word a page shows for it.
    pub fn label(&self) -> &'static str {
        match self {
            Change::Add(_) => "新增",
            Change::Modify(_) => "修改",
            Change::Retire(_) => "取消",
            Change::Refine(..) => "细化",
            Change::Unrefine(_) => "取消细化",
        }
    }
}

/// Why a draft's changes cannot be applied to the version in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeProblem {
    AlreadyExists(ItemCode),
    NotInDirectory(ItemCode),
    /// Two changes of one draft touch the same item.
    Twice(ItemCode),
    /// A refinement in a city adjustment, or an item change in a district's.
    WrongLevel(ItemCode),
    /// A refinement that would widen the city's item.
    Widens(Widening),
    /// A refinement that says nothing.
    EmptyRefinement(ItemCode),
    /// Withdrawing a refinement the district does not have.
    NotRefined(ItemCode),
}

impl fmt::Display for ChangeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeProblem::AlreadyExists(c) => write!(f, "新增事项 {c} 的编码已在目录中"),
            ChangeProblem::NotInDirectory(c) => {
                write!(f, "事项 {c} 不在现行目录中，无法修改或取消")
            }
            ChangeProblem::Twice(c) => write!(f, "同一调整中事项 {c} 出现了两次"),
            ChangeProblem::WrongLevel(c) => write!(
                f,
                "事项 {c}：市级调整只能新增、修改或取消事项，区级细化只能细化或取消细化"
            ),
            ChangeProblem::Widens(w) => w.fmt(f),
            ChangeProblem::EmptyRefinement(c) => {
                write!(f, "事项 {c} 的细化没有任何内容：请至少填写一项")
            }
            ChangeProblem::NotRefined(c) => write!(f, "事项 {c} 没有本区的细化，无需取消"),
        }
    }
}

/// The items of the next version: `current` with `changes` applied, in code order. Every problem
/// is reported, not just the first.
pub fn apply(
    current: &[DirectoryItem],
    changes: &[Change],
) -> Result<Vec<DirectoryItem>, Vec<ChangeProblem>> {
    let mut items: BTreeMap<ItemCode, DirectoryItem> =
        current.iter().map(|i| (i.code, i.clone())).collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for change in changes {
        let code = *change.code();
        if !seen.insert(code) {
            problems.push(ChangeProblem::Twice(code));
            continue;
        }
        match change {
            Change::Add(item) => match items.entry(code) {
                Entry::Occupied(e) => problems.push(ChangeProblem::AlreadyExists(*e.key())),
                Entry::Vacant(e) => {
                    e.insert(item.clone());
                }
            },
            Change::Modify(item) => match items.get_mut(&code) {
                Some(slot) => *slot = item.clone(),
                None => problems.push(ChangeProblem::NotInDirectory(code)),
            },
            Change::Retire(_) => {
                if items.remove(&code).is_none() {
                    problems.push(ChangeProblem::NotInDirectory(code));
                }
            }
            Change::Refine(..) | Change::Unrefine(_) => {
                problems.push(ChangeProblem::WrongLevel(code));
            }
        }
    }
    if problems.is_empty() {
        Ok(items.into_values().collect())
    } else {
        Err(problems)
    }
}

/// The district's refinement after `changes`: `current` (the district's refinement in force
/// or newest) with refinements set or withdrawn, checked against the city's `base` so that it
/// never widens it. Every problem is reported.
pub fn apply_refinement(
    base: &DirectoryVersion,
    current: &BTreeMap<ItemCode, Refinement>,
    changes: &[Change],
) -> Result<BTreeMap<ItemCode, Refinement>, Vec<ChangeProblem>> {
    let mut entries = current.clone();
    let mut seen = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for change in changes {
        let code = *change.code();
        if !seen.insert(code) {
            problems.push(ChangeProblem::Twice(code));
            continue;
        }
        match change {
            Change::Refine(_, r) => {
                // Saying the city's own applicability again narrows nothing.
                let mut r = r.clone();
                let city = base.items.iter().find(|i| i.code == code);
                if r.applicability.is_some() && r.applicability == city.map(|i| i.applicability) {
                    r.applicability = None;
                }
                if r.is_empty() {
                    problems.push(ChangeProblem::EmptyRefinement(code));
                } else {
                    entries.insert(code, r);
                }
            }
            Change::Unrefine(_) => {
                if entries.remove(&code).is_none() {
                    problems.push(ChangeProblem::NotRefined(code));
                }
            }
            _ => problems.push(ChangeProblem::WrongLevel(code)),
        }
    }
    // Only the items this draft touches are the drafter's to answer for. Entries kept from
    // before whose item the city has retired since are dropped; those the city has narrowed
    // since stay, and `refined` intersects them with the city's item.
    entries.retain(|c, _| seen.contains(c) || base.items.iter().any(|i| &i.code == c));
    let touched: BTreeMap<ItemCode, Refinement> = entries
        .iter()
        .filter(|(c, _)| seen.contains(*c))
        .map(|(c, r)| (*c, r.clone()))
        .collect();
    if let Err(widenings) = check_refinement(base, &touched) {
        problems.extend(widenings.into_iter().map(ChangeProblem::Widens));
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

/// Where a draft stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Draft,
    /// Waiting for civil affairs' review (审核).
    Submitted,
    /// Reviewed; waiting for the party committee/government's approval (审批).
    Reviewed,
    /// Approved; waiting for publication with an effective day.
    Approved,
    Published {
        version: u32,
        effective_from: NaiveDate,
    },
    /// Sent back to the drafter with reasons; it can be changed and submitted again.
    Returned {
        reason: String,
    },
    Rejected {
        reason: String,
    },
}

impl Stage {
    pub fn label(&self) -> &'static str {
        match self {
            Stage::Draft => "草稿",
            Stage::Submitted => "待审核",
            Stage::Reviewed => "待审批",
            Stage::Approved => "待发布",
            Stage::Published { .. } => "已发布",
            Stage::Returned { .. } => "已退回",
            Stage::Rejected { .. } => "未批准",
        }
    }

    /// Whether the draft's changes may still be edited (or rows imported into it).
    pub fn editable(&self) -> bool {
        matches!(self, Stage::Draft | Stage::Returned { .. })
    }
}

/// What someone does to a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Submit,
    /// Civil affairs passes the draft on to approval.
    Review,
    Approve,
    /// Back to the drafter, from review or from approval.
    Return {
        reason: String,
    },
    Reject {
        reason: String,
    },
    Publish {
        version: u32,
        effective_from: NaiveDate,
    },
}

/// Who acts: the role they act in and whether they wrote the draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub is_drafter: bool,
    /// Passed the draft on to approval since it was last submitted.
    pub is_reviewer: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The action makes no sense at this stage.
    Stage {
        stage: &'static str,
        action: &'static str,
    },
    /// The actor's role does not do this step.
    Role { action: &'static str, needs: Role },
    /// The drafter cannot review their own draft.
    OwnDraft,
    /// Only the drafter submits (and so answers for) the draft's content.
    NotDrafter,
    /// The drafter and the reviewer cannot also decide on the draft.
    OwnReview,
    /// Returns and rejections need a reason; a draft needs at least one change.
    Missing(&'static str),
    /// Publication on a day before the day it is decided.
    EffectiveInPast,
    /// Publication in force before the newest version is: the versions would take effect out
    /// of the order they were made in, and the older one would undo the newer.
    BeforeLatest { version: u32, day: NaiveDate },
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::Stage { stage, action } => write!(f, "调整处于“{stage}”状态，不能{action}"),
            StepError::Role { action, needs } => write!(f, "{action}须由{needs}办理"),
            StepError::OwnDraft => write!(f, "起草人不能审核自己起草的调整"),
            StepError::NotDrafter => write!(f, "只有起草人可以提交调整"),
            StepError::OwnReview => write!(f, "起草人和审核人不能审批同一调整"),
            StepError::Missing(what) => write!(f, "请填写{what}"),
            StepError::EffectiveInPast => write!(f, "生效日期不能早于今天"),
            StepError::BeforeLatest { version, day } => write!(
                f,
                "施行日期不能早于第 {version} 版的施行日期 {day}：各版须按发布顺序施行"
            ),
        }
    }
}

impl Action {
    /// The words pages use for it: its button, its line in the procedure's record, and what a
    /// refusal says cannot be done.
    pub fn label(&self) -> &'static str {
        match self {
            Action::Submit => "提交审核",
            Action::Review => "审核通过",
            Action::Approve => "批准",
            Action::Return { .. } => "退回修改",
            Action::Reject { .. } => "不予批准",
            Action::Publish { .. } => "发布",
        }
    }
}

/// A publication's day against the newest published version (its number and day), if any:
/// versions take effect in the order they are published.
pub fn check_publication_day(
    effective_from: NaiveDate,
    latest: Option<(u32, NaiveDate)>,
) -> Result<(), StepError> {
    match latest {
        Some((version, day)) if effective_from < day => {
            Err(StepError::BeforeLatest { version, day })
        }
        _ => Ok(()),
    }
}

/// The next stage of a draft with `changes` changes when `actor` does `action` on `today`.
/// Civil affairs drafts, reviews and publishes; the approver approves or rejects; either may
/// return a draft at their step.
pub fn step(
    stage: &Stage,
    action: &Action,
    actor: Actor,
    changes: usize,
    today: NaiveDate,
) -> Result<Stage, StepError> {
    let wrong_stage = || StepError::Stage {
        stage: stage.label(),
        action: action.label(),
    };
    let needs = |role: Role| {
        if actor.role == role {
            Ok(())
        } else {
            Err(StepError::Role {
                action: action.label(),
                needs: role,
            })
        }
    };
    // An account may hold both business roles; it still cannot decide on what it wrote or
    // reviewed.
    let not_own = || {
        if actor.is_drafter || actor.is_reviewer {
            Err(StepError::OwnReview)
        } else {
            Ok(())
        }
    };
    let reason_given = |reason: &str| {
        if reason.trim().is_empty() {
            Err(StepError::Missing("理由"))
        } else {
            Ok(reason.trim().to_owned())
        }
    };
    match (stage, action) {
        (s, Action::Submit) if s.editable() => {
            needs(Role::CivilAffairs)?;
            if !actor.is_drafter {
                return Err(StepError::NotDrafter);
            }
            if changes == 0 {
                return Err(StepError::Missing("至少一项调整内容"));
            }
            Ok(Stage::Submitted)
        }
        (Stage::Submitted, Action::Review) => {
            needs(Role::CivilAffairs)?;
            if actor.is_drafter {
                return Err(StepError::OwnDraft);
            }
            Ok(Stage::Reviewed)
        }
        (Stage::Submitted, Action::Return { reason }) => {
            needs(Role::CivilAffairs)?;
            if actor.is_drafter {
                return Err(StepError::OwnDraft);
            }
            Ok(Stage::Returned {
                reason: reason_given(reason)?,
            })
        }
        (Stage::Reviewed, Action::Approve) => {
            needs(Role::Approver)?;
            not_own()?;
            Ok(Stage::Approved)
        }
        (Stage::Reviewed, Action::Return { reason }) => {
            needs(Role::Approver)?;
            not_own()?;
            Ok(Stage::Returned {
                reason: reason_given(reason)?,
            })
        }
        (Stage::Reviewed, Action::Reject { reason }) => {
            needs(Role::Approver)?;
            not_own()?;
            Ok(Stage::Rejected {
                reason: reason_given(reason)?,
            })
        }
        (
            Stage::Approved,
            Action::Publish {
                version,
                effective_from,
            },
        ) => {
            needs(Role::CivilAffairs)?;
            if *effective_from < today {
                return Err(StepError::EffectiveInPast);
            }
            Ok(Stage::Published {
                version: *version,
                effective_from: *effective_from,
            })
        }
        _ => Err(wrong_stage()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Applicability, DirectoryKind};
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn item(n: u32, name: &str) -> DirectoryItem {
        DirectoryItem {
            code: ItemCode::numbered(DirectoryKind::Duty, n),
            name: name.into(),
            category: "依法履职".into(),
            basis: "《中华人民共和国城市居民委员会组织法》第三条".into(),
            department: "市民政局".into(),
            village_role: String::new(),
            support: String::new(),
            applicability: Applicability::Both,
            valid_from: day("2023-06-01"),
            valid_to: None,
            guide: None,
            refusal_guidance: None,
            source: String::new(),
            is_demo: false,
        }
    }

    #[test]
    fn changes_make_the_next_version() {
        let current = vec![item(1, "召集居民会议"), item(2, "管理集体财产")];
        let next = apply(
            &current,
            &[
                Change::Add(item(3, "开展便民服务")),
                Change::Modify(item(1, "召集居民会议并报告工作")),
                Change::Retire(ItemCode::numbered(DirectoryKind::Duty, 2)),
            ],
        )
        .unwrap();
        let names: Vec<&str> = next.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["召集居民会议并报告工作", "开展便民服务"]);
        assert_eq!(current.len(), 2, "the version in force is untouched");
    }

    fn base(items: Vec<DirectoryItem>) -> DirectoryVersion {
        DirectoryVersion {
            kind: DirectoryKind::Duty,
            number: 1,
            effective_from: day("2023-06-01"),
            items,
        }
    }

    fn code(n: u32) -> ItemCode {
        ItemCode::numbered(DirectoryKind::Duty, n)
    }

    #[test]
    fn a_district_refines_and_withdraws_but_never_widens() {
        let mut village_only = item(2, "管理集体财产");
        village_only.applicability = Applicability::Village;
        let city = base(vec![item(1, "召集居民会议"), village_only]);
        let note = Refinement {
            note: Some("每季度至少一次".into()),
            ..Refinement::default()
        };
        let first = apply_refinement(
            &city,
            &BTreeMap::new(),
            &[Change::Refine(code(1), note.clone())],
        )
        .unwrap();
        assert_eq!(first.get(&code(1)), Some(&note));

        let next = apply_refinement(&city, &first, &[Change::Unrefine(code(1))]).unwrap();
        assert!(next.is_empty(), "withdrawn");

        let wide = Refinement {
            applicability: Some(Applicability::Both),
            ..Refinement::default()
        };
        let problems = apply_refinement(
            &city,
            &BTreeMap::new(),
            &[
                Change::Refine(code(2), wide),
                Change::Refine(code(9), note.clone()),
                Change::Refine(code(1), Refinement::default()),
                Change::Unrefine(code(3)),
                Change::Add(item(4, "新增")),
            ],
        )
        .unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "事项 LZ-001 的细化没有任何内容：请至少填写一项",
                "事项 LZ-003 没有本区的细化，无需取消",
                "事项 LZ-004：市级调整只能新增、修改或取消事项，区级细化只能细化或取消细化",
                "事项 LZ-002 市级适用于村，区级不能扩大为村和社区",
                "事项 LZ-009 不在市级目录中：区级细化不能新增事项",
            ]
        );
    }

    #[test]
    fn a_prohibitive_item_takes_detail_but_no_narrowing() {
        let mut jz = item(2, "作为拆迁拆违的责任主体");
        jz.code = ItemCode::numbered(DirectoryKind::ProhibitedTask, 2);
        let city = DirectoryVersion {
            kind: DirectoryKind::ProhibitedTask,
            ..base(vec![jz.clone()])
        };
        let narrowed = Refinement {
            applicability: Some(Applicability::Village),
            ..Refinement::default()
        };
        let problems = apply_refinement(
            &city,
            &BTreeMap::new(),
            &[Change::Refine(jz.code, narrowed)],
        )
        .unwrap_err();
        assert!(
            problems[0].to_string().contains("禁止类事项"),
            "{problems:?}"
        );
        let detail = Refinement {
            process: Some("发现违法建设及时报告街道".into()),
            ..Refinement::default()
        };
        assert!(
            apply_refinement(&city, &BTreeMap::new(), &[Change::Refine(jz.code, detail)]).is_ok()
        );
    }

    #[test]
    fn restating_the_city_and_retired_items_leave_nothing_behind() {
        let city = base(vec![item(1, "召集居民会议")]);
        let same = Refinement {
            applicability: Some(Applicability::Both),
            ..Refinement::default()
        };
        let problems = apply_refinement(&city, &BTreeMap::new(), &[Change::Refine(code(1), same)])
            .unwrap_err();
        assert_eq!(problems, [ChangeProblem::EmptyRefinement(code(1))]);
        // An entry for an item the city has retired since is not carried on.
        let old: BTreeMap<ItemCode, Refinement> = [(
            code(7),
            Refinement {
                note: Some("旧".into()),
                ..Refinement::default()
            },
        )]
        .into();
        let note = Refinement {
            note: Some("新".into()),
            ..Refinement::default()
        };
        let next = apply_refinement(&city, &old, &[Change::Refine(code(1), note)]).unwrap();
        assert_eq!(next.keys().collect::<Vec<_>>(), [&code(1)]);
    }

    #[test]
    fn versions_take_effect_in_publication_order() {
        let march = day("2027-03-01");
        assert_eq!(check_publication_day(march, None), Ok(()));
        assert_eq!(check_publication_day(march, Some((1, march))), Ok(()));
        let early = check_publication_day(day("2027-02-01"), Some((1, march))).unwrap_err();
        assert_eq!(
            early.to_string(),
            "施行日期不能早于第 1 版的施行日期 2027-03-01：各版须按发布顺序施行"
        );
    }

    #[test]
    fn a_city_adjustment_cannot_refine() {
        let problems = apply(
            &[item(1, "召集居民会议")],
            &[Change::Refine(code(1), Refinement::default())],
        )
        .unwrap_err();
        assert_eq!(problems, [ChangeProblem::WrongLevel(code(1))]);
    }

    #[test]
    fn every_impossible_change_is_reported() {
        let current = vec![item(1, "召集居民会议")];
        let problems = apply(
            &current,
            &[
                Change::Add(item(1, "重复")),
                Change::Modify(item(7, "不存在")),
                Change::Retire(ItemCode::numbered(DirectoryKind::Duty, 8)),
                Change::Retire(ItemCode::numbered(DirectoryKind::Duty, 7)),
            ],
        )
        .unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "新增事项 LZ-001 的编码已在目录中",
                "事项 LZ-007 不在现行目录中，无法修改或取消",
                "事项 LZ-008 不在现行目录中，无法修改或取消",
                "同一调整中事项 LZ-007 出现了两次",
            ]
        );
    }

    const CIVIL: Actor = Actor {
        role: Role::CivilAffairs,
        is_drafter: false,
        is_reviewer: false,
    };
    const DRAFTER: Actor = Actor {
        role: Role::CivilAffairs,
        is_drafter: true,
        is_reviewer: false,
    };
    const APPROVER: Actor = Actor {
        role: Role::Approver,
        is_drafter: false,
        is_reviewer: false,
    };
    /// One account holding both roles, which reviewed the draft.
    const REVIEWER_APPROVER: Actor = Actor {
        role: Role::Approver,
        is_drafter: false,
        is_reviewer: true,
    };
    /// One account holding both roles, which drafted it.
    const DRAFTER_APPROVER: Actor = Actor {
        role: Role::Approver,
        is_drafter: true,
        is_reviewer: false,
    };

    #[test]
    fn the_procedure_from_draft_to_publication() {
        let today = day("2026-11-28");
        let s = step(&Stage::Draft, &Action::Submit, DRAFTER, 3, today).unwrap();
        assert_eq!(
            step(&s, &Action::Review, DRAFTER, 3, today),
            Err(StepError::OwnDraft)
        );
        let s = step(&s, &Action::Review, CIVIL, 3, today).unwrap();
        for own in [REVIEWER_APPROVER, DRAFTER_APPROVER] {
            assert_eq!(
                step(&s, &Action::Approve, own, 3, today),
                Err(StepError::OwnReview)
            );
        }
        assert_eq!(
            step(&Stage::Draft, &Action::Submit, CIVIL, 3, today),
            Err(StepError::NotDrafter)
        );
        assert_eq!(
            step(&s, &Action::Approve, CIVIL, 3, today)
                .unwrap_err()
                .to_string(),
            "批准须由党委政府审批人员办理"
        );
        let back = Action::Return {
            reason: "依据不充分".into(),
        };
        let returned = step(&s, &back, APPROVER, 3, today).unwrap();
        assert!(returned.editable());
        let s = step(&returned, &Action::Submit, DRAFTER, 3, today).unwrap();
        let s = step(&s, &Action::Review, CIVIL, 3, today).unwrap();
        let s = step(&s, &Action::Approve, APPROVER, 3, today).unwrap();
        let early = Action::Publish {
            version: 2,
            effective_from: day("2026-11-01"),
        };
        assert_eq!(
            step(&s, &early, CIVIL, 3, today),
            Err(StepError::EffectiveInPast)
        );
        let publish = Action::Publish {
            version: 2,
            effective_from: day("2027-01-01"),
        };
        let done = step(&s, &publish, CIVIL, 3, today).unwrap();
        assert_eq!(done.label(), "已发布");
        assert_eq!(
            step(&done, &Action::Submit, DRAFTER, 3, today)
                .unwrap_err()
                .to_string(),
            "调整处于“已发布”状态，不能提交审核",
            "a published version is never changed"
        );
        assert_eq!(
            step(&Stage::Draft, &Action::Submit, DRAFTER, 0, today),
            Err(StepError::Missing("至少一项调整内容"))
        );
        let blank = Action::Reject { reason: " ".into() };
        let s = step(&Stage::Draft, &Action::Submit, DRAFTER, 1, today).unwrap();
        let s = step(&s, &Action::Review, CIVIL, 1, today).unwrap();
        assert_eq!(
            step(&s, &blank, APPROVER, 1, today),
            Err(StepError::Missing("理由"))
        );
    }

    fn action() -> impl Strategy<Value = (Action, Actor)> {
        let actor = prop_oneof![
            Just(CIVIL),
            Just(DRAFTER),
            Just(APPROVER),
            Just(REVIEWER_APPROVER),
            Just(DRAFTER_APPROVER)
        ];
        let action = prop_oneof![
            Just(Action::Submit),
            Just(Action::Review),
            Just(Action::Approve),
            Just(Action::Return {
                reason: "需修改".into()
            }),
            Just(Action::Reject {
                reason: "不予批准".into()
            }),
            Just(Action::Publish {
                version: 2,
                effective_from: day("2027-01-01")
            }),
        ];
        (action, actor)
    }

    proptest! {
        /// Against any sequence of actions by anyone: nothing is published without a review by
        /// someone other than the drafter followed by an approver's approval, and once
        /// published or rejected a draft never moves again.
        #[test]
        fn publication_needs_review_and_approval(steps in proptest::collection::vec(action(), 0..30)) {
            let today = day("2026-11-28");
            let mut stage = Stage::Draft;
            let (mut reviewed_by_other, mut approved) = (false, false);
            for (action, actor) in steps {
                let before = stage.clone();
                if let Ok(next) = step(&stage, &action, actor, 1, today) {
                    let settled = matches!(before, Stage::Published { .. } | Stage::Rejected { .. });
                    prop_assert!(!settled, "a settled draft moved");
                    match next {
                        Stage::Reviewed => reviewed_by_other = !actor.is_drafter && actor.role == Role::CivilAffairs,
                        Stage::Approved => {
                            prop_assert!(!actor.is_drafter && !actor.is_reviewer, "decided on its own draft or review");
                            approved = reviewed_by_other && actor.role == Role::Approver
                        }
                        Stage::Published { .. } => prop_assert!(approved),
                        Stage::Submitted | Stage::Returned { .. } => {
                            reviewed_by_other = false;
                            approved = false;
                        }
                        _ => {}
                    }
                    stage = next;
                }
            }
        }
    }
}
