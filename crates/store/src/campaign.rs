//! The campaign timeline: each region's phase dates and any override (the nearest region
//! above that set them governs), and the facts the exit criteria are measured on, counted
//! from the records of the region's subtree.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::campaign::{Facts, Override, Phase, Timeline};
use jianfu_domain::catalog::DirectoryKind;
use jianfu_domain::certificate::Listing;
use jianfu_domain::inspection::PlanStage;
use jianfu_domain::rectification::RectStage;
use jianfu_domain::{Error, Level, RegionCode};

use crate::db_error;
use crate::entity::{
    campaign_setting as setting, certificate, directory_refinement, directory_version,
    inspection_plan as plan, inspection_visit as visit, rectification as rect, region,
    signage_registry,
};

/// A region's campaign settings as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The region that set them (`None`: the plan's dates).
    pub region: Option<RegionCode>,
    pub timeline: Timeline,
    pub over: Option<Override>,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The settings that govern `region`: its own, else the nearest region above's, else the
/// plan's dates without an override.
pub async fn setting_for(db: &DatabaseConnection, region: &RegionCode) -> Result<Setting, Error> {
    let mut chain = vec![*region];
    let mut at = region.parent();
    while let Some(code) = at {
        chain.push(code);
        at = code.parent();
    }
    let rows = setting::Entity::find()
        .filter(setting::Column::Region.is_in(chain.iter().map(|c| c.as_str().to_owned())))
        .all(db)
        .await
        .map_err(db_error)?;
    let Some(row) = chain
        .iter()
        .find_map(|c| rows.iter().find(|r| r.region == c.as_str()))
    else {
        return Ok(Setting {
            region: None,
            timeline: Timeline::default(),
            over: None,
            updated_by: None,
            updated_at: None,
        });
    };
    let broken = || {
        tracing::error!(region = %row.region, "campaign setting unreadable");
        Error::Internal
    };
    let starts: [NaiveDate; 5] = serde_json::from_str(&row.starts).map_err(|_| broken())?;
    let over = match &row.override_phase {
        Some(code) => Some(Override {
            phase: Phase::from_code(code).ok_or_else(broken)?,
            reason: row.override_reason.clone().unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Setting {
        region: Some(RegionCode::parse(&row.region).map_err(|_| broken())?),
        timeline: Timeline::new(starts).map_err(|_| broken())?,
        over,
        updated_by: Some(row.updated_by.clone()),
        updated_at: Some(row.updated_at),
    })
}

/// Sets `region`'s dates and override (checked by the caller), audited with what they were.
pub async fn set(
    db: &DatabaseConnection,
    region: &RegionCode,
    timeline: &Timeline,
    over: Option<&Override>,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let before = setting_for(db, region).await?;
    let starts = serde_json::to_string(&timeline.starts).expect("dates serialise");
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    setting::Entity::insert(setting::ActiveModel {
        region: Set(region.as_str().to_owned()),
        starts: Set(starts.clone()),
        override_phase: Set(over.map(|o| o.phase.code().to_owned())),
        override_reason: Set(over.map(|o| o.reason.trim().to_owned())),
        updated_by: Set(audit.actor.clone()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(setting::Column::Region)
            .update_columns([
                setting::Column::Starts,
                setting::Column::OverridePhase,
                setting::Column::OverrideReason,
                setting::Column::UpdatedBy,
                setting::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    let text = |t: &Timeline, o: Option<&Override>| {
        serde_json::json!({
            "starts": t.starts.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "override": o.map(|o| serde_json::json!({ "phase": o.phase.code(), "reason": o.reason })),
        })
        .to_string()
    };
    let entry = AuditEntry {
        object: format!("campaign/{region}"),
        before: Some(text(&before.timeline, before.over.as_ref())),
        after: Some(text(timeline, over)),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

/// The facts of `within`'s subtree for the criteria; certificates counted from `since`.
pub async fn facts(
    db: &DatabaseConnection,
    within: &RegionCode,
    since: NaiveDate,
    today: NaiveDate,
) -> Result<Facts, Error> {
    let prefix = within.short();
    let directories = directory_version::Entity::find()
        .select_only()
        .column(directory_version::Column::Kind)
        .distinct()
        .filter(directory_version::Column::Kind.is_in([
            DirectoryKind::Duty.as_str(),
            DirectoryKind::Assistance.as_str(),
            DirectoryKind::MechanismSign.as_str(),
        ]))
        .into_tuple::<String>()
        .all(db)
        .await
        .map_err(db_error)?
        .len();
    let districts: Vec<String> = region::Entity::find()
        .select_only()
        .column(region::Column::Code)
        .filter(region::Column::ValidTo.is_null())
        .filter(region::Column::Level.eq(Level::County.as_str()))
        .filter(region::Column::Code.starts_with(prefix))
        .into_tuple()
        .all(db)
        .await
        .map_err(db_error)?;
    // Districts in force only: a district merged away keeps its old refinements.
    let refined = directory_refinement::Entity::find()
        .select_only()
        .column(directory_refinement::Column::District)
        .distinct()
        .filter(directory_refinement::Column::District.starts_with(prefix))
        .into_tuple::<String>()
        .all(db)
        .await
        .map_err(db_error)?
        .iter()
        .filter(|d| districts.contains(d))
        .count();
    let units = region::Entity::find()
        .filter(region::Column::ValidTo.is_null())
        .filter(region::Column::Level.eq(Level::Village.as_str()))
        .filter(region::Column::Code.starts_with(prefix))
        .count(db)
        .await
        .map_err(db_error)?;
    let self_checked = signage_registry::Entity::find()
        .filter(signage_registry::Column::Unit.starts_with(prefix))
        .count(db)
        .await
        .map_err(db_error)?;
    let must_not_issued = certificate::Entity::find()
        .filter(certificate::Column::Unit.starts_with(prefix))
        .filter(certificate::Column::Listing.eq(Listing::MustNotIssue.code()))
        .filter(certificate::Column::IssuedOn.gte(since))
        .count(db)
        .await
        .map_err(db_error)?;
    let completed: Vec<i64> = plan::Entity::find()
        .select_only()
        .column(plan::Column::Id)
        .filter(plan::Column::Stage.eq(PlanStage::Completed.code()))
        .into_tuple()
        .all(db)
        .await
        .map_err(db_error)?;
    let mut inspected: Vec<String> = if completed.is_empty() {
        Vec::new()
    } else {
        visit::Entity::find()
            .select_only()
            .column(visit::Column::Unit)
            .filter(visit::Column::PlanId.is_in(completed))
            .filter(visit::Column::Unit.starts_with(prefix))
            .into_tuple::<String>()
            .all(db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|u| u.chars().take(6).collect())
            .collect()
    };
    inspected.sort_unstable();
    inspected.dedup();
    let rects: Vec<(String, chrono::NaiveDate)> = rect::Entity::find()
        .select_only()
        .columns([rect::Column::Stage, rect::Column::DueOn])
        .filter(rect::Column::Unit.starts_with(prefix))
        .into_tuple()
        .all(db)
        .await
        .map_err(db_error)?;
    let closed = rects
        .iter()
        .filter(|(s, _)| s == RectStage::Closed.code())
        .count();
    // Overdue as the rectification pages count it: the unit still owes it, and working days
    // have passed since the deadline.
    let calendar = crate::calendar::load(db).await?;
    let overdue = rects
        .iter()
        .filter(|(s, due)| {
            RectStage::from_code(s).is_some_and(RectStage::with_unit)
                && jianfu_domain::rectification::overdue_days(&calendar, *due, today) > 0
        })
        .count();
    Ok(Facts {
        city_directories_published: u32::try_from(directories).unwrap_or(0),
        districts_inspected: u32::try_from(
            inspected
                .iter()
                .filter(|d| districts.iter().any(|c| c.starts_with(d.as_str())))
                .count(),
        )
        .unwrap_or(0),
        districts: u32::try_from(districts.len()).unwrap_or(0),
        districts_refined: u32::try_from(refined).unwrap_or(0),
        units,
        units_self_checked: self_checked,
        must_not_issued,
        rectifications: rects.len() as u64,
        rectifications_closed: closed as u64,
        rectifications_overdue: overdue as u64,
    })
}

/// One department's share of the campaign: what it sent down since `from` and how much of
/// it the gateway or the villages found outside the directories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartmentProgress {
    pub department: String,
    pub name: String,
    pub dispatches: u64,
    /// Deliveries that reached units (allowed or flagged).
    pub delivered: u64,
    /// Deliveries the gateway refused.
    pub blocked: u64,
    /// Entries of the violation ledger (blocked dispatches, reports, upheld disputes).
    pub violations: u64,
}

/// The departments of `within` that sent anything down or are on the ledger between `from`
/// and `to`, most violations first.
pub async fn departments(
    db: &DatabaseConnection,
    within: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DepartmentProgress>, Error> {
    use crate::entity::{dispatch, violation};
    let prefix = within.short();
    let sent: Vec<(String, String, i32, i32, i32)> = dispatch::Entity::find()
        .select_only()
        .columns([
            dispatch::Column::SenderDepartment,
            dispatch::Column::SenderName,
            dispatch::Column::Allowed,
            dispatch::Column::Flagged,
            dispatch::Column::Blocked,
        ])
        .filter(dispatch::Column::SenderRegion.starts_with(prefix))
        .filter(dispatch::Column::Day.gte(from))
        .filter(dispatch::Column::Day.lte(to))
        .into_tuple()
        .all(db)
        .await
        .map_err(db_error)?;
    let ledger: Vec<(String, String)> = violation::Entity::find()
        .select_only()
        .columns([
            violation::Column::Department,
            violation::Column::DepartmentName,
        ])
        .filter(violation::Column::Region.starts_with(prefix))
        .filter(violation::Column::Day.gte(from))
        .filter(violation::Column::Day.lte(to))
        .into_tuple()
        .all(db)
        .await
        .map_err(db_error)?;
    let mut by: std::collections::BTreeMap<String, DepartmentProgress> = Default::default();
    let count = |n: i32| u64::try_from(n).unwrap_or(0);
    for (department, name, allowed, flagged, blocked) in sent {
        let p = by
            .entry(department.clone())
            .or_insert_with(|| DepartmentProgress {
                department,
                name,
                ..Default::default()
            });
        p.dispatches += 1;
        p.delivered += count(allowed) + count(flagged);
        p.blocked += count(blocked);
    }
    for (department, name) in ledger {
        by.entry(department.clone())
            .or_insert_with(|| DepartmentProgress {
                department,
                name,
                ..Default::default()
            })
            .violations += 1;
    }
    let mut out: Vec<DepartmentProgress> = by.into_values().collect();
    out.sort_by(|a, b| {
        b.violations
            .cmp(&a.violations)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(out)
}
