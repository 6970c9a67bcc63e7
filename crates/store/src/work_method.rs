//! Work methods: the providers that take work off villages and communities, recorded by the
//! region they serve (a unit, or a township, district or the city for every unit within).

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::work_method::{ProviderFields, ProviderKind};
use jianfu_domain::{Error, RegionCode};

use crate::db_error;
use crate::entity::service_provider as provider;

/// A provider as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub id: i64,
    pub region: RegionCode,
    pub fields: ProviderFields,
    pub created_by: String,
}

fn of(m: provider::Model) -> Result<Provider, Error> {
    Ok(Provider {
        id: m.id,
        region: RegionCode::parse(&m.region).map_err(|_| Error::Internal)?,
        created_by: m.created_by,
        fields: ProviderFields {
            name: m.name,
            kind: ProviderKind::parse(&m.kind).ok_or(Error::Internal)?,
            provides: m.provides,
            item_code: m.item_code,
            contact: m.contact,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
        },
    })
}

fn state(p: &ProviderFields, region: &RegionCode) -> String {
    serde_json::json!({
        "region": region.as_str(), "name": p.name, "kind": p.kind.as_str(),
        "provides": p.provides, "item_code": p.item_code, "contact": p.contact,
        "starts_on": p.starts_on, "ends_on": p.ends_on,
    })
    .to_string()
}

/// Records a provider serving `region` (checked by the caller).
pub async fn add(
    db: &DatabaseConnection,
    region: &RegionCode,
    fields: &ProviderFields,
    by: &str,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let row = provider::ActiveModel {
        region: Set(region.as_str().to_owned()),
        name: Set(fields.name.trim().to_owned()),
        kind: Set(fields.kind.as_str().to_owned()),
        provides: Set(fields.provides.trim().to_owned()),
        item_code: Set(fields.item_code.clone()),
        contact: Set(fields.contact.trim().to_owned()),
        starts_on: Set(fields.starts_on),
        ends_on: Set(fields.ends_on),
        created_by: Set(by.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("provider/{}", row.id),
        after: Some(state(fields, region)),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(row.id)
}

/// The provider with this id.
pub async fn get(db: &DatabaseConnection, id: i64) -> Result<Provider, Error> {
    provider::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::refused(format!("服务提供方 {id} 不存在")))
        .and_then(of)
}

/// Ends a provider's service on `on` (it served until then).
pub async fn end(
    db: &DatabaseConnection,
    id: i64,
    on: NaiveDate,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let Some(row) = provider::Entity::find_by_id(id)
        .one(&txn)
        .await
        .map_err(db_error)?
    else {
        return Err(Error::refused(format!("服务提供方 {id} 不存在")));
    };
    let before = of(row.clone())?;
    let mut ending: provider::ActiveModel = row.into();
    ending.ends_on = Set(Some(on));
    ending.update(&txn).await.map_err(db_error)?;
    let after = ProviderFields {
        ends_on: Some(on),
        ..before.fields.clone()
    };
    let entry = AuditEntry {
        object: format!("provider/{id}"),
        before: Some(state(&before.fields, &before.region)),
        after: Some(state(&after, &before.region)),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// The providers serving `unit` on `day`: recorded for it or for a region above it.
pub async fn serving(
    db: &DatabaseConnection,
    unit: &RegionCode,
    day: NaiveDate,
) -> Result<Vec<Provider>, Error> {
    let mut codes = Vec::new();
    let mut at = Some(*unit);
    while let Some(code) = at {
        codes.push(code.as_str().to_owned());
        at = code.parent();
    }
    let rows = provider::Entity::find()
        .filter(provider::Column::Region.is_in(codes))
        .order_by_asc(provider::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .map(of)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|p| p.fields.serves_on(day))
        .collect())
}
