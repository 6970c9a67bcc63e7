//! Reports of tasks that reached a village outside the platform (场外派发报告): who sent it,
//! through which channel, what it said, with evidence files, and the verdict the engine gave
//! it. A blocked verdict records a violation against the sender in the same transaction.
//! A report is its unit's: only that unit reads it back; the sender only ever learns counts
//! (`crate::violation::of_sender`).

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::verdict::{Outcome, Reason};
use jianfu_domain::violation::Channel;
use jianfu_domain::{Error, Page, PageRequest, RegionCode};

use crate::db_error;
use crate::entity::{report as row, report_evidence as file};
use crate::violation::NewViolation;

pub use crate::entity::report::Model as Report;
pub use crate::entity::report_evidence::Model as Evidence;

/// A report as the unit files it, with the verdict already given.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub unit: RegionCode,
    pub reporter: String,
    pub sender_department: String,
    pub sender_name: String,
    pub sender_region: RegionCode,
    pub channel: Channel,
    pub title: String,
    pub body: String,
    pub received_on: NaiveDate,
    pub cites_item: Option<String>,
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
}

/// An evidence file (a screenshot of the group message, a photo of the paper notice).
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    pub name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// As for admission attachments: a request body holds 2 MB at most.
pub const MAX_EVIDENCE_BYTES: usize = 1536 * 1024;
pub const MAX_EVIDENCE_FILES: usize = 5;

/// Writes the report, its files and (when given) its violation in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    new: &NewReport,
    evidence: &[EvidenceFile],
    violation: Option<&NewViolation>,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    if evidence.len() > MAX_EVIDENCE_FILES {
        return Err(Error::refused(format!(
            "每份报告最多上传 {MAX_EVIDENCE_FILES} 个证据文件"
        )));
    }
    if let Some(f) = evidence.iter().find(|f| f.bytes.len() > MAX_EVIDENCE_BYTES) {
        return Err(Error::refused(format!(
            "证据文件“{}”超过 1.5 MB，请压缩后上传",
            f.name
        )));
    }
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let now = Utc::now();
    let id = row::Entity::insert(row::ActiveModel {
        unit: Set(new.unit.as_str().to_owned()),
        reporter: Set(new.reporter.clone()),
        sender_department: Set(new.sender_department.clone()),
        sender_name: Set(new.sender_name.trim().chars().take(100).collect()),
        sender_region: Set(new.sender_region.as_str().to_owned()),
        channel: Set(new.channel.code().to_owned()),
        title: Set(new.title.trim().chars().take(200).collect()),
        body: Set(new.body.trim().to_owned()),
        received_on: Set(new.received_on),
        cites_item: Set(new.cites_item.clone()),
        outcome: Set(crate::dispatch::outcome_code(new.outcome).to_owned()),
        reasons: Set(serde_json::to_string(&new.reasons).expect("reasons serialise")),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    let mut digests = Vec::new();
    for f in evidence {
        let digest = crate::to_hex(&jianfu_seal::sm3(&f.bytes));
        file::Entity::insert(file::ActiveModel {
            report_id: Set(id),
            name: Set(f.name.trim().chars().take(200).collect()),
            mime: Set(f.mime.chars().take(100).collect()),
            size: Set(f.bytes.len() as i32),
            digest: Set(digest.clone()),
            content: Set(f.bytes.clone()),
            uploaded_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await
        .map_err(db_error)?;
        digests.push(digest);
    }
    let violation_id = match violation {
        Some(v) => Some(crate::violation::record(&txn, v, id).await?),
        None => None,
    };
    let entry = AuditEntry {
        object: format!("report/{id}"),
        after: Some(
            serde_json::json!({
                "sender_department": new.sender_department,
                "sender_name": new.sender_name,
                "channel": new.channel.code(),
                "title": new.title,
                "outcome": crate::dispatch::outcome_code(new.outcome),
                "evidence_sm3": digests,
                "violation": violation_id,
            })
            .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(id)
}

/// One page of `unit`'s own reports, newest first, each with its files (without content).
pub async fn of_unit(
    db: &DatabaseConnection,
    unit: &RegionCode,
    paging: PageRequest,
) -> Result<Page<(Report, Vec<(i64, String)>)>, Error> {
    let query = row::Entity::find()
        .filter(row::Column::Unit.eq(unit.as_str()))
        .order_by_desc(row::Column::Id);
    let found = crate::paged(db, query, paging, |r| r).await?;
    let files = file::Entity::find()
        .select_only()
        .columns([file::Column::Id, file::Column::ReportId, file::Column::Name])
        .filter(file::Column::ReportId.is_in(found.items.iter().map(|r| r.id)))
        .order_by_asc(file::Column::Id)
        .into_tuple::<(i64, i64, String)>()
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(Page {
        items: found
            .items
            .into_iter()
            .map(|r| {
                let of_it = files
                    .iter()
                    .filter(|(_, report, _)| *report == r.id)
                    .map(|(id, _, name)| (*id, name.clone()))
                    .collect();
                (r, of_it)
            })
            .collect(),
        total: found.total,
        page: found.page,
        per_page: found.per_page,
    })
}

/// Report `id`, if it was filed by a unit within `within`.
async fn find(db: &DatabaseConnection, within: &RegionCode, id: i64) -> Result<Report, Error> {
    let (lo, hi) = crate::region::subtree_range(within);
    row::Entity::find_by_id(id)
        .filter(row::Column::Unit.gte(lo))
        .filter(row::Column::Unit.lte(hi))
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("报告 {id}")))
}

/// Report `id` with its files (without content), if it was filed by a unit within `within`
/// (a village reads its own; civil affairs those of its region).
pub async fn get(
    db: &DatabaseConnection,
    within: &RegionCode,
    id: i64,
) -> Result<(Report, Vec<(i64, String)>), Error> {
    let report = find(db, within, id).await?;
    let files = file::Entity::find()
        .select_only()
        .columns([file::Column::Id, file::Column::Name])
        .filter(file::Column::ReportId.eq(id))
        .order_by_asc(file::Column::Id)
        .into_tuple::<(i64, String)>()
        .all(db)
        .await
        .map_err(db_error)?;
    Ok((report, files))
}

/// An evidence file of report `report_id`, under the same condition as [`get`].
pub async fn evidence(
    db: &DatabaseConnection,
    within: &RegionCode,
    report_id: i64,
    file_id: i64,
) -> Result<Evidence, Error> {
    find(db, within, report_id).await?;
    file::Entity::find_by_id(file_id)
        .filter(file::Column::ReportId.eq(report_id))
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("证据文件 {file_id}")))
}
