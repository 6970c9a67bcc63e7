//! Directory files (目录导入导出): tables of directory items read into the changes of a draft
//! adjustment, and the import template and published versions written as spreadsheets.
//!
//! Two formats are read, told apart by their headers:
//! - the reference-list format in which published lists are collected
//!   (`list_kind item_no item_name basis_or_note department source_url`): the code comes from the
//!   list's own numbering, everything else from the import's defaults;
//! - the platform's own template (Chinese headers, one column per item field), which is also what
//!   a downloaded version is written in, so a version can be edited and imported back.
//!
//! A file is all or nothing: every bad cell is reported with its row and column, and a single
//! error refuses the whole file. In the template format a new or modified row *is* the item from
//! then on, so every field column must be present — a hand-made file that leaves out a column
//! would otherwise silently blank that field of every item it modifies. Only the columns the
//! import has defaults for (操作, 生效日期, 来源, 演示数据) may be left out.
//!
//! Guide columns (所需材料…证明模板) belong to may-issue certificates and the refusal guidance to
//! must-not-issue certificates and prohibited tasks; the template of another directory does not
//! have them, and a file that fills them in for another directory is refused rather than having
//! its text dropped unseen.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use jianfu_domain::catalog::adjustment::Change;
use jianfu_domain::catalog::golden::{CaseVerdict, GoldenCase};
use jianfu_domain::catalog::{
    Applicability, DirectoryItem, DirectoryKind, DirectoryVersion, ItemCode, ServiceGuide,
};
use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties, ExcelDateTime,
    Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

use crate::table::Table;
use crate::xlsx::ExportError;

/// What a file does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportDefaults {
    pub valid_from: NaiveDate,
    pub source: String,
    pub is_demo: bool,
}

/// One row of a directory file and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The row number a spreadsheet shows (the header is row 1).
    pub row: u64,
    pub op: RowOp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOp {
    /// The file does not say: a modification if the code is in the version in force, otherwise
    /// an addition (see [`changes`]).
    Upsert(DirectoryItem),
    Add(DirectoryItem),
    Modify(DirectoryItem),
    Retire(ItemCode),
}

impl RowOp {
    pub fn code(&self) -> &ItemCode {
        match self {
            RowOp::Upsert(i) | RowOp::Add(i) | RowOp::Modify(i) => &i.code,
            RowOp::Retire(c) => c,
        }
    }
}

/// A bad cell (or a bad file, at row 1), in words an official can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: u64,
    /// The column's header as written in the file (or as the template names a missing one).
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "第 {} 行“{c}”列：{}", self.row, self.message),
            None => write!(f, "第 {} 行：{}", self.row, self.message),
        }
    }
}

/// The columns of the template, in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Op,
    Code,
    Name,
    Category,
    Basis,
    Department,
    VillageRole,
    Support,
    Applicability,
    ValidFrom,
    ValidTo,
    Materials,
    Conditions,
    Steps,
    TimeLimit,
    DemandingAgency,
    Template,
    Refusal,
    Source,
    Demo,
}

const GUIDE: [Col; 6] = [
    Col::Materials,
    Col::Conditions,
    Col::Steps,
    Col::TimeLimit,
    Col::DemandingAgency,
    Col::Template,
];

impl Col {
    const ALL: [Col; 20] = [
        Col::Op,
        Col::Code,
        Col::Name,
        Col::Category,
        Col::Basis,
        Col::Department,
        Col::VillageRole,
        Col::Support,
        Col::Applicability,
        Col::ValidFrom,
        Col::ValidTo,
        Col::Materials,
        Col::Conditions,
        Col::Steps,
        Col::TimeLimit,
        Col::DemandingAgency,
        Col::Template,
        Col::Refusal,
        Col::Source,
        Col::Demo,
    ];

    fn header(self, kind: DirectoryKind) -> &'static str {
        match self {
            Col::Op => "操作",
            Col::Code => "事项编码",
            Col::Name => "事项名称",
            Col::Category => "类别",
            Col::Basis => "法律政策依据",
            Col::Department => "责任部门",
            Col::VillageRole => "村（社区）职责",
            Col::Support => "保障措施（费随事转）",
            Col::Applicability => "适用范围",
            Col::ValidFrom => "生效日期",
            Col::ValidTo => "失效日期",
            Col::Materials => "所需材料",
            Col::Conditions => "办理条件",
            Col::Steps => "办理流程",
            Col::TimeLimit => "办理时限（工作日）",
            Col::DemandingAgency => "要求开具单位",
            Col::Template => "证明模板",
            Col::Refusal if kind == DirectoryKind::ProhibitedTask => "不予承接时的指引",
            Col::Refusal => "不予出具时的指引",
            Col::Source => "来源",
            Col::Demo => "演示数据",
        }
    }

    /// Other names a hand-made file may use (compared after [`normalize`]).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Col::Op => &["操作", "操作类型", "调整方式"],
            Col::Code => &["事项编码", "编码", "code"],
            Col::Name => &["事项名称", "名称", "name"],
            Col::Category => &["类别", "分类", "category"],
            Col::Basis => &["法律政策依据", "依据", "basis"],
            Col::Department => &["责任部门", "主管部门", "department"],
            Col::VillageRole => &["村（社区）职责", "村社区职责"],
            Col::Support => &["保障措施（费随事转）", "保障措施"],
            Col::Applicability => &["适用范围", "适用对象"],
            Col::ValidFrom => &["生效日期", "起始日期"],
            Col::ValidTo => &["失效日期", "截止日期"],
            Col::Materials => &["所需材料", "申请材料"],
            Col::Conditions => &["办理条件"],
            Col::Steps => &["办理流程"],
            Col::TimeLimit => &["办理时限（工作日）", "办理时限"],
            Col::DemandingAgency => &["要求开具单位"],
            Col::Template => &["证明模板", "证明样式"],
            Col::Refusal => &["不予出具时的指引", "不予承接时的指引"],
            Col::Source => &["来源", "source"],
            Col::Demo => &["演示数据", "是否演示数据"],
        }
    }

    /// Whether the column belongs to `kind`'s template.
    fn applies(self, kind: DirectoryKind) -> bool {
        match self {
            c if GUIDE.contains(&c) => kind == DirectoryKind::CertificateMayIssue,
            Col::Refusal => matches!(
                kind,
                DirectoryKind::CertificateMustNotIssue | DirectoryKind::ProhibitedTask
            ),
            _ => true,
        }
    }

    /// Columns the import has a default for; every other column of the kind is required.
    fn optional(self) -> bool {
        matches!(self, Col::Op | Col::ValidFrom | Col::Source | Col::Demo)
    }

    /// Whether its cells must be filled (for the instructions; checked row by row).
    fn must_fill(self) -> &'static str {
        match self {
            Col::Code => "是",
            Col::Name => "新增、修改时必填",
            _ => "否",
        }
    }

    fn width(self) -> f64 {
        match self {
            Col::Op | Col::Demo => 8.0,
            Col::Code | Col::ValidFrom | Col::ValidTo | Col::Applicability => 12.0,
            Col::TimeLimit => 10.0,
            Col::Name | Col::Department | Col::DemandingAgency | Col::Source => 24.0,
            Col::Category => 14.0,
            _ => 36.0,
        }
    }

    fn note(self, kind: DirectoryKind) -> String {
        let p = kind.code_prefix();
        match self {
            Col::Op => {
                "新增、修改或取消；留空时，事项编码已在现行目录中的视为修改，否则视为新增".into()
            }
            Col::Code => format!(
                "{p}-三至四位数字，例如 {p}-001；同一文件中不得重复；已发布事项的编码不要改动"
            ),
            Col::Name => "事项的名称".into(),
            Col::Category => "事项所属类别，例如“社会治安”“民政服务”".into(),
            Col::Basis => "法律、法规或政策文件的名称及条款".into(),
            Col::Department => "负责该事项的职能部门".into(),
            Col::VillageRole => "村（社区）在该事项中承担的工作".into(),
            Col::Support => "职能部门提供的经费、培训等保障（费随事转）".into(),
            Col::Applicability => "村、社区或村和社区；留空为村和社区".into(),
            Col::ValidFrom => {
                "例如 2024-01-01，也可写 2024/1/1 或 2024年1月1日；留空为导入时指定的生效日期"
                    .into()
            }
            Col::ValidTo => "留空表示长期有效；不得早于生效日期".into(),
            Col::Materials => "居民需要提交的材料".into(),
            Col::Conditions => "出具证明需满足的条件".into(),
            Col::Steps => "办理步骤".into(),
            Col::TimeLimit => "整数，单位为工作日，例如 3".into(),
            Col::DemandingAgency => "要求居民提交该证明的单位".into(),
            Col::Template => "证明的文字模板".into(),
            Col::Refusal => "村（社区）不予办理时，告诉居民或部门应到何处办理".into(),
            Col::Source => "事项出处（发文名称或网址）；留空为导入时指定的来源".into(),
            Col::Demo => {
                "是或否；“是”表示仅用于演示、并非正式发布的事项；留空按导入时的设置".into()
            }
        }
    }

    /// The cell's text for `item` (dates as YYYY-MM-DD).
    fn text(self, item: &DirectoryItem) -> String {
        let guide = item.guide.as_ref();
        let g = |f: fn(&ServiceGuide) -> &String| guide.map(|g| f(g).clone()).unwrap_or_default();
        match self {
            Col::Op => String::new(),
            Col::Code => item.code.to_string(),
            Col::Name => item.name.clone(),
            Col::Category => item.category.clone(),
            Col::Basis => item.basis.clone(),
            Col::Department => item.department.clone(),
            Col::VillageRole => item.village_role.clone(),
            Col::Support => item.support.clone(),
            Col::Applicability => item.applicability.label().into(),
            Col::ValidFrom => item.valid_from.to_string(),
            Col::ValidTo => item.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            Col::Materials => g(|g| &g.materials),
            Col::Conditions => g(|g| &g.conditions),
            Col::Steps => g(|g| &g.steps),
            Col::TimeLimit => guide
                .and_then(|g| g.time_limit_days)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            Col::DemandingAgency => g(|g| &g.demanding_agency),
            Col::Template => g(|g| &g.template),
            Col::Refusal => item.refusal_guidance.clone().unwrap_or_default(),
            Col::Source => item.source.clone(),
            Col::Demo => if item.is_demo { "是" } else { "否" }.into(),
        }
    }
}

fn columns(kind: DirectoryKind) -> Vec<Col> {
    Col::ALL.into_iter().filter(|c| c.applies(kind)).collect()
}

/// Headers compare without blanks, case, full-width parentheses or a required-marking `*`.
fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

pub(crate) fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    let names: Vec<String> = names.iter().map(|n| normalize(n)).collect();
    headers.iter().position(|h| names.contains(&normalize(h)))
}

const LIST_KIND: &[&str] = &["list_kind", "清单类型", "清单名称", "清单"];
const ITEM_NO: &[&str] = &["item_no", "序号", "编号"];
const ITEM_NAME: &[&str] = &["item_name", "事项名称", "名称"];
const BASIS: &[&str] = &[
    "basis_or_note",
    "依据",
    "法律政策依据",
    "依据或备注",
    "备注",
];
const DEPARTMENT: &[&str] = &["department", "责任部门", "主管部门"];
const SOURCE: &[&str] = &["source_url", "来源", "来源网址"];

/// The directory a published list's name (`list_kind`) belongs to, when its words say so. The
/// order matters: 不应出具 before 可出具 and 不得, 不得 before 协助 (不得交由村（社区）承担的协助
/// 事项), and the loose 保留 last (保留的工作机制牌子 is a sign).
pub fn kind_of_list(list_kind: &str) -> Option<DirectoryKind> {
    use DirectoryKind::*;
    const WORDS: [(&[&str], DirectoryKind); 8] = [
        (
            &["不应出具", "不予出具", "不得出具"],
            CertificateMustNotIssue,
        ),
        (&["可出具"], CertificateMayIssue),
        (&["不得", "禁止"], ProhibitedTask),
        (&["协助"], Assistance),
        (&["履职"], Duty),
        (&["机制", "牌子"], MechanismSign),
        (&["公共服务"], PublicService),
        (&["保留"], CertificateMayIssue),
    ];
    WORDS
        .iter()
        .find(|(words, _)| words.iter().any(|w| list_kind.contains(w)))
        .map(|(_, kind)| *kind)
}

/// One row's cells and the errors found in them.
pub(crate) struct Cells<'a> {
    row: u64,
    cells: &'a [String],
    headers: &'a [String],
    /// With the column's index, to report them left to right.
    errors: Vec<(Option<usize>, RowError)>,
}

impl<'a> Cells<'a> {
    pub(crate) fn new(row: u64, cells: &'a [String], headers: &'a [String]) -> Self {
        Cells {
            row,
            cells,
            headers,
            errors: Vec::new(),
        }
    }

    pub(crate) fn get(&self, at: Option<usize>) -> &str {
        at.and_then(|i| self.cells.get(i))
            .map_or("", |c| unguarded(c.trim()))
    }

    pub(crate) fn fail(&mut self, at: Option<usize>, message: String) {
        let column = at.and_then(|i| self.headers.get(i));
        self.errors.push((
            at,
            RowError {
                row: self.row,
                column: column.map(|h| h.trim().to_owned()),
                message,
            },
        ));
    }

    pub(crate) fn ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Moves this row's errors, in column order, to the file's.
    pub(crate) fn report(mut self, into: &mut Vec<RowError>) {
        self.errors.sort_by_key(|(at, _)| *at);
        into.extend(self.errors.into_iter().map(|(_, e)| e));
    }
}

/// Reads a directory file for a draft of `kind`: every row, or every error.
pub fn directory_rows(
    table: &Table,
    kind: DirectoryKind,
    defaults: &ImportDefaults,
) -> Result<Vec<ImportRow>, Vec<RowError>> {
    let file_error = |message: String| {
        Err(vec![RowError {
            row: 1,
            column: None,
            message,
        }])
    };
    let native =
        find(&table.headers, Col::Code.aliases()).or(find(&table.headers, Col::Op.aliases()));
    let reference = find(&table.headers, ITEM_NO).or(find(&table.headers, LIST_KIND));
    let rows = if native.is_some() {
        template_rows(table, kind, defaults)
    } else if reference.is_some() {
        reference_rows(table, kind, defaults)
    } else {
        return file_error(
            "无法识别表格格式：应包含“事项编码”列（平台导入模板）或“item_no”“序号”列（清单格式）"
                .into(),
        );
    }?;
    if rows.is_empty() {
        return file_error("表格中没有任何事项：第一行为表头，事项从第二行起填写".into());
    }
    Ok(rows)
}

/// Remembers the first row of each code, to name it when the code comes again.
#[derive(Default)]
pub(crate) struct Seen(BTreeMap<ItemCode, u64>);

impl Seen {
    pub(crate) fn first(&mut self, code: &ItemCode, row: u64) -> Option<u64> {
        match self.0.get(code) {
            Some(first) => Some(*first),
            None => {
                self.0.insert(*code, row);
                None
            }
        }
    }
}

fn finish(rows: Vec<ImportRow>, errors: Vec<RowError>) -> Result<Vec<ImportRow>, Vec<RowError>> {
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

fn reference_rows(
    table: &Table,
    kind: DirectoryKind,
    defaults: &ImportDefaults,
) -> Result<Vec<ImportRow>, Vec<RowError>> {
    let h = &table.headers;
    let (no, name) = (find(h, ITEM_NO), find(h, ITEM_NAME));
    let missing: Vec<RowError> = [(no, "item_no（序号）"), (name, "item_name（事项名称）")]
        .into_iter()
        .filter(|(at, _)| at.is_none())
        .map(|(_, label)| RowError {
            row: 1,
            column: Some(label.into()),
            message: format!("缺少“{label}”列"),
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let (list_kind, basis, department, source) = (
        find(h, LIST_KIND),
        find(h, BASIS),
        find(h, DEPARTMENT),
        find(h, SOURCE),
    );
    let (mut rows, mut errors, mut seen) = (Vec::new(), Vec::new(), Seen::default());
    for (row, cells) in &table.rows {
        let mut c = Cells::new(*row, cells, h);
        let category = c.get(list_kind).to_owned();
        if let Some(other) = kind_of_list(&category)
            && other != kind
        {
            c.fail(
                list_kind,
                format!(
                    "清单类型“{category}”属于“{}”，不能导入“{}”目录",
                    other.label(),
                    kind.label()
                ),
            );
        }
        let raw_no = c.get(no).to_owned();
        let code = match raw_no.parse::<u32>() {
            Ok(n) if (1..=9999).contains(&n) => Some(ItemCode::numbered(kind, n)),
            _ => {
                c.fail(no, format!("序号“{raw_no}”应为 1 至 9999 的整数"));
                None
            }
        };
        if let Some(code) = &code
            && let Some(first) = seen.first(code, *row)
        {
            c.fail(no, format!("序号 {raw_no} 与第 {first} 行重复"));
        }
        let item_name = c.get(name).to_owned();
        if item_name.is_empty() {
            c.fail(name, "事项名称不能为空".into());
        }
        let item_source = match c.get(source) {
            "" => defaults.source.clone(),
            s => s.to_owned(),
        };
        match code {
            Some(code) if c.ok() => rows.push(ImportRow {
                row: *row,
                op: RowOp::Upsert(DirectoryItem {
                    code,
                    name: item_name,
                    category,
                    basis: c.get(basis).to_owned(),
                    department: c.get(department).to_owned(),
                    village_role: String::new(),
                    support: String::new(),
                    applicability: Applicability::Both,
                    valid_from: defaults.valid_from,
                    valid_to: None,
                    guide: None,
                    refusal_guidance: None,
                    source: item_source,
                    is_demo: defaults.is_demo,
                }),
            }),
            _ => c.report(&mut errors),
        }
    }
    finish(rows, errors)
}

fn template_rows(
    table: &Table,
    kind: DirectoryKind,
    defaults: &ImportDefaults,
) -> Result<Vec<ImportRow>, Vec<RowError>> {
    let h = &table.headers;
    let at: Vec<Option<usize>> = Col::ALL.iter().map(|c| find(h, c.aliases())).collect();
    let at = |col: Col| at[col as usize];
    let missing: Vec<RowError> = columns(kind)
        .into_iter()
        .filter(|c| !c.optional() && at(*c).is_none())
        .map(|c| RowError {
            row: 1,
            column: Some(c.header(kind).into()),
            message: format!(
                "缺少“{}”列：请使用{}的导入模板（新增、修改时整行即为事项的全部内容，缺少的列会清空该项内容）",
                c.header(kind),
                kind.label()
            ),
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let (mut rows, mut errors, mut seen) = (Vec::new(), Vec::new(), Seen::default());
    for (row, cells) in &table.rows {
        let mut c = Cells::new(*row, cells, h);
        let text = |c: &Cells, col: Col| c.get(at(col)).to_owned();

        let op = match c.get(at(Col::Op)) {
            "" => Some(Op::Upsert),
            "新增" | "增加" | "添加" => Some(Op::Add),
            "修改" | "变更" => Some(Op::Modify),
            "取消" | "删除" | "废止" => Some(Op::Retire),
            other => {
                let other = other.to_owned();
                c.fail(
                    at(Col::Op),
                    format!("“{other}”不是有效的操作：应填写“新增”“修改”“取消”，或留空"),
                );
                None
            }
        };
        let code = match c.get(at(Col::Code)).to_owned() {
            raw if raw.is_empty() => {
                let example = ItemCode::numbered(kind, 1);
                c.fail(at(Col::Code), format!("事项编码不能为空（例如 {example}）"));
                None
            }
            raw => ItemCode::parse(kind, &raw)
                .map_err(|e| c.fail(at(Col::Code), e))
                .ok(),
        };
        if let Some(code) = &code
            && let Some(first) = seen.first(code, *row)
        {
            c.fail(
                at(Col::Code),
                format!("事项编码 {code} 与第 {first} 行重复"),
            );
        }
        // A retirement needs only the code; whatever else the row says is not read.
        if op == Some(Op::Retire) {
            match code {
                Some(code) if c.ok() => rows.push(ImportRow {
                    row: *row,
                    op: RowOp::Retire(code),
                }),
                _ => c.report(&mut errors),
            }
            continue;
        }

        let name = text(&c, Col::Name);
        if name.is_empty() {
            c.fail(at(Col::Name), "事项名称不能为空".into());
        }
        let raw = text(&c, Col::Applicability);
        let applicability = Applicability::parse(&raw).unwrap_or_else(|| {
            c.fail(
                at(Col::Applicability),
                format!("“{raw}”不是有效的适用范围：应填写“村”“社区”或“村和社区”"),
            );
            Applicability::Both
        });
        let date = |c: &mut Cells, col: Col| match c.get(at(col)).to_owned() {
            raw if raw.is_empty() => Ok(None),
            raw => parse_date(&raw).map(Some).ok_or_else(|| {
                c.fail(
                    at(col),
                    format!("“{raw}”不是有效的日期：应写作 2024-01-01、2024/1/1 或 2024年1月1日"),
                )
            }),
        };
        let valid_from = date(&mut c, Col::ValidFrom).map(|d| d.unwrap_or(defaults.valid_from));
        let valid_to = date(&mut c, Col::ValidTo);
        if let (Ok(from), Ok(Some(to))) = (valid_from, valid_to)
            && to < from
        {
            c.fail(
                at(Col::ValidTo),
                format!("失效日期 {to} 早于生效日期 {from}"),
            );
        }

        for col in [GUIDE.as_slice(), &[Col::Refusal]].concat() {
            if !col.applies(kind) && !c.get(at(col)).is_empty() {
                let which = if col == Col::Refusal {
                    "不予办理时的指引只属于不应出具证明事项和不得交由村（社区）承担的事项"
                } else {
                    "办事指南只属于可出具证明事项"
                };
                c.fail(
                    at(col),
                    format!("{}目录不填写此列：{which}，请清空", kind.label()),
                );
            }
        }
        let guide = if Col::Materials.applies(kind) {
            let raw = text(&c, Col::TimeLimit);
            let days = raw
                .trim_end_matches("个工作日")
                .trim_end_matches("工作日")
                .trim_end_matches('天');
            let time_limit_days = match days.parse::<u32>() {
                _ if raw.is_empty() => None,
                Ok(d) => Some(d),
                Err(_) => {
                    c.fail(
                        at(Col::TimeLimit),
                        format!("“{raw}”不是有效的办理时限：应填写工作日天数（整数），例如 3"),
                    );
                    None
                }
            };
            let guide = ServiceGuide {
                materials: text(&c, Col::Materials),
                conditions: text(&c, Col::Conditions),
                steps: text(&c, Col::Steps),
                time_limit_days,
                demanding_agency: text(&c, Col::DemandingAgency),
                template: text(&c, Col::Template),
            };
            // An item without any guide text has no guide (not an empty one).
            (guide != ServiceGuide::default()).then_some(guide)
        } else {
            None
        };
        let refusal = text(&c, Col::Refusal);
        let refusal_guidance =
            (Col::Refusal.applies(kind) && !refusal.is_empty()).then_some(refusal);
        let is_demo = match c.get(at(Col::Demo)) {
            "" => defaults.is_demo,
            "是" | "Y" | "y" | "true" | "1" => true,
            "否" | "N" | "n" | "false" | "0" => false,
            other => {
                let other = other.to_owned();
                c.fail(at(Col::Demo), format!("“{other}”应填写“是”或“否”"));
                defaults.is_demo
            }
        };

        match (op, code, valid_from, valid_to) {
            (Some(op), Some(code), Ok(valid_from), Ok(valid_to)) if c.ok() => {
                let item = DirectoryItem {
                    code,
                    name,
                    category: text(&c, Col::Category),
                    basis: text(&c, Col::Basis),
                    department: text(&c, Col::Department),
                    village_role: text(&c, Col::VillageRole),
                    support: text(&c, Col::Support),
                    applicability,
                    valid_from,
                    valid_to,
                    guide,
                    refusal_guidance,
                    source: match text(&c, Col::Source) {
                        s if s.is_empty() => defaults.source.clone(),
                        s => s,
                    },
                    is_demo,
                };
                let op = match op {
                    Op::Add => RowOp::Add(item),
                    Op::Modify => RowOp::Modify(item),
                    // Retirements left the loop above.
                    Op::Upsert | Op::Retire => RowOp::Upsert(item),
                };
                rows.push(ImportRow { row: *row, op });
            }
            _ => c.report(&mut errors),
        }
    }
    finish(rows, errors)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Upsert,
    Add,
    Modify,
    Retire,
}

/// Reads golden cases: a tab-separated table `kind id task expected verdict` with a header
/// row (`expected` an item code of `kind`, or empty for "matches nothing"; `verdict` 允许,
/// 不允许 or 目录未列). Every bad row is reported.
pub fn golden_cases(text: &str) -> Result<Vec<GoldenCase>, Vec<RowError>> {
    let (mut cases, mut errors) = (Vec::new(), Vec::new());
    for (n, line) in text.lines().enumerate().skip(1) {
        let row = n as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        let bad = |column: &str, message: String| RowError {
            row,
            column: Some(column.to_owned()),
            message,
        };
        let [kind, id, task, expected, verdict] = cells[..] else {
            errors.push(RowError {
                row,
                column: None,
                message: format!("应有 5 列，实有 {} 列", cells.len()),
            });
            continue;
        };
        let Some(kind) = DirectoryKind::parse(kind) else {
            errors.push(bad("kind", format!("目录“{kind}”不存在")));
            continue;
        };
        let expected = match expected {
            "" => None,
            code => match ItemCode::parse(kind, code) {
                Ok(c) => Some(c),
                Err(message) => {
                    errors.push(bad("expected", message));
                    continue;
                }
            },
        };
        let Some(verdict) = CaseVerdict::parse(verdict) else {
            errors.push(bad(
                "verdict",
                format!("结论“{verdict}”应为 允许、不允许 或 目录未列"),
            ));
            continue;
        };
        if task.is_empty() {
            errors.push(bad("task", "任务内容不能为空".into()));
            continue;
        }
        cases.push(GoldenCase {
            kind,
            id: id.to_owned(),
            task: task.to_owned(),
            expected,
            verdict,
        });
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日; a time after the date (as a date-time cell
/// carries) is ignored.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let date = raw.trim().split([' ', 'T']).next()?;
    let date = date.strip_suffix('日').unwrap_or(date);
    let parts: Vec<&str> = date.split(['-', '/', '.', '年', '月']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str, len: std::ops::RangeInclusive<usize>| -> Option<u32> {
        let digits = len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| s.parse().ok())?
    };
    NaiveDate::from_ymd_opt(
        number(y, 4..=4)? as i32,
        number(m, 1..=2)?,
        number(d, 1..=2)?,
    )
}

/// The draft's changes from an import, given the items of the version in force: an upsert of
/// a code in force is a modification (left out when it changes nothing, so a downloaded version
/// imported back proposes only what was edited), otherwise an addition; each with its row. Explicit operations
/// that contradict the version in force are reported by row, every one of them.
pub fn changes(
    rows: Vec<ImportRow>,
    current: &[DirectoryItem],
) -> Result<Vec<(Change, u64)>, Vec<RowError>> {
    let in_force: BTreeMap<&ItemCode, &DirectoryItem> =
        current.iter().map(|i| (&i.code, i)).collect();
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for ImportRow { row, op } in rows {
        let before = in_force.get(op.code()).copied();
        let fail = |message: String| RowError {
            row,
            column: None,
            message,
        };
        match (op, before) {
            (RowOp::Upsert(item), Some(old)) if *old == item => {}
            (RowOp::Upsert(item) | RowOp::Modify(item), Some(_)) => {
                out.push((Change::Modify(item), row))
            }
            (RowOp::Upsert(item) | RowOp::Add(item), None) => out.push((Change::Add(item), row)),
            (RowOp::Retire(code), Some(_)) => out.push((Change::Retire(code), row)),
            (RowOp::Add(item), Some(_)) => errors.push(fail(format!(
                "事项编码 {} 已在现行目录中，不能新增（修改请填写“修改”或留空）",
                item.code
            ))),
            (RowOp::Modify(item), None) => errors.push(fail(format!(
                "事项编码 {} 不在现行目录中，无法修改（新增请填写“新增”或留空）",
                item.code
            ))),
            (RowOp::Retire(code), None) => {
                errors.push(fail(format!("事项编码 {code} 不在现行目录中，无法取消")))
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

// Writing. Data validations cover the whole column below the header.
pub(crate) const LAST_ROW: u32 = 1_048_575;

/// The empty import template of `kind`.
pub fn template_xlsx(kind: DirectoryKind) -> Result<Vec<u8>, ExportError> {
    let title = format!("{}导入模板", kind.label());
    book(kind, &title, &title, &[])
}

/// A published version in the template's columns, so it can be edited and imported back.
pub fn version_xlsx(version: &DirectoryVersion) -> Result<Vec<u8>, ExportError> {
    let sheet = format!("{}第{}版", version.kind.label(), version.number);
    let title = format!(
        "{}（第{}版，{}起施行）",
        version.kind.label(),
        version.number,
        version.effective_from
    );
    book(version.kind, &sheet, &title, &version.items)
}

/// A published version as CSV in the template's columns: UTF-8 with a BOM, which Excel needs
/// to open Chinese text correctly.
/// Characters that make a spreadsheet read a cell as a formula (CSV injection).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV cell a spreadsheet shows as text: a leading apostrophe before a formula character.
fn guarded(text: String) -> String {
    if text.starts_with(FORMULA_START) {
        format!("'{text}")
    } else {
        text
    }
}

/// The text of a cell written by [`guarded`].
fn unguarded(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => text,
    }
}

pub fn version_csv(version: &DirectoryVersion) -> Vec<u8> {
    let cols = columns(version.kind);
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    // Writing to memory has no IO to fail, and every record has the header's length.
    out.write_record(cols.iter().map(|c| c.header(version.kind)))
        .expect("in-memory CSV");
    for item in &version.items {
        out.write_record(cols.iter().map(|c| guarded(c.text(item))))
            .expect("in-memory CSV");
    }
    out.into_inner().expect("in-memory CSV")
}

fn book(
    kind: DirectoryKind,
    sheet: &str,
    title: &str,
    items: &[DirectoryItem],
) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_title(title));
    items_sheet(&mut book, kind, sheet, items)?;
    instructions_sheet(&mut book, kind)?;
    Ok(book.save_to_buffer()?)
}

fn excel_date(day: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(day.year() as u16, day.month() as u8, day.day() as u8)
}

fn items_sheet(
    book: &mut Workbook,
    kind: DirectoryKind,
    name: &str,
    items: &[DirectoryItem],
) -> Result<(), XlsxError> {
    let ws = book.add_worksheet();
    ws.set_name(name)?;
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color("#DDEBF7")
        .set_border(FormatBorder::Thin);
    // Codes as text so Excel never turns them into numbers or dates.
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    for (c, col) in columns(kind).into_iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, col.header(kind), &head)?;
        ws.set_column_width(c, col.width())?;
        let format = match col {
            Col::Code => &text,
            Col::ValidFrom | Col::ValidTo => &date,
            _ => &wrap,
        };
        ws.set_column_format(c, format)?;
        if let Some(v) = validation(col)? {
            ws.add_data_validation(1, c, LAST_ROW, c, &v)?;
        }
        for (r, item) in items.iter().enumerate() {
            let r = r as u32 + 1;
            let day = match col {
                Col::ValidFrom => Some(item.valid_from),
                Col::ValidTo => item.valid_to,
                _ => None,
            };
            match day {
                Some(day) => ws.write_datetime_with_format(r, c, excel_date(day)?, &date)?,
                None => ws.write_string_with_format(r, c, col.text(item), format)?,
            };
        }
    }
    ws.set_row_height(0, 30)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Drop-down lists for the closed columns, a date rule and hints for the others.
fn validation(col: Col) -> Result<Option<DataValidation>, XlsxError> {
    let list = |items: &[&str], hint: &str| -> Result<Option<DataValidation>, XlsxError> {
        Ok(Some(
            DataValidation::new()
                .allow_list_strings(items)?
                .set_input_message(hint)?
                .set_error_message(format!("请从下拉列表中选择：{}", items.join("、")))?,
        ))
    };
    // A typed date Excel does not recognise (2024.1.1) is still read by the import: warn only.
    let date = |hint: &str| -> Result<Option<DataValidation>, XlsxError> {
        Ok(Some(
            DataValidation::new()
                .allow_date(DataValidationRule::Between(
                    ExcelDateTime::from_ymd(1900, 1, 1)?,
                    ExcelDateTime::from_ymd(9999, 12, 31)?,
                ))
                .set_input_message(hint)?
                .set_error_style(DataValidationErrorStyle::Warning)
                .set_error_message("请填写日期，例如 2024-01-01")?,
        ))
    };
    match col {
        Col::Op => list(
            &["新增", "修改", "取消"],
            "留空：编码已在现行目录中则修改，否则新增",
        ),
        Col::Applicability => list(&["村和社区", "村", "社区"], "留空为村和社区"),
        Col::Demo => list(&["否", "是"], "“是”表示演示数据，并非正式发布的事项"),
        Col::ValidFrom => date("例如 2024-01-01；留空为导入时指定的生效日期"),
        Col::ValidTo => date("例如 2025-12-31；留空表示长期有效"),
        Col::TimeLimit => Ok(Some(
            DataValidation::new()
                .allow_whole_number(DataValidationRule::Between(0, 3650))
                .set_input_message("工作日天数，整数")?
                .set_error_message("请填写整数天数，例如 3")?,
        )),
        _ => Ok(None),
    }
}

fn instructions_sheet(book: &mut Workbook, kind: DirectoryKind) -> Result<(), XlsxError> {
    let ws = book.add_worksheet();
    ws.set_name("填写说明")?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    ws.write_string_with_format(0, 0, format!("{}导入填写说明", kind.label()), &bold)?;
    let rules = [
        "1. 第一个工作表的第一行为表头，请勿修改表头文字；事项从第二行起每行一项。",
        "2. “操作”留空时，事项编码已在现行目录中的视为修改，否则视为新增；“取消”行只需填写事项编码。",
        "3. 新增、修改时，整行即为该事项的全部内容，留空的列会被清空：修改前请先下载现行目录，在其上修改。",
        "4. 文件中任何一处有误，整个文件都不会导入；系统会列出每个错误所在的行和列。",
        "5. 也可另存为 CSV（UTF-8 或 GBK 编码）后导入。",
    ];
    for (r, rule) in rules.iter().enumerate() {
        ws.write_string(r as u32 + 1, 0, *rule)?;
    }
    let top = rules.len() as u32 + 2;
    for (c, h) in ["列名", "必填", "填写说明"].iter().enumerate() {
        ws.write_string_with_format(top, c as u16, *h, &bold)?;
    }
    for (r, col) in columns(kind).into_iter().enumerate() {
        let r = top + 1 + r as u32;
        ws.write_string(r, 0, col.header(kind))?;
        ws.write_string(r, 1, col.must_fill())?;
        ws.write_string_with_format(r, 2, col.note(kind), &wrap)?;
    }
    ws.set_column_width(0, 22)?;
    ws.set_column_width(1, 18)?;
    ws.set_column_width(2, 80)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::table_from_bytes;
    use calamine::{Reader, Xlsx};
    use proptest::prelude::*;

    const NATIONAL: &[u8] = include_bytes!(
        "../../../data/directories/national_mca2020_not_issue_certificates_batch1.tsv"
    );
    const TIANJIN: &[u8] =
        include_bytes!("../../../data/directories/tianjin2019_rc_certificates_may_issue.tsv");

    #[test]
    fn golden_cases_are_read_and_bad_rows_named() {
        let shipped = golden_cases(include_str!("../../../data/directories/golden_cases.tsv"))
            .expect("the shipped cases are valid");
        assert!(shipped.len() >= 14);
        let bad = "kind\tid\ttask\texpected\tverdict\n\
                   duty\ta\t任务\tXZ-001\t允许\n\
                   wanneng\tb\t任务\t\t允许\n\
                   duty\tc\t任务\tLZ-001\t也许\n\
                   duty\td\n";
        let errors: Vec<String> = golden_cases(bad)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].starts_with("第 2 行“expected”列"), "{errors:?}");
        assert!(errors[1].starts_with("第 3 行“kind”列"));
        assert!(errors[2].starts_with("第 4 行“verdict”列"));
        assert_eq!(errors[3], "第 5 行：应有 5 列，实有 2 列");
    }

    fn defaults() -> ImportDefaults {
        ImportDefaults {
            valid_from: day("2024-01-01"),
            source: "天津市民政局".into(),
            is_demo: false,
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn read(
        name: &str,
        bytes: &[u8],
        kind: DirectoryKind,
    ) -> Result<Vec<ImportRow>, Vec<RowError>> {
        directory_rows(
            &table_from_bytes(name, bytes.to_vec()).unwrap(),
            kind,
            &defaults(),
        )
    }

    fn items(rows: Vec<ImportRow>) -> Vec<DirectoryItem> {
        rows.into_iter()
            .map(|r| match r.op {
                RowOp::Upsert(i) => i,
                other => panic!("not an upsert: {other:?}"),
            })
            .collect()
    }

    /// (row, column, a word the message must contain)
    fn assert_errors(errors: &[RowError], expected: &[(u64, Option<&str>, &str)]) {
        let got: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.row, e.column.as_deref()))
            .collect();
        let want: Vec<(u64, Option<&str>)> = expected.iter().map(|e| (e.0, e.1)).collect();
        assert_eq!(got, want, "{errors:#?}");
        for (e, (_, _, word)) in errors.iter().zip(expected) {
            assert!(e.message.contains(word), "{e} should mention {word}");
        }
    }

    #[test]
    fn the_shipped_lists_read_into_their_items() {
        let national =
            items(read("n.tsv", NATIONAL, DirectoryKind::CertificateMustNotIssue).unwrap());
        assert_eq!(national.len(), 20);
        assert_eq!(national[0].code.as_str(), "BC-001");
        assert_eq!(national[0].name, "亲属关系证明");
        assert_eq!(national[19].code.as_str(), "BC-020");
        assert_eq!(national[19].name, "证件遗失证明");
        assert!(national[0].department.starts_with("民政部、国家发展改革委"));
        assert!(national[0].basis.contains("民发〔2020〕20号"));
        assert!(national[0].source.starts_with("http://www.handmsg.com/"));
        assert_eq!(
            national[0].category,
            "不应出具证明事项(负面清单)·全国第一批"
        );
        assert_eq!(national[0].valid_from, day("2024-01-01"));

        let tianjin = items(read("t.tsv", TIANJIN, DirectoryKind::CertificateMayIssue).unwrap());
        let codes: Vec<&str> = tianjin.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes, ["KC-001", "KC-002", "KC-003", "KC-004", "KC-005"]);
        assert_eq!(tianjin[0].name, "居民在社区居住证明");
        assert_eq!(tianjin[0].applicability, Applicability::Both);
        assert_eq!(tianjin[0].guide, None);
    }

    #[test]
    fn a_list_of_another_directory_is_refused_row_by_row() {
        let errors = read("n.tsv", NATIONAL, DirectoryKind::CertificateMayIssue).unwrap_err();
        assert_eq!(errors.len(), 20);
        assert_eq!(errors[0].row, 2);
        assert_eq!(errors[19].row, 21);
        let first = errors[0].to_string();
        assert!(first.starts_with("第 2 行“list_kind”列："), "{first}");
        assert!(
            first.contains("“不应出具证明事项”") && first.contains("“可出具证明事项”"),
            "{first}"
        );
    }

    #[test]
    fn list_names_say_their_directory() {
        use DirectoryKind::*;
        for kind in DirectoryKind::ALL {
            assert_eq!(kind_of_list(kind.label()), Some(kind), "{}", kind.label());
        }
        let names = [
            (
                "不应出具证明事项(取消和禁入)·天津居委会2019",
                Some(CertificateMustNotIssue),
            ),
            (
                "可出具证明事项(保留清单)·天津居委会2019",
                Some(CertificateMayIssue),
            ),
            ("保留证明事项办事指南字段示例", Some(CertificateMayIssue)),
            (
                "依法协助政府工作事项(居委会)·天津2019·类别",
                Some(Assistance),
            ),
            (
                "依法履职事项(居委会群众自治工作职责清单)·天津2019·类别",
                Some(Duty),
            ),
            ("天津2023实施方案要点·禁止事项", Some(ProhibitedTask)),
            ("不得交由村（社区）承担的协助事项", Some(ProhibitedTask)),
            ("保留的工作机制牌子", Some(MechanismSign)),
            ("社区可参与创建项目·天津2019", None),
        ];
        for (name, kind) in names {
            assert_eq!(kind_of_list(name), kind, "{name}");
        }
    }

    const GOOD: &str = "操作,事项编码,事项名称,类别,法律政策依据,责任部门,村（社区）职责,保障措施（费随事转）,适用范围,生效日期,失效日期,来源,演示数据\n\
        ,XZ-001,协助维护社会治安,社会治安,《城市居民委员会组织法》第三条,市公安局,协助宣传,工作经费随事转移,社区,2024/3/1,2025年12月31日,,否\n\
        修改,XZ-002,协助开展人口普查,统计,《统计法》,市统计局,入户登记,\"经费,培训\",村,,,市统计局文件,是\n\
        取消,xz-003,,,,,,,不知道,乱写,,,\n";

    #[test]
    fn gb18030_and_utf8_files_read_the_same_rows() {
        let (gbk, _, _) = encoding_rs::GB18030.encode(GOOD);
        let utf8 = read("a.csv", GOOD.as_bytes(), DirectoryKind::Assistance).unwrap();
        let gb = read("b.csv", &gbk, DirectoryKind::Assistance).unwrap();
        assert_eq!(utf8, gb);
        assert_eq!(utf8.len(), 3);
        let RowOp::Upsert(first) = &utf8[0].op else {
            panic!("{:?}", utf8[0])
        };
        assert_eq!(first.applicability, Applicability::Community);
        assert_eq!(first.valid_from, day("2024-03-01"));
        assert_eq!(first.valid_to, Some(day("2025-12-31")));
        assert_eq!(first.source, "天津市民政局", "the default");
        let RowOp::Modify(second) = &utf8[1].op else {
            panic!("{:?}", utf8[1])
        };
        assert_eq!(
            (second.support.as_str(), second.valid_from),
            ("经费,培训", day("2024-01-01"))
        );
        assert!(second.is_demo);
        assert_eq!(
            utf8[2],
            ImportRow {
                row: 4,
                op: RowOp::Retire(ItemCode::parse(DirectoryKind::Assistance, "XZ-003").unwrap())
            },
            "a retirement reads only its code"
        );

        let (gbk, _, _) = encoding_rs::GB18030.encode(std::str::from_utf8(TIANJIN).unwrap());
        let gb = read("t.txt", &gbk, DirectoryKind::CertificateMayIssue).unwrap();
        assert_eq!(
            gb,
            read("t.tsv", TIANJIN, DirectoryKind::CertificateMayIssue).unwrap()
        );
    }

    #[test]
    fn a_bad_template_file_reports_every_error_with_its_row_and_column() {
        let file = "操作,事项编码,事项名称,类别,法律政策依据,责任部门,村(社区)职责,保障措施,适用范围,生效日期,失效日期,演示数据\n\
            ,XZ-1,甲,,,,,,村,,,\n\
            ,XZ-002,乙,,,,,,乡镇,,,\n\
            ,XZ-003,丙,,,,,,,2024-02-30,,\n\
            ,XZ-004,丁,,,,,,,2024-06-01,2024-05-31,\n\
            ,XZ-005,,,,,,,,,,\n\
            ,XZ-002,戊,,,,,,,,,\n\
            作废,XZ-006,己,,,,,,,,,也许\n\
            ,,庚,,,,,,,,,\n\
            ,XZ-009,好的,,,,,,,,,\n";
        let errors = read("bad.csv", file.as_bytes(), DirectoryKind::Assistance).unwrap_err();
        assert_errors(
            &errors,
            &[
                (2, Some("事项编码"), "XZ-1"),
                (3, Some("适用范围"), "乡镇"),
                (4, Some("生效日期"), "2024-02-30"),
                (5, Some("失效日期"), "早于生效日期 2024-06-01"),
                (6, Some("事项名称"), "不能为空"),
                (7, Some("事项编码"), "与第 3 行重复"),
                (8, Some("操作"), "作废"),
                (8, Some("演示数据"), "也许"),
                (9, Some("事项编码"), "不能为空"),
            ],
        );
        assert_eq!(
            errors[0].to_string().split('：').next(),
            Some("第 2 行“事项编码”列")
        );
        assert_eq!(
            errors[2].to_string(),
            "第 4 行“生效日期”列：“2024-02-30”不是有效的日期：应写作 2024-01-01、2024/1/1 或 2024年1月1日"
        );
    }

    #[test]
    fn a_bad_reference_list_reports_every_error() {
        let file = "list_kind\titem_no\titem_name\tbasis_or_note\tdepartment\tsource_url\n\
            可出具证明事项\t1\t居住证明\t\t\t\n\
            不应出具证明事项\t2\t亲属关系证明\t\t\t\n\
            可出具证明事项\t一\t生活困难证明\t\t\t\n\
            可出具证明事项\t1\t\t\t\t\n";
        let errors = read(
            "bad.tsv",
            file.as_bytes(),
            DirectoryKind::CertificateMayIssue,
        )
        .unwrap_err();
        assert_errors(
            &errors,
            &[
                (3, Some("list_kind"), "不应出具证明事项"),
                (4, Some("item_no"), "“一”"),
                (5, Some("item_no"), "与第 2 行重复"),
                (5, Some("item_name"), "不能为空"),
            ],
        );
    }

    #[test]
    fn missing_columns_and_unknown_tables_are_one_error_each_at_row_1() {
        let only_some = "事项编码,事项名称,适用范围\nLZ-001,甲,村\n";
        let errors = read("a.csv", only_some.as_bytes(), DirectoryKind::Duty).unwrap_err();
        let missing: Vec<_> = errors
            .iter()
            .map(|e| (e.row, e.column.clone().unwrap()))
            .collect();
        let want = [
            "类别",
            "法律政策依据",
            "责任部门",
            "村（社区）职责",
            "保障措施（费随事转）",
            "失效日期",
        ];
        assert_eq!(missing, want.map(|c| (1, c.to_owned())));
        let errors = read("a.csv", "序号,备注\n1,x\n".as_bytes(), DirectoryKind::Duty).unwrap_err();
        assert_errors(&errors, &[(1, Some("item_name（事项名称）"), "缺少")]);
        let errors = read("a.csv", "代码,名称\n1,x\n".as_bytes(), DirectoryKind::Duty).unwrap_err();
        assert_errors(&errors, &[(1, None, "无法识别")]);
        let template =
            table_from_bytes("t.xlsx", template_xlsx(DirectoryKind::Duty).unwrap()).unwrap();
        let errors = directory_rows(&template, DirectoryKind::Duty, &defaults()).unwrap_err();
        assert_errors(&errors, &[(1, None, "没有任何事项")]);
    }

    #[test]
    fn guide_columns_belong_to_may_issue_and_refusals_to_must_not_and_prohibited() {
        let header = "事项编码,事项名称,类别,法律政策依据,责任部门,村（社区）职责,保障措施（费随事转）,适用范围,失效日期,所需材料,办理条件,办理流程,办理时限（工作日）,要求开具单位,证明模板,不予出具时的指引";
        let may = format!(
            "{header}\nKC-001,居住证明,,,,,,,,户口簿,,,3个工作日,派出所,兹证明,\nKC-002,其他证明,,,,,,,,,,,,,,\n"
        );
        let rows =
            items(read("a.csv", may.as_bytes(), DirectoryKind::CertificateMayIssue).unwrap());
        let guide = rows[0].guide.as_ref().unwrap();
        assert_eq!(
            (guide.materials.as_str(), guide.time_limit_days),
            ("户口簿", Some(3))
        );
        assert_eq!(rows[1].guide, None, "no guide text, no guide");

        let bad = format!("{header}\nKC-001,居住证明,,,,,,,,,,,三天,,,到派出所办理\n");
        let errors = read("a.csv", bad.as_bytes(), DirectoryKind::CertificateMayIssue).unwrap_err();
        assert_errors(
            &errors,
            &[
                (2, Some("办理时限（工作日）"), "三天"),
                (2, Some("不予出具时的指引"), "只属于不应出具证明事项"),
            ],
        );

        let must_not = format!(
            "{header}\nBC-001,亲属关系证明,,,,,,,,户口簿,,,,,,到派出所办理\nBC-002,死亡证明,,,,,,,,,,,,,,到医院办理\n"
        );
        let errors = read(
            "a.csv",
            must_not.as_bytes(),
            DirectoryKind::CertificateMustNotIssue,
        )
        .unwrap_err();
        assert_errors(
            &errors,
            &[(2, Some("所需材料"), "办事指南只属于可出具证明事项")],
        );
        let fixed = must_not.replace("户口簿", "");
        let rows = items(
            read(
                "a.csv",
                fixed.as_bytes(),
                DirectoryKind::CertificateMustNotIssue,
            )
            .unwrap(),
        );
        assert_eq!(rows[1].refusal_guidance.as_deref(), Some("到医院办理"));
        assert_eq!(rows[1].guide, None);
    }

    #[test]
    fn dates_in_the_forms_people_type() {
        for s in [
            "2024-03-01",
            "2024/3/1",
            "2024.03.01",
            "2024年3月1日",
            " 2024-03-01 00:00:00",
            "2024-03-01T08:00:00",
        ] {
            assert_eq!(parse_date(s), Some(day("2024-03-01")), "{s}");
        }
        for s in [
            "24-3-1",
            "2024-13-01",
            "2024-02-30",
            "20240301",
            "2024年3月",
            "45352",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn upserts_resolve_against_the_version_in_force() {
        let rows = read("a.csv", GOOD.as_bytes(), DirectoryKind::Assistance).unwrap();
        let RowOp::Upsert(first) = rows[0].op.clone() else {
            unreachable!()
        };
        let RowOp::Modify(second) = rows[1].op.clone() else {
            unreachable!()
        };
        let retired = ItemCode::parse(DirectoryKind::Assistance, "XZ-003").unwrap();
        // Nothing in force: the upsert adds, the modification and the retirement have no item.
        let errors = changes(rows.clone(), &[]).unwrap_err();
        assert_errors(
            &errors,
            &[
                (3, None, "XZ-002 不在现行目录中"),
                (4, None, "XZ-003 不在现行目录中"),
            ],
        );
        // All three in force: the unchanged upsert proposes nothing.
        let mut third = second.clone();
        third.code = retired;
        let current = [first.clone(), second.clone(), third];
        assert_eq!(
            changes(rows.clone(), &current)
                .unwrap()
                .into_iter()
                .map(|(c, _)| c)
                .collect::<Vec<_>>(),
            [Change::Modify(second.clone()), Change::Retire(retired)]
        );
        let mut edited = first.clone();
        edited.name = "协助维护社会治安秩序".into();
        let current = [edited, second.clone(), current[2].clone()];
        assert_eq!(changes(rows, &current).unwrap()[0].0, Change::Modify(first));
    }

    fn sample(kind: DirectoryKind, n: u32, seed: u32) -> DirectoryItem {
        // Independent bits of the seed decide which optional parts the item has.
        let bit = |b: u32| (seed >> b) & 1 == 1;
        let text = |what: &str| match seed % 3 {
            0 => String::new(),
            1 => format!("{what}{n}"),
            _ => format!("{what}{n}，含逗号,\"引号\"\n和换行"),
        };
        DirectoryItem {
            code: ItemCode::numbered(kind, n),
            name: format!("事项{n}{}", text("名")),
            category: text("类别"),
            basis: text("依据"),
            department: text("部门"),
            village_role: text("职责"),
            support: text("保障"),
            applicability: Applicability::ALL[(seed % 3) as usize],
            valid_from: day("2023-06-01") + chrono::Days::new(u64::from(seed % 400)),
            valid_to: bit(0).then(|| day("2030-12-31") - chrono::Days::new(u64::from(seed % 97))),
            guide: (kind == DirectoryKind::CertificateMayIssue && (bit(2) || bit(3))).then(|| {
                ServiceGuide {
                    materials: format!("材料{n}"),
                    conditions: text("条件"),
                    steps: text("流程"),
                    time_limit_days: bit(5).then_some(seed % 20),
                    demanding_agency: text("单位"),
                    template: text("模板"),
                }
            }),
            refusal_guidance: (Col::Refusal.applies(kind) && bit(4)).then(|| format!("指引{n}")),
            source: format!("来源{seed}"),
            is_demo: bit(1),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn a_written_version_reads_back_as_the_same_items(
            kind in proptest::sample::select(DirectoryKind::ALL.to_vec()),
            seeds in proptest::collection::vec(0u32..10_000, 1..8),
            number in 1u32..100,
        ) {
            let version = DirectoryVersion {
                kind,
                number,
                effective_from: day("2024-01-01"),
                items: seeds.iter().enumerate().map(|(i, s)| sample(kind, i as u32 * 7 + 1, *s)).collect(),
            };
            for (name, bytes) in [("v.xlsx", version_xlsx(&version).unwrap()), ("v.csv", version_csv(&version))] {
                let table = table_from_bytes(name, bytes).unwrap();
                let back = items(directory_rows(&table, kind, &defaults()).unwrap());
                prop_assert_eq!(&back, &version.items, "{}", name);
            }
        }
    }

    #[test]
    fn the_version_names_its_directory_and_number() {
        let version = DirectoryVersion {
            kind: DirectoryKind::CertificateMayIssue,
            number: 3,
            effective_from: day("2024-01-01"),
            items: vec![sample(DirectoryKind::CertificateMayIssue, 1, 1)],
        };
        let book = Xlsx::new(std::io::Cursor::new(version_xlsx(&version).unwrap())).unwrap();
        assert_eq!(book.sheet_names(), ["可出具证明事项第3版", "填写说明"]);
        let csv = version_csv(&version);
        assert!(
            csv.starts_with(b"\xEF\xBB\xBF\xE6\x93\x8D"),
            "BOM, then 操作"
        );
    }

    #[test]
    fn templates_open_with_their_columns_and_instructions() {
        for kind in DirectoryKind::ALL {
            let mut book = Xlsx::new(std::io::Cursor::new(template_xlsx(kind).unwrap())).unwrap();
            let sheet = format!("{}导入模板", kind.label());
            assert_eq!(book.sheet_names(), [sheet.as_str(), "填写说明"]);
            let range = book.worksheet_range(&sheet).unwrap();
            let headers: Vec<String> = range
                .rows()
                .next()
                .unwrap()
                .iter()
                .map(|c| c.to_string())
                .collect();
            let want: Vec<&str> = columns(kind).iter().map(|c| c.header(kind)).collect();
            assert_eq!(headers, want);
            assert_eq!(
                headers.len(),
                match kind {
                    DirectoryKind::CertificateMayIssue => 19,
                    DirectoryKind::CertificateMustNotIssue | DirectoryKind::ProhibitedTask => 14,
                    _ => 13,
                }
            );
            let notes = book.worksheet_range("填写说明").unwrap();
            let explained: Vec<String> = notes
                .rows()
                .filter_map(|r| r.first().map(|c| c.to_string()))
                .collect();
            for h in &want {
                assert!(explained.iter().any(|e| e == h), "{h} explained");
            }
        }
        let prohibited = template_xlsx(DirectoryKind::ProhibitedTask).unwrap();
        let t = table_from_bytes("p.xlsx", prohibited).unwrap();
        assert!(t.headers.iter().any(|h| h == "不予承接时的指引"));
    }

    #[test]
    fn csv_cells_that_would_be_formulas_stay_text_and_read_back() {
        let mut item = sample_item_for_guard();
        item.name = "=HYPERLINK(\"http://x\",\"点击\")".into();
        item.basis = "-2+3".into();
        let version = DirectoryVersion {
            kind: DirectoryKind::Duty,
            number: 1,
            effective_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            items: vec![item.clone()],
        };
        let csv = String::from_utf8(version_csv(&version)).unwrap();
        assert!(csv.contains("'=HYPERLINK"), "{csv}");
        assert!(csv.contains("'-2+3"), "{csv}");
        let table = crate::table::table_from_bytes("v.csv", csv.into_bytes()).unwrap();
        let defaults = ImportDefaults {
            valid_from: version.effective_from,
            source: String::new(),
            is_demo: false,
        };
        let rows = directory_rows(&table, DirectoryKind::Duty, &defaults).unwrap();
        match &rows[0].op {
            RowOp::Upsert(read) => {
                assert_eq!(read.name, item.name);
                assert_eq!(read.basis, item.basis);
            }
            other => panic!("{other:?}"),
        }
    }

    fn sample_item_for_guard() -> DirectoryItem {
        DirectoryItem {
            code: ItemCode::numbered(DirectoryKind::Duty, 1),
            name: String::new(),
            category: "依法履职".into(),
            basis: String::new(),
            department: "市民政局".into(),
            village_role: "组织实施".into(),
            support: "经费保障".into(),
            applicability: Applicability::Both,
            valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            valid_to: None,
            guide: None,
            refusal_guidance: None,
            source: "测试".into(),
            is_demo: false,
        }
    }
}
