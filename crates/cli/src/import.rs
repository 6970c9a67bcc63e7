//! `jianfu import regions`: read every file, check every row, then write all or nothing (or, with
//! `--skip-invalid`, everything that passed and a list of what was skipped).

use std::path::Path;

use chrono::NaiveDate;
use jianfu_docs::regions::{region_files, region_rows};
use jianfu_docs::{Table, read_table};
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::region_import::{self, RowRef, SourceRow};
use jianfu_store::{DatabaseConnection, region};

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Write the valid rows even when some are refused.
    pub skip_invalid: bool,
    /// The day new and changed units take effect.
    pub valid_from: NaiveDate,
}

/// A refused row, named as a spreadsheet user finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub file: String,
    pub row: u64,
    pub message: String,
}

impl std::fmt::Display for RowIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} 第 {} 行：{}", self.file, self.row, self.message)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub files: Vec<String>,
    pub rows: usize,
    pub inserted: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Exact repeats of an earlier row of the same import, ignored.
    pub repeated: usize,
    pub problems: Vec<RowIssue>,
    /// False when refused rows stopped the import: then nothing was written.
    pub written: bool,
}

/// What an import tells whoever watches it (a progress bar, log lines, or nobody).
pub enum Event<'a> {
    Read { file: &'a str, rows: usize },
    Writing { total: u64 },
    Written { rows: u64 },
}

pub struct Progress<'f> {
    sink: Box<dyn FnMut(Event<'_>) + Send + 'f>,
}

impl<'f> Progress<'f> {
    pub fn new(sink: impl FnMut(Event<'_>) + Send + 'f) -> Self {
        Progress {
            sink: Box::new(sink),
        }
    }

    pub fn silent() -> Self {
        Progress::new(|_| {})
    }

    fn tell(&mut self, e: Event<'_>) {
        (self.sink)(e)
    }
}

/// Imports a file, or every table file in a folder.
/// `audit` says who imports; the counts are added to it as the record's `after`.
pub async fn import_path(
    db: &DatabaseConnection,
    path: &Path,
    options: &ImportOptions,
    audit: &AuditEntry,
    progress: &mut Progress<'_>,
) -> anyhow::Result<ImportReport> {
    let mut files = Vec::new();
    let mut rows = Vec::new();
    for (i, file) in region_files(path)?.iter().enumerate() {
        let name = file.display().to_string();
        let table = read_table(file).map_err(|e| anyhow::anyhow!("{name}：{e}"))?;
        collect(i, &name, table, &mut rows, progress)?;
        files.push(name);
    }
    import_rows(db, files, rows, options, audit, progress).await
}

/// Imports tables already read (the shipped Tianjin file).
pub async fn import_tables(
    db: &DatabaseConnection,
    tables: Vec<(String, Table)>,
    options: &ImportOptions,
    audit: &AuditEntry,
    progress: &mut Progress<'_>,
) -> anyhow::Result<ImportReport> {
    let mut files = Vec::new();
    let mut rows = Vec::new();
    for (i, (name, table)) in tables.into_iter().enumerate() {
        collect(i, &name, table, &mut rows, progress)?;
        files.push(name);
    }
    import_rows(db, files, rows, options, audit, progress).await
}

fn collect(
    file: usize,
    name: &str,
    table: Table,
    rows: &mut Vec<(RowRef, SourceRow)>,
    progress: &mut Progress<'_>,
) -> anyhow::Result<()> {
    let read = region_rows(table).map_err(|e| anyhow::anyhow!("{name}：{e}"))?;
    progress.tell(Event::Read {
        file: name,
        rows: read.len(),
    });
    rows.extend(read.into_iter().map(|(row, r)| (RowRef { file, row }, r)));
    Ok(())
}

async fn import_rows(
    db: &DatabaseConnection,
    files: Vec<String>,
    rows: Vec<(RowRef, SourceRow)>,
    options: &ImportOptions,
    audit: &AuditEntry,
    progress: &mut Progress<'_>,
) -> anyhow::Result<ImportReport> {
    let total_rows = rows.len();
    let existing = region::existing_units(db).await?;
    let plan = region_import::plan(rows, &existing);
    drop(existing);
    let mut report = ImportReport {
        rows: total_rows,
        inserted: plan.inserts.len(),
        changed: plan.changes.len(),
        unchanged: plan.unchanged,
        repeated: plan.repeated,
        problems: plan
            .problems
            .iter()
            .map(|(at, p)| RowIssue {
                file: files[at.file].clone(),
                row: at.row,
                message: p.message(&files),
            })
            .collect(),
        files,
        written: false,
    };
    if !report.problems.is_empty() && !options.skip_invalid {
        return Ok(report);
    }
    progress.tell(Event::Writing {
        total: plan.rows_to_write() as u64,
    });
    let audit = AuditEntry {
        after: Some(format!(
            "{{\"inserted\":{},\"changed\":{},\"unchanged\":{},\"skipped\":{},\"valid_from\":\"{}\"}}",
            report.inserted,
            report.changed,
            report.unchanged,
            report.problems.len(),
            options.valid_from
        )),
        ..audit.clone()
    };
    region::apply(db, &plan, options.valid_from, &audit, &mut |rows| {
        progress.tell(Event::Written { rows })
    })
    .await?;
    report.written = true;
    Ok(report)
}
