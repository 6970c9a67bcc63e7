//! The holiday calendar as an administrator hands it in: a table with a date, whether the day
//! is a holiday or a make-up working day, and the holiday's name — the shipped file's columns
//! (`date,type,name_zh`) or Chinese headers (日期, 类型 休/班, 名称). Every bad row is named.

use jianfu_domain::workday::{DayKind, OfficialDay};

use crate::directory::{RowError, find, parse_date};
use crate::table::Table;

const DATE: &[&str] = &["date", "日期"];
const KIND: &[&str] = &["type", "类型", "休/班"];
const NAME: &[&str] = &["name_zh", "名称", "节日"];

/// The days a calendar table names; any bad row and none.
pub fn official_days(table: &Table) -> Result<Vec<OfficialDay>, Vec<RowError>> {
    let at = |names: &[&str]| find(&table.headers, names);
    let (date, kind, name) = (at(DATE), at(KIND), at(NAME));
    let missing: Vec<RowError> = [(date, "日期"), (kind, "类型")]
        .into_iter()
        .filter(|(i, _)| i.is_none())
        .map(|(_, header)| RowError {
            row: 1,
            column: Some(header.into()),
            message: format!("缺少“{header}”列：应有 日期、类型（休/班）、名称 三列"),
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let (mut days, mut errors) = (Vec::new(), Vec::new());
    let mut seen = std::collections::BTreeMap::new();
    for (row, cells) in &table.rows {
        let cell = |i: Option<usize>| {
            i.and_then(|i| cells.get(i))
                .map(|c| c.trim())
                .unwrap_or_default()
        };
        let bad = |i: Option<usize>, message: String| RowError {
            row: *row,
            column: i
                .and_then(|i| table.headers.get(i))
                .map(|h| h.trim().to_owned()),
            message,
        };
        let raw = cell(date);
        let Some(day) = parse_date(raw) else {
            errors.push(bad(
                date,
                format!("“{raw}”不是有效的日期：应写作 2027-01-01"),
            ));
            continue;
        };
        let Some(k) = DayKind::parse(cell(kind)) else {
            let raw = cell(kind);
            errors.push(bad(
                kind,
                format!("“{raw}”不是有效的类型：应填写“休”或“班”"),
            ));
            continue;
        };
        if let Some(first) = seen.insert(day, *row) {
            errors.push(bad(date, format!("{day} 与第 {first} 行重复")));
            continue;
        }
        days.push(OfficialDay {
            date: day,
            kind: k,
            name: cell(name).to_owned(),
        });
    }
    if errors.is_empty() {
        Ok(days)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::table_from_bytes;

    #[test]
    fn the_shipped_calendar_reads_whole() {
        let bytes = include_bytes!("../../../data/calendar/cn-official-days.csv").to_vec();
        let days = official_days(&table_from_bytes("days.csv", bytes).unwrap()).unwrap();
        assert_eq!(days.len(), 769);
        let calendar = jianfu_domain::workday::Calendar::new(days);
        assert!(calendar.covers(2026) && !calendar.covers(2027));
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(calendar.is_working_day(d("2026-10-10")), "make-up Saturday");
        assert!(!calendar.is_working_day(d("2026-10-08") - chrono::Duration::days(2)));
    }

    #[test]
    fn every_bad_row_is_named() {
        let text = "日期,类型,名称\n2027-01-01,休,元旦\n2027-13-01,休,x\n2027-02-01,放羊,x\n2027-01-01,班,元旦\n";
        let errors: Vec<String> = official_days(&table_from_bytes("c.csv", text.into()).unwrap())
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "第 3 行“日期”列：“2027-13-01”不是有效的日期：应写作 2027-01-01",
                "第 4 行“类型”列：“放羊”不是有效的类型：应填写“休”或“班”",
                "第 5 行“日期”列：2027-01-01 与第 2 行重复",
            ]
        );
    }
}
