//! Region files: the shipped `code,name,level,parent_code` CSV, the NBS level files of the whole
//! country (`code,name,provinceCode,…`) and spreadsheets with Chinese headers.

use std::path::{Path, PathBuf};

use jianfu_domain::region_import::SourceRow;

use crate::table::{ReadError, Table};

const CODE: &[&str] = &["code", "代码", "区划代码", "统计用区划代码"];
const NAME: &[&str] = &["name", "名称", "区划名称", "单位名称"];
const LEVEL: &[&str] = &["level", "级别", "层级"];
const PARENT: &[&str] = &["parent_code", "上级代码", "上级区划代码", "父级代码"];

/// Maps a table's columns to region rows; the code and name columns are required, the level
/// and parent columns are checked when present.
pub fn region_rows(table: Table) -> Result<Vec<(u64, SourceRow)>, ReadError> {
    let need = |names: &'static [&'static str], label: &'static str| {
        table
            .column(names)
            .ok_or_else(|| ReadError::MissingColumn(label, names.join("、")))
    };
    let code = need(CODE, "区划代码")?;
    let name = need(NAME, "名称")?;
    let level = table.column(LEVEL);
    let parent = table.column(PARENT);
    // Cells are moved out, not copied: the village file of the whole country has 620,000 rows.
    let take = |cells: &mut Vec<String>, i: usize| {
        cells.get_mut(i).map(std::mem::take).unwrap_or_default()
    };
    Ok(table
        .rows
        .into_iter()
        .map(|(row, mut cells)| {
            (
                row,
                SourceRow {
                    code: take(&mut cells, code),
                    name: take(&mut cells, name),
                    level: level.map(|i| take(&mut cells, i)),
                    parent_code: parent.map(|i| take(&mut cells, i)),
                },
            )
        })
        .collect())
}

/// The files an import path stands for: the file itself, or every table file in a folder
/// (the NBS level files), in name order.
pub fn region_files(path: &Path) -> Result<Vec<PathBuf>, ReadError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| ReadError::Io(format!("{}：{e}", path.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            [".csv", ".csv.gz", ".xlsx", ".xls"]
                .iter()
                .any(|ext| n.ends_with(ext))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ReadError::Io(format!(
            "文件夹 {} 中没有 .csv、.csv.gz 或 .xlsx 文件",
            path.display()
        )));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::table_from_bytes;

    #[test]
    fn chinese_headers_and_nbs_level_files_map() {
        let t =
            table_from_bytes("a.csv", "区划代码,名称,上级代码\n1201,市辖区,12\n".into()).unwrap();
        let rows = region_rows(t).unwrap();
        assert_eq!(rows[0].1.parent_code.as_deref(), Some("12"));
        let t = table_from_bytes(
            "v.csv",
            "code,name,streetCode,provinceCode\n110101001001,\"多福巷社区居委会\",110101001,11\n"
                .into(),
        )
        .unwrap();
        let rows = region_rows(t).unwrap();
        assert_eq!(rows[0].1.name, "多福巷社区居委会");
        assert_eq!(rows[0].1.level, None);
    }

    #[test]
    fn a_missing_column_is_named() {
        let t = table_from_bytes("a.csv", "代码,备注\n12,x\n".into()).unwrap();
        let e = region_rows(t).unwrap_err().to_string();
        assert!(e.contains("名称"), "{e}");
    }
}
