//! Admissions (准入): applications and their procedure (`jianfu_domain::admission`), and the
//! admitted tasks approved applications become. Each step locks the application, asks the
//! domain whether it may happen, and writes the new stage, its event, any countersignature or
//! admitted task and the audit record in one transaction.

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use jianfu_domain::account::Role;
use jianfu_domain::admission::{self, Action, Actor, Facts, ScopeEntry, Stage, StepError, TooSoon};
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::workday::Calendar;
use jianfu_domain::{Error, RegionCode};

use crate::db_error;
use crate::entity::{
    admission as adm, admission_countersign as sign, admission_event as event,
    admitted_task as task,
};

/// What an applying department writes.
#[derive(Debug, Clone)]
pub struct NewAdmission {
    /// The level it is applied at: Tianjin (city departments) or the department's district.
    pub region: RegionCode,
    pub department: String,
    pub title: String,
    pub content: String,
    pub basis: String,
    pub scope: Vec<ScopeEntry>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Estimated work per unit.
    pub workload_minutes: u32,
    /// Funding and working conditions provided (费随事转).
    pub support: String,
    /// Should become a permanent directory item.
    pub permanent: bool,
    pub co_departments: Vec<String>,
    /// A repeated request with the same key opens nothing new.
    pub idempotency_key: Option<String>,
}

/// An application with its procedure so far.
#[derive(Debug, Clone)]
pub struct AdmissionView {
    pub id: i64,
    pub region: RegionCode,
    pub department: String,
    pub applicant: String,
    pub title: String,
    pub stage: Stage,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub co_departments: Vec<String>,
    /// The day the current step began (its deadline counts from it).
    pub step_since: NaiveDate,
    pub events: Vec<event::Model>,
    /// The admitted task, once approved.
    pub task: Option<task::Model>,
}

/// Why a step was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    #[error("{0}")]
    Step(StepError),
    #[error("{0}")]
    TooSoon(TooSoon),
    #[error("{0}")]
    Store(Error),
}

impl From<Error> for AdmissionError {
    fn from(e: Error) -> Self {
        AdmissionError::Store(e)
    }
}

fn invalid(message: &str) -> Error {
    Error::Refused {
        message: message.into(),
        details: Vec::new(),
    }
}

/// Opens a draft application by `applicant`; returns its id (the existing one when the
/// idempotency key was used before by the same applicant).
pub async fn create(
    db: &DatabaseConnection,
    new: &NewAdmission,
    applicant: &str,
    today: NaiveDate,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    if new.title.trim().is_empty() {
        return Err(invalid("请填写任务名称"));
    }
    if new.scope.is_empty() {
        return Err(invalid("请选择任务涉及的村（社区）范围"));
    }
    if new.ends_on < new.starts_on {
        return Err(invalid("任务结束日期不能早于开始日期"));
    }
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    if let Some(key) = &new.idempotency_key {
        let found = adm::Entity::find()
            .filter(adm::Column::Applicant.eq(applicant))
            .filter(adm::Column::IdempotencyKey.eq(key.as_str()))
            .one(&txn)
            .await
            .map_err(db_error)?;
        if let Some(found) = found {
            return Ok(found.id);
        }
    }
    let now = Utc::now();
    let id = adm::Entity::insert(adm::ActiveModel {
        region: Set(new.region.to_string()),
        department: Set(new.department.clone()),
        applicant: Set(applicant.to_owned()),
        title: Set(new.title.trim().to_owned()),
        content: Set(new.content.trim().to_owned()),
        basis: Set(new.basis.trim().to_owned()),
        scope: Set(serde_json::to_string(&new.scope).expect("scopes serialise")),
        starts_on: Set(new.starts_on),
        ends_on: Set(new.ends_on),
        workload_minutes: Set(new.workload_minutes.min(i32::MAX as u32) as i32),
        support: Set(new.support.trim().to_owned()),
        permanent: Set(new.permanent),
        co_departments: Set(serde_json::to_string(&new.co_departments).expect("codes serialise")),
        stage: Set(Stage::Draft.code().to_owned()),
        idempotency_key: Set(new.idempotency_key.clone()),
        step_since: Set(today),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    let entry = AuditEntry {
        object: format!("admission/{id}"),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(id)
}

fn stage_of(m: &adm::Model) -> Result<Stage, Error> {
    Stage::from_code(&m.stage, m.stage_note.clone()).ok_or(Error::Internal)
}

fn codes(text: &str) -> Result<Vec<String>, Error> {
    serde_json::from_str(text).map_err(|_| Error::Internal)
}

/// An application with its events and admitted task.
pub async fn get(db: &DatabaseConnection, id: i64) -> Result<AdmissionView, Error> {
    let a = adm::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("准入申请 {id}")))?;
    let events = event::Entity::find()
        .filter(event::Column::AdmissionId.eq(id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;
    let task = task::Entity::find()
        .filter(task::Column::AdmissionId.eq(id))
        .one(db)
        .await
        .map_err(db_error)?;
    Ok(AdmissionView {
        id,
        region: RegionCode::parse(&a.region).map_err(|_| Error::Internal)?,
        stage: stage_of(&a)?,
        co_departments: codes(&a.co_departments)?,
        department: a.department,
        applicant: a.applicant,
        title: a.title,
        starts_on: a.starts_on,
        ends_on: a.ends_on,
        step_since: a.step_since,
        events,
        task,
    })
}

/// How many co-departments have countersigned in the current round (it starts again with
/// every submission).
async fn signed<C: ConnectionTrait>(conn: &C, id: i64, round: i32) -> Result<Vec<String>, Error> {
    Ok(sign::Entity::find()
        .filter(sign::Column::AdmissionId.eq(id))
        .filter(sign::Column::Round.eq(round))
        .all(conn)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(|s| s.department)
        .collect())
}

/// The countersigning round: how many times the application has been sent to countersign.
async fn round<C: ConnectionTrait>(conn: &C, id: i64) -> Result<i32, Error> {
    let sent = event::Entity::find()
        .filter(event::Column::AdmissionId.eq(id))
        .filter(event::Column::Stage.eq(Stage::Countersigning.code()))
        .filter(event::Column::Action.is_in(["submit", "resubmit"]))
        .count(conn)
        .await
        .map_err(db_error)?;
    Ok(sent as i32)
}

/// Who acts: username, role and department (for department officers).
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    pub username: &'a str,
    pub role: Role,
    pub department: Option<&'a str>,
}

/// The day a step is taken, and the working-day rules it is judged by.
#[derive(Debug, Clone, Copy)]
pub struct Today<'a> {
    pub day: NaiveDate,
    pub calendar: &'a Calendar,
    /// A task starts at least this many working days after it is submitted (default 30).
    pub notice_days: u32,
}

/// Moves application `id` by `action` of `by` on `today`. Returns the new stage.
pub async fn act(
    db: &DatabaseConnection,
    id: i64,
    action: &Action,
    by: By<'_>,
    today: Today<'_>,
    audit: &AuditEntry,
) -> Result<Stage, AdmissionError> {
    let Today {
        day: today,
        calendar,
        notice_days,
    } = today;
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let a = adm::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("准入申请 {id}")))?;
    let stage = stage_of(&a)?;
    let co = codes(&a.co_departments)?;
    let current_round = round(&txn, id).await?;
    let done = signed(&txn, id, current_round).await?;
    let own = by.department == Some(a.department.as_str());
    let actor = Actor {
        role: by.role,
        is_applicant: own,
        owes_countersign: by
            .department
            .is_some_and(|d| co.iter().any(|c| c == d) && !done.iter().any(|s| s == d)),
        may_review: a.reviewer.as_deref().is_none_or(|r| r == by.username),
    };
    let facts = Facts {
        co_departments: co.len(),
        countersigns_pending: co.len().saturating_sub(done.len()),
    };
    let next = admission::step(&stage, action, actor, facts).map_err(AdmissionError::Step)?;
    if matches!(action, Action::Submit | Action::Resubmit) {
        admission::check_notice(calendar, today, a.starts_on, notice_days)
            .map_err(AdmissionError::TooSoon)?;
    }
    let now = Utc::now();
    if let Action::Countersign { agree, comment } = action {
        sign::Entity::insert(sign::ActiveModel {
            admission_id: Set(id),
            round: Set(current_round),
            department: Set(by.department.unwrap_or_default().to_owned()),
            agree: Set(*agree),
            comment: Set(comment.trim().to_owned()),
            actor: Set(by.username.to_owned()),
            at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await
        .map_err(db_error)?;
    }
    match &next {
        Stage::Approved => {
            let code = next_task_code(&txn, &a.region, today.year()).await?;
            task::Entity::insert(task::ActiveModel {
                code: Set(code),
                admission_id: Set(id),
                region: Set(a.region.clone()),
                title: Set(a.title.clone()),
                scope: Set(a.scope.clone()),
                starts_on: Set(a.starts_on),
                ends_on: Set(a.ends_on),
                approved_at: Set(now),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await
            .map_err(db_error)?;
        }
        Stage::Revoked { reason } => {
            task::Entity::update_many()
                .col_expr(task::Column::RevokedAt, Expr::value(now))
                .col_expr(task::Column::RevokeReason, Expr::value(reason.clone()))
                .filter(task::Column::AdmissionId.eq(id))
                .exec(&txn)
                .await
                .map_err(db_error)?;
        }
        _ => {}
    }
    // A new step begins when the stage changes; its deadline counts from today.
    let step_since = if next.code() == stage.code() {
        a.step_since
    } else {
        today
    };
    adm::Entity::update_many()
        .col_expr(adm::Column::Stage, Expr::value(next.code()))
        .col_expr(
            adm::Column::StageNote,
            Expr::value(next.note().map(str::to_owned)),
        )
        .col_expr(adm::Column::StepSince, Expr::value(step_since))
        .col_expr(adm::Column::UpdatedAt, Expr::value(now))
        .filter(adm::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let note = match action {
        Action::Countersign { comment, .. } => Some(comment.trim().to_owned()),
        Action::Return { reason, .. } | Action::Reject { reason } | Action::Revoke { reason } => {
            Some(reason.trim().to_owned())
        }
        _ => None,
    }
    .filter(|n| !n.is_empty());
    event::Entity::insert(event::ActiveModel {
        admission_id: Set(id),
        at: Set(now),
        actor: Set(by.username.to_owned()),
        role: Set(by.role.as_str().to_owned()),
        action: Set(action.code().to_owned()),
        stage: Set(next.code().to_owned()),
        note: Set(note.clone()),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("admission/{id}"),
        before: Some(serde_json::json!({ "stage": stage.code() }).to_string()),
        after: Some(
            serde_json::json!({ "stage": next.code(), "action": action.code(), "note": note })
                .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(next)
}

/// `ZR-<level>-<year>-<n>`: numbered per level and year, under the application's lock and the
/// unique index (two approvals at once on one level: one commits, the other retries).
async fn next_task_code<C: ConnectionTrait>(
    conn: &C,
    region: &str,
    year: i32,
) -> Result<String, Error> {
    let short = RegionCode::parse(region)
        .map_err(|_| Error::Internal)?
        .short()
        .to_owned();
    let prefix = format!("ZR-{short}-{year}-");
    let n = task::Entity::find()
        .filter(task::Column::Code.starts_with(prefix.as_str()))
        .count(conn)
        .await
        .map_err(db_error)?;
    Ok(format!("{prefix}{:03}", n + 1))
}
