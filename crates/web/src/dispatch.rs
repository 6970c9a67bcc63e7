//! The dispatch check (派发审查), as the API's dry run and later the dispatch itself run it:
//! who sends, which units the targets reach, and for each unit the facts the verdict engine
//! (`jianfu_domain::verdict`) judges — the cited item as it stands for the unit's district
//! that day (city version and district refinement, from the directories held in process), or
//! the admitted task — and what the task's text matches in the directories (a prohibited task,
//! or items other than the one cited).

use chrono::NaiveDate;
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::admission::ScopeEntry;
use jianfu_domain::catalog::{DirectoryItem, DirectoryKind, ItemCode, refined};
use jianfu_domain::verdict::{
    self, AdmittedFacts, Basis, Case, ProhibitedHit, Sender, Target, Verdict,
};
use jianfu_domain::{Error, Level, Region, RegionCode};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::search::Snapshot;

/// What a task rests on: a directory item's code or an admitted task's code.
#[derive(Deserialize, ToSchema, Default, Clone)]
pub struct CitesFields {
    #[serde(default)]
    #[schema(example = "XZ-008")]
    pub item_code: Option<String>,
    /// The admitted task's code (准入事项编号).
    #[serde(default)]
    #[schema(example = "ZR-120101-2026-001")]
    pub admission_id: Option<String>,
}

/// A task as a department's system sends it.
#[derive(Deserialize, ToSchema, Default, Clone)]
pub struct TaskFields {
    /// The sending department's code; the caller's own department when left out.
    #[serde(default)]
    pub sender_department: Option<String>,
    #[serde(default)]
    pub cites: CitesFields,
    #[serde(default)]
    #[schema(example = "开展冬春季传染病防控宣传")]
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// Units to reach: a village or community, or a township, district or the city for all
    /// of their villages and communities.
    #[serde(default)]
    pub targets: Vec<String>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub due_date: Option<String>,
}

/// One unit the task would reach, and the verdict for it.
pub struct Checked {
    pub unit: Region,
    pub verdict: Verdict,
}

/// Who sends: a department officer for their department, or a township for itself.
struct From {
    department: String,
    name: String,
    region: RegionCode,
}

async fn sender(state: &AppState, user: &CurrentUser, asked: Option<&str>) -> Result<From, Error> {
    let p = &user.principal;
    if p.roles.contains(&Role::DepartmentOfficer)
        && let Some(own) = &p.department
    {
        if asked.is_some_and(|a| a != own) {
            return Err(Error::refused(format!(
                "只能以本部门（{own}）的名义派发任务"
            )));
        }
        let name = p.department_name.clone().unwrap_or_else(|| own.clone());
        return Ok(From {
            department: own.clone(),
            name,
            region: p.region,
        });
    }
    if p.roles.contains(&Role::TownshipOfficer) && p.region.level() == Level::Township {
        let unit = jianfu_store::region::require(&state.db, &p.region).await?;
        return Ok(From {
            department: String::new(),
            name: unit.name,
            region: p.region,
        });
    }
    Err(Error::refused(format!(
        "派发任务须由{}或{}办理",
        Role::DepartmentOfficer,
        Role::TownshipOfficer
    )))
}

/// The village-level units the targets reach, each once; every target must lie in the
/// caller's region (403, audited, otherwise).
async fn units(
    state: &AppState,
    user: &CurrentUser,
    targets: &[String],
) -> Result<Vec<Region>, Error> {
    if targets.is_empty() {
        return Err(Error::refused("请选择任务的派发对象"));
    }
    let mut out: Vec<Region> = Vec::new();
    for raw in targets {
        let code = RegionCode::parse(raw.trim())?;
        let unit = state.regions.require(&state.db, &code).await?;
        user.require_within(state, Perm::Dispatch, &unit, "dispatch")
            .await?;
        // A village or community is its own only unit: no second read.
        if unit.level == Level::Village {
            out.push(unit);
        } else {
            out.extend(jianfu_store::region::villages_within(&state.db, &code).await?);
        }
    }
    out.sort_by_key(|u| u.code);
    out.dedup_by(|a, b| a.code == b.code);
    if out.is_empty() {
        return Err(Error::refused("派发对象中没有村（社区）"));
    }
    Ok(out)
}

/// The directory kind an item code belongs to, by its prefix.
fn kind_of(raw: &str) -> Result<(DirectoryKind, ItemCode), Error> {
    DirectoryKind::ALL
        .iter()
        .find_map(|k| ItemCode::parse(*k, raw).ok().map(|c| (*k, c)))
        .ok_or_else(|| Error::refused(format!("事项编码“{}”格式不正确，例如 XZ-001", raw.trim())))
}

/// What the text says, as the directories in force read it: the task-list items it matches
/// best, and the prohibited task it matches best of all, if one does.
pub struct TextFacts {
    pub candidates: Vec<ItemCode>,
    /// The prohibited item's code, name and version.
    pub prohibited: Vec<(ItemCode, String, u32)>,
}

/// How many task-list items count as what a text is about.
const CANDIDATES: usize = 3;

/// The text matcher: what the task's title and body are about, read once per task.
pub fn read_text(snapshot: &Snapshot, day: NaiveDate, task: &TaskFields) -> TextFacts {
    let text = format!("{}\n{}", task.title, task.body);
    let hits = snapshot.index.rank(&text, None, 10);
    let candidates = hits
        .iter()
        .filter(|h| verdict::is_task_list(h.kind))
        .take(CANDIDATES)
        .map(|h| *h.code)
        .collect();
    // A prohibited task blocks only when it is what the text matches best.
    let prohibited = hits
        .first()
        .filter(|h| h.kind == DirectoryKind::ProhibitedTask)
        .and_then(|h| {
            let version = snapshot.in_force(DirectoryKind::ProhibitedTask, day)?;
            let item = version.items.iter().find(|i| &i.code == h.code)?;
            Some((*h.code, item.name.clone(), version.number))
        })
        .into_iter()
        .collect();
    TextFacts {
        candidates,
        prohibited,
    }
}

fn judge_unit(
    sender: Sender<'_>,
    unit: &Region,
    day: NaiveDate,
    basis: Basis<'_>,
    text: &TextFacts,
) -> Verdict {
    let prohibited: Vec<ProhibitedHit<'_>> = text
        .prohibited
        .iter()
        .map(|(code, name, version)| ProhibitedHit {
            code,
            name,
            version: *version,
        })
        .collect();
    verdict::judge(&Case {
        sender,
        target: Target {
            unit: unit.code,
            kind: unit.kind,
        },
        day,
        basis,
        prohibited: &prohibited,
        candidates: Some(&text.candidates),
    })
}

/// A cited directory item as the version in force reads it: looked up once per task.
pub struct CitedItem<'s> {
    kind: DirectoryKind,
    code: ItemCode,
    /// The version's number (0 when the directory has none in force).
    version: u32,
    item: Option<&'s DirectoryItem>,
}

impl<'s> CitedItem<'s> {
    /// The item `raw` ("XZ-008") names, in the version of its directory in force on `day`.
    pub fn find(snapshot: &'s Snapshot, raw: &str, day: NaiveDate) -> Result<Self, Error> {
        let (kind, code) = kind_of(raw)?;
        let version = snapshot.in_force(kind, day);
        Ok(CitedItem {
            kind,
            item: version.and_then(|v| v.items.iter().find(|i| i.code == code)),
            version: version.map_or(0, |v| v.number),
            code,
        })
    }
}

/// The verdict for `unit` on a task citing `cited`: the item as the unit's district has
/// refined it, if it has, judged.
pub fn item_verdict(
    snapshot: &Snapshot,
    sender: Sender<'_>,
    unit: &Region,
    day: NaiveDate,
    cited: &CitedItem<'_>,
    text: &TextFacts,
) -> Verdict {
    let entry = unit
        .code
        .county()
        .and_then(|d| snapshot.refinement(cited.kind, &d, day))
        .and_then(|r| r.entries.get(&cited.code));
    let basis = Basis::Item {
        code: &cited.code,
        kind: cited.kind,
        version: cited.version,
        item: cited.item.map(|i| refined(cited.kind, i, entry)),
    };
    judge_unit(sender, unit, day, basis, text)
}

/// The verdict for every unit the task would reach, as of today. Nothing is written.
pub async fn check(
    state: &AppState,
    user: &CurrentUser,
    task: &TaskFields,
) -> Result<Vec<Checked>, Error> {
    user.require(state, Perm::Dispatch, "dispatch").await?;
    let from = sender(state, user, task.sender_department.as_deref()).await?;
    if task.title.trim().is_empty() {
        return Err(Error::refused("请填写任务名称"));
    }
    let units = units(state, user, &task.targets).await?;
    let day = today();
    let sender = Sender {
        department: &from.department,
        name: &from.name,
        region: from.region,
    };
    let verdicts = verdicts(state, sender, &units, task, day).await?;
    Ok(units
        .into_iter()
        .zip(verdicts)
        .map(|(unit, verdict)| Checked { unit, verdict })
        .collect())
}

/// The verdict of `task` for each of `units` on `day`, sent by `sender`: the facts the
/// engine judges, read from the directories held in process and the admitted tasks.
pub(crate) async fn verdicts(
    state: &AppState,
    sender: Sender<'_>,
    units: &[Region],
    task: &TaskFields,
    day: NaiveDate,
) -> Result<Vec<Verdict>, Error> {
    let item_code = task
        .cites
        .item_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let admission = task
        .cites
        .admission_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if item_code.is_some() && admission.is_some() {
        return Err(Error::refused(
            "一项任务只能引用一个指导目录事项或一个准入事项",
        ));
    }
    let snapshot = state.catalog.snapshot(&state.db, day).await?;
    let text = read_text(&snapshot, day, task);
    let verdicts = match (item_code, admission) {
        (Some(raw), _) => {
            let cited = CitedItem::find(&snapshot, raw, day)?;
            units
                .iter()
                .map(|unit| item_verdict(&snapshot, sender, unit, day, &cited, &text))
                .collect::<Vec<_>>()
        }
        (None, Some(code)) => {
            let task = match jianfu_store::admission::admitted_task(&state.db, code).await {
                Ok(t) => Some(t),
                Err(Error::CatalogNotFound(_)) => None,
                Err(e) => return Err(e),
            };
            let scope: &[ScopeEntry] = task.as_ref().map_or(&[], |t| &t.scope);
            let facts = task.as_ref().map(|t| AdmittedFacts {
                department: &t.department,
                scope,
                starts_on: t.starts_on,
                ends_on: t.ends_on,
                revoked_on: t.revoked_at.map(jianfu_domain::beijing_date),
            });
            units
                .iter()
                .map(|unit| {
                    let task = facts.as_ref();
                    judge_unit(sender, unit, day, Basis::Admitted { code, task }, &text)
                })
                .collect()
        }
        (None, None) => units
            .iter()
            .map(|unit| judge_unit(sender, unit, day, Basis::Nothing, &text))
            .collect(),
    };
    Ok(verdicts)
}

/// Judges the task and writes it with a delivery per unit, in one transaction (a repeated
/// idempotency key writes nothing and returns the first dispatch); returns its id.
pub async fn send(
    state: &AppState,
    user: &CurrentUser,
    task: &TaskFields,
    idempotency_key: Option<String>,
) -> Result<i64, Error> {
    let from = sender(state, user, task.sender_department.as_deref()).await?;
    let checked = check(state, user, task).await?;
    let due_date =
        match task
            .due_date
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            None => None,
            Some(raw) => Some(NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
                Error::refused(format!("完成期限“{raw}”格式不正确，应为 YYYY-MM-DD"))
            })?),
        };
    let cited = |c: &Option<String>| {
        c.as_deref()
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty())
    };
    let new = jianfu_store::dispatch::NewDispatch {
        sender: user.principal.username.clone(),
        sender_department: from.department,
        sender_name: from.name,
        sender_region: from.region,
        title: task.title.clone(),
        body: task.body.clone(),
        cites_item: cited(&task.cites.item_code),
        cites_admission: cited(&task.cites.admission_id),
        due_date,
        day: today(),
        targets: task.targets.clone(),
        idempotency_key: idempotency_key
            .map(|k| k.trim().chars().take(64).collect::<String>())
            .filter(|k| !k.is_empty()),
    };
    let deliveries: Vec<_> = checked
        .into_iter()
        .map(|c| jianfu_store::dispatch::NewDelivery {
            unit: c.unit.code,
            outcome: c.verdict.outcome,
            reasons: c.verdict.reasons,
        })
        .collect();
    let audit = user.audit_entry("dispatch.create", "dispatch");
    let (id, _) = jianfu_store::dispatch::create(&state.db, &new, &deliveries, &audit).await?;
    Ok(id)
}
