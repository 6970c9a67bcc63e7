//! The campaign timeline (时间安排) of the Tianjin plan: five phases with configurable dates,
//! the phase a day falls in (or the one an officer set, with a reason, over the dates), and
//! each phase's exit criteria computed from the records.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The five phases, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// 动员部署
    Preparation,
    /// 组织实施
    Implementation,
    /// 检查评估
    Inspection,
    /// 整改落实
    Rectification,
    /// 巩固提升
    Consolidation,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Preparation,
        Phase::Implementation,
        Phase::Inspection,
        Phase::Rectification,
        Phase::Consolidation,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Phase::Preparation => "preparation",
            Phase::Implementation => "implementation",
            Phase::Inspection => "inspection",
            Phase::Rectification => "rectification",
            Phase::Consolidation => "consolidation",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Preparation => "动员部署",
            Phase::Implementation => "组织实施",
            Phase::Inspection => "检查评估",
            Phase::Rectification => "整改落实",
            Phase::Consolidation => "巩固提升",
        }
    }

    pub fn from_code(code: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// When each phase starts; a phase ends the day before the next starts, the last never.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// The start of each phase, in `Phase::ALL` order.
    pub starts: [NaiveDate; 5],
}

impl Default for Timeline {
    /// The plan's dates: preparation 2023-02/03, implementation 04–08, inspection 09–10,
    /// rectification 11–12, consolidation from 2024.
    fn default() -> Timeline {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).expect("a valid date");
        Timeline {
            starts: [d(2023, 2), d(2023, 4), d(2023, 9), d(2023, 11), d(2024, 1)],
        }
    }
}

impl Timeline {
    /// A timeline with these starts, which must rise strictly.
    pub fn new(starts: [NaiveDate; 5]) -> Result<Timeline, String> {
        for (i, w) in starts.windows(2).enumerate() {
            if w[0] >= w[1] {
                return Err(format!(
                    "“{}”的开始日期应晚于“{}”的开始日期",
                    Phase::ALL[i + 1].label(),
                    Phase::ALL[i].label()
                ));
            }
        }
        Ok(Timeline { starts })
    }

    pub fn start(&self, phase: Phase) -> NaiveDate {
        self.starts[phase as usize]
    }

    /// The last day of `phase`; none for the last.
    pub fn end(&self, phase: Phase) -> Option<NaiveDate> {
        self.starts
            .get(phase as usize + 1)
            .map(|next| *next - chrono::Duration::days(1))
    }

    /// The phase `day` falls in by the dates; none before the campaign.
    pub fn phase_on(&self, day: NaiveDate) -> Option<Phase> {
        Phase::ALL.into_iter().rev().find(|p| self.start(*p) <= day)
    }
}

/// A phase set by an officer over the dates (e.g. a district still rectifying), with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub phase: Phase,
    pub reason: String,
}

/// The phase in force on `day`: the override when there is one, else the dates'.
pub fn current(timeline: &Timeline, over: Option<&Override>, day: NaiveDate) -> Option<Phase> {
    over.map(|o| o.phase).or_else(|| timeline.phase_on(day))
}

/// What the records say, counted for the whole campaign or one district.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Published versions of the city's three directories (duties, assistance, mechanisms).
    pub city_directories_published: u32,
    pub districts: u32,
    /// Districts that have published a refinement of the city directory.
    pub districts_refined: u32,
    pub units: u64,
    /// Units whose signage self-check is on record.
    pub units_self_checked: u64,
    /// Must-not-issue certificates issued in the period (should be none).
    pub must_not_issued: u64,
    /// Districts with at least one completed inspection plan.
    pub districts_inspected: u32,
    pub rectifications: u64,
    pub rectifications_closed: u64,
    /// Rectifications past their deadline and not closed.
    pub rectifications_overdue: u64,
}

/// One exit criterion of a phase, with what was measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub code: &'static str,
    pub label: &'static str,
    pub measured: String,
    pub met: bool,
}

/// The share `part / whole` in tenths of a percent (1000 when `whole` is 0).
fn permille(part: u64, whole: u64) -> u64 {
    (part * 1000).checked_div(whole).unwrap_or(1000)
}

fn percent(permille: u64) -> String {
    format!("{}.{}%", permille / 10, permille % 10)
}

/// The criteria a phase is left by, measured on `facts`.
pub fn criteria(phase: Phase, f: &Facts) -> Vec<Criterion> {
    let refined = Criterion {
        code: "districts_refined",
        label: "各区均已发布细化目录",
        measured: format!("{}/{} 个区", f.districts_refined, f.districts),
        met: f.districts > 0 && f.districts_refined >= f.districts,
    };
    let self_checked = permille(f.units_self_checked, f.units);
    let closure = permille(f.rectifications_closed, f.rectifications);
    let no_must_not = Criterion {
        code: "no_must_not_issued",
        label: "期间未出具不应出具的证明",
        measured: format!("{} 件", f.must_not_issued),
        met: f.must_not_issued == 0,
    };
    let closed = Criterion {
        code: "rectification_closure",
        label: "整改销号率不低于 95%",
        measured: format!(
            "{}（{}/{}）",
            percent(closure),
            f.rectifications_closed,
            f.rectifications
        ),
        met: closure >= 950,
    };
    match phase {
        Phase::Preparation => vec![Criterion {
            code: "city_directories_published",
            label: "市级三项指导目录均已发布",
            measured: format!("{}/3 项", f.city_directories_published.min(3)),
            met: f.city_directories_published >= 3,
        }],
        Phase::Implementation => vec![
            refined,
            Criterion {
                code: "units_self_checked",
                label: "村（社区）摸排自查全部完成",
                measured: format!(
                    "{}（{}/{}）",
                    percent(self_checked),
                    f.units_self_checked,
                    f.units
                ),
                met: f.units > 0 && f.units_self_checked >= f.units,
            },
            no_must_not,
        ],
        Phase::Inspection => vec![Criterion {
            code: "districts_inspected",
            label: "各区均已完成至少一次检查",
            measured: format!("{}/{} 个区", f.districts_inspected, f.districts),
            met: f.districts > 0 && f.districts_inspected >= f.districts,
        }],
        Phase::Rectification => vec![
            closed,
            Criterion {
                code: "none_overdue",
                label: "没有逾期未整改的问题",
                measured: format!("{} 件逾期", f.rectifications_overdue),
                met: f.rectifications_overdue == 0,
            },
        ],
        Phase::Consolidation => vec![refined, no_must_not, closed],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_plan_s_dates_place_each_day_in_its_phase() {
        let t = Timeline::default();
        assert_eq!(t.phase_on(day("2023-01-31")), None);
        assert_eq!(t.phase_on(day("2023-02-01")), Some(Phase::Preparation));
        assert_eq!(t.phase_on(day("2023-08-31")), Some(Phase::Implementation));
        assert_eq!(t.phase_on(day("2023-09-01")), Some(Phase::Inspection));
        assert_eq!(t.phase_on(day("2023-12-31")), Some(Phase::Rectification));
        assert_eq!(t.phase_on(day("2026-12-01")), Some(Phase::Consolidation));
        assert_eq!(t.end(Phase::Inspection), Some(day("2023-10-31")));
        assert_eq!(t.end(Phase::Consolidation), None);
    }

    #[test]
    fn an_override_wins_over_the_dates() {
        let t = Timeline::default();
        let o = Override {
            phase: Phase::Rectification,
            reason: "整改尚未完成".into(),
        };
        assert_eq!(
            current(&t, Some(&o), day("2026-12-01")),
            Some(Phase::Rectification)
        );
        assert_eq!(
            current(&t, None, day("2026-12-01")),
            Some(Phase::Consolidation)
        );
    }

    #[test]
    fn starts_must_rise() {
        let mut s = Timeline::default().starts;
        s[2] = s[1];
        let e = Timeline::new(s).unwrap_err();
        assert!(e.contains("检查评估"), "{e}");
    }

    #[test]
    fn criteria_are_measured_from_the_facts() {
        let mut f = Facts {
            districts: 16,
            districts_refined: 15,
            units: 5617,
            units_self_checked: 5617,
            rectifications: 20,
            rectifications_closed: 19,
            ..Facts::default()
        };
        let c = criteria(Phase::Implementation, &f);
        assert!(!c[0].met && c[0].measured == "15/16 个区");
        assert!(c[1].met && c[2].met);
        let r = criteria(Phase::Rectification, &f);
        assert!(r[0].met, "19 of 20 is 95.0%: {}", r[0].measured);
        assert_eq!(r[0].measured, "95.0%（19/20）");
        f.rectifications_closed = 18;
        assert!(!criteria(Phase::Rectification, &f)[0].met);
        f.must_not_issued = 1;
        assert!(!criteria(Phase::Consolidation, &f)[1].met);
        assert!(
            !criteria(Phase::Inspection, &Facts::default())[0].met,
            "no districts, not met"
        );
    }
}
