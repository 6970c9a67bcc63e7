//! Working days (工作日) by the State Council's annual holiday notices: a weekday is a working
//! day unless the notice makes it a holiday, and a weekend day is not unless the notice makes
//! it a make-up working day (调休上班). Deadlines of the admission procedure count in working
//! days. The notices are data (shipped for the years we have, importable for the next), so a
//! year without its notice is known to be counted by weekdays only, and callers can say so.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// What a notice makes of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A public holiday (法定节假日), a weekday included.
    Holiday,
    /// A make-up working day on a weekend (调休上班).
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// Reads the code or the words an administrator's table uses.
    pub fn parse(raw: &str) -> Option<DayKind> {
        match raw.trim() {
            "holiday" | "休" | "放假" | "节假日" => Some(DayKind::Holiday),
            "workday" | "班" | "上班" | "调休上班" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// One day a notice names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficialDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The holiday it belongs to, e.g. 春节.
    pub name: String,
}

/// The notices known, by day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, (DayKind, String)>,
    years: BTreeSet<i32>,
}

/// The most working days a deadline may count: years of working days, far beyond any rule.
pub const MAX_WORKING_DAYS: u32 = 2_500;

impl Calendar {
    /// A calendar of `days`; a year counts as covered when any of its days is named (every
    /// notice names several). A later entry for the same day wins.
    pub fn new(days: impl IntoIterator<Item = OfficialDay>) -> Calendar {
        let mut calendar = Calendar::default();
        for d in days {
            calendar.years.insert(d.date.year());
            calendar.days.insert(d.date, (d.kind, d.name));
        }
        calendar
    }

    /// Whether the notice for `year` is known; without it, its days count by weekday only.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The years whose notices are known, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// The holiday `day` belongs to, or the make-up day it is, if a notice names it.
    pub fn official(&self, day: NaiveDate) -> Option<(DayKind, &str)> {
        self.days.get(&day).map(|(k, n)| (*k, n.as_str()))
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.days.get(&day) {
            Some((DayKind::Holiday, _)) => false,
            Some((DayKind::Workday, _)) => true,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`th working day after `from` (`from` itself not counted; `n` = 0 gives `from`).
    /// `n` is capped at [`MAX_WORKING_DAYS`].
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        let mut left = n.min(MAX_WORKING_DAYS);
        while left > 0 {
            day += Duration::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// How many working days lie after `from` up to and including `to` (0 when `to` is not
    /// after `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut day = from;
        while day < to {
            day += Duration::days(1);
            if self.is_working_day(day) {
                n += 1;
            }
        }
        n
    }

    /// The years between `from` and `to` (both included) whose notices are missing: a deadline
    /// reaching into one of them is counted by weekdays only and may move when it is imported.
    pub fn uncovered(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        (from.year()..=to.year())
            .filter(|y| !self.covers(*y))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The 2026 Spring Festival as the State Council's notice has it: 2-15 to 2-23 off,
    /// 2-14 (Saturday) and 2-28 (Saturday) worked.
    fn spring_2026() -> Calendar {
        let mut days: Vec<OfficialDay> = (15..=23)
            .map(|d| OfficialDay {
                date: NaiveDate::from_ymd_opt(2026, 2, d).unwrap(),
                kind: DayKind::Holiday,
                name: "春节".into(),
            })
            .collect();
        for d in ["2026-02-14", "2026-02-28"] {
            days.push(OfficialDay {
                date: day(d),
                kind: DayKind::Workday,
                name: "春节".into(),
            });
        }
        Calendar::new(days)
    }

    #[test]
    fn holidays_and_make_up_days_count_as_the_notice_says() {
        let c = spring_2026();
        assert!(c.is_working_day(day("2026-02-14")), "a Saturday worked");
        assert!(!c.is_working_day(day("2026-02-16")), "a Monday off");
        assert!(!c.is_working_day(day("2026-03-01")), "a plain Sunday");
        // From Friday 2-13: Sat 2-14 is the 1st, then nothing until Tue 2-24.
        assert_eq!(c.add_working_days(day("2026-02-13"), 1), day("2026-02-14"));
        assert_eq!(c.add_working_days(day("2026-02-13"), 2), day("2026-02-24"));
        assert_eq!(c.add_working_days(day("2026-02-13"), 0), day("2026-02-13"));
        assert_eq!(
            c.working_days_between(day("2026-02-13"), day("2026-02-24")),
            2
        );
        assert!(c.covers(2026) && !c.covers(2027));
        assert_eq!(c.uncovered(day("2026-12-01"), day("2027-01-20")), [2027]);
        assert_eq!(
            c.official(day("2026-02-16")),
            Some((DayKind::Holiday, "春节"))
        );
    }

    #[test]
    fn day_words() {
        for k in [DayKind::Holiday, DayKind::Workday] {
            assert_eq!(DayKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DayKind::parse("班"), Some(DayKind::Workday));
        assert_eq!(DayKind::parse("周末"), None);
    }

    proptest! {
        /// Adding n working days lands on a working day exactly n working days later, and
        /// more days never land earlier.
        #[test]
        fn adding_and_counting_agree(offset in 0i64..800, n in 0u32..60, m in 0u32..60) {
            let c = spring_2026();
            let from = day("2025-12-01") + Duration::days(offset);
            let to = c.add_working_days(from, n);
            prop_assert_eq!(c.working_days_between(from, to), n);
            if n > 0 {
                prop_assert!(c.is_working_day(to));
            }
            prop_assert!(c.add_working_days(from, n.max(m)) >= c.add_working_days(from, n.min(m)));
        }
    }
}
