//! The verdict on one task for one target unit (派发审查): nothing reaches a village or
//! community unless the directory in force for it, or an admitted task, allows it. Pure and
//! deterministic: the caller looks up the facts (the cited item as it stands for the target's
//! district that day, the admitted task, the prohibited items the text matches) and this
//! module decides and explains. Every rule has a stable code; a verdict lists every rule that
//! applied, so one reading tells all that is wrong.

use chrono::NaiveDate;
use serde::Serialize;

use crate::admission::ScopeEntry;
use crate::catalog::{Applicability, DirectoryKind, EffectiveItem, ItemCode};
use crate::{Level, RegionCode, RegionKind};

/// What a task gives as its basis.
#[derive(Debug, Clone)]
pub enum Basis<'a> {
    /// Cites nothing.
    Nothing,
    /// Cites a directory item: the item as it stands for the target (city version and its
    /// district's refinement), or `None` when the directory in force has no such item.
    Item {
        code: &'a ItemCode,
        kind: DirectoryKind,
        version: u32,
        item: Option<EffectiveItem<'a>>,
    },
    /// Cites an admitted task, or one that does not exist (`None`).
    Admitted {
        code: &'a str,
        task: Option<&'a AdmittedFacts<'a>>,
    },
}

/// An admitted task as the verdict needs it.
#[derive(Debug, Clone, Copy)]
pub struct AdmittedFacts<'a> {
    /// The applying department's code: only it dispatches under the admission.
    pub department: &'a str,
    pub scope: &'a [ScopeEntry],
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub revoked_on: Option<NaiveDate>,
}

/// Who sends the task.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// The department's code (empty for a township).
    pub department: &'a str,
    /// Its name, as the directories' 责任部门 column names departments ("区卫生健康委").
    pub name: &'a str,
    /// The unit the sender belongs to: the city, a district, or a township.
    pub region: RegionCode,
}

/// The unit the task would reach.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub unit: RegionCode,
    pub kind: RegionKind,
}

/// A prohibited task (村级组织不应承担的事项) the task's text matches.
#[derive(Debug, Clone, Copy)]
pub struct ProhibitedHit<'a> {
    pub code: &'a ItemCode,
    pub name: &'a str,
    pub version: u32,
}

/// Everything one verdict is made of.
#[derive(Debug, Clone)]
pub struct Case<'a> {
    pub sender: Sender<'a>,
    pub target: Target,
    /// The day of dispatch (Beijing).
    pub day: NaiveDate,
    pub basis: Basis<'a>,
    pub prohibited: &'a [ProhibitedHit<'a>],
    /// What the text matcher found for the task's text: the best-matching items of the
    /// directories, best first (`None` when it was not asked).
    pub candidates: Option<&'a [ItemCode]>,
}

/// How a rule's finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Says what the task rests on.
    Basis,
    /// Delivered, but marked for a person to look at.
    Flag,
    /// Not delivered.
    Block,
}

/// The rules, each with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Rule {
    /// Rests on a directory item in force for the target.
    ItemAllows,
    /// Rests on an admitted task covering the target.
    AdmissionAllows,
    NoBasis,
    UnknownItem,
    /// Certificates and prohibited tasks are not work to hand down.
    NotATaskList,
    ItemNotInForce,
    KindMismatch,
    NotResponsible,
    UnknownAdmission,
    AdmissionNotInForce,
    OutsideAdmittedScope,
    /// Another department's admission.
    AdmissionOfOther,
    Prohibited,
    /// The text matches other items better than the one cited.
    TextMismatch,
    /// The text matches no directory item.
    TextUnmatched,
}

impl Rule {
    pub const ALL: [Rule; 15] = [
        Rule::ItemAllows,
        Rule::AdmissionAllows,
        Rule::NoBasis,
        Rule::UnknownItem,
        Rule::NotATaskList,
        Rule::ItemNotInForce,
        Rule::KindMismatch,
        Rule::NotResponsible,
        Rule::UnknownAdmission,
        Rule::AdmissionNotInForce,
        Rule::OutsideAdmittedScope,
        Rule::AdmissionOfOther,
        Rule::Prohibited,
        Rule::TextMismatch,
        Rule::TextUnmatched,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Rule::ItemAllows => "item.allows",
            Rule::AdmissionAllows => "admission.allows",
            Rule::NoBasis => "basis.missing",
            Rule::UnknownItem => "item.unknown",
            Rule::NotATaskList => "item.not_a_task",
            Rule::ItemNotInForce => "item.not_in_force",
            Rule::KindMismatch => "item.kind_mismatch",
            Rule::NotResponsible => "sender.not_responsible",
            Rule::UnknownAdmission => "admission.unknown",
            Rule::AdmissionNotInForce => "admission.not_in_force",
            Rule::OutsideAdmittedScope => "admission.outside_scope",
            Rule::AdmissionOfOther => "admission.other_department",
            Rule::Prohibited => "task.prohibited",
            Rule::TextMismatch => "text.mismatch",
            Rule::TextUnmatched => "text.unmatched",
        }
    }

    /// A short name for ledgers and notices ("无派发依据"); the reason's message says more.
    pub fn label(self) -> &'static str {
        match self {
            Rule::ItemAllows => "目录事项",
            Rule::AdmissionAllows => "准入事项",
            Rule::NoBasis => "无派发依据",
            Rule::UnknownItem => "目录中无此事项",
            Rule::NotATaskList => "非工作事务目录事项",
            Rule::ItemNotInForce => "事项不在施行期",
            Rule::KindMismatch => "派发对象类型不符",
            Rule::NotResponsible => "非事项责任单位",
            Rule::UnknownAdmission => "准入事项不存在",
            Rule::AdmissionNotInForce => "准入事项不在有效期",
            Rule::OutsideAdmittedScope => "超出准入范围",
            Rule::AdmissionOfOther => "引用其他部门的准入事项",
            Rule::Prohibited => "属于禁止派发事项",
            Rule::TextMismatch => "任务内容与所引事项不符",
            Rule::TextUnmatched => "任务内容未对应目录事项",
        }
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn severity(self) -> Severity {
        match self {
            Rule::ItemAllows | Rule::AdmissionAllows => Severity::Basis,
            Rule::TextMismatch | Rule::TextUnmatched => Severity::Flag,
            _ => Severity::Block,
        }
    }
}

/// One finding, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub rule: &'static str,
    pub severity: Severity,
    /// In Chinese, for the sender and the village.
    pub message: String,
    pub item_code: Option<String>,
    pub directory_version: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Flagged,
    Blocked,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Allowed => "准予派发",
            Outcome::Flagged => "派发并提示核查",
            Outcome::Blocked => "不予派发",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
}

impl Verdict {
    /// The rules that applied, in the order found.
    pub fn rules(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.reasons.iter().map(|r| r.rule)
    }
}

/// Department names as the directories write them and as departments are called differ in
/// level prefix and long forms ("区卫生健康委" / "天津市和平区卫生健康委员会"): compare the core,
/// without party prefix, city, district or county name, and with 委员会 shortened to 委.
pub fn core_name(name: &str) -> String {
    folded(core(name.trim())).collect()
}

/// The core of a trimmed name as a slice: without party prefix, city, district or county name.
fn core(name: &str) -> &str {
    let mut n = name;
    // `strip_prefix` rather than `trim_start_matches`: a substring searcher costs more to
    // set up than these short names take to compare.
    while let Some(rest) = n.strip_prefix("中共") {
        n = rest;
    }
    n = n.strip_prefix("天津市").unwrap_or(n);
    // A district's or county's name ends within its first four characters ("和平区", "区").
    if let Some((i, c)) = n
        .char_indices()
        .take(4)
        .find(|(_, c)| matches!(c, '区' | '县'))
    {
        n = &n[i + c.len_utf8()..];
    }
    n.trim_start_matches('市')
}

/// The characters of `core` with 委员会 read as 委; compared as they come, so a verdict
/// allocates nothing to compare names.
fn folded(core: &str) -> impl Iterator<Item = char> + '_ {
    let mut rest = core;
    std::iter::from_fn(move || {
        let c = rest.chars().next()?;
        rest = &rest[c.len_utf8()..];
        if c == '委'
            && let Some(after) = rest.strip_prefix("员会")
        {
            rest = after;
        }
        Some(c)
    })
}

/// Whether `sender` is among the departments an item names (or the item names none; its
/// superior, the same body one level up, has the same core name).
pub fn responsible(item_departments: &str, sender: &str) -> bool {
    let sender = core(sender.trim());
    let mut named = false;
    for name in item_departments.split(['、', '，', ',', '；', ';', '/']) {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        named = true;
        // "发展改革委" after "区商务局、" carries no prefix of its own, and needs none.
        if !sender.is_empty() && same_core(core(name), sender) {
            return true;
        }
    }
    !named
}

/// Whether two cores name the same body: equal as written, or once 委员会 is read as 委.
fn same_core(a: &str, b: &str) -> bool {
    a == b || folded(a).eq(folded(b))
}

/// The directories whose items are work a village may be handed.
pub fn is_task_list(kind: DirectoryKind) -> bool {
    matches!(
        kind,
        DirectoryKind::Duty
            | DirectoryKind::Assistance
            | DirectoryKind::MechanismSign
            | DirectoryKind::PublicService
    )
}

/// A message from its parts in one allocation, without the formatting machinery: the
/// verdict on every target of a dispatch writes one.
fn joined(parts: &[&str]) -> String {
    let mut message = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        message.push_str(part);
    }
    message
}

fn reason(rule: Rule, message: String, item: Option<&ItemCode>, version: Option<u32>) -> Reason {
    Reason {
        rule: rule.code(),
        severity: rule.severity(),
        message,
        item_code: item.map(|c| c.as_str().to_owned()),
        directory_version: version,
    }
}

/// The verdict on `case`.
pub fn judge(case: &Case<'_>) -> Verdict {
    // Most verdicts give one or two reasons.
    let mut reasons = Vec::with_capacity(2);
    let township = case.sender.region.level() == Level::Township;
    match &case.basis {
        Basis::Nothing => {
            // Point the sender to the items the text is about, if any.
            let hint = match case.candidates {
                Some(found) if !found.is_empty() => {
                    let codes: Vec<String> = found.iter().map(ToString::to_string).collect();
                    format!("；与任务内容最相符的目录事项：{}", codes.join("、"))
                }
                _ => String::new(),
            };
            reasons.push(reason(
                Rule::NoBasis,
                format!("任务未引用指导目录事项或准入事项，不得交由村（社区）承担{hint}"),
                None,
                None,
            ));
        }
        Basis::Item {
            code,
            kind,
            version,
            item,
        } => judge_item(
            case,
            code,
            *kind,
            *version,
            item.as_ref(),
            township,
            &mut reasons,
        ),
        Basis::Admitted { code, task } => judge_admitted(case, code, *task, &mut reasons),
    }
    for hit in case.prohibited {
        reasons.push(reason(
            Rule::Prohibited,
            format!("任务内容属于村级组织不应承担的事项“{}”", hit.name),
            Some(hit.code),
            Some(hit.version),
        ));
    }
    if let (Basis::Item { code, .. }, Some(candidates)) = (&case.basis, case.candidates) {
        if candidates.is_empty() {
            reasons.push(reason(
                Rule::TextUnmatched,
                "任务内容与指导目录中的任何事项都不相符，请核查".into(),
                Some(code),
                None,
            ));
        } else if !candidates.contains(code) {
            // The three best candidates, between "、".
            let mut parts = [
                "任务内容与引用的事项 ",
                code.as_str(),
                " 不符，更接近 ",
                "",
                "",
                "",
                "",
                "",
                "，请核查",
            ];
            for (n, candidate) in candidates.iter().take(3).enumerate() {
                if n > 0 {
                    parts[2 + 2 * n] = "、";
                }
                parts[3 + 2 * n] = candidate.as_str();
            }
            reasons.push(reason(Rule::TextMismatch, joined(&parts), Some(code), None));
        }
    }
    let outcome = match reasons.iter().map(|r| r.severity).max() {
        Some(Severity::Block) => Outcome::Blocked,
        Some(Severity::Flag) => Outcome::Flagged,
        _ => Outcome::Allowed,
    };
    Verdict { outcome, reasons }
}

fn judge_item(
    case: &Case<'_>,
    code: &ItemCode,
    kind: DirectoryKind,
    version: u32,
    item: Option<&EffectiveItem<'_>>,
    township: bool,
    reasons: &mut Vec<Reason>,
) {
    let v = Some(version);
    if !is_task_list(kind) {
        reasons.push(reason(
            Rule::NotATaskList,
            format!(
                "{code} 属于“{}”，不是可以交由村（社区）承担的工作",
                kind.label()
            ),
            Some(code),
            v,
        ));
        return;
    }
    let Some(item) = item else {
        reasons.push(reason(
            Rule::UnknownItem,
            format!("现行“{}”第 {version} 版中没有事项 {code}", kind.label()),
            Some(code),
            v,
        ));
        return;
    };
    let mut fine = true;
    if !item.valid_on(case.day) {
        fine = false;
        let end = item
            .valid_to
            .map_or_else(|| "长期".to_owned(), |d| d.to_string());
        reasons.push(reason(
            Rule::ItemNotInForce,
            format!(
                "事项 {code} 在该单位的有效期为 {} 至 {end}，派发当日 {} 不在有效期内",
                item.valid_from, case.day
            ),
            Some(code),
            v,
        ));
    }
    let applies = item
        .applicability
        .is_some_and(|a| a.applies_to(case.target.kind));
    if !applies {
        fine = false;
        let who = item
            .applicability
            .map_or("该区的任何单位", Applicability::label);
        reasons.push(reason(
            Rule::KindMismatch,
            format!("事项 {code} 只适用于{who}，不适用于此单位"),
            Some(code),
            v,
        ));
    }
    // A township hands down its own directory work to its own villages.
    let own_township = township && case.sender.region.contains(&case.target.unit);
    if !own_township && !responsible(&item.item.department, case.sender.name) {
        fine = false;
        reasons.push(reason(
            Rule::NotResponsible,
            joined(&[
                "事项 ",
                code.as_str(),
                " 的责任部门为",
                &item.item.department,
                "，",
                case.sender.name,
                "不是其责任部门或上级部门",
            ]),
            Some(code),
            v,
        ));
    }
    if fine {
        reasons.push(reason(
            Rule::ItemAllows,
            joined(&[
                "依据“",
                kind.label(),
                "”第 ",
                itoa::Buffer::new().format(version),
                " 版事项 ",
                code.as_str(),
                "“",
                &item.item.name,
                "”",
            ]),
            Some(code),
            v,
        ));
    }
}

fn judge_admitted(
    case: &Case<'_>,
    code: &str,
    task: Option<&AdmittedFacts<'_>>,
    reasons: &mut Vec<Reason>,
) {
    let note = |rule: Rule, message: String| Reason {
        rule: rule.code(),
        severity: rule.severity(),
        message,
        item_code: Some(code.to_owned()),
        directory_version: None,
    };
    let Some(task) = task else {
        reasons.push(note(
            Rule::UnknownAdmission,
            format!("准入事项 {code} 不存在"),
        ));
        return;
    };
    let mut fine = true;
    if !crate::admission::in_force(task.starts_on, task.ends_on, task.revoked_on, case.day) {
        fine = false;
        let why = match task.revoked_on {
            Some(d) if d <= case.day => format!("已于 {d} 撤销"),
            _ => format!("有效期为 {} 至 {}", task.starts_on, task.ends_on),
        };
        reasons.push(note(
            Rule::AdmissionNotInForce,
            format!("准入事项 {code} {why}，派发当日 {} 不能引用", case.day),
        ));
    }
    let covered = task
        .scope
        .iter()
        .any(|s| s.concerns(&case.target.unit, case.target.kind));
    if !covered {
        fine = false;
        reasons.push(note(
            Rule::OutsideAdmittedScope,
            format!("此单位不在准入事项 {code} 的实施范围内"),
        ));
    }
    if task.department != case.sender.department {
        fine = false;
        reasons.push(note(
            Rule::AdmissionOfOther,
            format!("准入事项 {code} 由其他部门申请，只能由申请部门派发"),
        ));
    }
    if fine {
        reasons.push(note(Rule::AdmissionAllows, format!("依据准入事项 {code}")));
    }
}

#[cfg(test)]
mod tests;
