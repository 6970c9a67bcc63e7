//! A district's refinements (区级细化) in a spreadsheet: the template lists the city's items of
//! one directory (code and name) with empty refinement columns, the district fills in the rows
//! it refines, and the import reads only those rows. Whether a refinement widens the city's
//! item is the domain's question (`apply_refinement`), asked by the caller with the versions.

use chrono::NaiveDate;
use jianfu_domain::catalog::adjustment::Change;
use jianfu_domain::catalog::{Applicability, DirectoryItem, DirectoryKind, ItemCode, Refinement};
use rust_xlsxwriter::{
    DataValidation, DocProperties, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

use crate::directory::{Cells, LAST_ROW, RowError, Seen, find, parse_date};
use crate::table::Table;
use crate::xlsx::ExportError;

/// The template's columns: header, the names an import also accepts, width.
const COLUMNS: [(&str, &[&str], f64); 10] = [
    ("操作", &["操作", "op"], 10.0),
    ("事项编码", &["事项编码", "编码", "code"], 12.0),
    (
        "事项名称（仅供参考）",
        &["事项名称（仅供参考）", "事项名称", "名称"],
        40.0,
    ),
    ("说明", &["说明", "备注", "note"], 30.0),
    ("适用范围", &["适用范围", "applicability"], 12.0),
    (
        "本区生效日期",
        &["本区生效日期", "生效日期", "valid_from"],
        14.0,
    ),
    (
        "本区失效日期",
        &["本区失效日期", "失效日期", "valid_to"],
        14.0,
    ),
    (
        "本区制度依据",
        &["本区制度依据", "制度依据", "local_basis"],
        30.0,
    ),
    ("职责范围", &["职责范围", "scope"], 30.0),
    ("运行流程", &["运行流程", "process"], 30.0),
];

const OP: usize = 0;
const CODE: usize = 1;
const NOTE: usize = 3;
const APPLICABILITY: usize = 4;
const VALID_FROM: usize = 5;
const VALID_TO: usize = 6;
const LOCAL_BASIS: usize = 7;
const SCOPE: usize = 8;
const PROCESS: usize = 9;

/// The district's changes in a filled-in template, with the row each came from. A row with an
/// empty 操作 and nothing filled in is one the district left alone; every bad row is reported.
pub fn refinement_rows(
    table: &Table,
    kind: DirectoryKind,
) -> Result<Vec<(Change, u64)>, Vec<RowError>> {
    let at: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|(_, names, _)| find(&table.headers, names))
        .collect();
    if at[CODE].is_none() {
        return Err(vec![RowError {
            row: 1,
            column: Some("事项编码".into()),
            message: format!("缺少“事项编码”列：请使用{}的区级细化模板", kind.label()),
        }]);
    }
    let (mut out, mut errors, mut seen) = (Vec::new(), Vec::new(), Seen::default());
    for (row, cells) in &table.rows {
        let mut c = Cells::new(*row, cells, &table.headers);
        let text =
            |c: &Cells, col: usize| Some(c.get(at[col]).to_owned()).filter(|t| !t.is_empty());
        let filled = [
            NOTE,
            APPLICABILITY,
            VALID_FROM,
            VALID_TO,
            LOCAL_BASIS,
            SCOPE,
            PROCESS,
        ]
        .iter()
        .any(|col| text(&c, *col).is_some());
        let op = c.get(at[OP]).to_owned();
        match op.as_str() {
            "" if !filled => continue,
            "" | "细化" | "取消细化" => {}
            other => {
                c.fail(
                    at[OP],
                    format!("“{other}”不是有效的操作：应填写“细化”“取消细化”，或留空"),
                );
                c.report(&mut errors);
                continue;
            }
        }
        let code = ItemCode::parse(kind, c.get(at[CODE]))
            .map_err(|e| c.fail(at[CODE], e))
            .ok();
        if let Some(code) = &code
            && let Some(first) = seen.first(code, *row)
        {
            c.fail(at[CODE], format!("事项编码 {code} 与第 {first} 行重复"));
        }
        if op == "取消细化" {
            match code {
                Some(code) if c.ok() => out.push((Change::Unrefine(code), *row)),
                _ => c.report(&mut errors),
            }
            continue;
        }
        let applicability = match text(&c, APPLICABILITY) {
            None => None,
            Some(raw) => Applicability::parse(&raw).or_else(|| {
                c.fail(
                    at[APPLICABILITY],
                    format!("“{raw}”不是有效的适用范围：应填写“村”“社区”，或留空（与市级相同）"),
                );
                None
            }),
        };
        let mut date = |col: usize| -> Option<NaiveDate> {
            let raw = text(&c, col)?;
            parse_date(&raw).or_else(|| {
                c.fail(
                    at[col],
                    format!("“{raw}”不是有效的日期：应写作 2024-01-01、2024/1/1 或 2024年1月1日"),
                );
                None
            })
        };
        let (valid_from, valid_to) = (date(VALID_FROM), date(VALID_TO));
        if let (Some(from), Some(to)) = (valid_from, valid_to)
            && to < from
        {
            c.fail(at[VALID_TO], format!("失效日期 {to} 早于生效日期 {from}"));
        }
        let refinement = Refinement {
            note: text(&c, NOTE),
            applicability,
            valid_from,
            valid_to,
            local_basis: text(&c, LOCAL_BASIS),
            scope: text(&c, SCOPE),
            process: text(&c, PROCESS),
        };
        if refinement.is_empty() && c.ok() {
            c.fail(at[NOTE], "“细化”行至少要填写一项细化内容".into());
        }
        match code {
            Some(code) if c.ok() => out.push((Change::Refine(code, refinement), *row)),
            _ => c.report(&mut errors),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The refinement template of `kind`, listing the city's `items` to refine.
pub fn refinement_template_xlsx(
    kind: DirectoryKind,
    items: &[DirectoryItem],
) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let title = format!("{}区级细化模板", kind.label());
    book.set_properties(&DocProperties::new().set_title(&title));
    let ws = book.add_worksheet();
    ws.set_name("区级细化")?;
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_background_color("#DDEBF7")
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    for (c, (header, _, width)) in COLUMNS.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *header, &head)?;
        ws.set_column_width(c, *width)?;
        ws.set_column_format(c, &text)?;
    }
    let list = |items: &[&str], hint: &str| -> Result<DataValidation, XlsxError> {
        DataValidation::new()
            .allow_list_strings(items)?
            .set_input_message(hint)
    };
    ws.add_data_validation(
        1,
        OP as u16,
        LAST_ROW,
        OP as u16,
        &list(&["细化", "取消细化"], "填写了细化内容的行可留空")?,
    )?;
    ws.add_data_validation(
        1,
        APPLICABILITY as u16,
        LAST_ROW,
        APPLICABILITY as u16,
        &list(&["村", "社区"], "只能缩小：留空为与市级相同")?,
    )?;
    for (r, item) in items.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, CODE as u16, item.code.as_str())?;
        ws.write_string(r, 2, &item.name)?;
    }
    ws.set_freeze_panes(1, 3)?;
    let notes = book.add_worksheet();
    notes.set_name("填写说明")?;
    for (r, rule) in [
        title.as_str(),
        "1. 只填写本区要细化的事项所在行；未填写的行不导入。",
        "2. 细化只能缩小、不能扩大市级目录：适用范围只能由“村和社区”缩小为“村”或“社区”，本区有效期不能早于市级生效、晚于市级失效。",
        "3. “操作”填“取消细化”并填写事项编码，即撤销本区已发布的该项细化。",
        "4. 导入替换草稿中原有的全部细化内容；任何一行有误，整个文件都不导入，系统列出每个错误所在的行和列。",
    ]
    .iter()
    .enumerate()
    {
        notes.write_string(r as u32, 0, *rule)?;
    }
    notes.set_column_width(0, 100)?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::table_from_bytes;

    const HEAD: &str = "操作\t事项编码\t事项名称（仅供参考）\t说明\t适用范围\t本区生效日期\t本区失效日期\t本区制度依据\t职责范围\t运行流程\n";

    fn read(body: &str) -> Result<Vec<(Change, u64)>, Vec<RowError>> {
        let table = table_from_bytes("r.tsv", format!("{HEAD}{body}").into_bytes()).unwrap();
        refinement_rows(&table, DirectoryKind::CertificateMayIssue)
    }

    #[test]
    fn filled_rows_become_changes_and_untouched_rows_are_skipped() {
        let rows = read(
            "\tKC-001\t居民在社区居住证明\t\t\t\t\t\t\t\n\
             \tKC-002\t参加社区活动证明\t一窗受理\t社区\t2027/1/1\t\t\t\t\n\
             取消细化\tKC-003\t\t\t\t\t\t\t\t\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        match &rows[0] {
            (Change::Refine(code, r), 3) => {
                assert_eq!(code.as_str(), "KC-002");
                assert_eq!(r.note.as_deref(), Some("一窗受理"));
                assert_eq!(r.applicability, Some(Applicability::Community));
                assert_eq!(r.valid_from, NaiveDate::from_ymd_opt(2027, 1, 1));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&rows[1], (Change::Unrefine(c), 4) if c.as_str() == "KC-003"));
    }

    #[test]
    fn every_bad_row_is_named() {
        let errors: Vec<String> = read(
            "细化\tKC-001\t\t\t\t\t\t\t\t\n\
             合并\tKC-002\t\t\t\t\t\t\t\t\n\
             \tKC-9\t\tx\t全市\t明天\t\t\t\t\n\
             \tKC-004\t\tx\t\t2027-01-02\t2027-01-01\t\t\t\n\
             \tKC-004\t\tx\t\t\t\t\t\t\n",
        )
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            errors,
            [
                "第 2 行“说明”列：“细化”行至少要填写一项细化内容",
                "第 3 行“操作”列：“合并”不是有效的操作：应填写“细化”“取消细化”，或留空",
                "第 4 行“事项编码”列：事项编码“KC-9”格式不正确：可出具证明事项目录的编码应为 KC-三至四位数字，例如 KC-001",
                "第 4 行“适用范围”列：“全市”不是有效的适用范围：应填写“村”“社区”，或留空（与市级相同）",
                "第 4 行“本区生效日期”列：“明天”不是有效的日期：应写作 2024-01-01、2024/1/1 或 2024年1月1日",
                "第 5 行“本区失效日期”列：失效日期 2027-01-01 早于生效日期 2027-01-02",
                "第 6 行“事项编码”列：事项编码 KC-004 与第 5 行重复",
            ]
        );
    }

    #[test]
    fn the_template_reads_back_as_nothing_to_change() {
        let item = DirectoryItem {
            code: ItemCode::numbered(DirectoryKind::CertificateMayIssue, 1),
            name: "居民在社区居住证明".into(),
            category: String::new(),
            basis: String::new(),
            department: String::new(),
            village_role: String::new(),
            support: String::new(),
            applicability: Applicability::Both,
            valid_from: NaiveDate::from_ymd_opt(2019, 9, 1).unwrap(),
            valid_to: None,
            guide: None,
            refusal_guidance: None,
            source: String::new(),
            is_demo: false,
        };
        let bytes = refinement_template_xlsx(DirectoryKind::CertificateMayIssue, &[item]).unwrap();
        let table = table_from_bytes("t.xlsx", bytes).unwrap();
        assert_eq!(table.headers[1], "事项编码");
        assert_eq!(table.rows.len(), 1);
        assert!(
            refinement_rows(&table, DirectoryKind::CertificateMayIssue)
                .unwrap()
                .is_empty()
        );
    }
}
