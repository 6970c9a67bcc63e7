//! A village reports a task that reached it outside the platform (a work group, a phone
//! call, a paper notice): the same verdict engine judges it as if it had been dispatched to
//! the reporting unit, and a blocked verdict is recorded as the sender's violation. Shared by
//! the phone page and `POST /api/v1/reports`.

use chrono::NaiveDate;
use jianfu_domain::account::Perm;
use jianfu_domain::verdict::{Sender, Verdict};
use jianfu_domain::violation::{self, Channel, ViolationSource};
use jianfu_domain::{Error, Level, Region, RegionCode};
use jianfu_store::report::{EvidenceFile, NewReport};
use jianfu_store::violation::NewViolation;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::dispatch::{CitesFields, TaskFields};

/// A task as the village saw it arrive.
#[derive(Deserialize, ToSchema, Default, Clone)]
pub struct ReportFields {
    /// The sending department's code, when it is one of the platform's departments.
    #[serde(default)]
    pub sender_department: Option<String>,
    /// `true` when the unit's own township (street) sent it.
    #[serde(default)]
    pub sender_is_township: bool,
    /// The sender as the village names it, when neither of the above.
    #[serde(default)]
    #[schema(example = "区某某办公室")]
    pub sender_name: String,
    /// work_group, phone, paper, app, meeting or other.
    #[serde(default)]
    #[schema(example = "work_group")]
    pub channel: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// The day it arrived, YYYY-MM-DD; today when left out.
    #[serde(default)]
    pub received_on: Option<String>,
    /// The directory item the sender said it rests on, if any.
    #[serde(default)]
    pub cites_item: Option<String>,
}

/// Who the village says sent it, as the engine judges senders.
struct Reported {
    department: String,
    name: String,
    region: RegionCode,
}

async fn sender_of(state: &AppState, unit: &Region, f: &ReportFields) -> Result<Reported, Error> {
    if let Some(code) = f
        .sender_department
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let d = jianfu_store::department::get_many(&state.db, &[code.to_owned()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::refused(format!("没有编码为“{code}”的部门，请重新选择派发单位"))
            })?;
        return Ok(Reported {
            department: d.code,
            name: d.full_name,
            region: d.region_code,
        });
    }
    if f.sender_is_township {
        let township = unit
            .code
            .parent()
            .filter(|p| p.level() == Level::Township)
            .ok_or_else(|| Error::refused("本单位没有上级街道（乡镇）"))?;
        let t = jianfu_store::region::require(&state.db, &township).await?;
        return Ok(Reported {
            department: String::new(),
            name: t.name,
            region: township,
        });
    }
    let name = f.sender_name.trim();
    if name.is_empty() {
        return Err(Error::refused("请选择或填写派发任务的单位"));
    }
    Ok(Reported {
        department: String::new(),
        name: name.to_owned(),
        region: unit.code.county().unwrap_or(unit.code),
    })
}

fn received_on(raw: Option<&str>) -> Result<NaiveDate, Error> {
    let today = today();
    let day = match raw.map(str::trim).filter(|d| !d.is_empty()) {
        None => today,
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| Error::refused(format!("收到日期“{raw}”格式不正确，应为 YYYY-MM-DD")))?,
    };
    if day > today {
        return Err(Error::refused("收到日期不能晚于今天"));
    }
    Ok(day)
}

/// Judges and records the report of the caller's unit; returns its id and verdict.
pub async fn file(
    state: &AppState,
    user: &CurrentUser,
    f: &ReportFields,
    evidence: Vec<EvidenceFile>,
) -> Result<(i64, Verdict), Error> {
    user.require(state, Perm::ReceiveTasks, "report").await?;
    let unit = jianfu_store::region::require(&state.db, &user.principal.region).await?;
    if unit.code.level() != Level::Village {
        return Err(Error::refused("场外派发由收到任务的村（社区）报告"));
    }
    let channel = Channel::parse(&f.channel).ok_or_else(|| {
        Error::refused("请选择收到任务的渠道（工作群、电话、纸质通知、政务 App、会议或其他）")
    })?;
    if f.title.trim().is_empty() {
        return Err(Error::refused("请填写任务名称或主要内容"));
    }
    let day = received_on(f.received_on.as_deref())?;
    let from = sender_of(state, &unit, f).await?;
    let task = TaskFields {
        sender_department: None,
        cites: CitesFields {
            item_code: f.cites_item.clone(),
            admission_id: None,
        },
        title: f.title.clone(),
        body: f.body.clone(),
        targets: Vec::new(),
        due_date: None,
    };
    let sender = Sender {
        department: &from.department,
        name: &from.name,
        region: from.region,
    };
    let verdict = crate::dispatch::verdicts(state, sender, std::slice::from_ref(&unit), &task, day)
        .await?
        .pop()
        .ok_or(Error::Internal)?;
    let record = violation::ground(verdict.outcome, &verdict.reasons).map(|g| NewViolation {
        source: ViolationSource::Report,
        department: from.department.clone(),
        department_name: from.name.clone(),
        region: unit.code,
        units: 1,
        title: f.title.clone(),
        rule: g.rule.to_owned(),
        message: g.message.clone(),
        item_code: g.item_code.clone(),
        day,
    });
    let new = NewReport {
        unit: unit.code,
        reporter: user.principal.username.clone(),
        sender_department: from.department,
        sender_name: from.name,
        sender_region: from.region,
        channel,
        title: f.title.clone(),
        body: f.body.clone(),
        received_on: day,
        cites_item: f
            .cites_item
            .as_deref()
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty()),
        outcome: verdict.outcome,
        reasons: verdict.reasons.clone(),
    };
    let audit = user.audit_entry("report.create", "report");
    let id =
        jianfu_store::report::create(&state.db, &new, &evidence, record.as_ref(), &audit).await?;
    Ok((id, verdict))
}
