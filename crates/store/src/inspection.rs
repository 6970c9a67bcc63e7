//! Inspection and rectification: joint groups, plans with their visits, findings with their
//! photos, the rectification each finding becomes and its steps, and the evidence files. Every
//! write is one transaction with its audit record; a stage changes only from the stage the
//! caller read, so two people acting at once cannot both move it.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::inspection::{Member, PlanStage, PlannedVisit, Topic, Visibility, Visit};
use jianfu_domain::rectification::{RectAction, RectStage};
use jianfu_domain::{Error, RegionCode};

use crate::db_error;
use crate::entity::{
    finding, inspection_evidence as evidence, inspection_group as group, inspection_plan as plan,
    inspection_visit as visit, rectification as rect, rectification_step as step,
};

/// The largest file kept (a request body holds 2 MB at most).
pub const MAX_FILE_BYTES: usize = 1536 * 1024;

/// A stored value that no longer reads: logged, and a fault of ours to the caller.
fn corrupt(what: &str, id: i64) -> Error {
    tracing::error!(what, id, "stored inspection record unreadable");
    Error::Internal
}

fn not_found(what: &str, id: i64) -> Error {
    Error::CatalogNotFound(format!("{what} {id}"))
}

/// Ends a write: its audit record for `object`, then the commit.
async fn commit_with(
    txn: sea_orm::DatabaseTransaction,
    audit: &AuditEntry,
    object: String,
    before: Option<String>,
    after: serde_json::Value,
) -> Result<(), Error> {
    let entry = AuditEntry {
        object,
        before,
        after: Some(after.to_string()),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

/// A joint inspection group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: i64,
    pub region: RegionCode,
    pub name: String,
    pub members: Vec<Member>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl Group {
    pub fn has_member(&self, username: &str) -> bool {
        self.members.iter().any(|m| m.username == username)
    }
}

fn to_group(m: group::Model) -> Result<Group, Error> {
    Ok(Group {
        id: m.id,
        region: RegionCode::parse(&m.region).map_err(|_| corrupt("group region", m.id))?,
        members: serde_json::from_str(&m.members).map_err(|_| corrupt("group members", m.id))?,
        name: m.name,
        created_by: m.created_by,
        created_at: m.created_at,
    })
}

/// Forms a group (checked by the caller), audited.
pub async fn create_group(
    db: &DatabaseConnection,
    region: &RegionCode,
    name: &str,
    members: &[Member],
    audit: &AuditEntry,
) -> Result<i64, Error> {
    let json = serde_json::to_string(members).expect("members serialise");
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let row = group::ActiveModel {
        region: Set(region.as_str().to_owned()),
        name: Set(name.trim().chars().take(120).collect()),
        members: Set(json.clone()),
        created_by: Set(audit.actor.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(db_error)?;
    let after = serde_json::json!({
        "region": region.as_str(),
        "name": name.trim(),
        "members": serde_json::from_str::<serde_json::Value>(&json).unwrap_or_default(),
    });
    let object = format!("inspection/group/{}", row.id);
    commit_with(txn, audit, object, None, after).await?;
    Ok(row.id)
}

/// The groups of `within` and of the regions below it, newest first.
pub async fn groups(db: &DatabaseConnection, within: &RegionCode) -> Result<Vec<Group>, Error> {
    group::Entity::find()
        .filter(group::Column::Region.starts_with(within.short()))
        .order_by_desc(group::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(to_group)
        .collect()
}

pub async fn group(db: &DatabaseConnection, id: i64) -> Result<Group, Error> {
    group::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| not_found("检查组", id))
        .and_then(to_group)
}

/// A plan to create: its visits were drawn by the caller.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub group_id: i64,
    pub region: RegionCode,
    pub title: String,
    pub visibility: Visibility,
    pub topics: Vec<Topic>,
    pub seed: u64,
    pub per_district: u32,
    pub visits: Vec<PlannedVisit>,
}

/// A plan and its visits.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub id: i64,
    pub group_id: i64,
    pub region: RegionCode,
    pub title: String,
    pub visibility: Visibility,
    pub stage: PlanStage,
    pub topics: Vec<Topic>,
    pub seed: u64,
    pub per_district: u32,
    pub seal: Option<String>,
    pub sealed_text: Option<String>,
    pub sealed_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub visits: Vec<PlannedVisit>,
}

fn topics_text(topics: &[Topic]) -> String {
    topics
        .iter()
        .map(|t| t.code())
        .collect::<Vec<_>>()
        .join(",")
}

fn to_plan(m: plan::Model, visits: Vec<PlannedVisit>) -> Result<Plan, Error> {
    let id = m.id;
    Ok(Plan {
        id,
        group_id: m.group_id,
        region: RegionCode::parse(&m.region).map_err(|_| corrupt("plan region", id))?,
        title: m.title,
        visibility: Visibility::from_code(&m.visibility)
            .ok_or_else(|| corrupt("visibility", id))?,
        stage: PlanStage::from_code(&m.stage).ok_or_else(|| corrupt("plan stage", id))?,
        topics: m
            .topics
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| Topic::from_code(t).ok_or_else(|| corrupt("plan topic", id)))
            .collect::<Result<_, _>>()?,
        seed: m.seed.parse().map_err(|_| corrupt("plan seed", id))?,
        per_district: u32::try_from(m.per_district).unwrap_or(0),
        seal: m.seal,
        sealed_text: m.sealed_text,
        sealed_at: m.sealed_at,
        completed_at: m.completed_at,
        created_by: m.created_by,
        created_at: m.created_at,
        visits,
    })
}

fn to_visit(m: &visit::Model) -> Result<PlannedVisit, Error> {
    Ok(PlannedVisit {
        unit: RegionCode::parse(&m.unit).map_err(|_| corrupt("visit unit", m.id))?,
        on: m.visit_on,
    })
}

/// Creates a plan in draft with its visits, audited.
pub async fn create_plan(
    db: &DatabaseConnection,
    new: &NewPlan,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let row = plan::ActiveModel {
        group_id: Set(new.group_id),
        region: Set(new.region.as_str().to_owned()),
        title: Set(new.title.trim().chars().take(200).collect()),
        visibility: Set(new.visibility.code().to_owned()),
        stage: Set(PlanStage::Draft.code().to_owned()),
        topics: Set(topics_text(&new.topics)),
        seed: Set(new.seed.to_string()),
        per_district: Set(i32::try_from(new.per_district).unwrap_or(i32::MAX)),
        seal: Set(None),
        sealed_text: Set(None),
        sealed_at: Set(None),
        completed_at: Set(None),
        created_by: Set(audit.actor.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(db_error)?;
    insert_visits(&txn, row.id, new.group_id, &new.visits).await?;
    commit_with(
        txn,
        audit,
        format!("inspection/plan/{}", row.id),
        None,
        serde_json::json!({
            "group": new.group_id,
            "title": new.title.trim(),
            "visibility": new.visibility.code(),
            "topics": topics_text(&new.topics),
            "seed": new.seed.to_string(),
            "per_district": new.per_district,
            "visits": new.visits.len(),
        }),
    )
    .await?;
    Ok(row.id)
}

async fn insert_visits<C: ConnectionTrait>(
    conn: &C,
    plan_id: i64,
    group_id: i64,
    visits: &[PlannedVisit],
) -> Result<(), Error> {
    if visits.is_empty() {
        return Ok(());
    }
    visit::Entity::insert_many(visits.iter().map(|v| visit::ActiveModel {
        plan_id: Set(plan_id),
        group_id: Set(group_id),
        unit: Set(v.unit.as_str().to_owned()),
        visit_on: Set(v.on),
        ..Default::default()
    }))
    .exec_without_returning(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

async fn visits_of<C: ConnectionTrait>(
    conn: &C,
    plan_ids: &[i64],
) -> Result<Vec<visit::Model>, Error> {
    if plan_ids.is_empty() {
        return Ok(Vec::new());
    }
    visit::Entity::find()
        .filter(visit::Column::PlanId.is_in(plan_ids.iter().copied()))
        .order_by_asc(visit::Column::VisitOn)
        .order_by_asc(visit::Column::Unit)
        .all(conn)
        .await
        .map_err(db_error)
}

async fn with_visits<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<plan::Model>,
) -> Result<Vec<Plan>, Error> {
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let visits = visits_of(conn, &ids).await?;
    rows.into_iter()
        .map(|p| {
            let own = visits
                .iter()
                .filter(|v| v.plan_id == p.id)
                .map(to_visit)
                .collect::<Result<_, _>>()?;
            to_plan(p, own)
        })
        .collect()
}

pub async fn plan(db: &DatabaseConnection, id: i64) -> Result<Plan, Error> {
    let row = plan::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| not_found("检查计划", id))?;
    Ok(with_visits(db, vec![row]).await?.remove(0))
}

/// The plans of `within` and below, newest first.
pub async fn plans(db: &DatabaseConnection, within: &RegionCode) -> Result<Vec<Plan>, Error> {
    let rows = plan::Entity::find()
        .filter(plan::Column::Region.starts_with(within.short()))
        .order_by_desc(plan::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;
    with_visits(db, rows).await
}

/// Replaces a draft plan's visits (a new draw), audited.
pub async fn redraw(
    db: &DatabaseConnection,
    p: &Plan,
    seed: u64,
    per_district: u32,
    visits: &[PlannedVisit],
    audit: &AuditEntry,
) -> Result<(), Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let moved = plan::Entity::update_many()
        .col_expr(plan::Column::Seed, seed.to_string().into())
        .col_expr(
            plan::Column::PerDistrict,
            i32::try_from(per_district).unwrap_or(i32::MAX).into(),
        )
        .filter(plan::Column::Id.eq(p.id))
        .filter(plan::Column::Stage.eq(PlanStage::Draft.code()))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    if moved.rows_affected != 1 {
        return Err(Error::WrongStage {
            stage: p.stage.code(),
            message: "计划已封存或已通知，不能重新抽样".into(),
        });
    }
    visit::Entity::delete_many()
        .filter(visit::Column::PlanId.eq(p.id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    insert_visits(&txn, p.id, p.group_id, visits).await?;
    let draw = |seed: u64, per_district: u32, visits: usize| {
        let seed = seed.to_string();
        serde_json::json!({ "seed": seed, "per_district": per_district, "visits": visits })
    };
    let before = draw(p.seed, p.per_district, p.visits.len()).to_string();
    let after = draw(seed, per_district, visits.len());
    let object = format!("inspection/plan/{}", p.id);
    commit_with(txn, audit, object, Some(before), after).await
}

/// Moves `p` from the stage it was read at to `to`; sealing registers `seal` (the digest and
/// the text it was taken of). The audit record of a seal carries the digest, not the text:
/// the chain then proves when the plan was fixed without telling anyone what it is.
pub async fn move_plan(
    db: &DatabaseConnection,
    p: &Plan,
    to: PlanStage,
    seal: Option<(&str, &str)>,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let now = Utc::now();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let mut update = plan::Entity::update_many()
        .col_expr(plan::Column::Stage, to.code().into())
        .filter(plan::Column::Id.eq(p.id))
        .filter(plan::Column::Stage.eq(p.stage.code()));
    if let Some((digest, text)) = seal {
        update = update
            .col_expr(plan::Column::Seal, Some(digest.to_owned()).into())
            .col_expr(plan::Column::SealedText, Some(text.to_owned()).into())
            .col_expr(plan::Column::SealedAt, Some(now).into());
    }
    if to == PlanStage::Completed {
        update = update.col_expr(plan::Column::CompletedAt, Some(now).into());
    }
    let moved = update.exec(&txn).await.map_err(db_error)?;
    if moved.rows_affected != 1 {
        return Err(Error::WrongStage {
            stage: p.stage.code(),
            message: "计划的状态已被他人改变，请刷新后重试".into(),
        });
    }
    // Read after the update holds the row: a redraw that committed since `p` was read
    // would otherwise leave the seal over visits the plan no longer makes.
    if seal.is_some() {
        let now_visits = visits_of(&txn, &[p.id])
            .await?
            .iter()
            .map(to_visit)
            .collect::<Result<Vec<_>, _>>()?;
        if now_visits != p.visits {
            return Err(Error::WrongStage {
                stage: p.stage.code(),
                message: "计划的被检单位刚刚重新抽取过，请刷新后核对再封存".into(),
            });
        }
    }
    let mut after = serde_json::json!({ "stage": to.code() });
    if let Some((digest, _)) = seal {
        after["seal_sm3"] = digest.into();
    }
    if to == PlanStage::Completed && p.visibility == Visibility::Unannounced {
        // Revealed: the record now names what was sealed.
        after["revealed"] = p.sealed_text.clone().unwrap_or_default().into();
    }
    commit_with(
        txn,
        audit,
        format!("inspection/plan/{}", p.id),
        Some(serde_json::json!({ "stage": p.stage.code() }).to_string()),
        after,
    )
    .await
}

/// The visits to `units` between `from` and `to` that `group_id` may know of (for clashes):
/// its own plans', and other groups' once announced or complete. Another group's sealed or
/// draft plan stays unknown to it: telling of the clash would tell where that group is going.
pub async fn visits_near(
    db: &DatabaseConnection,
    group_id: i64,
    units: &[RegionCode],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Visit>, Error> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let rows = visit::Entity::find()
        .filter(visit::Column::Unit.is_in(units.iter().map(|u| u.as_str().to_owned())))
        .filter(visit::Column::VisitOn.gte(from))
        .filter(visit::Column::VisitOn.lte(to))
        .all(db)
        .await
        .map_err(db_error)?;
    let mut ids: Vec<i64> = rows.iter().map(|v| v.plan_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let known: Vec<i64> = plan::Entity::find()
        .select_only()
        .column(plan::Column::Id)
        .filter(plan::Column::Id.is_in(ids))
        .filter(
            sea_orm::Condition::any()
                .add(plan::Column::GroupId.eq(group_id))
                .add(
                    plan::Column::Stage
                        .is_in([PlanStage::Announced.code(), PlanStage::Completed.code()]),
                ),
        )
        .into_tuple()
        .all(db)
        .await
        .map_err(db_error)?;
    rows.into_iter()
        .filter(|v| known.contains(&v.plan_id))
        .map(|v| {
            Ok(Visit {
                plan_id: v.plan_id,
                group_id: v.group_id,
                on: v.visit_on,
                unit: RegionCode::parse(&v.unit).map_err(|_| corrupt("visit unit", v.id))?,
            })
        })
        .collect()
}

/// A file to keep.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    pub mime: String,
    pub content: Vec<u8>,
}

/// A file as listed, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub id: i64,
    pub finding_id: i64,
    pub rectification_id: Option<i64>,
    pub name: String,
    pub size: u32,
    pub digest: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

/// A file's bytes.
pub struct File {
    pub finding_id: i64,
    pub rectification_id: Option<i64>,
    pub name: String,
    pub mime: String,
    pub content: Vec<u8>,
}

async fn insert_files<C: ConnectionTrait>(
    conn: &C,
    finding_id: i64,
    rectification_id: Option<i64>,
    files: &[NewFile],
    by: &str,
) -> Result<Vec<serde_json::Value>, Error> {
    let mut kept = Vec::new();
    for f in files {
        let digest = crate::to_hex(&jianfu_seal::sm3(&f.content));
        let row = evidence::ActiveModel {
            finding_id: Set(finding_id),
            rectification_id: Set(rectification_id),
            name: Set(f.name.chars().take(200).collect()),
            mime: Set(f.mime.chars().take(100).collect()),
            size: Set(i32::try_from(f.content.len()).unwrap_or(i32::MAX)),
            digest: Set(digest.clone()),
            content: Set(f.content.clone()),
            uploaded_by: Set(by.to_owned()),
            uploaded_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(conn)
        .await
        .map_err(db_error)?;
        let size = f.content.len();
        kept.push(serde_json::json!({ "id": row.id, "name": f.name, "size": size, "sm3": digest }));
    }
    Ok(kept)
}

/// The files of these findings, oldest first.
async fn files_of<C: ConnectionTrait>(
    conn: &C,
    finding_ids: &[i64],
) -> Result<Vec<FileMeta>, Error> {
    if finding_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(evidence::Entity::find()
        .select_only()
        .columns([
            evidence::Column::Id,
            evidence::Column::FindingId,
            evidence::Column::RectificationId,
            evidence::Column::Name,
            evidence::Column::Size,
            evidence::Column::Digest,
            evidence::Column::UploadedBy,
            evidence::Column::UploadedAt,
        ])
        .filter(evidence::Column::FindingId.is_in(finding_ids.iter().copied()))
        .order_by_asc(evidence::Column::Id)
        .into_tuple::<(
            i64,
            i64,
            Option<i64>,
            String,
            i32,
            String,
            String,
            DateTime<Utc>,
        )>()
        .all(conn)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(
            |(id, finding_id, rectification_id, name, size, digest, uploaded_by, uploaded_at)| {
                FileMeta {
                    id,
                    finding_id,
                    rectification_id,
                    name,
                    size: u32::try_from(size).unwrap_or(0),
                    digest,
                    uploaded_by,
                    uploaded_at,
                }
            },
        )
        .collect())
}

/// One file.
pub async fn file(db: &DatabaseConnection, id: i64) -> Result<File, Error> {
    evidence::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_error)?
        .map(|f| File {
            finding_id: f.finding_id,
            rectification_id: f.rectification_id,
            name: f.name,
            mime: f.mime,
            content: f.content,
        })
        .ok_or_else(|| not_found("文件", id))
}

/// A finding with its photos and the rectification it became, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub id: i64,
    pub plan_id: i64,
    pub unit: RegionCode,
    pub item_code: String,
    pub description: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    /// The inspector's photos (not the unit's evidence).
    pub photos: Vec<FileMeta>,
    pub rectification: Option<i64>,
}

/// A finding to record (checked by the caller).
#[derive(Debug, Clone)]
pub struct NewFinding<'a> {
    pub plan_id: i64,
    /// The plan is sealed: the audit record leaves the unit out.
    pub sealed: bool,
    pub unit: RegionCode,
    pub item_code: &'a str,
    pub description: &'a str,
}

/// Records a finding with its photos, audited (without the unit while the plan is sealed).
pub async fn record_finding(
    db: &DatabaseConnection,
    new: &NewFinding<'_>,
    photos: &[NewFile],
    audit: &AuditEntry,
) -> Result<i64, Error> {
    let NewFinding {
        plan_id,
        sealed,
        unit,
        item_code,
        description,
    } = new.clone();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let row = finding::ActiveModel {
        plan_id: Set(plan_id),
        unit: Set(unit.as_str().to_owned()),
        item_code: Set(item_code.to_owned()),
        description: Set(description.trim().to_owned()),
        recorded_by: Set(audit.actor.clone()),
        recorded_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(db_error)?;
    let kept = insert_files(&txn, row.id, None, photos, &audit.actor).await?;
    commit_with(
        txn,
        audit,
        format!("inspection/finding/{}", row.id),
        None,
        // While the plan is sealed the record must not say where the group has been: the
        // unit is in the finding itself, and in the plan's text once it is revealed.
        serde_json::json!({
            "plan": plan_id, "unit": if sealed { None } else { Some(unit.as_str()) },
            "item": item_code, "description": description.trim(), "photos": kept,
        }),
    )
    .await?;
    Ok(row.id)
}

async fn to_findings<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<finding::Model>,
) -> Result<Vec<Finding>, Error> {
    let ids: Vec<i64> = rows.iter().map(|f| f.id).collect();
    let files = files_of(conn, &ids).await?;
    let rects: Vec<(i64, i64)> = if ids.is_empty() {
        Vec::new()
    } else {
        rect::Entity::find()
            .select_only()
            .columns([rect::Column::Id, rect::Column::FindingId])
            .filter(rect::Column::FindingId.is_in(ids.iter().copied()))
            .into_tuple()
            .all(conn)
            .await
            .map_err(db_error)?
    };
    rows.into_iter()
        .map(|f| {
            Ok(Finding {
                unit: RegionCode::parse(&f.unit).map_err(|_| corrupt("finding unit", f.id))?,
                photos: files
                    .iter()
                    .filter(|m| m.finding_id == f.id && m.rectification_id.is_none())
                    .cloned()
                    .collect(),
                rectification: rects.iter().find(|(_, fid)| *fid == f.id).map(|(r, _)| *r),
                id: f.id,
                plan_id: f.plan_id,
                item_code: f.item_code,
                description: f.description,
                recorded_by: f.recorded_by,
                recorded_at: f.recorded_at,
            })
        })
        .collect()
}

/// A plan's findings, in the order recorded.
pub async fn findings(db: &DatabaseConnection, plan_id: i64) -> Result<Vec<Finding>, Error> {
    let rows = finding::Entity::find()
        .filter(finding::Column::PlanId.eq(plan_id))
        .order_by_asc(finding::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;
    to_findings(db, rows).await
}

pub async fn finding(db: &DatabaseConnection, id: i64) -> Result<Finding, Error> {
    let row = finding::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| not_found("检查发现的问题", id))?;
    Ok(to_findings(db, vec![row]).await?.remove(0))
}

/// A rectification to issue from a finding (deadline computed by the caller).
#[derive(Debug, Clone)]
pub struct NewRectification {
    pub finding_id: i64,
    pub unit: RegionCode,
    pub measures: String,
    pub issued_on: NaiveDate,
    pub days: u32,
    pub due_on: NaiveDate,
}

/// One step of a rectification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `issue`, or a `RectAction` code.
    pub action: String,
    pub actor: String,
    pub role: String,
    pub note: String,
    pub at: DateTime<Utc>,
}

/// A rectification as its pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rectification {
    pub id: i64,
    pub finding_id: i64,
    pub unit: RegionCode,
    pub measures: String,
    pub issued_on: NaiveDate,
    pub days: u32,
    pub due_on: NaiveDate,
    pub stage: RectStage,
    pub report: Option<String>,
    pub issued_by: String,
    pub updated_at: DateTime<Utc>,
    pub closed_on: Option<NaiveDate>,
    /// Raised by every step: a step applies only to the rectification as it was read.
    pub version: i32,
}

fn to_rect(m: rect::Model) -> Result<Rectification, Error> {
    Ok(Rectification {
        unit: RegionCode::parse(&m.unit).map_err(|_| corrupt("rectification unit", m.id))?,
        stage: RectStage::from_code(&m.stage)
            .ok_or_else(|| corrupt("rectification stage", m.id))?,
        days: u32::try_from(m.days).unwrap_or(0),
        id: m.id,
        finding_id: m.finding_id,
        measures: m.measures,
        issued_on: m.issued_on,
        due_on: m.due_on,
        report: m.report,
        issued_by: m.issued_by,
        updated_at: m.updated_at,
        closed_on: m.closed_on,
        version: m.version,
    })
}

/// Issues the rectification of a finding (one per finding), audited.
pub async fn issue(
    db: &DatabaseConnection,
    new: &NewRectification,
    role: &str,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    let now = Utc::now();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let exists = rect::Entity::find()
        .filter(rect::Column::FindingId.eq(new.finding_id))
        .one(&txn)
        .await
        .map_err(db_error)?;
    if let Some(r) = exists {
        return Err(Error::refused(format!(
            "该问题已下达整改（整改编号 {}）",
            r.id
        )));
    }
    let row = rect::ActiveModel {
        finding_id: Set(new.finding_id),
        unit: Set(new.unit.as_str().to_owned()),
        measures: Set(new.measures.trim().to_owned()),
        issued_on: Set(new.issued_on),
        days: Set(i32::try_from(new.days).unwrap_or(i32::MAX)),
        due_on: Set(new.due_on),
        stage: Set(RectStage::Open.code().to_owned()),
        report: Set(None),
        issued_by: Set(audit.actor.clone()),
        updated_at: Set(now),
        closed_on: Set(None),
        version: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        // Issued at the same moment by another member: the unique index kept it to one.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::refused("该问题已下达整改"),
        _ => db_error(e),
    })?;
    insert_step(
        &txn,
        row.id,
        "issue",
        &audit.actor,
        role,
        new.measures.trim(),
        now,
    )
    .await?;
    commit_with(
        txn,
        audit,
        format!("rectification/{}", row.id),
        None,
        serde_json::json!({
            "finding": new.finding_id, "unit": new.unit.as_str(), "measures": new.measures.trim(),
            "days": new.days, "due_on": new.due_on.to_string(), "stage": RectStage::Open.code(),
        }),
    )
    .await?;
    Ok(row.id)
}

async fn insert_step<C: ConnectionTrait>(
    conn: &C,
    rectification_id: i64,
    action: &str,
    actor: &str,
    role: &str,
    note: &str,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    step::ActiveModel {
        rectification_id: Set(rectification_id),
        action: Set(action.to_owned()),
        actor: Set(actor.to_owned()),
        role: Set(role.to_owned()),
        note: Set(note.to_owned()),
        at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

pub async fn rectification(db: &DatabaseConnection, id: i64) -> Result<Rectification, Error> {
    rect::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| not_found("整改", id))
        .and_then(to_rect)
}

/// A rectification's steps, oldest first, and the unit's evidence files.
pub async fn history(
    db: &DatabaseConnection,
    r: &Rectification,
) -> Result<(Vec<Step>, Vec<FileMeta>), Error> {
    let steps = step::Entity::find()
        .filter(step::Column::RectificationId.eq(r.id))
        .order_by_asc(step::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|s| Step {
            action: s.action,
            actor: s.actor,
            role: s.role,
            note: s.note,
            at: s.at,
        })
        .collect();
    let files = files_of(db, &[r.finding_id])
        .await?
        .into_iter()
        .filter(|f| f.rectification_id == Some(r.id))
        .collect();
    Ok((steps, files))
}

/// The rectifications of units in `within`, newest first.
pub async fn rectifications(
    db: &DatabaseConnection,
    within: &RegionCode,
) -> Result<Vec<Rectification>, Error> {
    rect::Entity::find()
        .filter(rect::Column::Unit.starts_with(within.short()))
        .order_by_desc(rect::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(to_rect)
        .collect()
}

/// Takes `action` on `r` (read at its current stage) to `to`, with the note and, for a
/// submission, the evidence files; audited.
#[allow(clippy::too_many_arguments)]
pub async fn act(
    db: &DatabaseConnection,
    r: &Rectification,
    action: RectAction,
    to: RectStage,
    note: &str,
    files: &[NewFile],
    role: &str,
    today: NaiveDate,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let now = Utc::now();
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let mut update = rect::Entity::update_many()
        .col_expr(rect::Column::Stage, to.code().into())
        .col_expr(rect::Column::UpdatedAt, now.into())
        .col_expr(rect::Column::Version, (r.version + 1).into())
        .filter(rect::Column::Id.eq(r.id))
        // As read: a verdict on a report the inspector has not seen (reopened and reported
        // again meanwhile, back at the same stage) is refused, not applied to the new one.
        .filter(rect::Column::Version.eq(r.version));
    if action == RectAction::Submit {
        update = update.col_expr(rect::Column::Report, Some(note.trim().to_owned()).into());
    }
    if to == RectStage::Closed {
        update = update.col_expr(rect::Column::ClosedOn, Some(today).into());
    }
    let moved = update.exec(&txn).await.map_err(db_error)?;
    if moved.rows_affected != 1 {
        return Err(Error::WrongStage {
            stage: r.stage.code(),
            message: "整改的状态已被他人改变，请刷新后重试".into(),
        });
    }
    let kept = insert_files(&txn, r.finding_id, Some(r.id), files, &audit.actor).await?;
    insert_step(
        &txn,
        r.id,
        action.code(),
        &audit.actor,
        role,
        note.trim(),
        now,
    )
    .await?;
    let before = serde_json::json!({ "stage": r.stage.code() }).to_string();
    let after = serde_json::json!({
        "stage": to.code(), "action": action.code(), "note": note.trim(), "files": kept,
    });
    commit_with(
        txn,
        audit,
        format!("rectification/{}", r.id),
        Some(before),
        after,
    )
    .await
}

/// The plans completed between `from` and `to` (Beijing days) in `within`, by district: units
/// visited, problems found by checklist question, rectifications issued and closed.
pub async fn inspected<C: ConnectionTrait>(
    conn: &C,
    within: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<jianfu_domain::notice::Inspected>, Error> {
    use std::collections::BTreeMap;
    let plans: Vec<i64> = plan::Entity::find()
        .filter(plan::Column::Stage.eq(PlanStage::Completed.code()))
        .all(conn)
        .await
        .map_err(db_error)?
        .into_iter()
        .filter(|p| {
            p.completed_at
                .map(jianfu_domain::beijing_date)
                .is_some_and(|d| from <= d && d <= to)
        })
        .map(|p| p.id)
        .collect();
    let in_scope = |unit: &str| unit.starts_with(within.short());
    let district_of = |unit: &str| {
        RegionCode::parse(unit)
            .ok()
            .and_then(|u| u.county())
            .unwrap_or(*within)
    };
    #[derive(Default)]
    struct Tally {
        units: std::collections::BTreeSet<String>,
        problems: BTreeMap<String, usize>,
        rectifications: usize,
        closed: usize,
    }
    let mut by: BTreeMap<RegionCode, Tally> = BTreeMap::new();
    for v in visits_of(conn, &plans).await? {
        if in_scope(&v.unit) {
            by.entry(district_of(&v.unit))
                .or_default()
                .units
                .insert(v.unit);
        }
    }
    if !plans.is_empty() {
        let found = finding::Entity::find()
            .filter(finding::Column::PlanId.is_in(plans.iter().copied()))
            .all(conn)
            .await
            .map_err(db_error)?;
        let ids: Vec<i64> = found.iter().map(|f| f.id).collect();
        let rects = if ids.is_empty() {
            Vec::new()
        } else {
            rect::Entity::find()
                .filter(rect::Column::FindingId.is_in(ids))
                .all(conn)
                .await
                .map_err(db_error)?
        };
        for f in found.iter().filter(|f| in_scope(&f.unit)) {
            let question = jianfu_domain::inspection::check_item(&f.item_code)
                .map_or_else(|| f.item_code.clone(), |i| i.question.to_owned());
            let t = by.entry(district_of(&f.unit)).or_default();
            *t.problems.entry(question).or_default() += 1;
            if let Some(r) = rects.iter().find(|r| r.finding_id == f.id) {
                t.rectifications += 1;
                t.closed += usize::from(r.stage == RectStage::Closed.code());
            }
        }
    }
    let codes: Vec<RegionCode> = by.keys().copied().collect();
    let names = crate::region::get_many(conn, &codes).await?;
    Ok(by
        .into_iter()
        .map(|(code, t)| {
            let mut problems: Vec<(String, usize)> = t.problems.into_iter().collect();
            problems.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            jianfu_domain::notice::Inspected {
                district: names
                    .iter()
                    .find(|r| r.code == code)
                    .map_or_else(|| code.to_string(), |r| r.name.clone()),
                units: t.units.len(),
                problems,
                rectifications: t.rectifications,
                closed: t.closed,
            }
        })
        .collect())
}
