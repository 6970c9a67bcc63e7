//! Guidance directories: published versions (immutable: rows are only ever inserted) and
//! adjustments, whose procedure follows `jianfu_domain::catalog::adjustment`. Publishing an
//! approved adjustment writes the next version, its items, the adjustment's new stage, its event
//! and the audit record in one transaction.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder,
};

use std::collections::BTreeMap;

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::catalog::adjustment::{self, Action, Actor, Change, Stage};
use jianfu_domain::catalog::{
    Applicability, DirectoryItem, DirectoryKind, DirectoryVersion, DistrictRefinement, ItemCode,
    Refinement, ServiceGuide,
};
use jianfu_domain::{Error, RegionCode};

use crate::db_error;
use crate::entity::{
    adjustment as adj, adjustment_change as change, adjustment_event as event,
    directory_item as item, directory_refinement as refinement, directory_version as version,
    refinement_entry as entry,
};

/// A published version without its items, for lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSummary {
    pub kind: DirectoryKind,
    pub number: u32,
    pub effective_from: NaiveDate,
    pub published_by: String,
    pub items: u64,
}

fn to_item(m: item::Model, kind: DirectoryKind) -> DirectoryItem {
    let has_guide = m.guide_materials.is_some()
        || m.guide_conditions.is_some()
        || m.guide_steps.is_some()
        || m.guide_time_limit_days.is_some()
        || m.guide_demanding_agency.is_some()
        || m.guide_template.is_some();
    DirectoryItem {
        code: ItemCode::parse(kind, &m.code).expect("stored item codes are valid"),
        name: m.name,
        category: m.category,
        basis: m.basis,
        department: m.department,
        village_role: m.village_role,
        support: m.support,
        applicability: Applicability::parse(&m.applicability).unwrap_or(Applicability::Both),
        valid_from: m.valid_from,
        valid_to: m.valid_to,
        guide: has_guide.then(|| ServiceGuide {
            materials: m.guide_materials.unwrap_or_default(),
            conditions: m.guide_conditions.unwrap_or_default(),
            steps: m.guide_steps.unwrap_or_default(),
            time_limit_days: m.guide_time_limit_days.and_then(|d| u32::try_from(d).ok()),
            demanding_agency: m.guide_demanding_agency.unwrap_or_default(),
            template: m.guide_template.unwrap_or_default(),
        }),
        refusal_guidance: m.refusal_guidance,
        source: m.source,
        is_demo: m.is_demo,
    }
}

fn to_model(version_id: i64, i: &DirectoryItem) -> item::ActiveModel {
    let guide = i.guide.as_ref();
    let text = |f: fn(&ServiceGuide) -> &String| guide.map(f).filter(|s| !s.is_empty()).cloned();
    item::ActiveModel {
        version_id: Set(version_id),
        code: Set(i.code.to_string()),
        name: Set(i.name.clone()),
        category: Set(i.category.clone()),
        basis: Set(i.basis.clone()),
        department: Set(i.department.clone()),
        village_role: Set(i.village_role.clone()),
        support: Set(i.support.clone()),
        applicability: Set(i.applicability.as_str().to_owned()),
        valid_from: Set(i.valid_from),
        valid_to: Set(i.valid_to),
        guide_materials: Set(text(|g| &g.materials)),
        guide_conditions: Set(text(|g| &g.conditions)),
        guide_steps: Set(text(|g| &g.steps)),
        guide_time_limit_days: Set(guide
            .and_then(|g| g.time_limit_days)
            .and_then(|d| i32::try_from(d).ok())),
        guide_demanding_agency: Set(text(|g| &g.demanding_agency)),
        guide_template: Set(text(|g| &g.template)),
        refusal_guidance: Set(i.refusal_guidance.clone()),
        source: Set(i.source.clone()),
        is_demo: Set(i.is_demo),
        ..Default::default()
    }
}

/// Rows per INSERT: well under every backend's bind-parameter limit (20 columns a row).
const INSERT_CHUNK: usize = 500;

/// Writes version `number` of `kind` with `items` in the caller's transaction.
async fn insert_version<C: ConnectionTrait>(
    conn: &C,
    kind: DirectoryKind,
    number: u32,
    effective_from: NaiveDate,
    published_by: &str,
    adjustment_id: Option<i64>,
    items: &[DirectoryItem],
) -> Result<(), Error> {
    let id = version::Entity::insert(version::ActiveModel {
        kind: Set(kind.as_str().to_owned()),
        number: Set(number as i32),
        effective_from: Set(effective_from),
        published_at: Set(Utc::now()),
        published_by: Set(published_by.to_owned()),
        adjustment_id: Set(adjustment_id),
        ..Default::default()
    })
    .exec(conn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    for chunk in items.chunks(INSERT_CHUNK) {
        item::Entity::insert_many(chunk.iter().map(|i| to_model(id, i)))
            .exec_without_returning(conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// Publishes the first version of a directory that has none (the shipped lists on first
/// start), with its audit record. Returns false when the directory already has a version.
pub async fn publish_first(
    db: &DatabaseConnection,
    kind: DirectoryKind,
    items: &[DirectoryItem],
    effective_from: NaiveDate,
    audit: &AuditEntry,
) -> Result<bool, Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let exists = version::Entity::find()
        .filter(version::Column::Kind.eq(kind.as_str()))
        .count(&txn)
        .await
        .map_err(db_error)?
        > 0;
    if exists {
        return Ok(false);
    }
    crate::audit::append(&txn, audit).await.map_err(db_error)?;
    insert_version(&txn, kind, 1, effective_from, &audit.actor, None, items).await?;
    txn.commit().await.map_err(db_error)?;
    Ok(true)
}

/// How many versions and district refinements have been published, of every directory: a
/// cache of what is in force (the search index) is stale when this grows, whichever app node
/// published.
pub async fn published_count(db: &DatabaseConnection) -> Result<u64, Error> {
    use sea_orm::Statement;
    // One round trip for both counts.
    let stmt = Statement::from_string(
        db.get_database_backend(),
        "SELECT (SELECT COUNT(*) FROM directory_version) + \
         (SELECT COUNT(*) FROM directory_refinement) AS n",
    );
    let row = db.query_one_raw(stmt).await.map_err(db_error)?;
    let n: i64 = row
        .map(|r| r.try_get("", "n"))
        .transpose()
        .map_err(db_error)?
        .unwrap_or_default();
    Ok(u64::try_from(n).unwrap_or_default())
}

/// Writes refinement `number` of `district` for `kind` in the caller's transaction.
async fn insert_refinement<C: ConnectionTrait>(
    conn: &C,
    r: &DistrictRefinement,
    published_by: &str,
    adjustment_id: i64,
) -> Result<(), Error> {
    let id = refinement::Entity::insert(refinement::ActiveModel {
        kind: Set(r.kind.as_str().to_owned()),
        district: Set(r.district.to_string()),
        number: Set(r.number as i32),
        effective_from: Set(r.effective_from),
        published_at: Set(Utc::now()),
        published_by: Set(published_by.to_owned()),
        adjustment_id: Set(Some(adjustment_id)),
        ..Default::default()
    })
    .exec(conn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    let rows: Vec<entry::ActiveModel> = r
        .entries
        .iter()
        .map(|(code, e)| entry::ActiveModel {
            refinement_id: Set(id),
            code: Set(code.to_string()),
            note: Set(e.note.clone()),
            applicability: Set(e.applicability.map(|a| a.as_str().to_owned())),
            valid_from: Set(e.valid_from),
            valid_to: Set(e.valid_to),
            local_basis: Set(e.local_basis.clone()),
            scope: Set(e.scope.clone()),
            process: Set(e.process.clone()),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        entry::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

/// Reads refinement rows with their entries (two queries, whatever their number).
async fn load_refinements<C: ConnectionTrait>(
    conn: &C,
    kind: DirectoryKind,
    rows: Vec<refinement::Model>,
) -> Result<Vec<DistrictRefinement>, Error> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut entries: std::collections::HashMap<i64, BTreeMap<ItemCode, Refinement>> =
        Default::default();
    if !ids.is_empty() {
        for m in entry::Entity::find()
            .filter(entry::Column::RefinementId.is_in(ids))
            .all(conn)
            .await
            .map_err(db_error)?
        {
            let code = ItemCode::parse(kind, &m.code).map_err(|_| Error::Internal)?;
            entries.entry(m.refinement_id).or_default().insert(
                code,
                Refinement {
                    note: m.note,
                    applicability: m.applicability.as_deref().and_then(Applicability::parse),
                    valid_from: m.valid_from,
                    valid_to: m.valid_to,
                    local_basis: m.local_basis,
                    scope: m.scope,
                    process: m.process,
                },
            );
        }
    }
    rows.into_iter()
        .map(|r| {
            Ok(DistrictRefinement {
                district: RegionCode::parse(&r.district).map_err(|_| Error::Internal)?,
                kind,
                number: r.number as u32,
                effective_from: r.effective_from,
                entries: entries.remove(&r.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// The refinement of `kind` by `district` that `changes` would make: checked against the city's
/// newest version and the district's newest refinement (the domain's `apply_refinement`).
pub async fn next_refinement<C: ConnectionTrait>(
    conn: &C,
    kind: DirectoryKind,
    district: &RegionCode,
    changes: &[Change],
) -> Result<Result<BTreeMap<ItemCode, Refinement>, Vec<adjustment::ChangeProblem>>, Error> {
    let base = latest(conn, kind).await?.unwrap_or(DirectoryVersion {
        kind,
        number: 0,
        effective_from: NaiveDate::MIN,
        items: Vec::new(),
    });
    let now = latest_refinement(conn, kind, district)
        .await?
        .map(|r| r.entries)
        .unwrap_or_default();
    Ok(adjustment::apply_refinement(&base, &now, changes))
}

/// Every district's published refinements of `kind`, oldest first: what the in-process cache
/// holds beside the city's versions.
pub async fn refinement_history(
    db: &DatabaseConnection,
    kind: DirectoryKind,
) -> Result<Vec<DistrictRefinement>, Error> {
    let rows = refinement::Entity::find()
        .filter(refinement::Column::Kind.eq(kind.as_str()))
        .order_by_asc(refinement::Column::District)
        .order_by_asc(refinement::Column::Number)
        .all(db)
        .await
        .map_err(db_error)?;
    load_refinements(db, kind, rows).await
}

/// The newest refinement of `kind` by `district` (the one its next draft starts from).
pub async fn latest_refinement<C: ConnectionTrait>(
    conn: &C,
    kind: DirectoryKind,
    district: &RegionCode,
) -> Result<Option<DistrictRefinement>, Error> {
    let rows = refinement::Entity::find()
        .filter(refinement::Column::Kind.eq(kind.as_str()))
        .filter(refinement::Column::District.eq(district.to_string()))
        .order_by_desc(refinement::Column::Number)
        .one(conn)
        .await
        .map_err(db_error)?;
    Ok(load_refinements(conn, kind, rows.into_iter().collect())
        .await?
        .pop())
}

/// Every published version of `kind`, newest first.
pub async fn versions(
    db: &DatabaseConnection,
    kind: DirectoryKind,
) -> Result<Vec<VersionSummary>, Error> {
    let rows = version::Entity::find()
        .filter(version::Column::Kind.eq(kind.as_str()))
        .order_by_desc(version::Column::Number)
        .all(db)
        .await
        .map_err(db_error)?;
    let mut out = Vec::with_capacity(rows.len());
    for v in rows {
        let items = item::Entity::find()
            .filter(item::Column::VersionId.eq(v.id))
            .count(db)
            .await
            .map_err(db_error)?;
        out.push(VersionSummary {
            kind,
            number: v.number as u32,
            effective_from: v.effective_from,
            published_by: v.published_by,
            items,
        });
    }
    Ok(out)
}

/// Every published version of `kind` with its items, oldest first (two queries, whatever the
/// number of versions): what an in-process cache of the directories holds.
pub async fn history(
    db: &DatabaseConnection,
    kind: DirectoryKind,
) -> Result<Vec<DirectoryVersion>, Error> {
    let versions = version::Entity::find()
        .filter(version::Column::Kind.eq(kind.as_str()))
        .order_by_asc(version::Column::Number)
        .all(db)
        .await
        .map_err(db_error)?;
    let ids: Vec<i64> = versions.iter().map(|v| v.id).collect();
    let mut items: std::collections::HashMap<i64, Vec<DirectoryItem>> = Default::default();
    if !ids.is_empty() {
        let rows = item::Entity::find()
            .filter(item::Column::VersionId.is_in(ids))
            .order_by_asc(item::Column::Code)
            .all(db)
            .await
            .map_err(db_error)?;
        for m in rows {
            items
                .entry(m.version_id)
                .or_default()
                .push(to_item(m, kind));
        }
    }
    Ok(versions
        .into_iter()
        .map(|v| DirectoryVersion {
            kind,
            number: v.number as u32,
            effective_from: v.effective_from,
            items: items.remove(&v.id).unwrap_or_default(),
        })
        .collect())
}

async fn load<C: ConnectionTrait>(
    conn: &C,
    kind: DirectoryKind,
    v: version::Model,
) -> Result<DirectoryVersion, Error> {
    let items = item::Entity::find()
        .filter(item::Column::VersionId.eq(v.id))
        .order_by_asc(item::Column::Code)
        .all(conn)
        .await
        .map_err(db_error)?;
    Ok(DirectoryVersion {
        kind,
        number: v.number as u32,
        effective_from: v.effective_from,
        items: items.into_iter().map(|m| to_item(m, kind)).collect(),
    })
}

/// Version `number` of `kind` with its items.
pub async fn version(
    db: &DatabaseConnection,
    kind: DirectoryKind,
    number: u32,
) -> Result<Option<DirectoryVersion>, Error> {
    let found = version::Entity::find()
        .filter(version::Column::Kind.eq(kind.as_str()))
        .filter(version::Column::Number.eq(number as i32))
        .one(db)
        .await
        .map_err(db_error)?;
    match found {
        Some(v) => Ok(Some(load(db, kind, v).await?)),
        None => Ok(None),
    }
}

/// The newest version of `kind` (the one the next adjustment starts from), whatever its day.
pub async fn latest<C: ConnectionTrait>(
    conn: &C,
    kind: DirectoryKind,
) -> Result<Option<DirectoryVersion>, Error> {
    let found = version::Entity::find()
        .filter(version::Column::Kind.eq(kind.as_str()))
        .order_by_desc(version::Column::Number)
        .one(conn)
        .await
        .map_err(db_error)?;
    match found {
        Some(v) => Ok(Some(load(conn, kind, v).await?)),
        None => Ok(None),
    }
}

/// The version of `kind` in force on `day`.
pub async fn version_at(
    db: &DatabaseConnection,
    kind: DirectoryKind,
    day: NaiveDate,
) -> Result<Option<DirectoryVersion>, Error> {
    let found = version::Entity::find()
        .filter(version::Column::Kind.eq(kind.as_str()))
        .filter(version::Column::EffectiveFrom.lte(day))
        .order_by_desc(version::Column::EffectiveFrom)
        .order_by_desc(version::Column::Number)
        .one(db)
        .await
        .map_err(db_error)?;
    match found {
        Some(v) => Ok(Some(load(db, kind, v).await?)),
        None => Ok(None),
    }
}

/// What an adjustment is about, as its drafter writes it.
#[derive(Debug, Clone)]
pub struct NewAdjustment {
    pub kind: DirectoryKind,
    /// The district refining the city's directory; none for the city's own adjustment.
    pub district: Option<RegionCode>,
    pub title: String,
    pub reason: String,
    pub basis: String,
}

/// An adjustment with its changes and its procedure so far.
#[derive(Debug, Clone)]
pub struct AdjustmentView {
    pub id: i64,
    pub kind: DirectoryKind,
    /// The district refining the city's directory; none for the city's own adjustment.
    pub district: Option<RegionCode>,
    pub title: String,
    pub reason: String,
    pub basis: String,
    pub stage: Stage,
    pub drafter: String,
    pub base_version: Option<u32>,
    pub changes: Vec<(Change, Option<u32>)>,
    pub events: Vec<event::Model>,
}

/// The stage as stored and as the API names it.
pub fn stage_code(stage: &Stage) -> &'static str {
    match stage {
        Stage::Draft => "draft",
        Stage::Submitted => "submitted",
        Stage::Reviewed => "reviewed",
        Stage::Approved => "approved",
        Stage::Published { .. } => "published",
        Stage::Returned { .. } => "returned",
        Stage::Rejected { .. } => "rejected",
    }
}

fn to_stage(m: &adj::Model) -> Stage {
    let note = m.stage_note.clone().unwrap_or_default();
    match m.stage.as_str() {
        "submitted" => Stage::Submitted,
        "reviewed" => Stage::Reviewed,
        "approved" => Stage::Approved,
        "published" => Stage::Published {
            version: m.published_version.unwrap_or(0) as u32,
            effective_from: m.effective_from.unwrap_or_default(),
        },
        "returned" => Stage::Returned { reason: note },
        "rejected" => Stage::Rejected { reason: note },
        _ => Stage::Draft,
    }
}

/// Opens a draft adjustment; returns its id.
pub async fn create_adjustment(
    db: &DatabaseConnection,
    new: &NewAdjustment,
    drafter: &str,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    if new.title.trim().is_empty() {
        return Err(Error::InvalidQuery("请填写调整标题".into()));
    }
    let now = Utc::now();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let id = adj::Entity::insert(adj::ActiveModel {
        kind: Set(new.kind.as_str().to_owned()),
        district: Set(new.district.as_ref().map(ToString::to_string)),
        title: Set(new.title.trim().to_owned()),
        reason: Set(new.reason.trim().to_owned()),
        basis: Set(new.basis.trim().to_owned()),
        stage: Set(stage_code(&Stage::Draft).to_owned()),
        drafter: Set(drafter.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    let entry = AuditEntry {
        object: format!("adjustment/{id}"),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(id)
}

async fn find_adjustment<C: ConnectionTrait>(conn: &C, id: i64) -> Result<adj::Model, Error> {
    adj::Entity::find_by_id(id)
        .one(conn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::InvalidQuery(format!("调整 {id} 不存在")))
}

/// The adjustment, its row locked until the transaction ends: two people acting on one draft
/// at once take turns, so an approval never lands on content changed after its review
/// (SQLite's write transactions are serialised already and take no row locks).
async fn lock_adjustment<C: ConnectionTrait>(conn: &C, id: i64) -> Result<adj::Model, Error> {
    use sea_orm::QuerySelect;
    adj::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::InvalidQuery(format!("调整 {id} 不存在")))
}

/// Whether `username` passed the draft on to approval since it was last submitted.
async fn reviewed_by<C: ConnectionTrait>(conn: &C, id: i64, username: &str) -> Result<bool, Error> {
    let events = event::Entity::find()
        .filter(event::Column::AdjustmentId.eq(id))
        .order_by_asc(event::Column::Id)
        .all(conn)
        .await
        .map_err(db_error)?;
    Ok(reviewed_since_submission(&events, username))
}

/// Whether `username` passed the draft on to approval since it was last submitted, from its
/// events in order (the page asks the same question of the events it shows).
pub fn reviewed_since_submission(events: &[event::Model], username: &str) -> bool {
    events
        .iter()
        .fold(false, |reviewed, e| match e.action.as_str() {
            "submitted" => false,
            "reviewed" => reviewed || e.actor == username,
            _ => reviewed,
        })
}

/// Every stage by its code and label, in procedure order, for filters.
pub fn stages() -> Vec<(&'static str, &'static str)> {
    [
        Stage::Draft,
        Stage::Submitted,
        Stage::Reviewed,
        Stage::Approved,
        Stage::Published {
            version: 0,
            effective_from: NaiveDate::MIN,
        },
        Stage::Returned {
            reason: String::new(),
        },
        Stage::Rejected {
            reason: String::new(),
        },
    ]
    .iter()
    .map(|s| (stage_code(s), s.label()))
    .collect()
}

/// The change as stored and as the API names it.
pub fn op_code(change: &Change) -> &'static str {
    match change {
        Change::Add(_) => "add",
        Change::Modify(_) => "modify",
        Change::Retire(_) => "retire",
        Change::Refine(..) => "refine",
        Change::Unrefine(_) => "unrefine",
    }
}

/// Replaces the changes of an editable draft (an import or the edit form), with the spreadsheet
/// row each came from.
pub async fn set_changes(
    db: &DatabaseConnection,
    id: i64,
    changes: &[(Change, Option<u32>)],
    audit: &AuditEntry,
) -> Result<(), Error> {
    write_changes(db, id, None, changes, audit).await
}

/// Like [`set_changes`], for an edit made from the changes the editor saw (`seen`): refused
/// when the draft's changes are no longer those, so two edits at once never silently drop one.
pub async fn set_changes_if_unchanged(
    db: &DatabaseConnection,
    id: i64,
    seen: &[(Change, Option<u32>)],
    changes: &[(Change, Option<u32>)],
    audit: &AuditEntry,
) -> Result<(), Error> {
    write_changes(db, id, Some(seen), changes, audit).await
}

async fn write_changes(
    db: &DatabaseConnection,
    id: i64,
    seen: Option<&[(Change, Option<u32>)]>,
    changes: &[(Change, Option<u32>)],
    audit: &AuditEntry,
) -> Result<(), Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let a = lock_adjustment(&txn, id).await?;
    if !to_stage(&a).editable() {
        return Err(Error::InvalidQuery(format!(
            "调整处于“{}”状态，不能修改内容",
            to_stage(&a).label()
        )));
    }
    if let Some(seen) = seen {
        let kind = DirectoryKind::parse(&a.kind).ok_or(Error::Internal)?;
        if changes_of(&txn, kind, id).await? != seen {
            return Err(Error::Refused {
                message: "草稿内容刚被修改过（可能在另一个窗口），本次修改未保存：请刷新页面后重试"
                    .into(),
                details: Vec::new(),
            });
        }
    }
    change::Entity::delete_many()
        .filter(change::Column::AdjustmentId.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let models = changes.iter().enumerate().map(|(n, (c, row))| {
        let item = match c {
            Change::Add(i) | Change::Modify(i) => {
                Some(serde_json::to_string(i).expect("items serialise"))
            }
            Change::Refine(_, r) => Some(serde_json::to_string(r).expect("refinements serialise")),
            Change::Retire(_) | Change::Unrefine(_) => None,
        };
        change::ActiveModel {
            adjustment_id: Set(id),
            position: Set(n as i32),
            op: Set(op_code(c).to_owned()),
            code: Set(c.code().to_string()),
            item: Set(item),
            source_row: Set(row.map(|r| r as i32)),
            ..Default::default()
        }
    });
    for chunk in models.collect::<Vec<_>>().chunks(INSERT_CHUNK) {
        change::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
    }
    adj::Entity::update_many()
        .col_expr(adj::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(adj::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("adjustment/{id}"),
        // The caller may say more (the file imported); the count is said either way.
        after: audit
            .after
            .clone()
            .or_else(|| Some(serde_json::json!({ "changes": changes.len() }).to_string())),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

async fn changes_of<C: ConnectionTrait>(
    conn: &C,
    kind: DirectoryKind,
    id: i64,
) -> Result<Vec<(Change, Option<u32>)>, Error> {
    let rows = change::Entity::find()
        .filter(change::Column::AdjustmentId.eq(id))
        .order_by_asc(change::Column::Position)
        .all(conn)
        .await
        .map_err(db_error)?;
    rows.into_iter()
        .map(|r| {
            let row = r.source_row.map(|n| n as u32);
            fn json<T: serde::de::DeserializeOwned>(text: Option<&str>) -> Result<T, Error> {
                serde_json::from_str(text.ok_or(Error::Internal)?).map_err(|_| Error::Internal)
            }
            let code = || ItemCode::parse(kind, &r.code).map_err(|_| Error::Internal);
            let text = r.item.as_deref();
            let c = match r.op.as_str() {
                "add" => Change::Add(json(text)?),
                "modify" => Change::Modify(json(text)?),
                "refine" => Change::Refine(code()?, json(text)?),
                "unrefine" => Change::Unrefine(code()?),
                _ => Change::Retire(code()?),
            };
            Ok((c, row))
        })
        .collect()
}

/// An adjustment with its changes and events.
pub async fn adjustment(db: &DatabaseConnection, id: i64) -> Result<AdjustmentView, Error> {
    let a = find_adjustment(db, id).await?;
    let kind = DirectoryKind::parse(&a.kind).ok_or(Error::Internal)?;
    let events = event::Entity::find()
        .filter(event::Column::AdjustmentId.eq(id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(AdjustmentView {
        id,
        kind,
        district: district_of(&a)?,
        stage: to_stage(&a),
        changes: changes_of(db, kind, id).await?,
        title: a.title,
        reason: a.reason,
        basis: a.basis,
        drafter: a.drafter,
        base_version: a.base_version.map(|v| v as u32),
        events,
    })
}

fn district_of(a: &adj::Model) -> Result<Option<RegionCode>, Error> {
    a.district
        .as_deref()
        .map(|d| RegionCode::parse(d).map_err(|_| Error::Internal))
        .transpose()
}

/// An adjustment in a list.
#[derive(Debug, Clone)]
pub struct AdjustmentSummary {
    pub id: i64,
    pub kind: DirectoryKind,
    pub title: String,
    pub stage: Stage,
    pub drafter: String,
    pub updated_at: chrono::DateTime<Utc>,
}

/// Which adjustments a list shows.
#[derive(Debug, Clone, Default)]
pub struct AdjustmentFilter {
    pub kind: Option<DirectoryKind>,
    /// A stage code (`draft`, `submitted`…, see [`stage_code`]).
    pub stage: Option<String>,
}

/// The adjustments of one level (the city's when `district` is none, else that district's
/// refinements) that pass `filter`, most recently changed first, one page of them.
pub async fn adjustments(
    db: &DatabaseConnection,
    district: Option<&RegionCode>,
    filter: &AdjustmentFilter,
    page: jianfu_domain::PageRequest,
) -> Result<jianfu_domain::Page<AdjustmentSummary>, Error> {
    let mut query = adj::Entity::find().filter(level_is(district));
    if let Some(kind) = filter.kind {
        query = query.filter(adj::Column::Kind.eq(kind.as_str()));
    }
    if let Some(stage) = &filter.stage {
        query = query.filter(adj::Column::Stage.eq(stage.as_str()));
    }
    let query = query
        .order_by_desc(adj::Column::UpdatedAt)
        .order_by_desc(adj::Column::Id);
    let found = crate::paged(db, query, page, |a| {
        Some(AdjustmentSummary {
            id: a.id,
            kind: DirectoryKind::parse(&a.kind)?,
            stage: to_stage(&a),
            title: a.title,
            drafter: a.drafter,
            updated_at: a.updated_at,
        })
    })
    .await?;
    // Only this code writes kinds; a row it cannot read is left out, not a failed list.
    Ok(jianfu_domain::Page {
        items: found.items.into_iter().flatten().collect(),
        total: found.total,
        page: found.page,
        per_page: found.per_page,
    })
}

fn level_is(district: Option<&RegionCode>) -> sea_orm::Condition {
    let c = sea_orm::Condition::all();
    match district {
        Some(d) => c.add(adj::Column::District.eq(d.to_string())),
        None => c.add(adj::Column::District.is_null()),
    }
}

/// Another adjustment still in progress that touches some of the same items: publishing one
/// makes the other's changes to those items stale (they are re-checked when it moves on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub id: i64,
    pub title: String,
    pub stage: Stage,
    pub codes: Vec<String>,
}

/// The adjustments of `kind` and the same level other than `id`, neither published nor
/// rejected, whose changes touch any of `codes` (records of later capabilities that cite items
/// join this report).
pub async fn overlapping(
    db: &DatabaseConnection,
    kind: DirectoryKind,
    district: Option<&RegionCode>,
    id: i64,
    codes: &[String],
) -> Result<Vec<Overlap>, Error> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let open = adj::Entity::find()
        .filter(adj::Column::Kind.eq(kind.as_str()))
        .filter(level_is(district))
        .filter(adj::Column::Id.ne(id))
        .filter(adj::Column::Stage.is_not_in(["published", "rejected"]))
        .order_by_asc(adj::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;
    let mut out = Vec::new();
    for a in open {
        let touched: Vec<String> = change::Entity::find()
            .filter(change::Column::AdjustmentId.eq(a.id))
            .filter(change::Column::Code.is_in(codes.iter().cloned()))
            .order_by_asc(change::Column::Code)
            .all(db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|c| c.code)
            .collect();
        if !touched.is_empty() {
            out.push(Overlap {
                id: a.id,
                stage: to_stage(&a),
                title: a.title,
                codes: touched,
            });
        }
    }
    Ok(out)
}

/// Why an action on an adjustment was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("{0}")]
    Step(adjustment::StepError),
    #[error("调整内容与现行目录不符：{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("；"))]
    Changes(Vec<adjustment::ChangeProblem>),
    #[error("{0}")]
    Store(Error),
}

impl From<Error> for ActError {
    fn from(e: Error) -> Self {
        ActError::Store(e)
    }
}

/// Moves adjustment `id` by `action` of `actor` (username and role). Submission checks the
/// changes against the newest version; publication writes the next version in the same
/// transaction. Returns the new stage.
pub async fn act(
    db: &DatabaseConnection,
    id: i64,
    action: &Action,
    actor: (&str, jianfu_domain::account::Role),
    audit: &AuditEntry,
) -> Result<Stage, ActError> {
    let today = jianfu_domain::beijing_date(Utc::now());
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let a = lock_adjustment(&txn, id).await?;
    let kind = DirectoryKind::parse(&a.kind).ok_or(Error::Internal)?;
    let district = district_of(&a)?;
    let changes = changes_of(&txn, kind, id).await?;
    let who = Actor {
        role: actor.1,
        is_drafter: a.drafter == actor.0,
        is_reviewer: reviewed_by(&txn, id, actor.0).await?,
    };
    let action = match action {
        Action::Publish { effective_from, .. } => {
            let latest_day = match &district {
                None => latest(&txn, kind)
                    .await?
                    .map(|v| (v.number, v.effective_from)),
                Some(d) => latest_refinement(&txn, kind, d)
                    .await?
                    .map(|r| (r.number, r.effective_from)),
            };
            adjustment::check_publication_day(*effective_from, latest_day)
                .map_err(ActError::Step)?;
            Action::Publish {
                version: latest_day.map_or(1, |(n, _)| n + 1),
                effective_from: *effective_from,
            }
        }
        other => other.clone(),
    };
    let stage = adjustment::step(&to_stage(&a), &action, who, changes.len(), today)
        .map_err(ActError::Step)?;
    let current = latest(&txn, kind).await?;
    // Forward steps re-check the changes against the newest city version (and, for a district,
    // its newest refinement): another adjustment may have been published since this one was
    // drafted.
    let forward = matches!(
        stage,
        Stage::Submitted | Stage::Reviewed | Stage::Approved | Stage::Published { .. }
    );
    let proposed: Vec<Change> = changes.into_iter().map(|(c, _)| c).collect();
    let (next_items, next_entries) = match (&district, forward) {
        (_, false) => Default::default(),
        (None, true) => (
            adjustment::apply(current.as_ref().map_or(&[][..], |v| &v.items), &proposed)
                .map_err(ActError::Changes)?,
            BTreeMap::new(),
        ),
        (Some(d), true) => {
            let entries = next_refinement(&txn, kind, d, &proposed)
                .await?
                .map_err(ActError::Changes)?;
            (Vec::new(), entries)
        }
    };
    let mut update = adj::Entity::update_many()
        .col_expr(adj::Column::Stage, Expr::value(stage_code(&stage)))
        .col_expr(adj::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(adj::Column::Id.eq(id));
    match &stage {
        Stage::Returned { reason } | Stage::Rejected { reason } => {
            update = update.col_expr(adj::Column::StageNote, Expr::value(reason.clone()));
        }
        Stage::Submitted => {
            update = update.col_expr(
                adj::Column::BaseVersion,
                Expr::value(current.as_ref().map(|v| v.number as i32)),
            );
        }
        Stage::Published {
            version,
            effective_from,
        } => {
            match &district {
                None => {
                    insert_version(
                        &txn,
                        kind,
                        *version,
                        *effective_from,
                        actor.0,
                        Some(id),
                        &next_items,
                    )
                    .await?
                }
                Some(d) => {
                    let r = DistrictRefinement {
                        district: *d,
                        kind,
                        number: *version,
                        effective_from: *effective_from,
                        entries: next_entries,
                    };
                    insert_refinement(&txn, &r, actor.0, id).await?
                }
            }
            update = update
                .col_expr(adj::Column::PublishedVersion, Expr::value(*version as i32))
                .col_expr(adj::Column::EffectiveFrom, Expr::value(*effective_from));
        }
        _ => {}
    }
    update.exec(&txn).await.map_err(db_error)?;
    let note = match &stage {
        Stage::Returned { reason } | Stage::Rejected { reason } => Some(reason.clone()),
        Stage::Published {
            version,
            effective_from,
        } => Some(format!(
            "{}第 {version} 版，{effective_from} 起施行",
            if district.is_some() {
                "区级细化"
            } else {
                ""
            }
        )),
        _ => None,
    };
    event::Entity::insert(event::ActiveModel {
        adjustment_id: Set(id),
        at: Set(Utc::now()),
        actor: Set(actor.0.to_owned()),
        role: Set(actor.1.as_str().to_owned()),
        action: Set(stage_code(&stage).to_owned()),
        note: Set(note.clone()),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("adjustment/{id}"),
        before: Some(serde_json::json!({ "stage": a.stage }).to_string()),
        after: Some(serde_json::json!({ "stage": stage_code(&stage), "note": note }).to_string()),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(stage)
}
