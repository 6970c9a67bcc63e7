//! A sign rule set as civil affairs hands it in: one row per allowed sign — its name (XX for
//! the unit's own name), outside or inside, village / community / both, and a note. Every bad
//! row is named with its column; a table with any bad row yields no rules.

use jianfu_domain::catalog::Applicability;
use jianfu_domain::signage::{Position, SignRule};

use crate::directory::{RowError, find};
use crate::table::Table;

const NAME: &[&str] = &["name", "标牌名称", "名称", "牌子名称"];
const POSITION: &[&str] = &["position", "位置", "悬挂位置"];
const APPLIES: &[&str] = &["applicability", "适用", "适用范围", "适用对象"];
const NOTE: &[&str] = &["note", "备注", "说明"];

/// The rules a table names, in its order; any bad row and none.
pub fn sign_rules(table: &Table) -> Result<Vec<SignRule>, Vec<RowError>> {
    let at = |names: &[&str]| find(&table.headers, names);
    let (name, position, applies, note) = (at(NAME), at(POSITION), at(APPLIES), at(NOTE));
    let missing: Vec<RowError> = [(name, "标牌名称"), (position, "位置")]
        .into_iter()
        .filter(|(i, _)| i.is_none())
        .map(|(_, header)| RowError {
            row: 1,
            column: Some(header.into()),
            message: format!(
                "缺少“{header}”列：应有 标牌名称、位置（外部/内部）、适用（村/社区/村和社区）、备注 四列"
            ),
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let (mut rules, mut errors) = (Vec::new(), Vec::new());
    for (row, cells) in &table.rows {
        let cell = |i: Option<usize>| {
            i.and_then(|i| cells.get(i))
                .map(|c| c.trim())
                .unwrap_or_default()
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let bad = |i: Option<usize>, message: String| RowError {
            row: *row,
            column: i
                .and_then(|i| table.headers.get(i))
                .map(|h| h.trim().to_owned()),
            message,
        };
        let n = cell(name);
        if n.is_empty() {
            errors.push(bad(name, "标牌名称不能为空".into()));
            continue;
        }
        let Some(p) = Position::parse(cell(position)) else {
            let raw = cell(position);
            errors.push(bad(
                position,
                format!("“{raw}”不是有效的位置：应填写“外部”或“内部”"),
            ));
            continue;
        };
        let Some(a) = Applicability::parse(cell(applies)) else {
            let raw = cell(applies);
            errors.push(bad(
                applies,
                format!("“{raw}”不是有效的适用范围：应填写“村”“社区”或“村和社区”"),
            ));
            continue;
        };
        rules.push(SignRule {
            name: n.to_owned(),
            position: p,
            applicability: a,
            note: cell(note).to_owned(),
        });
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Table {
        Table {
            headers: ["标牌名称", "位置", "适用", "备注"]
                .map(String::from)
                .to_vec(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(n, r)| (n as u64 + 2, r.iter().map(|c| c.to_string()).collect()))
                .collect(),
        }
    }

    #[test]
    fn rows_become_rules_in_order() {
        let rules = sign_rules(&table(&[
            &["XX便民服务中心", "外部", "村和社区", "一横"],
            &["XX村民委员会", "外部", "村", ""],
            &["", "", "", ""],
            &["党员活动室", "内部", "", ""],
        ]))
        .unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[1].applicability, Applicability::Village);
        assert_eq!(rules[2].position, Position::Inside);
        assert_eq!(rules[2].applicability, Applicability::Both);
    }

    #[test]
    fn every_bad_row_is_named_with_its_column() {
        let errors = sign_rules(&table(&[
            &["XX便民服务中心", "门口", "村", ""],
            &["", "外部", "村", ""],
            &["党徽", "外部", "街道", ""],
        ]))
        .unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{shown:?}");
        assert_eq!(
            (errors[0].row, errors[0].column.as_deref()),
            (2, Some("位置"))
        );
        assert_eq!(errors[1].row, 3);
        assert_eq!(
            (errors[2].row, errors[2].column.as_deref()),
            (4, Some("适用"))
        );
        let missing = sign_rules(&Table {
            headers: vec!["名称".into()],
            rows: vec![],
        })
        .unwrap_err();
        assert_eq!(missing.len(), 1);
        assert!(missing[0].message.contains("位置"));
    }
}
