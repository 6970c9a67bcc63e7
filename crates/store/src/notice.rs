//! Notices (通报): drafted by civil affairs of a level from the violations of a period in its
//! region (the draft keeps which), approved and numbered by the approver, published on the
//! public site. The procedure is `jianfu_domain::notice`.

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use jianfu_domain::account::Role;
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::notice::{
    self, NoticeAction, NoticeError, NoticeStage, NoticeSubject, Offender,
};
use jianfu_domain::violation;
use jianfu_domain::{Error, Page, PageRequest, RegionCode};

use crate::db_error;
use crate::entity::{notice as row, notice_violation as link, violation as ledger};
use crate::violation::{Violation, ViolationFilter};

pub use crate::entity::notice::Model as Notice;

/// What the drafter chooses; the title and body are drafted from the ledger.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub region: RegionCode,
    pub issuer: String,
    pub prefix: String,
    pub addressee: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub drafter: String,
    pub drafter_name: String,
    pub subject: NoticeSubject,
}

/// Offenders at most named in one draft; the rest are left to the drafter.
const MAX_OFFENDERS: usize = 30;

/// The violations' senders, most violations first, each with its grounds and a few titles.
fn offenders(violations: &[Violation]) -> Vec<Offender> {
    let mut out: Vec<Offender> = Vec::new();
    for v in violations {
        let name = if v.department_name.trim().is_empty() {
            "（未注明单位）".to_owned()
        } else {
            v.department_name.clone()
        };
        let ground = violation::ground_label(&v.rule).to_owned();
        let i = match out.iter().position(|o| o.name == name) {
            Some(i) => i,
            None => {
                out.push(Offender {
                    name,
                    count: 0,
                    grounds: Vec::new(),
                    examples: Vec::new(),
                });
                out.len() - 1
            }
        };
        let o = &mut out[i];
        o.count += 1;
        match o.grounds.iter_mut().find(|(g, _)| *g == ground) {
            Some((_, n)) => *n += 1,
            None => o.grounds.push((ground, 1)),
        }
        let title = v.title.trim();
        if o.examples.len() < 3 && !title.is_empty() && !o.examples.iter().any(|e| e == title) {
            o.examples.push(title.to_owned());
        }
    }
    for o in &mut out {
        o.grounds
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    out.truncate(MAX_OFFENDERS);
    out
}

/// Drafts a notice from the violations of the period in the level's region.
pub async fn draft(
    db: &DatabaseConnection,
    new: &NewNotice,
    audit: &AuditEntry,
) -> Result<i64, Error> {
    if new.period_to < new.period_from {
        return Err(Error::refused("通报期间的结束日期不能早于开始日期"));
    }
    if new.issuer.trim().is_empty() || new.prefix.trim().is_empty() {
        return Err(Error::refused("请填写发文机关和机关代字"));
    }
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    // Read in the write transaction: the draft covers exactly the entries it links.
    let (found, text) = match new.subject {
        NoticeSubject::Violations => {
            let found = crate::violation::all(
                &txn,
                &ViolationFilter {
                    within: Some(new.region),
                    from: Some(new.period_from),
                    to: Some(new.period_to),
                    ..Default::default()
                },
            )
            .await?;
            let text = notice::draft(new.period_from, new.period_to, &offenders(&found));
            (found, text)
        }
        NoticeSubject::Inspections => {
            let districts =
                crate::inspection::inspected(&txn, &new.region, new.period_from, new.period_to)
                    .await?;
            let text = notice::draft_inspections(new.period_from, new.period_to, &districts);
            (Vec::new(), text)
        }
    };
    let now = Utc::now();
    let id = row::Entity::insert(row::ActiveModel {
        region: Set(new.region.as_str().to_owned()),
        issuer: Set(new.issuer.trim().chars().take(100).collect()),
        prefix: Set(new.prefix.trim().chars().take(40).collect()),
        year: Set(None),
        number: Set(None),
        title: Set(text.title.chars().take(300).collect()),
        addressee: Set(new.addressee.trim().chars().take(300).collect()),
        body: Set(text.body),
        period_from: Set(new.period_from),
        period_to: Set(new.period_to),
        stage: Set(NoticeStage::Draft.code().to_owned()),
        drafter: Set(new.drafter.clone()),
        drafter_name: Set(new.drafter_name.chars().take(100).collect()),
        approver: Set(None),
        approver_name: Set(None),
        return_reason: Set(None),
        signed_on: Set(None),
        published_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        subject: Set(new.subject.code().to_owned()),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .map_err(db_error)?
    .last_insert_id;
    for chunk in found.chunks(1000) {
        link::Entity::insert_many(chunk.iter().map(|v| link::ActiveModel {
            notice_id: Set(id),
            violation_id: Set(v.id),
        }))
        .exec_without_returning(&txn)
        .await
        .map_err(db_error)?;
    }
    let entry = AuditEntry {
        object: format!("notice/{id}"),
        after: Some(
            serde_json::json!({
                "period": [new.period_from, new.period_to],
                "subject": new.subject.code(),
                "violations": found.len(),
                "stage": NoticeStage::Draft.code(),
            })
            .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(id)
}

/// The editable text of a notice.
#[derive(Debug, Clone)]
pub struct NoticeText {
    pub issuer: String,
    pub prefix: String,
    pub title: String,
    pub addressee: String,
    pub body: String,
}

fn stage_of(n: &Notice) -> Result<NoticeStage, Error> {
    NoticeStage::from_code(&n.stage).ok_or(Error::Internal)
}

async fn locked(
    txn: &sea_orm::DatabaseTransaction,
    id: i64,
    region: &RegionCode,
) -> Result<Notice, Error> {
    row::Entity::find_by_id(id)
        .filter(row::Column::Region.eq(region.as_str()))
        .lock_exclusive()
        .one(txn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("通报 {id}")))
}

/// Civil affairs of the level changes the text of a draft or returned notice.
pub async fn update(
    db: &DatabaseConnection,
    id: i64,
    region: &RegionCode,
    text: &NoticeText,
    audit: &AuditEntry,
) -> Result<(), Error> {
    let missing = [
        (&text.issuer, "发文机关"),
        (&text.prefix, "机关代字"),
        (&text.title, "标题"),
        (&text.addressee, "主送机关"),
        (&text.body, "正文"),
    ]
    .into_iter()
    .find(|(v, _)| v.trim().is_empty());
    if let Some((_, what)) = missing {
        return Err(Error::refused(format!("请填写{what}")));
    }
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let n = locked(&txn, id, region).await?;
    let stage = stage_of(&n)?;
    if !stage.editable() {
        return Err(Error::WrongStage {
            stage: stage.code(),
            message: format!("通报处于“{}”状态，不能修改", stage.label()),
        });
    }
    row::Entity::update_many()
        .col_expr(
            row::Column::Issuer,
            Expr::value(text.issuer.trim().chars().take(100).collect::<String>()),
        )
        .col_expr(
            row::Column::Prefix,
            Expr::value(text.prefix.trim().chars().take(40).collect::<String>()),
        )
        .col_expr(
            row::Column::Title,
            Expr::value(text.title.trim().chars().take(300).collect::<String>()),
        )
        .col_expr(
            row::Column::Addressee,
            Expr::value(text.addressee.trim().chars().take(300).collect::<String>()),
        )
        .col_expr(row::Column::Body, Expr::value(text.body.trim()))
        .col_expr(row::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(row::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("notice/{id}"),
        before: Some(serde_json::json!({ "title": n.title, "body": n.body }).to_string()),
        after: Some(serde_json::json!({ "title": text.title, "body": text.body }).to_string()),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(())
}

/// Who takes a step.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub role: Role,
}

/// One step on a notice.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub action: NoticeAction,
    pub actor: Actor<'a>,
    /// A return's reason.
    pub reason: &'a str,
    pub today: NaiveDate,
}

/// Takes `step` on notice `id` of `region`. Approval numbers it: the next number of its code
/// word in the year, under the unique index, in the same transaction.
pub async fn act(
    db: &DatabaseConnection,
    id: i64,
    region: &RegionCode,
    step: Step<'_>,
    audit: &AuditEntry,
) -> Result<NoticeStage, Error> {
    let Step {
        action,
        actor,
        reason,
        today,
    } = step;
    let txn = crate::begin_write(db).await.map_err(db_error)?;
    let n = locked(&txn, id, region).await?;
    let stage = stage_of(&n)?;
    let next = notice::step(
        stage,
        action,
        actor.role,
        n.drafter == actor.username,
        reason,
    )
    .map_err(|e| match e {
        NoticeError::Stage { stage, .. } => Error::WrongStage {
            stage: stage.code(),
            message: e.to_string(),
        },
        other => Error::refused(other.to_string()),
    })?;
    let mut update = row::Entity::update_many()
        .col_expr(row::Column::Stage, Expr::value(next.code()))
        .col_expr(row::Column::UpdatedAt, Expr::value(Utc::now()));
    let mut number = None;
    match action {
        NoticeAction::Approve => {
            let year = today.year();
            let last: Option<Option<i32>> = row::Entity::find()
                .select_only()
                .column_as(row::Column::Number.max(), "n")
                .filter(row::Column::Region.eq(n.region.as_str()))
                .filter(row::Column::Prefix.eq(n.prefix.as_str()))
                .filter(row::Column::Year.eq(year))
                .into_tuple()
                .one(&txn)
                .await
                .map_err(db_error)?;
            let next_number = last.flatten().unwrap_or(0) + 1;
            number = Some(notice::document_number(&n.prefix, year, next_number as u32));
            update = update
                .col_expr(row::Column::Year, Expr::value(year))
                .col_expr(row::Column::Number, Expr::value(next_number))
                .col_expr(row::Column::SignedOn, Expr::value(today))
                .col_expr(row::Column::Approver, Expr::value(actor.username))
                .col_expr(row::Column::ApproverName, Expr::value(actor.name))
                .col_expr(
                    row::Column::ReturnReason,
                    Expr::value(Option::<String>::None),
                );
        }
        NoticeAction::Return => {
            update = update.col_expr(row::Column::ReturnReason, Expr::value(reason.trim()));
        }
        NoticeAction::Publish => {
            update = update.col_expr(row::Column::PublishedAt, Expr::value(Utc::now()));
        }
        NoticeAction::Submit => {}
    }
    update
        .filter(row::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(db_error)?;
    let entry = AuditEntry {
        object: format!("notice/{id}"),
        before: Some(serde_json::json!({ "stage": stage.code() }).to_string()),
        after: Some(
            serde_json::json!({
                "stage": next.code(),
                "document_number": number,
                "reason": Some(reason.trim()).filter(|r| !r.is_empty()),
            })
            .to_string(),
        ),
        ..audit.clone()
    };
    crate::audit::append(&txn, &entry).await.map_err(db_error)?;
    txn.commit().await.map_err(db_error)?;
    Ok(next)
}

/// A notice with the violations its draft was made from.
pub async fn get(db: &DatabaseConnection, id: i64) -> Result<(Notice, Vec<Violation>), Error> {
    let n = row::Entity::find_by_id(id)
        .one(db)
        .await
        .map_err(db_error)?
        .ok_or_else(|| Error::CatalogNotFound(format!("通报 {id}")))?;
    let ids: Vec<i64> = link::Entity::find()
        .select_only()
        .column(link::Column::ViolationId)
        .filter(link::Column::NoticeId.eq(id))
        .into_tuple()
        .all(db)
        .await
        .map_err(db_error)?;
    let mut covered = Vec::new();
    for chunk in ids.chunks(1000) {
        covered.extend(
            ledger::Entity::find()
                .filter(ledger::Column::Id.is_in(chunk.iter().copied()))
                .order_by_desc(ledger::Column::Day)
                .all(db)
                .await
                .map_err(db_error)?,
        );
    }
    Ok((n, covered))
}

/// The document number of an approved notice.
pub fn document_number(n: &Notice) -> Option<String> {
    Some(notice::document_number(
        &n.prefix,
        n.year?,
        u32::try_from(n.number?).ok()?,
    ))
}

/// One page of the notices of `region` (a level's own), newest first.
pub async fn of_level(
    db: &DatabaseConnection,
    region: &RegionCode,
    paging: PageRequest,
) -> Result<Page<Notice>, Error> {
    let q = row::Entity::find()
        .filter(row::Column::Region.eq(region.as_str()))
        .order_by_desc(row::Column::Id);
    crate::paged(db, q, paging, |n| n).await
}

/// One page of the published notices of every level, newest first (the public list).
pub async fn published(
    db: &DatabaseConnection,
    paging: PageRequest,
) -> Result<Page<Notice>, Error> {
    let q = row::Entity::find()
        .filter(row::Column::Stage.eq(NoticeStage::Published.code()))
        .order_by_desc(row::Column::PublishedAt)
        .order_by_desc(row::Column::Id);
    crate::paged(db, q, paging, |n| n).await
}
