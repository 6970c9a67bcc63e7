//! Planning an import of administrative units (区划导入): which rows are wrong and why, which
//! units are new, which changed (a rename or a move opens a new version), and the child counts
//! that result. Pure: the store executes the plan in one transaction, so a file with any bad row
//! changes nothing unless the caller chose to skip bad rows.

use std::collections::HashMap;
use std::fmt;

use crate::region::{Level, RegionCode, RegionKind};

/// Longest accepted unit name, in characters (the longest real NBS name has about 40).
pub const MAX_NAME_CHARS: usize = 100;

/// Where a row came from: the index of its file in the import and its row number as a
/// spreadsheet shows it (the header is row 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowRef {
    pub file: usize,
    pub row: u64,
}

/// A row as read from a file, before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceRow {
    pub code: String,
    pub name: String,
    pub level: Option<String>,
    pub parent_code: Option<String>,
}

/// A row that passed the checks of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub at: RowRef,
    pub code: RegionCode,
    pub name: String,
    pub parent: Option<RegionCode>,
    pub kind: RegionKind,
}

impl Candidate {
    pub fn level(&self) -> Level {
        self.code.level()
    }
}

/// What the database already holds for a unit in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingUnit {
    pub name: String,
    pub parent: Option<RegionCode>,
    pub children_count: u32,
}

/// Why a row is refused; shown to people, so the messages are Chinese and name the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    MalformedCode(String),
    EmptyName,
    NameTooLong(usize),
    UnknownLevel(String),
    LevelMismatch {
        declared: Level,
        actual: Level,
    },
    MalformedParent(String),
    ParentMismatch {
        given: String,
        expected: String,
    },
    /// The code already appeared at `first` (possibly in another file of the same import).
    DuplicateCode {
        first: RowRef,
        same_file: bool,
    },
    MissingParent(String),
}

impl Problem {
    /// The message, naming the other file of a duplicate from `files` (the import's file names).
    pub fn message(&self, files: &[String]) -> String {
        match self {
            Problem::DuplicateCode {
                first,
                same_file: false,
            } => match files.get(first.file) {
                Some(name) => format!("区划代码重复（与 {name} 第 {} 行相同）", first.row),
                None => self.to_string(),
            },
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::MalformedCode(c) if c.is_empty() => write!(f, "区划代码为空"),
            Problem::MalformedCode(c) => write!(
                f,
                "区划代码“{c}”格式不正确（应为 2、4、6、9 或 12 位数字，且省级段不为 0）"
            ),
            Problem::EmptyName => write!(f, "名称为空"),
            Problem::NameTooLong(n) => {
                write!(f, "名称过长（{n} 个字，最多 {MAX_NAME_CHARS} 个字）")
            }
            Problem::UnknownLevel(l) => write!(
                f,
                "级别“{l}”无法识别（应为 province/city/county/township/village 或 省级/地级/县级/乡级/村级）"
            ),
            Problem::LevelMismatch { declared, actual } => write!(
                f,
                "级别填写为“{}”，但区划代码表示“{}”",
                declared.label(),
                actual.label()
            ),
            Problem::MalformedParent(c) => write!(f, "上级代码“{c}”格式不正确"),
            Problem::ParentMismatch { given, expected } => write!(
                f,
                "上级代码“{given}”与区划代码不符（按代码应为 {expected}）"
            ),
            Problem::DuplicateCode {
                first,
                same_file: true,
            } => write!(f, "区划代码重复（与第 {} 行相同）", first.row),
            Problem::DuplicateCode { first, .. } => {
                write!(f, "区划代码重复（与另一文件第 {} 行相同）", first.row)
            }
            Problem::MissingParent(c) => {
                write!(f, "上级单位 {c} 不存在（既不在导入文件中，也不在系统中）")
            }
        }
    }
}

/// The checks a row passes on its own: code, name, declared level, declared parent.
pub fn check_row(at: RowRef, row: &SourceRow) -> Result<Candidate, Problem> {
    let code =
        RegionCode::parse(&row.code).map_err(|_| Problem::MalformedCode(row.code.trim().into()))?;
    let name = row.name.trim();
    if name.is_empty() {
        return Err(Problem::EmptyName);
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(Problem::NameTooLong(chars));
    }
    if let Some(raw) = row.level.as_deref().filter(|l| !l.trim().is_empty()) {
        let declared = Level::parse(raw).ok_or_else(|| Problem::UnknownLevel(raw.trim().into()))?;
        if declared != code.level() {
            return Err(Problem::LevelMismatch {
                declared,
                actual: code.level(),
            });
        }
    }
    let parent = code.parent();
    if let Some(raw) = row.parent_code.as_deref().filter(|p| !p.trim().is_empty()) {
        let given =
            RegionCode::parse(raw).map_err(|_| Problem::MalformedParent(raw.trim().into()))?;
        if Some(&given) != parent.as_ref() {
            return Err(Problem::ParentMismatch {
                given: raw.trim().into(),
                expected: parent
                    .map_or_else(|| "（无，省级单位没有上级）".into(), |p| p.to_string()),
            });
        }
    }
    Ok(Candidate {
        at,
        kind: RegionKind::derive(code.level(), name),
        name: name.to_owned(),
        parent,
        code,
    })
}

/// The outcome of planning: what to write and what is wrong.
#[derive(Debug, Default)]
pub struct ImportPlan {
    /// Codes not in force in the database.
    pub inserts: Vec<Candidate>,
    /// Codes in force whose name or parent changed: the current version closes, a new one opens.
    pub changes: Vec<Candidate>,
    /// Rows identical to what is in force.
    pub unchanged: usize,
    /// Rows repeating an earlier row of the import exactly (same code, same name): ignored. The
    /// NBS level files list a city without districts once as a city and once as a county.
    pub repeated: usize,
    /// Refused rows, in file and row order.
    pub problems: Vec<(RowRef, Problem)>,
    /// Child counts of every unit in force after the import whose count differs from what the
    /// database holds (new and changed units always appear).
    pub children_counts: HashMap<RegionCode, u32>,
}

impl ImportPlan {
    pub fn rows_to_write(&self) -> usize {
        self.inserts.len() + self.changes.len()
    }
}

/// Checks every row, then the rows against each other and against what is in force.
pub fn plan(
    rows: impl IntoIterator<Item = (RowRef, SourceRow)>,
    existing: &HashMap<RegionCode, ExistingUnit>,
) -> ImportPlan {
    let mut out = ImportPlan::default();
    let mut accepted: Vec<Candidate> = Vec::new();
    // Code → index in `accepted` of its first row.
    let mut first_seen: HashMap<RegionCode, usize> = HashMap::new();
    for (at, row) in rows {
        match check_row(at, &row) {
            Err(p) => out.problems.push((at, p)),
            Ok(c) => match first_seen.get(&c.code).map(|&i| &accepted[i]) {
                Some(first) if first.name == c.name => out.repeated += 1,
                Some(first) => out.problems.push((
                    at,
                    Problem::DuplicateCode {
                        first: first.at,
                        same_file: first.at.file == at.file,
                    },
                )),
                None => {
                    first_seen.insert(c.code, accepted.len());
                    accepted.push(c);
                }
            },
        }
    }
    // A parent must be in force already or arrive in the same import.
    accepted.retain(|c| match &c.parent {
        Some(p) if !first_seen.contains_key(p) && !existing.contains_key(p) => {
            out.problems
                .push((c.at, Problem::MissingParent(p.as_str().to_owned())));
            false
        }
        _ => true,
    });
    // A row dropped above can orphan rows below it; repeat until the tree is closed.
    loop {
        let kept: std::collections::HashSet<&RegionCode> =
            accepted.iter().map(|c| &c.code).collect();
        let orphans: Vec<(RowRef, String)> = accepted
            .iter()
            .filter_map(|c| {
                let p = c.parent.as_ref()?;
                (!kept.contains(p) && !existing.contains_key(p))
                    .then(|| (c.at, p.as_str().to_owned()))
            })
            .collect();
        if orphans.is_empty() {
            break;
        }
        let gone: std::collections::HashSet<RowRef> = orphans.iter().map(|(at, _)| *at).collect();
        accepted.retain(|c| !gone.contains(&c.at));
        out.problems.extend(
            orphans
                .into_iter()
                .map(|(at, p)| (at, Problem::MissingParent(p))),
        );
    }
    out.problems.sort_by_key(|(at, _)| *at);

    for c in accepted {
        match existing.get(&c.code) {
            None => out.inserts.push(c),
            Some(e) if e.name == c.name && e.parent == c.parent => out.unchanged += 1,
            Some(_) => out.changes.push(c),
        }
    }
    out.children_counts = children_counts(&out, existing);
    out
}

/// Child counts after the import, kept only where they differ from the stored count or where
/// the unit gets a new row.
fn children_counts(
    plan: &ImportPlan,
    existing: &HashMap<RegionCode, ExistingUnit>,
) -> HashMap<RegionCode, u32> {
    let moved: HashMap<&RegionCode, &Candidate> =
        plan.changes.iter().map(|c| (&c.code, c)).collect();
    let mut counts: HashMap<RegionCode, u32> = HashMap::new();
    let parents = existing
        .iter()
        .filter(|(code, _)| !moved.contains_key(code))
        .filter_map(|(_, e)| e.parent.as_ref())
        .chain(
            plan.inserts
                .iter()
                .chain(&plan.changes)
                .filter_map(|c| c.parent.as_ref()),
        );
    for p in parents {
        *counts.entry(*p).or_default() += 1;
    }
    let written: std::collections::HashSet<&RegionCode> = plan
        .inserts
        .iter()
        .chain(&plan.changes)
        .map(|c| &c.code)
        .collect();
    let mut result: HashMap<RegionCode, u32> = written
        .iter()
        .map(|code| (**code, counts.get(*code).copied().unwrap_or(0)))
        .collect();
    for (code, e) in existing {
        let now = counts.get(code).copied().unwrap_or(0);
        if now != e.children_count && !written.contains(code) {
            result.insert(*code, now);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(code: &str, name: &str) -> SourceRow {
        SourceRow {
            code: code.into(),
            name: name.into(),
            ..Default::default()
        }
    }

    fn at(row: u64) -> RowRef {
        RowRef { file: 0, row }
    }

    fn numbered(rows: Vec<SourceRow>) -> Vec<(RowRef, SourceRow)> {
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| (at(i as u64 + 2), r))
            .collect()
    }

    #[test]
    fn a_clean_tree_is_all_inserts_with_counts() {
        let p = plan(
            numbered(vec![
                row("12", "天津市"),
                row("1201", "市辖区"),
                row("120101", "和平区"),
                row("120102", "河东区"),
            ]),
            &HashMap::new(),
        );
        assert!(p.problems.is_empty());
        assert_eq!(p.inserts.len(), 4);
        let c = |s: &str| p.children_counts[&RegionCode::parse(s).unwrap()];
        assert_eq!((c("12"), c("1201"), c("120101")), (1, 2, 0));
    }

    #[test]
    fn every_kind_of_bad_row_is_named() {
        let mut lvl = row("120101", "和平区");
        lvl.level = Some("township".into());
        let mut par = row("120102", "河东区");
        par.parent_code = Some("13".into());
        let p = plan(
            numbered(vec![
                row("12", "天津市"),
                row("1201", "市辖区"),
                row("12x", "坏代码"),
                row("120103", "  "),
                lvl,
                par,
                row("1201", "重复"),
                row("120201", "无上级"),
                row("120201001", "孤儿街道"),
            ]),
            &HashMap::new(),
        );
        let msgs: Vec<(u64, String)> = p
            .problems
            .iter()
            .map(|(a, pr)| (a.row, pr.to_string()))
            .collect();
        assert_eq!(msgs.len(), 7, "{msgs:?}");
        assert!(msgs[0].1.contains("12x"));
        assert_eq!(msgs[1].1, "名称为空");
        assert!(msgs[2].1.contains("乡级"));
        assert!(msgs[3].1.contains("120100000000"));
        assert!(msgs[4].1.contains("第 3 行"));
        assert!(msgs[5].1.contains("120200000000"));
        assert!(
            msgs[6].1.contains("120201000000"),
            "orphan of a refused row"
        );
        assert_eq!(p.inserts.len(), 2);
    }

    #[test]
    fn an_exact_repeat_is_ignored_but_a_different_name_is_not() {
        let rows = vec![
            (at(2), row("44", "广东省")),
            (at(3), row("4419", "东莞市")),
            (RowRef { file: 1, row: 2 }, row("441900", "东莞市")),
            (RowRef { file: 1, row: 3 }, row("441900003", "东城街道")),
            (RowRef { file: 1, row: 4 }, row("4419", "莞城")),
        ];
        let p = plan(rows, &HashMap::new());
        assert_eq!(p.repeated, 1);
        assert_eq!(p.inserts.len(), 3);
        assert_eq!(p.problems.len(), 1);
        let files = ["cities.csv".to_string(), "areas.csv".to_string()];
        assert_eq!(
            p.problems[0].1.message(&files),
            "区划代码重复（与 cities.csv 第 3 行相同）"
        );
        assert_eq!(p.children_counts[&RegionCode::parse("4419").unwrap()], 1);
    }

    #[test]
    fn renames_become_changes_and_same_rows_are_unchanged() {
        let mut existing = HashMap::new();
        existing.insert(
            RegionCode::parse("12").unwrap(),
            ExistingUnit {
                name: "天津市".into(),
                parent: None,
                children_count: 1,
            },
        );
        existing.insert(
            RegionCode::parse("1201").unwrap(),
            ExistingUnit {
                name: "市辖区".into(),
                parent: Some(RegionCode::parse("12").unwrap()),
                children_count: 0,
            },
        );
        let p = plan(
            numbered(vec![
                row("12", "天津市"),
                row("1201", "天津市辖区"),
                row("120101", "和平区"),
            ]),
            &existing,
        );
        assert_eq!(p.unchanged, 1);
        assert_eq!(p.changes.len(), 1);
        assert_eq!(p.inserts.len(), 1);
        assert_eq!(p.children_counts[&RegionCode::parse("1201").unwrap()], 1);
        assert!(
            !p.children_counts
                .contains_key(&RegionCode::parse("12").unwrap())
        );
    }

    proptest! {
        /// Whatever rows come in, every accepted unit's parent is in force or accepted, every
        /// row is accounted for exactly once, and the counts match a direct count.
        #[test]
        fn plans_are_closed_and_complete(codes in proptest::collection::vec((1u8..3, 0u8..3, 0u8..3, any::<bool>()), 0..40)) {
            let rows: Vec<SourceRow> = codes.iter().map(|(p, c, d, blank)| {
                let mut s = format!("{p:02}");
                if *c > 0 { s.push_str(&format!("{c:02}")); if *d > 0 { s.push_str(&format!("{d:02}")); } }
                row(&s, if *blank { "" } else { "单位" })
            }).collect();
            let n = rows.len();
            let p = plan(numbered(rows), &HashMap::new());
            prop_assert_eq!(p.inserts.len() + p.problems.len() + p.repeated, n);
            let accepted: std::collections::HashSet<_> = p.inserts.iter().map(|c| c.code).collect();
            for c in &p.inserts {
                if let Some(parent) = &c.parent { prop_assert!(accepted.contains(parent)); }
                let direct = p.inserts.iter().filter(|x| x.parent.as_ref() == Some(&c.code)).count() as u32;
                prop_assert_eq!(p.children_counts[&c.code], direct);
            }
        }
    }
}
