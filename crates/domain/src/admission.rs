//! Admission (准入): without a unified arrangement of the party committee and government of its
//! level, no department may hand its own work to villages and communities. A department
//! applies for a task outside the directories; the other departments it names countersign
//! (会签); civil affairs of the same level reviews it first (初审) and passes it on or returns it;
//! the party committee/government of that level approves or rejects it (审批). An approved
//! application becomes an admitted task (准入事项) that dispatches may cite, until it is revoked.
//! This module is the procedure as a state machine, and the notice period in working days.

use std::fmt;

use chrono::NaiveDate;

use serde::{Deserialize, Serialize};

use crate::account::Role;
use crate::catalog::Applicability;
use crate::workday::Calendar;
use crate::{Level, RegionCode, RegionKind};

/// The units a task is for: one unit, or every unit of a kind below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeEntry {
    pub unit: RegionCode,
    /// The unit's whole subtree rather than the unit alone.
    pub subtree: bool,
    /// Which village-level units of the subtree: villages, communities or both.
    pub applies: Applicability,
}

impl ScopeEntry {
    /// Whether the entry is well formed: a single unit is a village or community; a subtree
    /// is taken below a township, district or the city.
    pub fn is_well_formed(&self) -> bool {
        (self.unit.level() == Level::Village) != self.subtree
    }

    /// Whether the task concerns `region` (of `kind`): a village-level unit it takes in, or a
    /// higher unit with some of its units in the scope or itself inside a subtree of it.
    pub fn concerns(&self, region: &RegionCode, kind: RegionKind) -> bool {
        if region.level() == Level::Village {
            if self.subtree {
                self.unit.contains(region) && self.applies.applies_to(kind)
            } else {
                self.unit == *region
            }
        } else {
            region.contains(&self.unit) || (self.subtree && self.unit.contains(region))
        }
    }
}

/// Why a scope cannot be applied for at a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    Empty,
    /// A single unit that is not a village or community, or a subtree of one.
    Malformed(RegionCode),
    /// A unit outside the level's region (a district applies for its own units only).
    OutsideLevel(RegionCode),
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeError::Empty => write!(f, "请选择任务涉及的村（社区）范围"),
            ScopeError::Malformed(code) => write!(
                f,
                "范围中的 {} 不正确：单个单位须为村（社区），整片范围须为街道（乡镇）、区或全市",
                code.short()
            ),
            ScopeError::OutsideLevel(code) => {
                write!(f, "范围中的 {} 不在本级管辖范围内", code.short())
            }
        }
    }
}

/// A scope applied for at `level` (Tianjin, or a district): not empty, well formed, and
/// inside the level's region.
pub fn check_scope(scope: &[ScopeEntry], level: &RegionCode) -> Result<(), ScopeError> {
    if scope.is_empty() {
        return Err(ScopeError::Empty);
    }
    for entry in scope {
        if !entry.is_well_formed() {
            return Err(ScopeError::Malformed(entry.unit));
        }
        if !level.contains(&entry.unit) {
            return Err(ScopeError::OutsideLevel(entry.unit));
        }
    }
    Ok(())
}

/// Where an application stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Draft,
    /// Waiting for the countersignatures of the other departments it involves (会签).
    Countersigning,
    /// Waiting for civil affairs' preliminary review (初审).
    Submitted,
    /// Passed by civil affairs; waiting for the approval of the party committee/government.
    Passed,
    /// Sent back to the applicant with reasons; it may be changed and resubmitted.
    Returned {
        reason: String,
    },
    /// Approved: an admitted task exists.
    Approved,
    Rejected {
        reason: String,
    },
    /// Taken back by the applicant before a decision.
    Withdrawn,
    /// Approved, then its admitted task revoked.
    Revoked {
        reason: String,
    },
}

impl Stage {
    /// The stage for its stored code and note (the reason of a return, rejection or
    /// revocation).
    pub fn from_code(code: &str, note: Option<String>) -> Option<Stage> {
        let note = note.unwrap_or_default();
        Some(match code {
            "draft" => Stage::Draft,
            "countersigning" => Stage::Countersigning,
            "submitted" => Stage::Submitted,
            "passed" => Stage::Passed,
            "returned" => Stage::Returned { reason: note },
            "approved" => Stage::Approved,
            "rejected" => Stage::Rejected { reason: note },
            "withdrawn" => Stage::Withdrawn,
            "revoked" => Stage::Revoked { reason: note },
            _ => return None,
        })
    }

    /// The reason a return, rejection or revocation gave.
    pub fn note(&self) -> Option<&str> {
        match self {
            Stage::Returned { reason } | Stage::Rejected { reason } | Stage::Revoked { reason } => {
                Some(reason)
            }
            _ => None,
        }
    }

    /// The stage's stable code (stored, and named in the API's refusals).
    pub fn code(&self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Countersigning => "countersigning",
            Stage::Submitted => "submitted",
            Stage::Passed => "passed",
            Stage::Returned { .. } => "returned",
            Stage::Approved => "approved",
            Stage::Rejected { .. } => "rejected",
            Stage::Withdrawn => "withdrawn",
            Stage::Revoked { .. } => "revoked",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Stage::Draft => "草稿",
            Stage::Countersigning => "会签中",
            Stage::Submitted => "待初审",
            Stage::Passed => "待审批",
            Stage::Returned { .. } => "已退回",
            Stage::Approved => "已准入",
            Stage::Rejected { .. } => "不予准入",
            Stage::Withdrawn => "已撤回",
            Stage::Revoked { .. } => "已撤销",
        }
    }

    /// Whether the application's content may still be changed by the applicant.
    pub fn editable(&self) -> bool {
        matches!(self, Stage::Draft | Stage::Returned { .. })
    }

    /// Whether no decision has been taken yet (the applicant may still withdraw).
    pub fn undecided(&self) -> bool {
        matches!(
            self,
            Stage::Draft
                | Stage::Countersigning
                | Stage::Submitted
                | Stage::Passed
                | Stage::Returned { .. }
        )
    }
}

/// Where the approver sends an application back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnTo {
    /// To the applicant, to change and resubmit.
    Applicant,
    /// To civil affairs' preliminary review again.
    Review,
}

/// What someone does to an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Submit,
    /// A co-department agrees, or disagrees (which returns the application with its comment).
    Countersign {
        agree: bool,
        comment: String,
    },
    Return {
        reason: String,
        to: ReturnTo,
    },
    Resubmit,
    /// Civil affairs passes it on to approval.
    Pass,
    Approve,
    Reject {
        reason: String,
    },
    Withdraw,
    /// The admitted task ends before its period does.
    Revoke {
        reason: String,
    },
}

impl Action {
    /// The action's code in forms and the API.
    pub fn code(&self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Countersign { .. } => "countersign",
            Action::Return { .. } => "return",
            Action::Resubmit => "resubmit",
            Action::Pass => "pass",
            Action::Approve => "approve",
            Action::Reject { .. } => "reject",
            Action::Withdraw => "withdraw",
            Action::Revoke { .. } => "revoke",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Action::Submit => "提交",
            Action::Countersign { agree: true, .. } => "会签同意",
            Action::Countersign { agree: false, .. } => "会签不同意",
            Action::Return { .. } => "退回",
            Action::Resubmit => "重新提交",
            Action::Pass => "初审通过",
            Action::Approve => "批准准入",
            Action::Reject { .. } => "不予准入",
            Action::Withdraw => "撤回",
            Action::Revoke { .. } => "撤销准入",
        }
    }
}

/// Who acts, as the procedure needs to know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The role they act in.
    pub role: Role,
    /// Of the applying department.
    pub is_applicant: bool,
    /// Of a co-department whose countersignature is still awaited.
    pub owes_countersign: bool,
    /// The civil-affairs officer the review is assigned to, or anyone of civil affairs at
    /// that level when nobody is (a reviewer may delegate the review to a colleague).
    pub may_review: bool,
}

/// What else the procedure depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    /// Co-departments named by the application.
    pub co_departments: usize,
    /// Of those, how many have not countersigned in this round.
    pub countersigns_pending: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The action is not possible at this stage (the API answers 409 naming the stage).
    Stage {
        stage: &'static str,
        code: &'static str,
        action: &'static str,
    },
    Role {
        action: &'static str,
        needs: Role,
    },
    /// Only the applying department submits, resubmits or withdraws.
    NotApplicant,
    /// Only a co-department that has not signed yet countersigns.
    NoCountersignOwed,
    /// The review is assigned to another civil-affairs officer.
    NotReviewer,
    /// The applicant's own people cannot review or decide on it.
    OwnApplication,
    Missing(&'static str),
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::Stage { stage, action, .. } => {
                write!(f, "准入申请处于“{stage}”状态，不能{action}")
            }
            StepError::Role { action, needs } => write!(f, "{action}须由{needs}办理"),
            StepError::NotApplicant => write!(f, "只有申请部门可以办理此操作"),
            StepError::NoCountersignOwed => write!(f, "本部门无需会签或已会签"),
            StepError::NotReviewer => write!(f, "此申请的初审已交由其他工作人员办理"),
            StepError::OwnApplication => write!(f, "申请部门的人员不能初审或审批本部门的申请"),
            StepError::Missing(what) => write!(f, "请填写{what}"),
        }
    }
}

/// The next stage when `actor` does `action` at `stage`. The applying department drafts,
/// submits, resubmits and withdraws; co-departments countersign; civil affairs of the level
/// passes or returns; the approver of the level approves, rejects, returns (to the applicant
/// or to the review) and revokes.
pub fn step(
    stage: &Stage,
    action: &Action,
    actor: Actor,
    facts: Facts,
) -> Result<Stage, StepError> {
    let wrong_stage = || StepError::Stage {
        stage: stage.label(),
        code: stage.code(),
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
    let applicant = || {
        needs(Role::DepartmentOfficer)?;
        if actor.is_applicant {
            Ok(())
        } else {
            Err(StepError::NotApplicant)
        }
    };
    let not_own = || {
        if actor.is_applicant {
            Err(StepError::OwnApplication)
        } else {
            Ok(())
        }
    };
    let reviewer = || {
        needs(Role::CivilAffairs)?;
        not_own()?;
        if actor.may_review {
            Ok(())
        } else {
            Err(StepError::NotReviewer)
        }
    };
    let approver = || {
        needs(Role::Approver)?;
        not_own()
    };
    let reason = |text: &str, what: &'static str| {
        let text = text.trim();
        if text.is_empty() {
            Err(StepError::Missing(what))
        } else {
            Ok(text.to_owned())
        }
    };
    // Submission goes to the co-departments first, if it names any.
    let sent = || {
        if facts.co_departments > 0 {
            Stage::Countersigning
        } else {
            Stage::Submitted
        }
    };
    match (stage, action) {
        (Stage::Draft, Action::Submit) => {
            applicant()?;
            Ok(sent())
        }
        (Stage::Returned { .. }, Action::Resubmit) => {
            applicant()?;
            Ok(sent())
        }
        (Stage::Countersigning, Action::Countersign { agree, comment }) => {
            needs(Role::DepartmentOfficer)?;
            if !actor.owes_countersign {
                return Err(StepError::NoCountersignOwed);
            }
            match (agree, facts.countersigns_pending) {
                (false, _) => Ok(Stage::Returned {
                    reason: reason(comment, "不同意的理由")?,
                }),
                (true, 0 | 1) => Ok(Stage::Submitted),
                (true, _) => Ok(Stage::Countersigning),
            }
        }
        (Stage::Submitted, Action::Pass) => {
            reviewer()?;
            Ok(Stage::Passed)
        }
        (Stage::Submitted, Action::Return { reason: r, to }) => {
            reviewer()?;
            match to {
                ReturnTo::Applicant => Ok(Stage::Returned {
                    reason: reason(r, "退回理由")?,
                }),
                // There is no step before the review to send it to.
                ReturnTo::Review => Err(wrong_stage()),
            }
        }
        (Stage::Passed, Action::Return { reason: r, to }) => {
            approver()?;
            let r = reason(r, "退回理由")?;
            Ok(match to {
                ReturnTo::Applicant => Stage::Returned { reason: r },
                ReturnTo::Review => Stage::Submitted,
            })
        }
        (Stage::Passed, Action::Approve) => {
            approver()?;
            Ok(Stage::Approved)
        }
        (Stage::Passed, Action::Reject { reason: r }) => {
            approver()?;
            Ok(Stage::Rejected {
                reason: reason(r, "不予准入的理由")?,
            })
        }
        (s, Action::Withdraw) if s.undecided() => {
            applicant()?;
            Ok(Stage::Withdrawn)
        }
        (Stage::Approved, Action::Revoke { reason: r }) => {
            approver()?;
            Ok(Stage::Revoked {
                reason: reason(r, "撤销理由")?,
            })
        }
        _ => Err(wrong_stage()),
    }
}

/// A task's start too close to the application: the first day it may start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooSoon {
    pub first_allowed: NaiveDate,
    pub notice_days: u32,
}

impl fmt::Display for TooSoon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "任务开始日期距申请不足 {} 个工作日：最早可从 {} 开始",
            self.notice_days, self.first_allowed
        )
    }
}

/// Whether a task starting on `start` may be applied for on `today` with `notice_days`
/// working days' notice (default 30).
pub fn check_notice(
    calendar: &Calendar,
    today: NaiveDate,
    start: NaiveDate,
    notice_days: u32,
) -> Result<(), TooSoon> {
    let first_allowed = calendar.add_working_days(today, notice_days);
    if start < first_allowed {
        Err(TooSoon {
            first_allowed,
            notice_days,
        })
    } else {
        Ok(())
    }
}

/// The day a step must be decided by: `days` working days (default 15) after it arrived.
pub fn decide_by(calendar: &Calendar, arrived: NaiveDate, days: u32) -> NaiveDate {
    calendar.add_working_days(arrived, days)
}

/// Whether an admitted task for `starts_on..=ends_on`, revoked on `revoked_on` if at all, is
/// in force on `at` (a revocation takes effect on its day).
pub fn in_force(
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    revoked_on: Option<NaiveDate>,
    at: NaiveDate,
) -> bool {
    starts_on <= at && at <= ends_on && revoked_on.is_none_or(|r| at < r)
}

/// The working-day deadlines of one level (configurable by its civil affairs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// A task starts at least this many working days after it is submitted.
    pub notice_days: u32,
    /// Each step (countersigning, review, approval) decides within this many working days.
    pub review_days: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            notice_days: 30,
            review_days: 15,
        }
    }
}

impl Deadlines {
    /// Refuses deadlines no procedure could keep or that make it meaningless.
    pub fn check(&self) -> Result<(), &'static str> {
        if !(1..=250).contains(&self.notice_days) {
            return Err("提前申请的工作日数应在 1 至 250 之间");
        }
        if !(1..=60).contains(&self.review_days) {
            return Err("各环节办理时限应在 1 至 60 个工作日之间");
        }
        Ok(())
    }
}

/// The latest arrival day whose step is overdue on `today` (its decide-by day has passed),
/// so a store can list overdue steps as `arrived <= cutoff`. Deadlines never move earlier
/// when the arrival does, so every earlier arrival is overdue too.
pub fn overdue_cutoff(calendar: &Calendar, today: NaiveDate, days: u32) -> NaiveDate {
    let mut day = today;
    while decide_by(calendar, day, days) >= today {
        day = day.pred_opt().expect("dates stay in range");
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workday::{DayKind, OfficialDay};
    use proptest::prelude::*;

    fn actor(role: Role) -> Actor {
        Actor {
            role,
            is_applicant: false,
            owes_countersign: false,
            may_review: true,
        }
    }

    const APPLICANT: Actor = Actor {
        role: Role::DepartmentOfficer,
        is_applicant: true,
        owes_countersign: false,
        may_review: false,
    };

    fn returned(to: ReturnTo) -> Action {
        Action::Return {
            reason: "依据不足".into(),
            to,
        }
    }

    #[test]
    fn the_journey_of_the_issue() {
        let none = Facts::default();
        let civil = actor(Role::CivilAffairs);
        let approver = actor(Role::Approver);
        let s = step(&Stage::Draft, &Action::Submit, APPLICANT, none).unwrap();
        assert_eq!(s, Stage::Submitted);
        let s = step(&s, &returned(ReturnTo::Applicant), civil, none).unwrap();
        assert_eq!(s.code(), "returned");
        let s = step(&s, &Action::Resubmit, APPLICANT, none).unwrap();
        let s = step(&s, &Action::Pass, civil, none).unwrap();
        assert_eq!(s, Stage::Passed);
        let back = step(&s, &returned(ReturnTo::Review), approver, none).unwrap();
        assert_eq!(back, Stage::Submitted, "back to the review");
        let s = step(&s, &Action::Approve, approver, none).unwrap();
        assert_eq!(s, Stage::Approved);
        let revoke = Action::Revoke {
            reason: "任务已完成".into(),
        };
        assert_eq!(step(&s, &revoke, approver, none).unwrap().code(), "revoked");
    }

    #[test]
    fn countersignatures_come_before_the_review() {
        let two = Facts {
            co_departments: 2,
            countersigns_pending: 2,
        };
        let s = step(&Stage::Draft, &Action::Submit, APPLICANT, two).unwrap();
        assert_eq!(s, Stage::Countersigning);
        let co = Actor {
            owes_countersign: true,
            ..actor(Role::DepartmentOfficer)
        };
        let agree = Action::Countersign {
            agree: true,
            comment: String::new(),
        };
        assert_eq!(step(&s, &agree, co, two).unwrap(), Stage::Countersigning);
        let last = Facts {
            countersigns_pending: 1,
            ..two
        };
        assert_eq!(step(&s, &agree, co, last).unwrap(), Stage::Submitted);
        let disagree = Action::Countersign {
            agree: false,
            comment: String::new(),
        };
        assert_eq!(
            step(&s, &disagree, co, two),
            Err(StepError::Missing("不同意的理由"))
        );
        let signed = Actor {
            owes_countersign: false,
            ..co
        };
        assert_eq!(
            step(&s, &agree, signed, two),
            Err(StepError::NoCountersignOwed)
        );
        let civil = actor(Role::CivilAffairs);
        let early = step(&s, &Action::Pass, civil, two).unwrap_err();
        assert_eq!(early.to_string(), "准入申请处于“会签中”状态，不能初审通过");
    }

    #[test]
    fn the_applicant_cannot_review_or_decide_and_others_cannot_apply() {
        let none = Facts::default();
        let own_civil = Actor {
            is_applicant: true,
            ..actor(Role::CivilAffairs)
        };
        assert_eq!(
            step(&Stage::Submitted, &Action::Pass, own_civil, none),
            Err(StepError::OwnApplication)
        );
        let delegated_away = Actor {
            may_review: false,
            ..actor(Role::CivilAffairs)
        };
        assert_eq!(
            step(&Stage::Submitted, &Action::Pass, delegated_away, none),
            Err(StepError::NotReviewer)
        );
        let other_department = actor(Role::DepartmentOfficer);
        assert_eq!(
            step(&Stage::Draft, &Action::Submit, other_department, none),
            Err(StepError::NotApplicant)
        );
        assert!(matches!(
            step(&Stage::Approved, &Action::Withdraw, APPLICANT, none),
            Err(StepError::Stage {
                code: "approved",
                ..
            })
        ));
    }

    fn calendar() -> Calendar {
        // 2026 National Day: 10-01 to 10-07 off, 09-20 (Sunday) and 10-10 (Saturday) worked.
        let mut days: Vec<OfficialDay> = (1..=7)
            .map(|d| OfficialDay {
                date: NaiveDate::from_ymd_opt(2026, 10, d).unwrap(),
                kind: DayKind::Holiday,
                name: "国庆节".into(),
            })
            .collect();
        for (m, d) in [(9, 20), (10, 10)] {
            days.push(OfficialDay {
                date: NaiveDate::from_ymd_opt(2026, m, d).unwrap(),
                kind: DayKind::Workday,
                name: "国庆节".into(),
            });
        }
        Calendar::new(days)
    }

    #[test]
    fn notice_and_deadlines_count_working_days_across_a_holiday() {
        let c = calendar();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // From Monday 09-21, 15 working days: 09-22..09-30 (7), 10-08, 10-09, 10-10 (make-up
        // Saturday), 10-12..10-16 (5) → Friday 10-16.
        assert_eq!(decide_by(&c, day("2026-09-21"), 15), day("2026-10-16"));
        let soon = check_notice(&c, day("2026-09-21"), day("2026-10-15"), 15).unwrap_err();
        assert_eq!(soon.first_allowed, day("2026-10-16"));
        assert_eq!(
            soon.to_string(),
            "任务开始日期距申请不足 15 个工作日：最早可从 2026-10-16 开始"
        );
        assert_eq!(
            check_notice(&c, day("2026-09-21"), day("2026-10-16"), 15),
            Ok(())
        );
    }

    /// The procedure written as a plain table, to check `step` against.
    fn model(
        stage: &str,
        action: &str,
        who: &str,
        pending: usize,
        co: usize,
    ) -> Option<&'static str> {
        let sent = if co > 0 {
            "countersigning"
        } else {
            "submitted"
        };
        let undecided = ["draft", "countersigning", "submitted", "passed", "returned"];
        Some(match (stage, action, who) {
            ("draft", "submit", "applicant") => sent,
            ("returned", "resubmit", "applicant") => sent,
            ("countersigning", "agree", "cosigner") if pending <= 1 => "submitted",
            ("countersigning", "agree", "cosigner") => "countersigning",
            ("countersigning", "disagree", "cosigner") => "returned",
            ("submitted", "pass", "civil") => "passed",
            ("submitted", "return_applicant", "civil") => "returned",
            ("passed", "return_applicant", "approver") => "returned",
            ("passed", "return_review", "approver") => "submitted",
            ("passed", "approve", "approver") => "approved",
            ("passed", "reject", "approver") => "rejected",
            (s, "withdraw", "applicant") if undecided.contains(&s) => "withdrawn",
            ("approved", "revoke", "approver") => "revoked",
            _ => return None,
        })
    }

    fn action_of(name: &str) -> Action {
        let reason = "理由".to_owned();
        match name {
            "submit" => Action::Submit,
            "resubmit" => Action::Resubmit,
            "agree" => Action::Countersign {
                agree: true,
                comment: String::new(),
            },
            "disagree" => Action::Countersign {
                agree: false,
                comment: reason,
            },
            "pass" => Action::Pass,
            "return_applicant" => returned(ReturnTo::Applicant),
            "return_review" => returned(ReturnTo::Review),
            "approve" => Action::Approve,
            "reject" => Action::Reject { reason },
            "withdraw" => Action::Withdraw,
            _ => Action::Revoke { reason },
        }
    }

    fn actor_of(name: &str) -> Actor {
        match name {
            "applicant" => APPLICANT,
            "cosigner" => Actor {
                owes_countersign: true,
                ..actor(Role::DepartmentOfficer)
            },
            "civil" => actor(Role::CivilAffairs),
            _ => actor(Role::Approver),
        }
    }

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn a_scope_concerns_its_units_and_the_regions_around_them() {
        let heping_communities = ScopeEntry {
            unit: code("120101"),
            subtree: true,
            applies: Applicability::Community,
        };
        let one_village = ScopeEntry {
            unit: code("120119100201"),
            subtree: false,
            applies: Applicability::Both,
        };
        let community = code("120101001001");
        assert!(heping_communities.concerns(&community, RegionKind::Community));
        assert!(!heping_communities.concerns(&community, RegionKind::Village));
        assert!(heping_communities.concerns(&code("120101001"), RegionKind::Subdistrict));
        assert!(heping_communities.concerns(&code("12"), RegionKind::Province));
        assert!(!heping_communities.concerns(&code("120119"), RegionKind::County));
        assert!(one_village.concerns(&code("120119100201"), RegionKind::Village));
        assert!(!one_village.concerns(&code("120119100202"), RegionKind::Village));
        assert!(one_village.concerns(&code("120119"), RegionKind::County));

        let district = code("120101");
        assert_eq!(check_scope(&[], &district), Err(ScopeError::Empty));
        assert_eq!(
            check_scope(std::slice::from_ref(&heping_communities), &district),
            Ok(())
        );
        assert_eq!(
            check_scope(std::slice::from_ref(&one_village), &district),
            Err(ScopeError::OutsideLevel(code("120119100201")))
        );
        assert!(check_scope(&[one_village, heping_communities], &code("12")).is_ok());
        let township_alone = ScopeEntry {
            unit: code("120101001"),
            subtree: false,
            applies: Applicability::Both,
        };
        assert_eq!(
            check_scope(&[township_alone], &district),
            Err(ScopeError::Malformed(code("120101001")))
        );
    }

    #[test]
    fn overdue_counts_working_days_across_a_holiday() {
        // National Day 2026: 10-01..10-07 off, 09-20 (Sunday) and 10-10 (Saturday) worked.
        let mut days: Vec<OfficialDay> = (1..=7)
            .map(|d| OfficialDay {
                date: NaiveDate::from_ymd_opt(2026, 10, d).unwrap(),
                kind: DayKind::Holiday,
                name: "国庆节".into(),
            })
            .collect();
        for (m, d) in [(9, 20), (10, 10)] {
            days.push(OfficialDay {
                date: NaiveDate::from_ymd_opt(2026, m, d).unwrap(),
                kind: DayKind::Workday,
                name: "国庆节调休".into(),
            });
        }
        let calendar = Calendar::new(days);
        let arrived = NaiveDate::from_ymd_opt(2026, 9, 28).unwrap();
        // After 09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (make-up), 10-12 … 10-23 is the 15th.
        let due = decide_by(&calendar, arrived, 15);
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 10, 23).unwrap());
        assert!(
            overdue_cutoff(&calendar, due, 15) < arrived,
            "not overdue on its last day"
        );
        let after = due.succ_opt().unwrap();
        assert_eq!(overdue_cutoff(&calendar, after, 15), arrived);
    }

    const ACTIONS: [&str; 11] = [
        "submit",
        "resubmit",
        "agree",
        "disagree",
        "pass",
        "return_applicant",
        "return_review",
        "approve",
        "reject",
        "withdraw",
        "revoke",
    ];
    const WHO: [&str; 4] = ["applicant", "cosigner", "civil", "approver"];

    proptest! {
        // Most random moves are refused, so sequences are long and many to reach every stage.
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any sequence of anyone's actions moves `step` exactly as the table says, and a
        /// refused action leaves the stage as it was.
        #[test]
        fn step_follows_the_table(
            co in 0usize..3,
            moves in prop::collection::vec((0..ACTIONS.len(), 0..WHO.len()), 1..150),
        ) {
            let mut stage = Stage::Draft;
            let mut pending = co;
            for (a, w) in moves {
                let facts = Facts { co_departments: co, countersigns_pending: pending };
                let expected = model(stage.code(), ACTIONS[a], WHO[w], pending, co);
                match step(&stage, &action_of(ACTIONS[a]), actor_of(WHO[w]), facts) {
                    Ok(next) => {
                        prop_assert_eq!(Some(next.code()), expected, "{} {} {}", stage.code(), ACTIONS[a], WHO[w]);
                        if ACTIONS[a] == "agree" {
                            pending = pending.saturating_sub(1);
                        }
                        if matches!(next, Stage::Countersigning) && stage.code() != "countersigning" {
                            pending = co;
                        }
                        stage = next;
                    }
                    Err(_) => prop_assert_eq!(expected, None, "{} {} {}", stage.code(), ACTIONS[a], WHO[w]),
                }
            }
        }
    }
}
