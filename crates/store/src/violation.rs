//! The violation ledger (违规台账) and referrals for accountability (追责问责移交).
//!
//! A violation is written in the transaction of what recorded it (a blocked dispatch, a
//! village's report, an upheld dispute), at most once per source. Civil affairs reads the
//! ledger of its region in full; a sending department reads its own entries, except that
//! reports reach it only as a count of units, and only from [`violation::PROTECTED_BELOW`] units on.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::violation::{self, ViolationSource};
use jianfu_domain::{Error, Page, PageRequest, RegionCode};

use crate::db_error;
use crate::entity::{referral, referral_violation, violation as row};

pub use crate::entity::referral::Model as Referral;
pub use crate::entity::violation::Model as Violation;

/// A violation to record.
#[derive(Debug, Clone)]
pub struct NewViolation {
    pub source: ViolationSource,
    pub department: String,
    pub department_name: String,
    pub region: RegionCode,
    pub units: usize,
    pub title: String,
    pub rule: String,
    pub message: String,
    pub item_code: Option<String>,
    pub day: NaiveDate,
}

/// Records `v` for the source record `source_id`, inside the caller's transaction.
pub(crate) async fn record(
    txn: &impl ConnectionTrait,
    v: &NewViolation,
    source_id: i64,
) -> Result<i64, Error> {
    Ok(row::Entity::insert(row::ActiveModel {
        source: Set(v.source.code().to_owned()),
        source_id: Set(source_id),
        department: Set(v.department.clone()),
        department_name: Set(v.department_name.chars().take(100).collect()),
        region: Set(v.region.as_str().to_owned()),
        units: Set(i32::try_from(v.units).unwrap_or(i32::MAX)),
        title: Set(v.title.trim().chars().take(200).collect()),
        rule: Set(v.rule.chars().take(40).collect()),
        message: Set(v.message.clone()),
        item_code: Set(v.item_code.clone()),
        day: Set(v.day),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(txn)
    .await
    .map_err(db_error)?
    .last_insert_id)
}

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct ViolationFilter {
    /// Entries that happened in this region's subtree (the reader's region).
    pub within: Option<RegionCode>,
    pub department: Option<String>,
    pub source: Option<ViolationSource>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn query(filter: &ViolationFilter) -> sea_orm::Select<row::Entity> {
    let mut q = row::Entity::find();
    if let Some(within) = &filter.within {
        let (lo, hi) = crate::region::subtree_range(within);
        q = q
            .filter(row::Column::Region.gte(lo))
            .filter(row::Column::Region.lte(hi));
    }
    if let Some(d) = &filter.department {
        q = q.filter(row::Column::Department.eq(d.as_str()));
    }
    if let Some(s) = filter.source {
        q = q.filter(row::Column::Source.eq(s.code()));
    }
    if let Some(from) = filter.from {
        q = q.filter(row::Column::Day.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(row::Column::Day.lte(to));
    }
    q.order_by_desc(row::Column::Day)
        .order_by_desc(row::Column::Id)
}

/// One page of the ledger, newest first (civil affairs' view).
pub async fn list(
    db: &DatabaseConnection,
    filter: &ViolationFilter,
    paging: PageRequest,
) -> Result<Page<Violation>, Error> {
    crate::paged(db, query(filter), paging, |v| v).await
}

/// Most entries one export or one notice reads.
pub const MAX_READ: u64 = 20_000;

/// Every entry the filter selects, newest first, up to [`MAX_READ`].
pub async fn all(
    db: &impl ConnectionTrait,
    filter: &ViolationFilter,
) -> Result<Vec<Violation>, Error> {
    query(filter)
        .limit(MAX_READ)
        .all(db)
        .await
        .map_err(db_error)
}

/// What a sending department may see of its own entries.
#[derive(Debug, Clone)]
pub struct SenderLedger {
    /// Its blocked dispatches and upheld disputes, newest first.
    pub entries: Vec<Violation>,
    /// Off-platform tasks villages reported: how many distinct units, when at least
    /// [`violation::PROTECTED_BELOW`] did; `None` below that.
    pub reported_units: Option<usize>,
    /// How many reports there were, shown under the same condition.
    pub reports: Option<usize>,
}

/// `department`'s own ledger for the period. Townships send without a department code, and
/// the empty code is every township's: it reads as an empty ledger, never as theirs together.
pub async fn of_sender(
    db: &DatabaseConnection,
    department: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<SenderLedger, Error> {
    if department.trim().is_empty() {
        return Ok(SenderLedger {
            entries: Vec::new(),
            reported_units: None,
            reports: None,
        });
    }
    let filter = ViolationFilter {
        department: Some(department.to_owned()),
        from,
        to,
        ..Default::default()
    };
    let rows = all(db, &filter).await?;
    let (reported, entries): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|v| v.source == ViolationSource::Report.code());
    let mut units: Vec<&str> = reported.iter().map(|v| v.region.as_str()).collect();
    units.sort_unstable();
    units.dedup();
    let shown = violation::shown_to_sender(units.len());
    Ok(SenderLedger {
        entries,
        reported_units: shown,
        reports: shown.map(|_| reported.len()),
    })
}

/// A referral to write.
#[derive(Debug, Clone)]
pub struct NewReferral {
    /// The referring level (civil affairs' region).
    pub region: RegionCode,
    pub department: String,
    pub receiving_body: String,
    pub reason: String,
    pub violations: Vec<i64>,
    pub referred_by: String,
}

/// Hands `violations` of one department over to `receiving_body`. Every violation must be in
/// the ledger of `region` and of that department.
pub async fn refer(
    db: &DatabaseConnection,
    new: &NewReferral,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    if new.receiving_body.trim().is_empty() {
        return Err(Error::refused("请填写接收移交的机关"));
    }
    if new.reason.trim().is_empty() {
        return Err(Error::refused("请填写移交理由"));
    }
    if new.violations.is_empty() {
        return Err(Error::refused("请至少选择一条违规记录"));
    }
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let found = query(&ViolationFilter {
        within: Some(new.region),
        department: Some(new.department.clone()),
        ..Default::default()
    })
    .filter(row::Column::Id.is_in(new.violations.iter().copied()))
    .all(&txn)
    .await
    .map_err(db_error)?;
    if found.len() != new.violations.len() {
        return Err(Error::refused(
            "所选违规记录不属于本辖区或不属于该单位，请重新选择",
        ));
    }
    let name = found
        .first()
        .map(|v| v.department_name.clone())
        .unwrap_or_default();
    let id = referral::Entity::insert(referral::ActiveModel {
        region: Set(new.region.as_str().to_owned()),
        department: Set(new.department.clone()),
        department_name: Set(name.clone()),
        receiving_body: Set(new.receiving_body.trim().chars().take(100).collect()),
        reason: Set(new.reason.trim().to_owned()),
        state: Set("referred".into()),
        outcome: Set(None),
        referred_by: Set(new.referred_by.clone()),
        referred_at: Set(Utc::now()),
        concluded_by: Set(None),
        concluded_at: Set(None),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    referral_violation::Entity::insert_many(found.iter().map(|v| {
        referral_violation::ActiveModel {
            referral_id: Set(id),
            violation_id: Set(v.id),
        }
    }))
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("referral/{id}"),
        after: Some(
            serde_json::json!({
                "department": new.department,
                "department_name": name,
                "receiving_body": new.receiving_body.trim(),
                "violations": new.violations,
            })
            .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(id)
}

/// Records the outcome the receiving body reported (处理结果); a referral concludes once.
pub async fn conclude(
    db: &DatabaseConnection,
    id: i64,
    region: &RegionCode,
    outcome: &str,
    by: &str,
    audit: &AuditEntry,
) -> Result<(), Error> {
    if outcome.trim().is_empty() {
        return Err(Error::refused("请填写处理结果"));
    }
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let r = referral::Entity::find_by_id(id)
        .filter(referral::Column::Region.eq(region.as_str()))
        .lock_exclusive()
        .one(&txn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("移交记录 {id}")))?;
    if r.state != "referred" {
        return Err(Error::refused("该移交已记录处理结果"));
    }
    referral::Entity::update_many()
        .col_expr(referral::Column::State, Expr::value("concluded"))
        .col_expr(referral::Column::Outcome, Expr::value(outcome.trim()))
        .col_expr(referral::Column::ConcludedBy, Expr::value(by))
        .col_expr(referral::Column::ConcludedAt, Expr::value(Utc::now()))
        .filter(referral::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("referral/{id}"),
        before: Some(serde_json::json!({ "state": "referred" }).to_string()),
        after: Some(
            serde_json::json!({ "state": "concluded", "outcome": outcome.trim() }).to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// The referrals `region` made, newest first, each with its violations' ids.
pub async fn referrals(
    db: &DatabaseConnection,
    region: &RegionCode,
) -> Result<Vec<(Referral, Vec<i64>)>, Error> {
    let rows = referral::Entity::find()
        .filter(referral::Column::Region.eq(region.as_str()))
        .order_by_desc(referral::Column::Id)
        .limit(MAX_READ)
        .all(db)
        .await
        .map_err(db_error)?;
    let links = referral_violation::Entity::find()
        .filter(referral_violation::Column::ReferralId.is_in(rows.iter().map(|r| r.id)))
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let ids = links
                .iter()
                .filter(|l| l.referral_id == r.id)
                .map(|l| l.violation_id)
                .collect();
            (r, ids)
        })
        .collect())
}
