//! Admissions (准入): applications and their procedure (`jianfu_domain::admission`), and the
//! admitted tasks approved applications become. Each step locks the application, asks the
//! domain whether it may happen, and writes the new stage, its event, any countersignature or
//! admitted task and the audit record in one transaction.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use jianfu_domain::account::Role;
use jianfu_domain::admission::{
    self, Action, Actor, Deadlines, Facts, ScopeEntry, Stage, StepError, TooSoon,
};
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::workday::Calendar;
use jianfu_domain::{Error, Page, PageRequest, RegionCode};

use crate::db_error;
use crate::entity::{
    admission as adm, admission_attachment as file, admission_countersign as sign,
    admission_event as event, admission_setting as setting, admitted_task as task,
};
use crate::notification::{self, Notice};

pub use crate::entity::admission_countersign::Model as Countersign;
pub use crate::entity::admission_event::Model as Event;
pub use crate::entity::admitted_task::Model as TaskRow;

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
    pub content: String,
    pub basis: String,
    pub scope: Vec<ScopeEntry>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub workload_minutes: u32,
    pub support: String,
    pub permanent: bool,
    pub co_departments: Vec<String>,
    pub stage: Stage,
    /// The civil-affairs officer the review is assigned to, if anyone.
    pub reviewer: Option<String>,
    /// The day the current step began (its deadline counts from it).
    pub step_since: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub events: Vec<Event>,
    /// Every round's countersignatures.
    pub countersigns: Vec<Countersign>,
    pub attachments: Vec<Attachment>,
    /// The admitted task, once approved.
    pub task: Option<TaskRow>,
}

impl AdmissionView {
    /// The fields as the applicant wrote them (to edit a returned application).
    pub fn fields(&self) -> NewAdmission {
        NewAdmission {
            region: self.region,
            department: self.department.clone(),
            title: self.title.clone(),
            content: self.content.clone(),
            basis: self.basis.clone(),
            scope: self.scope.clone(),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            workload_minutes: self.workload_minutes,
            support: self.support.clone(),
            permanent: self.permanent,
            co_departments: self.co_departments.clone(),
            idempotency_key: None,
        }
    }
}

/// A file attached to an application, without its content.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub id: i64,
    pub name: String,
    pub mime: String,
    pub size: u32,
    /// SM3 of the content, hex.
    pub digest: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
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

/// What every application must say before it is stored.
fn check(new: &NewAdmission) -> Result<(), Error> {
    if new.title.trim().is_empty() {
        return Err(Error::refused("请填写任务名称"));
    }
    if new.title.chars().count() > 200 {
        return Err(Error::refused("任务名称不能超过 200 字"));
    }
    if new.content.trim().is_empty() {
        return Err(Error::refused("请填写任务内容"));
    }
    if new.basis.trim().is_empty() {
        return Err(Error::refused("请填写法律法规或政策依据"));
    }
    admission::check_scope(&new.scope, &new.region).map_err(|e| Error::refused(e.to_string()))?;
    if new.ends_on < new.starts_on {
        return Err(Error::refused("任务结束日期不能早于开始日期"));
    }
    if new.co_departments.contains(&new.department) {
        return Err(Error::refused("会签部门不能是申请部门本身"));
    }
    Ok(())
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
    check(new)?;
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
    let countersigns = sign::Entity::find()
        .filter(sign::Column::AdmissionId.eq(id))
        .order_by_asc(sign::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;
    let attachments = file::Entity::find()
        .filter(file::Column::AdmissionId.eq(id))
        .select_only()
        .columns([
            file::Column::Id,
            file::Column::Name,
            file::Column::Mime,
            file::Column::Size,
            file::Column::Digest,
            file::Column::UploadedBy,
            file::Column::UploadedAt,
        ])
        .order_by_asc(file::Column::Id)
        .into_tuple::<(i64, String, String, i32, String, String, DateTime<Utc>)>()
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(
            |(id, name, mime, size, digest, uploaded_by, uploaded_at)| Attachment {
                id,
                name,
                mime,
                size: size.max(0) as u32,
                digest,
                uploaded_by,
                uploaded_at,
            },
        )
        .collect();
    Ok(AdmissionView {
        id,
        region: RegionCode::parse(&a.region).map_err(|_| Error::Internal)?,
        stage: stage_of(&a)?,
        co_departments: codes(&a.co_departments)?,
        scope: serde_json::from_str(&a.scope).map_err(|_| Error::Internal)?,
        department: a.department,
        applicant: a.applicant,
        title: a.title,
        content: a.content,
        basis: a.basis,
        starts_on: a.starts_on,
        ends_on: a.ends_on,
        workload_minutes: a.workload_minutes.max(0) as u32,
        support: a.support,
        permanent: a.permanent,
        reviewer: a.reviewer,
        step_since: a.step_since,
        created_at: a.created_at,
        updated_at: a.updated_at,
        events,
        countersigns,
        attachments,
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

/// Who acts: username, display name, role and department (for department officers).
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub department: Option<&'a str>,
}

/// The day a step is taken, and the calendar its working days are counted on (the level's
/// deadlines are read with the application).
#[derive(Debug, Clone, Copy)]
pub struct Today<'a> {
    pub day: NaiveDate,
    pub calendar: &'a Calendar,
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
    } = today;
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let a = locked(&txn, id).await?;
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
        let level = RegionCode::parse(&a.region).map_err(|_| Error::Internal)?;
        let notice_days = deadlines_in(&txn, &level).await?.notice_days;
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
    let mut task_code = None;
    match &next {
        Stage::Approved => {
            let code = next_task_code(&txn, &a.region, today.year()).await?;
            task_code = Some(code.clone());
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
        actor_name: Set(Some(by.name.to_owned())),
        actor_department: Set(by.department.map(str::to_owned)),
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
    if next.code() != stage.code() {
        let told = Told {
            id,
            title: &a.title,
            region: &a.region,
            applicant: &a.applicant,
            reviewer: a.reviewer.as_deref(),
            co: &co,
        };
        tell_next(&txn, &told, &next, task_code.as_deref(), by.username).await?;
        if next == Stage::Approved && a.permanent {
            propose_to_directory(&txn, &told, task_code.as_deref()).await?;
        }
    }
    let mut involved = co.clone();
    involved.push(a.department.clone());
    let event = format!("admission.{}", action.code());
    let body = serde_json::json!({
        "event": event,
        "admission_id": id,
        "title": a.title,
        "level": a.region,
        "department": a.department,
        "action": action.code(),
        "stage": next.code(),
        "note": note,
        "task": task_code,
        "at": now,
    });
    crate::webhook::enqueue(&txn, &involved, &event, &body).await?;
    txn.commit().await.map_err(db_error)?;
    Ok(next)
}

async fn locked<C: ConnectionTrait>(conn: &C, id: i64) -> Result<adm::Model, Error> {
    adm::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("准入申请 {id}")))
}

/// What the notifications of a step need to know of its application.
struct Told<'a> {
    id: i64,
    title: &'a str,
    region: &'a str,
    applicant: &'a str,
    reviewer: Option<&'a str>,
    co: &'a [String],
}

/// Who acts next at `stage`: the co-departments' officers, the assigned reviewer or civil
/// affairs of the level, the level's approvers, or the applicant once it is decided or back.
async fn next_actors<C: ConnectionTrait>(
    conn: &C,
    told: &Told<'_>,
    stage: &Stage,
) -> Result<Vec<String>, Error> {
    let level = RegionCode::parse(told.region).map_err(|_| Error::Internal)?;
    match stage {
        Stage::Countersigning => {
            notification::holders(conn, &level, Role::DepartmentOfficer, Some(told.co)).await
        }
        Stage::Submitted => match told.reviewer {
            Some(r) => Ok(vec![r.to_owned()]),
            None => notification::holders(conn, &level, Role::CivilAffairs, None).await,
        },
        Stage::Passed => notification::holders(conn, &level, Role::Approver, None).await,
        Stage::Returned { .. }
        | Stage::Approved
        | Stage::Rejected { .. }
        | Stage::Revoked { .. } => Ok(vec![told.applicant.to_owned()]),
        Stage::Draft | Stage::Withdrawn => Ok(Vec::new()),
    }
}

/// Tells the next actors what the step asks of them (never the one who took it).
async fn tell_next<C: ConnectionTrait>(
    conn: &C,
    told: &Told<'_>,
    stage: &Stage,
    task_code: Option<&str>,
    actor: &str,
) -> Result<(), Error> {
    let title = told.title;
    let message = match stage {
        Stage::Countersigning => format!("准入申请《{title}》请您会签"),
        Stage::Submitted => format!("准入申请《{title}》待您初审"),
        Stage::Passed => format!("准入申请《{title}》已通过初审，待您审批"),
        Stage::Returned { reason } => format!("准入申请《{title}》被退回：{reason}"),
        Stage::Approved => format!(
            "准入申请《{title}》已批准，准入事项编号 {}",
            task_code.unwrap_or_default()
        ),
        Stage::Rejected { reason } => format!("准入申请《{title}》不予准入：{reason}"),
        Stage::Revoked { reason } => format!("准入事项《{title}》已撤销：{reason}"),
        Stage::Draft | Stage::Withdrawn => return Ok(()),
    };
    let recipients: Vec<String> = next_actors(conn, told, stage)
        .await?
        .into_iter()
        .filter(|r| r != actor)
        .collect();
    let kind = format!("admission.{}", stage.code());
    tell_about(conn, told.id, &recipients, &kind, &message, None).await
}

/// An approved task the applicant proposed as a standing duty: civil affairs of the level
/// is asked to consider it for the directory (an adjustment is theirs to draft).
async fn propose_to_directory<C: ConnectionTrait>(
    conn: &C,
    told: &Told<'_>,
    task_code: Option<&str>,
) -> Result<(), Error> {
    let level = RegionCode::parse(told.region).map_err(|_| Error::Internal)?;
    let civil = notification::holders(conn, &level, Role::CivilAffairs, None).await?;
    let message = format!(
        "准入事项《{}》（{}）申请部门建议纳入指导目录，请研究是否起草目录调整",
        told.title,
        task_code.unwrap_or_default()
    );
    tell_about(
        conn,
        told.id,
        &civil,
        "admission.propose_directory",
        &message,
        None,
    )
    .await
}

/// Sends `message` about application `id` to `recipients`, leading to its page.
async fn tell_about<C: ConnectionTrait>(
    conn: &C,
    id: i64,
    recipients: &[String],
    kind: &str,
    message: &str,
    dedupe: Option<&str>,
) -> Result<(), Error> {
    let object = format!("admission/{id}");
    let link = format!("/admissions/{id}");
    let notice = Notice {
        object: &object,
        kind,
        message,
        link: &link,
    };
    notification::send(conn, recipients, &notice, dedupe).await
}

/// Reminds the next actors of every step past its deadline on `today`, once per step.
/// Returns how many steps are overdue.
pub async fn remind_overdue(
    db: &DatabaseConnection,
    today: NaiveDate,
    calendar: &Calendar,
) -> Result<usize, Error> {
    let waiting = [
        Stage::Countersigning.code(),
        Stage::Submitted.code(),
        Stage::Passed.code(),
    ];
    let levels: Vec<String> = adm::Entity::find()
        .filter(adm::Column::Stage.is_in(waiting))
        .select_only()
        .column(adm::Column::Region)
        .distinct()
        .into_tuple()
        .all(db)
        .await
        .map_err(db_error)?;
    let mut overdue = 0;
    for region in levels {
        let level = RegionCode::parse(&region).map_err(|_| Error::Internal)?;
        let days = deadlines(db, &level).await?.review_days;
        let cutoff = admission::overdue_cutoff(calendar, today, days);
        let late = adm::Entity::find()
            .filter(adm::Column::Region.eq(region.as_str()))
            .filter(adm::Column::Stage.is_in(waiting))
            .filter(adm::Column::StepSince.lte(cutoff))
            .all(db)
            .await
            .map_err(db_error)?;
        for a in late {
            overdue += 1;
            let stage = stage_of(&a)?;
            let co = codes(&a.co_departments)?;
            let told = Told {
                id: a.id,
                title: &a.title,
                region: &a.region,
                applicant: &a.applicant,
                reviewer: a.reviewer.as_deref(),
                co: &co,
            };
            let mut recipients = next_actors(db, &told, &stage).await?;
            // The applicant hears of the delay too.
            recipients.push(a.applicant.clone());
            let due = admission::decide_by(calendar, a.step_since, days);
            let message = format!(
                "准入申请《{}》“{}”环节已超过办理时限（应于 {due} 前办结）",
                a.title,
                stage.label()
            );
            let key = format!("overdue:{}:{}:{}", a.id, stage.code(), a.step_since);
            tell_about(
                db,
                a.id,
                &recipients,
                "admission.overdue",
                &message,
                Some(&key),
            )
            .await?;
        }
    }
    Ok(overdue)
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

/// Rewrites a draft or returned application's content (its applying department only).
pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    new: &NewAdmission,
    department: &str,
    audit: &AuditEntry,
) -> Result<(), Error> {
    check(new)?;
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let a = locked(&txn, id).await?;
    if a.department != department {
        return Err(Error::refused("只有申请部门可以修改申请内容"));
    }
    if !stage_of(&a)?.editable() {
        return Err(Error::refused("申请已提交，只有草稿或被退回的申请可以修改"));
    }
    adm::Entity::update_many()
        .col_expr(adm::Column::Title, Expr::value(new.title.trim()))
        .col_expr(adm::Column::Content, Expr::value(new.content.trim()))
        .col_expr(adm::Column::Basis, Expr::value(new.basis.trim()))
        .col_expr(
            adm::Column::Scope,
            Expr::value(serde_json::to_string(&new.scope).expect("scopes serialise")),
        )
        .col_expr(adm::Column::StartsOn, Expr::value(new.starts_on))
        .col_expr(adm::Column::EndsOn, Expr::value(new.ends_on))
        .col_expr(
            adm::Column::WorkloadMinutes,
            Expr::value(new.workload_minutes.min(i32::MAX as u32) as i32),
        )
        .col_expr(adm::Column::Support, Expr::value(new.support.trim()))
        .col_expr(adm::Column::Permanent, Expr::value(new.permanent))
        .col_expr(
            adm::Column::CoDepartments,
            Expr::value(serde_json::to_string(&new.co_departments).expect("codes serialise")),
        )
        .col_expr(adm::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(adm::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("admission/{id}"),
        before: Some(serde_json::json!({ "title": a.title, "starts_on": a.starts_on }).to_string()),
        after: Some(
            serde_json::json!({ "title": new.title.trim(), "starts_on": new.starts_on })
                .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

/// Largest attachment kept, and how many one application may have.
pub const MAX_ATTACHMENT_BYTES: usize = 1536 * 1024;
pub const MAX_ATTACHMENTS: u64 = 10;

/// Attaches a file to a draft or returned application (its applying department only);
/// returns the attachment's id.
pub async fn attach(
    db: &DatabaseConnection,
    id: i64,
    name: &str,
    mime: &str,
    content: &[u8],
    by: By<'_>,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    let name = name.trim();
    if name.is_empty() || content.is_empty() {
        return Err(Error::refused("请选择要上传的附件"));
    }
    if content.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::refused("附件不能超过 1.5 MB"));
    }
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let a = locked(&txn, id).await?;
    if by.department != Some(a.department.as_str()) {
        return Err(Error::refused("只有申请部门可以上传附件"));
    }
    if !stage_of(&a)?.editable() {
        return Err(Error::refused(
            "申请已提交，只有草稿或被退回的申请可以上传附件",
        ));
    }
    let held = file::Entity::find()
        .filter(file::Column::AdmissionId.eq(id))
        .count(&txn)
        .await
        .map_err(db_error)?;
    if held >= MAX_ATTACHMENTS {
        return Err(Error::refused("每份申请最多上传 10 个附件"));
    }
    let digest = crate::to_hex(&jianfu_seal::sm3(content));
    let name: String = name.chars().take(200).collect();
    let file_id = file::Entity::insert(file::ActiveModel {
        admission_id: Set(id),
        name: Set(name.clone()),
        mime: Set(mime.chars().take(100).collect()),
        size: Set(content.len() as i32),
        digest: Set(digest.clone()),
        content: Set(content.to_vec()),
        uploaded_by: Set(by.username.to_owned()),
        uploaded_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    let entry = AuditEntry {
        object: format!("admission/{id}"),
        after: Some(
            serde_json::json!({ "attachment": file_id, "name": name, "sm3": digest }).to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(file_id)
}

/// An attachment's name, type and content.
pub async fn attachment(
    db: &DatabaseConnection,
    id: i64,
    file_id: i64,
) -> Result<(String, String, Vec<u8>), Error> {
    let f = file::Entity::find_by_id(file_id)
        .filter(file::Column::AdmissionId.eq(id))
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("附件 {file_id}")))?;
    Ok((f.name, f.mime, f.content))
}

/// Assigns the review of a submitted application to a civil-affairs officer of its level
/// (delegation, 委托), or back to all of them with `None`. The officer it is assigned to, or
/// anyone while it is assigned to nobody, may do this.
pub async fn assign_reviewer(
    db: &DatabaseConnection,
    id: i64,
    reviewer: Option<&str>,
    by: By<'_>,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let a = locked(&txn, id).await?;
    let stage = stage_of(&a)?;
    if !matches!(stage, Stage::Countersigning | Stage::Submitted) {
        return Err(Error::WrongStage {
            stage: stage.code(),
            message: format!("准入申请处于“{}”状态，不能指定初审人", stage.label()),
        });
    }
    if by.role != Role::CivilAffairs || a.reviewer.as_deref().is_some_and(|r| r != by.username) {
        return Err(Error::refused("只有本级民政部门当前的初审人可以转交初审"));
    }
    let level = RegionCode::parse(&a.region).map_err(|_| Error::Internal)?;
    if let Some(r) = reviewer {
        let colleagues = notification::holders(&txn, &level, Role::CivilAffairs, None).await?;
        if !colleagues.iter().any(|c| c == r) {
            return Err(Error::refused(format!("{r} 不是本级民政部门的工作人员")));
        }
    }
    adm::Entity::update_many()
        .col_expr(
            adm::Column::Reviewer,
            Expr::value(reviewer.map(str::to_owned)),
        )
        .col_expr(adm::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(adm::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("admission/{id}"),
        before: Some(serde_json::json!({ "reviewer": a.reviewer }).to_string()),
        after: Some(serde_json::json!({ "reviewer": reviewer }).to_string()),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    if let Some(r) = reviewer.filter(|r| *r != by.username) {
        let message = format!("{} 将准入申请《{}》的初审转交给您", by.name, a.title);
        tell_about(
            &txn,
            id,
            &[r.to_owned()],
            "admission.delegated",
            &message,
            None,
        )
        .await?;
    }
    txn.commit().await.map_err(db_error)
}

/// Which applications a list shows.
#[derive(Debug, Clone, Default)]
pub struct AdmissionFilter {
    /// Applications of this level only (Tianjin's, or one district's).
    pub level: Option<RegionCode>,
    /// Only those this department applied for or is asked to countersign.
    pub department: Option<String>,
    /// Only these stages (any when empty).
    pub stages: Vec<&'static str>,
    /// Only those whose current step arrived on or before this day (overdue lists).
    pub arrived_by: Option<NaiveDate>,
}

/// One row of a list of applications.
#[derive(Debug, Clone)]
pub struct AdmissionSummary {
    pub id: i64,
    pub region: RegionCode,
    pub department: String,
    pub applicant: String,
    pub title: String,
    pub stage: Stage,
    pub starts_on: NaiveDate,
    pub step_since: NaiveDate,
    pub updated_at: DateTime<Utc>,
}

/// One page of the applications `filter` selects, most recently changed first.
pub async fn list(
    db: &DatabaseConnection,
    filter: &AdmissionFilter,
    paging: PageRequest,
) -> Result<Page<AdmissionSummary>, Error> {
    let mut query = adm::Entity::find();
    if let Some(level) = &filter.level {
        query = query.filter(adm::Column::Region.eq(level.as_str()));
    }
    if let Some(d) = &filter.department {
        // Co-departments are a JSON list of quoted codes: the quotes keep codes whole.
        query = query.filter(
            Condition::any()
                .add(adm::Column::Department.eq(d.as_str()))
                .add(adm::Column::CoDepartments.contains(format!("\"{d}\""))),
        );
    }
    if !filter.stages.is_empty() {
        query = query.filter(adm::Column::Stage.is_in(filter.stages.iter().copied()));
    }
    if let Some(day) = filter.arrived_by {
        query = query.filter(adm::Column::StepSince.lte(day));
    }
    let ordered = query
        .order_by_desc(adm::Column::UpdatedAt)
        .order_by_desc(adm::Column::Id);
    let found = crate::paged(db, ordered, paging, |a| a).await?;
    let items = found
        .items
        .into_iter()
        .map(|a| {
            Ok(AdmissionSummary {
                id: a.id,
                region: RegionCode::parse(&a.region).map_err(|_| Error::Internal)?,
                stage: stage_of(&a)?,
                department: a.department,
                applicant: a.applicant,
                title: a.title,
                starts_on: a.starts_on,
                step_since: a.step_since,
                updated_at: a.updated_at,
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

async fn deadlines_in<C: ConnectionTrait>(
    conn: &C,
    level: &RegionCode,
) -> Result<Deadlines, Error> {
    Ok(setting::Entity::find_by_id(level.as_str())
        .one(conn)
        .await
        .map_err(db_error)?
        .map_or_else(Deadlines::default, |s| Deadlines {
            notice_days: s.notice_days.max(0) as u32,
            review_days: s.review_days.max(0) as u32,
        }))
}

/// The deadlines of `level`'s admissions (30 and 15 working days unless its civil affairs
/// set others).
pub async fn deadlines(db: &DatabaseConnection, level: &RegionCode) -> Result<Deadlines, Error> {
    deadlines_in(db, level).await
}

/// Sets `level`'s deadlines.
pub async fn set_deadlines(
    db: &DatabaseConnection,
    level: &RegionCode,
    new: Deadlines,
    by: &str,
    audit: &AuditEntry,
) -> Result<(), Error> {
    new.check().map_err(Error::refused)?;
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let old = deadlines_in(&txn, level).await?;
    setting::Entity::insert(setting::ActiveModel {
        region: Set(level.as_str().to_owned()),
        notice_days: Set(new.notice_days as i32),
        review_days: Set(new.review_days as i32),
        updated_by: Set(by.to_owned()),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(setting::Column::Region)
            .update_columns([
                setting::Column::NoticeDays,
                setting::Column::ReviewDays,
                setting::Column::UpdatedBy,
                setting::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await
    .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("admission-deadlines/{}", level.short()),
        before: Some(
            serde_json::json!({ "notice_days": old.notice_days, "review_days": old.review_days })
                .to_string(),
        ),
        after: Some(
            serde_json::json!({ "notice_days": new.notice_days, "review_days": new.review_days })
                .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)
}

/// An admitted task with what the public list shows of its application.
#[derive(Debug, Clone)]
pub struct AdmittedTask {
    pub code: String,
    pub admission_id: i64,
    pub region: RegionCode,
    pub department: String,
    pub title: String,
    pub content: String,
    pub basis: String,
    pub scope: Vec<ScopeEntry>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub workload_minutes: u32,
    pub support: String,
    pub approved_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
}

impl AdmittedTask {
    /// Whether it is in force on `at` (Beijing days).
    pub fn in_force(&self, at: NaiveDate) -> bool {
        admission::in_force(
            self.starts_on,
            self.ends_on,
            self.revoked_at.map(jianfu_domain::beijing_date),
            at,
        )
    }
}

/// Every admitted task, newest first, revoked ones included (callers filter by day and
/// region: scopes are JSON, and the tasks of a level are few).
pub async fn admitted_tasks(db: &DatabaseConnection) -> Result<Vec<AdmittedTask>, Error> {
    let tasks = task::Entity::find()
        .order_by_desc(task::Column::Id)
        .all(db)
        .await
        .map_err(db_error)?;
    let ids: Vec<i64> = tasks.iter().map(|t| t.admission_id).collect();
    let apps = adm::Entity::find()
        .filter(adm::Column::Id.is_in(ids))
        .all(db)
        .await
        .map_err(db_error)?;
    tasks
        .into_iter()
        .map(|t| {
            let a = apps
                .iter()
                .find(|a| a.id == t.admission_id)
                .ok_or(Error::Internal)?;
            task_of(t, a)
        })
        .collect()
}

fn task_of(t: TaskRow, a: &adm::Model) -> Result<AdmittedTask, Error> {
    Ok(AdmittedTask {
        region: RegionCode::parse(&t.region).map_err(|_| Error::Internal)?,
        scope: serde_json::from_str(&t.scope).map_err(|_| Error::Internal)?,
        code: t.code,
        admission_id: t.admission_id,
        department: a.department.clone(),
        title: t.title,
        content: a.content.clone(),
        basis: a.basis.clone(),
        starts_on: t.starts_on,
        ends_on: t.ends_on,
        workload_minutes: a.workload_minutes.max(0) as u32,
        support: a.support.clone(),
        approved_at: t.approved_at,
        revoked_at: t.revoked_at,
        revoke_reason: t.revoke_reason,
    })
}

/// The admitted task with this code.
pub async fn admitted_task(db: &DatabaseConnection, code: &str) -> Result<AdmittedTask, Error> {
    let t = task::Entity::find()
        .filter(task::Column::Code.eq(code))
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("准入事项 {code}")))?;
    let a = adm::Entity::find_by_id(t.admission_id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or(Error::Internal)?;
    task_of(t, &a)
}
