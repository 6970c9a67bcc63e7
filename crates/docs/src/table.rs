//! A format-neutral table: a header and numbered rows of text cells.

use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{Data, Reader};

/// A table read from a file. Row numbers are those a spreadsheet shows: the header is row 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// The index of the first header that matches one of `names` (case and blanks ignored).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|h| {
            let h = h.trim().to_lowercase();
            names.iter().any(|n| h == n.to_lowercase())
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("无法读取文件：{0}")]
    Io(String),
    #[error("文件类型不支持：仅支持 .csv、.tsv、.txt（可 gzip 压缩）、.xlsx、.xls 文件")]
    UnsupportedType,
    #[error("gzip 解压失败，文件可能已损坏：{0}")]
    Gzip(String),
    #[error("文件编码无法识别：应为 UTF-8 或 GB18030（GBK）编码的文本")]
    Encoding,
    #[error("第 {row} 行无法解析：{reason}")]
    Csv { row: u64, reason: String },
    #[error("Excel 文件无法打开：{0}")]
    Excel(String),
    #[error("文件中没有任何数据行（第一行应为表头）")]
    Empty,
    #[error("缺少“{0}”列（表头中应包含其中之一：{1}）")]
    MissingColumn(&'static str, String),
}

/// Reads a file by its name: `.xlsx`/`.xls` as Excel, anything else as CSV (gzip is detected by
/// its magic bytes, so `.csv.gz` needs no special name).
pub fn read_table(path: &Path) -> Result<Table, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| ReadError::Io(e.to_string()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    table_from_bytes(&name, bytes)
}

/// As [`read_table`], for bytes already in memory; `name` decides the format.
pub fn table_from_bytes(name: &str, bytes: Vec<u8>) -> Result<Table, ReadError> {
    if name.ends_with(".xlsx") || name.ends_with(".xls") {
        return read_excel(bytes);
    }
    let known = [".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt"];
    if !known.iter().any(|ext| name.ends_with(ext)) {
        return Err(ReadError::UnsupportedType);
    }
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(bytes.len() * 8);
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .map_err(|e| ReadError::Gzip(e.to_string()))?;
        out
    } else {
        bytes
    };
    let text = decode(bytes)?;
    read_csv(&text, delimiter(name, &text))
}

/// Tab for `.tsv` files, and for other text files whose header line has more tabs than commas
/// (Excel's 'Unicode text' export is tab-separated whatever its name); comma otherwise.
fn delimiter(name: &str, text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let tabs = header.matches('\t').count();
    if name.contains(".tsv") || tabs > header.matches(',').count() {
        b'\t'
    } else {
        b','
    }
}

/// UTF-8 (BOM stripped) when the bytes are valid UTF-8, otherwise GB18030, which also covers
/// GBK and GB2312 files saved by Chinese Excel.
fn decode(bytes: Vec<u8>) -> Result<String, ReadError> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(e.as_bytes());
            if had_errors {
                Err(ReadError::Encoding)
            } else {
                Ok(text.into_owned())
            }
        }
    }
}

fn read_csv(text: &str, delimiter: u8) -> Result<Table, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ReadError::Csv {
            row: 1,
            reason: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect::<Vec<_>>();
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::default();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let start = record.position().map_or(0, |p| p.byte() as usize);
                rows.push((
                    lines.line_at(text, start),
                    record.iter().map(str::to_owned).collect(),
                ));
            }
            Err(e) => {
                let row = e.position().map_or(0, |p| p.line());
                return Err(ReadError::Csv {
                    row,
                    reason: e.to_string(),
                });
            }
        }
    }
    if headers.iter().all(|h| h.is_empty()) {
        return Err(ReadError::Empty);
    }
    Ok(Table { headers, rows })
}

/// Row numbers of records as a spreadsheet shows them, counted incrementally (offsets only
/// grow). The csv reader reports the offset before any blank lines it skipped, so those are
/// stepped over first: a spreadsheet user counts them. A line break inside a quoted cell stays
/// in its row, as a spreadsheet shows it.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    newlines: u64,
    quoted: bool,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, offset: usize) -> u64 {
        let bytes = text.as_bytes();
        let mut at = offset.min(bytes.len());
        while at < bytes.len() && (bytes[at] == b'\n' || bytes[at] == b'\r') {
            at += 1;
        }
        if at >= self.offset {
            for &b in &bytes[self.offset..at] {
                match b {
                    b'"' => self.quoted = !self.quoted,
                    b'\n' if !self.quoted => self.newlines += 1,
                    _ => {}
                }
            }
            self.offset = at;
        }
        self.newlines + 1
    }
}

fn read_excel(bytes: Vec<u8>) -> Result<Table, ReadError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ReadError::Excel(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or(ReadError::Empty)?
        .map_err(|e| ReadError::Excel(e.to_string()))?;
    let first_row = u64::from(range.start().map_or(0, |(r, _)| r));
    let mut lines = range.rows().enumerate();
    let (_, header) = lines.next().ok_or(ReadError::Empty)?;
    let headers = header
        .iter()
        .map(|c| cell_text(c).trim().to_owned())
        .collect();
    let rows = lines
        .filter(|(_, cells)| cells.iter().any(|c| !cell_text(c).trim().is_empty()))
        .map(|(i, cells)| {
            (
                first_row + i as u64 + 1,
                cells.iter().map(cell_text).collect(),
            )
        })
        .collect();
    Ok(Table { headers, rows })
}

/// Codes typed into Excel often become numbers; print whole numbers without a decimal point.
/// A date typed into Excel is a serial number with a date format: calamine's own text is the
/// serial (45352), so it is written as YYYY-MM-DD (with HH:MM:SS when it has a time of day).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Int(i) => i.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            let time = format!("{h:02}:{mi:02}:{s:02}");
            match d.as_f64() {
                v if v < 1.0 => time,
                _ if (h, mi, s) == (0, 0, 0) => format!("{y:04}-{mo:02}-{day:02}"),
                _ => format!("{y:04}-{mo:02}-{day:02} {time}"),
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_and_gb18030_read_the_same() {
        let text = "code,name\n12,天津市\n";
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        let a = table_from_bytes("a.csv", bom).unwrap();
        let b = table_from_bytes("b.csv", gbk.into_owned()).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.rows,
            vec![(2, vec!["12".to_string(), "天津市".to_string()])]
        );
        assert_eq!(a.column(&["代码", "CODE"]), Some(0));
    }

    #[test]
    fn tab_separated_files_are_read_by_name_or_by_their_header() {
        let text = "list_kind\titem_no\titem_name\n不应出具\t1\t亲属关系证明，含例外\n";
        let by_name = table_from_bytes("a.tsv", text.as_bytes().to_vec()).unwrap();
        let by_header = table_from_bytes("a.txt", text.as_bytes().to_vec()).unwrap();
        assert_eq!(by_name, by_header);
        assert_eq!(by_name.headers, ["list_kind", "item_no", "item_name"]);
        assert_eq!(
            by_name.rows[0].1[2], "亲属关系证明，含例外",
            "commas stay in the cell"
        );
    }

    #[test]
    fn a_line_break_inside_a_cell_stays_in_its_row() {
        let t = table_from_bytes(
            "a.csv",
            b"code,text\n1,\"one\ntwo \"\"quoted\"\"\"\n2,x\n\n3,y\n".to_vec(),
        )
        .unwrap();
        assert_eq!(
            t.rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![2, 3, 5]
        );
        assert_eq!(t.rows[0].1[1], "one\ntwo \"quoted\"");
    }

    #[test]
    fn row_numbers_skip_blank_lines_but_keep_counting() {
        let t = table_from_bytes("a.csv", b"code,name\n\n12,x\n,\n1201,y\n".to_vec()).unwrap();
        assert_eq!(t.rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![3, 5]);
    }

    #[test]
    fn excel_dates_read_as_dates() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut book = Workbook::new();
        let ws = book.add_worksheet();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let when = Format::new().set_num_format("yyyy/m/d hh:mm");
        let time = Format::new().set_num_format("hh:mm");
        ws.write_string(0, 0, "生效日期").unwrap();
        ws.write_string(0, 1, "时间").unwrap();
        ws.write_string(0, 2, "时刻").unwrap();
        let day = ExcelDateTime::from_ymd(2024, 3, 1).unwrap();
        ws.write_datetime_with_format(1, 0, &day, &date).unwrap();
        let at = day.and_hms(8, 30, 0).unwrap();
        ws.write_datetime_with_format(1, 1, at, &when).unwrap();
        let clock = ExcelDateTime::from_hms(17, 5, 9).unwrap();
        ws.write_datetime_with_format(1, 2, clock, &time).unwrap();
        let t = table_from_bytes("d.xlsx", book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(
            t.rows[0].1,
            ["2024-03-01", "2024-03-01 08:30:00", "17:05:09"]
        );
    }

    #[test]
    fn unsupported_and_undecodable_files_are_named() {
        assert!(matches!(
            table_from_bytes("a.pdf", vec![]),
            Err(ReadError::UnsupportedType)
        ));
        assert!(matches!(
            table_from_bytes("a.csv", vec![0x81, 0x20, 0xff]),
            Err(ReadError::Encoding)
        ));
    }
}
