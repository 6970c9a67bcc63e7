//! Dispatches (任务派发): a task as sent, and one delivery per village-level unit it reached,
//! with that unit's verdict. A dispatch and all its deliveries are written in one transaction:
//! never half delivered. A unit's inbox is its deliveries that were not blocked; the unit
//! accepts, refuses or disputes each (`jianfu_domain::delivery`).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::delivery::{self, DeliveryAction, DeliveryState, Ruling};
use jianfu_domain::verdict::{Outcome, Reason};
use jianfu_domain::violation::{self, ViolationSource};
use jianfu_domain::{Error, Page, PageRequest, RegionCode};

use crate::db_error;
use crate::entity::{delivery as row, dispatch as sent};
use crate::violation::NewViolation;

pub use crate::entity::delivery::Model as Delivery;
pub use crate::entity::dispatch::Model as Dispatch;

/// A task as its sender sent it.
#[derive(Debug, Clone)]
pub struct NewDispatch {
    /// The account that sent it.
    pub sender: String,
    pub sender_department: String,
    pub sender_name: String,
    pub sender_region: RegionCode,
    pub title: String,
    pub body: String,
    pub cites_item: Option<String>,
    pub cites_admission: Option<String>,
    pub due_date: Option<NaiveDate>,
    /// The day it was judged and sent (Beijing).
    pub day: NaiveDate,
    /// The targets as asked.
    pub targets: Vec<String>,
    pub idempotency_key: Option<String>,
}

/// One unit's verdict, to be written as its delivery.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub unit: RegionCode,
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
}

pub(crate) fn outcome_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Allowed => "allowed",
        Outcome::Flagged => "flagged",
        Outcome::Blocked => "blocked",
    }
}

/// Rows per INSERT: eight columns each stays far below every backend's placeholder limit.
const CHUNK: usize = 1000;

/// Writes a dispatch and its deliveries, or, when `sender` used the idempotency key before,
/// nothing; returns the dispatch's id and whether it was written now.
pub async fn create(
    db: &DatabaseConnection,
    new: &NewDispatch,
    deliveries: &[NewDelivery],
    audit: &AuditEntry,
) -> Result<(i64, bool), Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    if let Some(key) = &new.idempotency_key {
        let found = sent::Entity::find()
            .filter(sent::Column::Sender.eq(new.sender.as_str()))
            .filter(sent::Column::IdempotencyKey.eq(key.as_str()))
            .one(&txn)
            .await
            .map_err(db_error)?;
        if let Some(found) = found {
            return Ok((found.id, false));
        }
    }
    let count = |o: Outcome| deliveries.iter().filter(|d| d.outcome == o).count() as i32;
    let now = Utc::now();
    let id = sent::Entity::insert(sent::ActiveModel {
        sender: Set(new.sender.clone()),
        sender_department: Set(new.sender_department.clone()),
        sender_name: Set(new.sender_name.chars().take(100).collect()),
        sender_region: Set(new.sender_region.as_str().to_owned()),
        title: Set(new.title.trim().chars().take(200).collect()),
        body: Set(new.body.trim().to_owned()),
        cites_item: Set(new.cites_item.clone()),
        cites_admission: Set(new.cites_admission.clone()),
        due_date: Set(new.due_date),
        day: Set(new.day),
        targets: Set(serde_json::to_string(&new.targets).expect("codes serialise")),
        allowed: Set(count(Outcome::Allowed)),
        flagged: Set(count(Outcome::Flagged)),
        blocked: Set(count(Outcome::Blocked)),
        idempotency_key: Set(new.idempotency_key.clone()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    for chunk in deliveries.chunks(CHUNK) {
        let rows = chunk.iter().map(|d| row::ActiveModel {
            dispatch_id: Set(id),
            unit: Set(d.unit.as_str().to_owned()),
            outcome: Set(outcome_code(d.outcome).to_owned()),
            reasons: Set(serde_json::to_string(&d.reasons).expect("reasons serialise")),
            state: Set(if d.outcome == Outcome::Blocked {
                DeliveryState::Blocked
            } else {
                DeliveryState::Delivered
            }
            .code()
            .to_owned()),
            state_note: Set(None),
            ruling: Set(None),
            ruled_by: Set(None),
            updated_at: Set(now),
            ..Default::default()
        });
        row::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
    }
    // A task the gateway stopped for some units is the sender's violation, once.
    let stopped = deliveries
        .iter()
        .find_map(|d| violation::ground(d.outcome, &d.reasons));
    if let Some(ground) = stopped {
        let v = NewViolation {
            source: ViolationSource::Dispatch,
            department: new.sender_department.clone(),
            department_name: new.sender_name.clone(),
            region: new.sender_region,
            units: count(Outcome::Blocked) as usize,
            title: new.title.clone(),
            rule: ground.rule.to_owned(),
            message: ground.message.clone(),
            item_code: ground.item_code.clone(),
            day: new.day,
        };
        crate::violation::record(&txn, &v, id).await?;
    }
    let entry = AuditEntry {
        object: format!("dispatch/{id}"),
        after: Some(
            serde_json::json!({
                "title": new.title,
                "cites_item": new.cites_item,
                "cites_admission": new.cites_admission,
                "allowed": count(Outcome::Allowed),
                "flagged": count(Outcome::Flagged),
                "blocked": count(Outcome::Blocked),
            })
            .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok((id, true))
}

/// A dispatch with every delivery, in unit order.
pub async fn get(db: &DatabaseConnection, id: i64) -> Result<(Dispatch, Vec<Delivery>), Error> {
    let d = sent::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("派发任务 {id}")))?;
    let rows = row::Entity::find()
        .filter(row::Column::DispatchId.eq(id))
        .order_by_asc(row::Column::Unit)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok((d, rows))
}

/// One task in a unit's inbox.
#[derive(Debug, Clone)]
pub struct InboxItem {
    pub delivery: Delivery,
    pub dispatch: Dispatch,
    pub received_at: DateTime<Utc>,
}

/// One page of `unit`'s inbox (what reached it; blocked deliveries never do), newest first.
pub async fn inbox(
    db: &DatabaseConnection,
    unit: &RegionCode,
    paging: PageRequest,
) -> Result<Page<InboxItem>, Error> {
    let query = row::Entity::find()
        .filter(row::Column::Unit.eq(unit.as_str()))
        .filter(row::Column::State.ne(DeliveryState::Blocked.code()));
    with_dispatches(db, query.order_by_desc(row::Column::Id), paging).await
}

/// One page of `query`'s deliveries, each with its dispatch.
async fn with_dispatches(
    db: &DatabaseConnection,
    query: sea_orm::Select<row::Entity>,
    paging: PageRequest,
) -> Result<Page<InboxItem>, Error> {
    let found = crate::paged(db, query, paging, |d| d).await?;
    let ids: Vec<i64> = found.items.iter().map(|r| r.dispatch_id).collect();
    let dispatches = sent::Entity::find()
        .filter(sent::Column::Id.is_in(ids))
        .all(db)
        .await
        .map_err(db_error)?;
    let items = found
        .items
        .into_iter()
        .map(|delivery| {
            let dispatch = dispatches
                .iter()
                .find(|d| d.id == delivery.dispatch_id)
                .cloned()
                .ok_or(Error::Internal)?;
            Ok(InboxItem {
                received_at: dispatch.created_at,
                delivery,
                dispatch,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(Page {
        items,
        total: found.total,
        page: found.page,
        per_page: found.per_page,
    })
}

/// A step the delivery rules refuse: a task already dealt with (or no dispute to rule on)
/// is in the wrong stage; a missing reason or answer is refused.
fn refused_step(e: delivery::DeliveryError) -> Error {
    use delivery::DeliveryError as E;
    match e {
        E::NotWaiting(s) | E::NotDisputed(s) => Error::WrongStage {
            stage: s.code(),
            message: e.to_string(),
        },
        E::NoReason(_) | E::NoAnswer => Error::refused(e.to_string()),
    }
}

/// The unit `unit` accepts, refuses or disputes its delivery `id`; returns the new state.
/// Another unit's delivery is not found (nobody learns what others received).
pub async fn act(
    db: &DatabaseConnection,
    id: i64,
    unit: &RegionCode,
    action: DeliveryAction,
    reason: &str,
    audit: &AuditEntry,
) -> Result<DeliveryState, Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let d = row::Entity::find_by_id(id)
        .filter(row::Column::Unit.eq(unit.as_str()))
        .lock_exclusive()
        .one(&txn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("任务 {id}")))?;
    let state = DeliveryState::from_code(&d.state).ok_or(Error::Internal)?;
    let next = delivery::act(state, action, reason).map_err(refused_step)?;
    let note = Some(reason.trim().to_owned()).filter(|r| !r.is_empty());
    row::Entity::update_many()
        .col_expr(row::Column::State, Expr::value(next.code()))
        .col_expr(row::Column::StateNote, Expr::value(note.clone()))
        .col_expr(row::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(row::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("delivery/{id}"),
        before: Some(serde_json::json!({ "state": state.code() }).to_string()),
        after: Some(serde_json::json!({ "state": next.code(), "note": note }).to_string()),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(next)
}

/// One page of the disputed deliveries to units within `within`, oldest first (the queue
/// civil affairs works through), each with its dispatch.
pub async fn disputes(
    db: &DatabaseConnection,
    within: &RegionCode,
    paging: PageRequest,
) -> Result<Page<InboxItem>, Error> {
    let (lo, hi) = crate::region::subtree_range(within);
    let query = row::Entity::find()
        .filter(row::Column::State.eq(DeliveryState::Disputed.code()))
        .filter(row::Column::Unit.gte(lo))
        .filter(row::Column::Unit.lte(hi));
    with_dispatches(db, query.order_by_asc(row::Column::UpdatedAt), paging).await
}

/// Civil affairs of `within` rules on the disputed delivery `id`. Upheld, the task is
/// withdrawn from the unit and recorded as the sender's violation; rejected, it is back in
/// the unit's inbox with the answer.
pub async fn rule(
    db: &DatabaseConnection,
    id: i64,
    within: &RegionCode,
    ruling: Ruling,
    answer: &str,
    audit: &AuditEntry,
) -> Result<DeliveryState, Error> {
    let (lo, hi) = crate::region::subtree_range(within);
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let d = row::Entity::find_by_id(id)
        .filter(row::Column::Unit.gte(lo))
        .filter(row::Column::Unit.lte(hi))
        .lock_exclusive()
        .one(&txn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("任务 {id}")))?;
    let state = DeliveryState::from_code(&d.state).ok_or(Error::Internal)?;
    let next = delivery::rule(state, ruling, answer).map_err(refused_step)?;
    row::Entity::update_many()
        .col_expr(row::Column::State, Expr::value(next.code()))
        .col_expr(row::Column::Ruling, Expr::value(answer.trim()))
        .col_expr(row::Column::RuledBy, Expr::value(audit.actor.clone()))
        .col_expr(row::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(row::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    if ruling == Ruling::Uphold {
        let sent = sent::Entity::find_by_id(d.dispatch_id)
            .one(&txn)
            .await
            .map_err(db_error)?
            .ok_or(Error::Internal)?;
        let v = NewViolation {
            source: ViolationSource::Dispute,
            department: sent.sender_department,
            department_name: sent.sender_name,
            region: RegionCode::parse(&d.unit).map_err(|_| Error::Internal)?,
            units: 1,
            title: sent.title,
            rule: violation::DISPUTE_UPHELD.to_owned(),
            message: format!(
                "村（社区）对该任务提出异议，经民政部门核实成立：{}",
                answer.trim()
            ),
            item_code: sent.cites_item,
            day: jianfu_domain::beijing_date(Utc::now()),
        };
        crate::violation::record(&txn, &v, id).await?;
    }
    let entry = AuditEntry {
        object: format!("delivery/{id}"),
        before: Some(serde_json::json!({ "state": state.code() }).to_string()),
        after: Some(
            serde_json::json!({ "state": next.code(), "ruling": answer.trim() }).to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(next)
}
