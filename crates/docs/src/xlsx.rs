//! Excel out: officials exchange tables as spreadsheets, so every list page can be downloaded as
//! one — a bold, frozen header row, columns sized to their content, text cells throughout (codes
//! must not turn into numbers).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

#[derive(Debug, thiserror::Error)]
#[error("生成 Excel 文件失败：{0}")]
pub struct ExportError(#[from] XlsxError);

/// One sheet with `headers` and `rows`, as the bytes of an .xlsx file.
pub fn workbook(
    sheet: &str,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    add_sheet(&mut book, sheet, headers, rows)?;
    Ok(book.save_to_buffer()?)
}

/// One sheet of a workbook: its name, headers and rows.
pub type Sheet<'a> = (&'a str, Vec<&'a str>, Vec<Vec<String>>);

/// Several sheets in one .xlsx file (a statistics report).
pub fn workbook_sheets(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    for (name, headers, rows) in sheets {
        add_sheet(&mut book, name, headers, rows.iter().cloned())?;
    }
    Ok(book.save_to_buffer()?)
}

fn add_sheet(
    book: &mut Workbook,
    sheet: &str,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<(), ExportError> {
    let ws = book.add_worksheet();
    ws.set_name(sheet)?;
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.into_iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, cell)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_autofit_max_width(400);
    ws.autofit();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx};

    #[test]
    fn round_trips_through_a_reader() {
        let bytes = workbook(
            "审计日志",
            &["序号", "操作人"],
            vec![
                vec!["1".into(), "系统".into()],
                vec!["2".into(), "120101000000".into()],
            ],
        )
        .unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("审计日志").unwrap();
        assert_eq!(range.height(), 3);
        assert_eq!(
            range.get((2, 1)).unwrap().to_string(),
            "120101000000",
            "codes stay text"
        );
    }
}
