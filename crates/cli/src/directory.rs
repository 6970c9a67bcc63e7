//! Directory files from the command line: an import always lands in a new draft adjustment
//! against the newest version (never in a published one), and a file with any bad row lands
//! nothing; an export writes a published version in the import template's columns.

use std::path::Path;

use chrono::Utc;
use jianfu_docs::directory::{self, ImportDefaults, RowError};
use jianfu_docs::table::read_table;
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::catalog::DirectoryKind;
use jianfu_store::DatabaseConnection;
use jianfu_store::catalog::{self, NewAdjustment};

/// Why an import landed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    File(#[from] jianfu_docs::ReadError),
    #[error("文件有 {} 处错误，未导入任何内容", .0.len())]
    Rows(Vec<RowError>),
    #[error("文件中的事项与现行目录相同，没有需要调整的内容")]
    NothingToChange,
    #[error("{0}")]
    Store(#[from] jianfu_domain::Error),
}

/// Reads `path` into a new draft adjustment of `kind` drafted by `audit.actor`; returns the
/// draft's id and how many changes it holds.
pub async fn import_file(
    db: &DatabaseConnection,
    kind: DirectoryKind,
    path: &Path,
    audit: &AuditEntry,
) -> Result<(i64, usize), ImportError> {
    let table = read_table(path)?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let defaults = ImportDefaults {
        valid_from: jianfu_domain::beijing_date(Utc::now()),
        source: file.clone(),
        is_demo: false,
    };
    let rows = directory::directory_rows(&table, kind, &defaults).map_err(ImportError::Rows)?;
    let current = catalog::latest(db, kind).await?;
    let changes = directory::changes(rows, current.as_ref().map_or(&[][..], |v| &v.items))
        .map_err(ImportError::Rows)?;
    if changes.is_empty() {
        return Err(ImportError::NothingToChange);
    }
    let new = NewAdjustment {
        kind,
        district: None,
        title: format!("导入 {file}"),
        reason: format!("由文件 {file} 导入"),
        basis: String::new(),
    };
    let create = AuditEntry {
        event: "adjustment.create".into(),
        ..audit.clone()
    };
    let id = catalog::create_adjustment(db, &new, &audit.actor, &create).await?;
    let changes: Vec<_> = changes
        .into_iter()
        .map(|(c, row)| (c, u32::try_from(row).ok()))
        .collect();
    let edit = AuditEntry {
        event: "adjustment.import".into(),
        ..audit.clone()
    };
    catalog::set_changes(db, id, &changes, &edit).await?;
    Ok((id, changes.len()))
}
