//! Mechanisms, signs and service centres: the rule sets per region, each unit's registry as
//! submitted, and the clean-up list the rules' findings become. A submission replaces the
//! unit's registry, opens an item for each new non-compliance and closes the items it no
//! longer shows — in one transaction with its audit record.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::signage::{NonCompliance, Registry, RuleSet, SignRule};
use jianfu_domain::{Error, RegionCode};

use crate::db_error;
use crate::entity::{
    sign_rule_set as rule_set, signage_cleanup as cleanup, signage_photo as photo, signage_registry,
};

/// A stored JSON column that no longer reads: logged, and a fault of ours to the caller.
fn corrupt(what: &str, at: &str, e: serde_json::Error) -> Error {
    tracing::error!(error = %e, what, at, "stored JSON unreadable");
    Error::Internal
}

/// A rule set as stored: where it is set and by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRuleSet {
    pub region: RegionCode,
    pub rules: RuleSet,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

fn stored_rule_set(m: rule_set::Model) -> Result<StoredRuleSet, Error> {
    let rules: Vec<SignRule> =
        serde_json::from_str(&m.rules).map_err(|e| corrupt("sign rules", &m.region, e))?;
    Ok(StoredRuleSet {
        region: RegionCode::parse(&m.region)?,
        rules: RuleSet {
            rules,
            min_activity_percent: u8::try_from(m.min_activity_percent).unwrap_or(100),
        },
        updated_by: m.updated_by,
        updated_at: m.updated_at,
    })
}

/// The rule set that governs `unit`: the one of the nearest region above it that has one
/// (district before city), or `None` where no region has set one (Tianjin's default then).
pub async fn rule_set_for(
    db: &DatabaseConnection,
    unit: &RegionCode,
) -> Result<Option<StoredRuleSet>, Error> {
    let mut codes = Vec::new();
    let mut at = Some(*unit);
    while let Some(code) = at {
        codes.push(code.as_str().to_owned());
        at = code.parent();
    }
    let nearest = rule_set::Entity::find()
        .filter(rule_set::Column::Region.is_in(codes))
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .max_by_key(|r| r.region.trim_end_matches('0').len());
    nearest.map(stored_rule_set).transpose()
}

/// Every region's rule set, by region code.
pub async fn rule_sets(db: &DatabaseConnection) -> Result<Vec<StoredRuleSet>, Error> {
    rule_set::Entity::find()
        .order_by_asc(rule_set::Column::Region)
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(stored_rule_set)
        .collect()
}

/// Sets `region`'s rule set (checked by the caller), replacing the one it had.
pub async fn set_rule_set(
    db: &DatabaseConnection,
    region: &RegionCode,
    rules: &RuleSet,
    by: &str,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let json = serde_json::to_string(&rules.rules).expect("rules serialise");
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let before = rule_set::Entity::find()
        .filter(rule_set::Column::Region.eq(region.as_str()))
        .one(&txn)
        .await
        .map_err(db_error)?;
    rule_set::Entity::insert(rule_set::ActiveModel {
        region: Set(region.as_str().to_owned()),
        min_activity_percent: Set(i32::from(rules.min_activity_percent)),
        rules: Set(json.clone()),
        updated_by: Set(by.to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(rule_set::Column::Region)
            .update_columns([
                rule_set::Column::MinActivityPercent,
                rule_set::Column::Rules,
                rule_set::Column::UpdatedBy,
                rule_set::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    let state = |percent: i32, rules: &str| {
        serde_json::json!({ "min_activity_percent": percent, "rules": serde_json::from_str::<serde_json::Value>(rules).unwrap_or_default() })
            .to_string()
    };
    let entry = AuditEntry {
        object: format!("sign-rules/{region}"),
        before: before.map(|b| state(b.min_activity_percent, &b.rules)),
        after: Some(state(i32::from(rules.min_activity_percent), &json)),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// A unit's registry as last submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub registry: Registry,
    pub non_compliances: u32,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
}

pub async fn registry(
    db: &DatabaseConnection,
    unit: &RegionCode,
) -> Result<Option<Submitted>, Error> {
    let Some(m) = signage_registry::Entity::find()
        .filter(signage_registry::Column::Unit.eq(unit.as_str()))
        .one(db)
        .await
        .map_err(db_error)?
    else {
        return Ok(None);
    };
    Ok(Some(Submitted {
        registry: serde_json::from_str(&m.registry)
            .map_err(|e| corrupt("signage registry", unit.as_str(), e))?,
        non_compliances: u32::try_from(m.non_compliances).unwrap_or(0),
        submitted_by: m.submitted_by,
        submitted_at: m.submitted_at,
    }))
}

/// One item of a clean-up list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupItem {
    pub id: i64,
    pub unit: String,
    pub check: String,
    pub object: String,
    pub reason: String,
    pub found_on: NaiveDate,
    pub due_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
}

impl From<cleanup::Model> for CleanupItem {
    fn from(m: cleanup::Model) -> Self {
        CleanupItem {
            id: m.id,
            unit: m.unit,
            check: m.check_code,
            object: m.object,
            reason: m.reason,
            found_on: m.found_on,
            due_on: m.due_on,
            closed_on: m.closed_on,
        }
    }
}

/// What a submission changed on the clean-up list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Submission {
    pub opened: u32,
    pub closed: u32,
}

/// Records `unit`'s registry and what the rules `found` in it on `today`: new findings open
/// clean-up items due on `due_on`, findings no longer shown close theirs.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &DatabaseConnection,
    unit: &RegionCode,
    registry: &Registry,
    found: &[NonCompliance],
    today: NaiveDate,
    due_on: NaiveDate,
    by: &str,
    audit: &AuditEntry,
) -> Result<Submission, Error> {
    let json = serde_json::to_string(registry).expect("registry serialises");
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let before = signage_registry::Entity::find()
        .filter(signage_registry::Column::Unit.eq(unit.as_str()))
        .one(&txn)
        .await
        .map_err(db_error)?;
    signage_registry::Entity::insert(signage_registry::ActiveModel {
        unit: Set(unit.as_str().to_owned()),
        registry: Set(json.clone()),
        non_compliances: Set(i32::try_from(found.len()).unwrap_or(i32::MAX)),
        submitted_by: Set(by.to_owned()),
        submitted_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(signage_registry::Column::Unit)
            .update_columns([
                signage_registry::Column::Registry,
                signage_registry::Column::NonCompliances,
                signage_registry::Column::SubmittedBy,
                signage_registry::Column::SubmittedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    let open = cleanup::Entity::find()
        .filter(cleanup::Column::Unit.eq(unit.as_str()))
        .filter(cleanup::Column::ClosedOn.is_null())
        .all(&txn)
        .await
        .map_err(db_error)?;
    let same = |item: &cleanup::Model, n: &NonCompliance| {
        item.check_code == n.check.code() && item.object == n.object
    };
    let mut outcome = Submission::default();
    for item in &open {
        if !found.iter().any(|n| same(item, n)) {
            let mut closing: cleanup::ActiveModel = item.clone().into();
            closing.closed_on = Set(Some(today));
            closing.update(&txn).await.map_err(db_error)?;
            outcome.closed += 1;
        }
    }
    for n in found {
        if !open.iter().any(|item| same(item, n)) {
            cleanup::ActiveModel {
                unit: Set(unit.as_str().to_owned()),
                check_code: Set(n.check.code().to_owned()),
                object: Set(n.object.chars().take(240).collect()),
                reason: Set(n.reason.clone()),
                found_on: Set(today),
                due_on: Set(due_on),
                closed_on: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(db_error)?;
            outcome.opened += 1;
        }
    }
    let entry = AuditEntry {
        object: format!("signage/{unit}"),
        before: before.map(|b| b.registry),
        after: Some(
            serde_json::json!({
                "registry": serde_json::from_str::<serde_json::Value>(&json).unwrap_or_default(),
                "non_compliances": found.len(),
                "opened": outcome.opened,
                "closed": outcome.closed,
            })
            .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(outcome)
}

/// `unit`'s clean-up list, open items first, each group oldest first.
pub async fn cleanup_list(
    db: &DatabaseConnection,
    unit: &RegionCode,
) -> Result<Vec<CleanupItem>, Error> {
    let mut items: Vec<CleanupItem> = cleanup::Entity::find()
        .filter(cleanup::Column::Unit.eq(unit.as_str()))
        .order_by_asc(cleanup::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(CleanupItem::from)
        .collect();
    items.sort_by_key(|i| i.closed_on.is_some());
    Ok(items)
}

/// Where each unit under a region stands: submitted or not, its findings, its open and
/// closed clean-up items and how many of the open ones are past their deadline on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnitProgress {
    pub submitted: bool,
    pub non_compliances: u32,
    pub open: u32,
    pub closed: u32,
    pub overdue: u32,
}

/// Progress of every unit whose code starts with `prefix` (a region's significant digits),
/// keyed by unit code; units that never submitted and have no items are absent.
pub async fn progress(
    db: &DatabaseConnection,
    prefix: &str,
    today: NaiveDate,
) -> Result<std::collections::BTreeMap<String, UnitProgress>, Error> {
    let mut by_unit = std::collections::BTreeMap::<String, UnitProgress>::new();
    let registries = signage_registry::Entity::find()
        .filter(signage_registry::Column::Unit.starts_with(prefix))
        .all(db)
        .await
        .map_err(db_error)?;
    for r in registries {
        let p = by_unit.entry(r.unit).or_default();
        p.submitted = true;
        p.non_compliances = u32::try_from(r.non_compliances).unwrap_or(0);
    }
    let items = cleanup::Entity::find()
        .filter(cleanup::Column::Unit.starts_with(prefix))
        .all(db)
        .await
        .map_err(db_error)?;
    for i in items {
        let p = by_unit.entry(i.unit).or_default();
        match i.closed_on {
            Some(_) => p.closed += 1,
            None => {
                p.open += 1;
                if i.due_on < today {
                    p.overdue += 1;
                }
            }
        }
    }
    Ok(by_unit)
}

/// The largest photo kept (a request body holds 2 MB at most).
pub const MAX_PHOTO_BYTES: usize = 1536 * 1024;

/// A photo as listed, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoMeta {
    pub id: i64,
    /// `centre`, or `sign:` and the sign's name.
    pub subject: String,
    pub name: String,
    pub size: u32,
    pub uploaded_at: DateTime<Utc>,
}

/// A photo's bytes.
pub struct Photo {
    pub name: String,
    pub mime: String,
    pub content: Vec<u8>,
}

/// Keeps a photo of `unit`'s `subject` (checked by the caller), audited with its SM3 digest.
#[allow(clippy::too_many_arguments)]
pub async fn add_photo(
    db: &DatabaseConnection,
    unit: &RegionCode,
    subject: &str,
    name: &str,
    mime: &str,
    content: &[u8],
    by: &str,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    let digest = crate::to_hex(&jianfu_seal::sm3(content));
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let row = photo::ActiveModel {
        unit: Set(unit.as_str().to_owned()),
        subject: Set(subject.chars().take(240).collect()),
        name: Set(name.chars().take(200).collect()),
        mime: Set(mime.to_owned()),
        size: Set(i32::try_from(content.len()).unwrap_or(i32::MAX)),
        digest: Set(digest.clone()),
        content: Set(content.to_vec()),
        uploaded_by: Set(by.to_owned()),
        uploaded_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("signage/{unit}/photo/{}", row.id),
        after: Some(
            serde_json::json!({ "subject": subject, "name": name, "size": content.len(), "sm3": digest })
                .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(row.id)
}

/// `unit`'s photos, oldest first.
pub async fn photos(db: &DatabaseConnection, unit: &RegionCode) -> Result<Vec<PhotoMeta>, Error> {
    Ok(photo::Entity::find()
        .select_only()
        .columns([
            photo::Column::Id,
            photo::Column::Subject,
            photo::Column::Name,
            photo::Column::Size,
            photo::Column::UploadedAt,
        ])
        .filter(photo::Column::Unit.eq(unit.as_str()))
        .order_by_asc(photo::Column::Id)
        .into_tuple::<(i64, String, String, i32, DateTime<Utc>)>()
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|(id, subject, name, size, uploaded_at)| PhotoMeta {
            id,
            subject,
            name,
            size: u32::try_from(size).unwrap_or(0),
            uploaded_at,
        })
        .collect())
}

/// One of `unit`'s photos.
pub async fn photo(db: &DatabaseConnection, unit: &RegionCode, id: i64) -> Result<Photo, Error> {
    photo::Entity::find_by_id(id)
        .filter(photo::Column::Unit.eq(unit.as_str()))
        .one(db)
        .await
        .map_err(db_error)?
        .map(|p| Photo {
            name: p.name,
            mime: p.mime,
            content: p.content,
        })
        .ok_or_else(|| Error::CatalogNotFound(format!("照片 {id}")))
}
