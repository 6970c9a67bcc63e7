//! Rectification (整改): a finding becomes a rectification of the responsible unit with the
//! measures asked for and a deadline in working days; the unit submits what it did with its
//! evidence; the inspector verifies it and closes it (销号) or reopens it with a reason. One
//! overdue goes up to the level above, and one level more for every further
//! `ESCALATION_STEP` working days, never past the city.

use chrono::NaiveDate;

use crate::account::Role;
use crate::workday::Calendar;
use crate::{Level, RegionCode};

/// Working days a rectification may be overdue at one level before the next level up hears of it.
pub const ESCALATION_STEP: u32 = 5;

/// The most working days a rectification may be given.
pub const MAX_DAYS: u32 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RectStage {
    /// Issued; the unit is to act.
    Open,
    /// The unit reported what it did; the inspector is to verify.
    Submitted,
    /// Verified and closed (销号).
    Closed,
    /// Not accepted; the unit is to act again.
    Reopened,
}

impl RectStage {
    pub const ALL: [RectStage; 4] = [
        RectStage::Open,
        RectStage::Submitted,
        RectStage::Closed,
        RectStage::Reopened,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RectStage::Open => "open",
            RectStage::Submitted => "submitted",
            RectStage::Closed => "closed",
            RectStage::Reopened => "reopened",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RectStage::Open => "待整改",
            RectStage::Submitted => "待核查",
            RectStage::Closed => "已销号",
            RectStage::Reopened => "重新整改",
        }
    }

    pub fn from_code(code: &str) -> Option<RectStage> {
        RectStage::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the unit still owes something (the deadline runs).
    pub fn with_unit(self) -> bool {
        matches!(self, RectStage::Open | RectStage::Reopened)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RectAction {
    /// The unit reports the measures taken, with evidence.
    Submit,
    /// The inspector accepts and closes it.
    Accept,
    /// The inspector does not accept it.
    Reopen,
}

impl RectAction {
    pub const ALL: [RectAction; 3] = [RectAction::Submit, RectAction::Accept, RectAction::Reopen];

    pub fn code(self) -> &'static str {
        match self {
            RectAction::Submit => "submit",
            RectAction::Accept => "accept",
            RectAction::Reopen => "reopen",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RectAction::Submit => "报送整改情况",
            RectAction::Accept => "核查通过并销号",
            RectAction::Reopen => "核查不通过",
        }
    }

    pub fn parse(code: &str) -> Option<RectAction> {
        RectAction::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// The next stage when someone in `role` does `action` with `text` (the measures taken, or
/// the reason for reopening) and `evidence` files. The responsible unit's worker (or its
/// township's officer) submits; an inspector verifies.
pub fn step(
    stage: RectStage,
    action: RectAction,
    role: Role,
    text: &str,
    evidence: usize,
) -> Result<RectStage, String> {
    match (stage, action) {
        (s, RectAction::Submit) if s.with_unit() => {
            if !matches!(role, Role::VillageWorker | Role::TownshipOfficer) {
                return Err("整改情况须由责任单位报送".to_owned());
            }
            if text.trim().is_empty() {
                return Err("请填写已采取的整改措施".to_owned());
            }
            if evidence == 0 {
                return Err("请上传至少一份整改佐证材料（照片或文件）".to_owned());
            }
            Ok(RectStage::Submitted)
        }
        (RectStage::Submitted, RectAction::Accept | RectAction::Reopen) => {
            if role != Role::Inspector {
                return Err("整改核查须由检查组成员办理".to_owned());
            }
            if action == RectAction::Reopen {
                if text.trim().is_empty() {
                    return Err("请填写核查不通过的理由".to_owned());
                }
                return Ok(RectStage::Reopened);
            }
            Ok(RectStage::Closed)
        }
        _ => Err(format!(
            "整改处于“{}”状态，不能{}",
            stage.label(),
            action.label()
        )),
    }
}

/// The actions `role` could take at `stage` (the buttons a page shows).
pub fn open_actions(stage: RectStage, role: Role) -> Vec<RectAction> {
    RectAction::ALL
        .into_iter()
        .filter(|a| step(stage, *a, role, "理由", 1).is_ok())
        .collect()
}

/// The deadline of a rectification issued on `issued_on` with `days` working days.
pub fn due_on(calendar: &Calendar, issued_on: NaiveDate, days: u32) -> Result<NaiveDate, String> {
    if days == 0 || days > MAX_DAYS {
        return Err(format!("整改时限应为 1 至 {MAX_DAYS} 个工作日"));
    }
    Ok(calendar.add_working_days(issued_on, days))
}

/// Working days past `due_on` on `today` (0 when not overdue).
pub fn overdue_days(calendar: &Calendar, due_on: NaiveDate, today: NaiveDate) -> u32 {
    if today <= due_on {
        0
    } else {
        calendar.working_days_between(due_on, today)
    }
}

/// The province-level municipalities (直辖市: Beijing, Tianjin, Shanghai, Chongqing), whose
/// city-level segment (市辖区) is a statistical grouping, not an authority.
const MUNICIPALITIES: [&str; 4] = ["11", "12", "31", "50"];

/// The authorities above `unit` an overdue rectification goes up to, nearest first: its
/// township, its district, and its city (the municipality itself for Tianjin), and no further.
pub fn escalation_chain(unit: &RegionCode) -> Vec<RegionCode> {
    let municipality = MUNICIPALITIES.contains(&&unit.as_str()[..2]);
    let mut chain = Vec::new();
    let mut at = unit.parent();
    while let Some(code) = at {
        match code.level() {
            Level::City if municipality => {}
            Level::City | Level::Province => {
                chain.push(code);
                break;
            }
            _ => chain.push(code),
        }
        at = code.parent();
    }
    chain
}

/// The authorities an overdue rectification of `unit` has reached after `overdue` working
/// days past its deadline: the first the day after the deadline, one more every
/// `ESCALATION_STEP` working days, up to the city.
pub fn escalated_to(unit: &RegionCode, overdue: u32) -> Vec<RegionCode> {
    if overdue == 0 {
        return Vec::new();
    }
    let steps = 1 + (overdue - 1) / ESCALATION_STEP;
    let mut chain = escalation_chain(unit);
    chain.truncate(steps as usize);
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn the_unit_submits_with_evidence_and_the_inspector_verifies() {
        let s = step(
            RectStage::Open,
            RectAction::Submit,
            Role::VillageWorker,
            "已摘除",
            1,
        );
        assert_eq!(s, Ok(RectStage::Submitted));
        assert!(
            step(
                RectStage::Open,
                RectAction::Submit,
                Role::VillageWorker,
                "已摘除",
                0
            )
            .unwrap_err()
            .contains("佐证材料")
        );
        assert!(step(RectStage::Open, RectAction::Submit, Role::Inspector, "x", 1).is_err());
        assert_eq!(
            step(
                RectStage::Submitted,
                RectAction::Accept,
                Role::Inspector,
                "",
                0
            ),
            Ok(RectStage::Closed)
        );
        assert!(
            step(
                RectStage::Submitted,
                RectAction::Reopen,
                Role::Inspector,
                " ",
                0
            )
            .unwrap_err()
            .contains("理由")
        );
        assert_eq!(
            step(
                RectStage::Submitted,
                RectAction::Reopen,
                Role::Inspector,
                "牌子仍在",
                0
            ),
            Ok(RectStage::Reopened)
        );
        assert_eq!(
            step(
                RectStage::Reopened,
                RectAction::Submit,
                Role::TownshipOfficer,
                "再次整改",
                2
            ),
            Ok(RectStage::Submitted)
        );
        assert!(
            step(
                RectStage::Closed,
                RectAction::Submit,
                Role::VillageWorker,
                "x",
                1
            )
            .is_err()
        );
        assert!(
            step(
                RectStage::Submitted,
                RectAction::Accept,
                Role::CivilAffairs,
                "",
                0
            )
            .is_err()
        );
    }

    #[test]
    fn pages_offer_only_the_steps_the_role_may_take() {
        assert_eq!(
            open_actions(RectStage::Open, Role::VillageWorker),
            vec![RectAction::Submit]
        );
        assert_eq!(
            open_actions(RectStage::Submitted, Role::Inspector),
            vec![RectAction::Accept, RectAction::Reopen]
        );
        assert!(open_actions(RectStage::Closed, Role::Inspector).is_empty());
    }

    #[test]
    fn escalation_climbs_a_level_every_five_working_days_and_stops_at_the_city() {
        let village = code("120101001001");
        assert!(escalated_to(&village, 0).is_empty());
        assert_eq!(escalated_to(&village, 1), vec![code("120101001000")]);
        assert_eq!(escalated_to(&village, 5).len(), 1);
        assert_eq!(
            escalated_to(&village, 6),
            vec![code("120101001"), code("120101")]
        );
        assert_eq!(escalated_to(&village, 11).len(), 3);
        assert_eq!(escalated_to(&village, 500).len(), 3, "never past the city");
        assert_eq!(escalated_to(&village, 500).last(), Some(&code("12")));
    }

    #[test]
    fn a_province_s_units_stop_at_their_city() {
        // 广东省广州市越秀区某街道某社区: township, district, city; not the province.
        let community = code("440104001001");
        assert_eq!(
            escalation_chain(&community),
            vec![code("440104001"), code("440104"), code("4401")]
        );
        assert_eq!(escalation_chain(&code("12")), Vec::<RegionCode>::new());
        assert_eq!(escalation_chain(&code("120101")), vec![code("12")]);
    }

    #[test]
    fn deadlines_count_working_days() {
        let cal = Calendar::default();
        // Friday 2026-12-04 + 3 working days = Wednesday 2026-12-09.
        let fri = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let due = due_on(&cal, fri, 3).unwrap();
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 12, 9).unwrap());
        assert!(due_on(&cal, fri, 0).is_err());
        assert!(due_on(&cal, fri, MAX_DAYS + 1).is_err());
        assert_eq!(overdue_days(&cal, due, due), 0);
        // Thursday and Friday after a Wednesday deadline, then Monday.
        let mon = NaiveDate::from_ymd_opt(2026, 12, 14).unwrap();
        assert_eq!(overdue_days(&cal, due, mon), 3);
    }
}
