//! Inspection (检查评估) by joint groups: who may form a group, which units a plan visits
//! (sampling stratified by district from a recorded seed, so anyone can draw the same sample
//! again), the seal of an unannounced plan (暗访: its digest is registered before the visits and
//! the plan revealed after them), visits of several groups to one unit in one week, and the
//! checklist per topic that findings are recorded against.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::RegionCode;
use crate::account::Role;
use crate::workday::Calendar;

/// Announced (明察: the units are told) or unannounced (暗访: sealed until after the visits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Announced,
    Unannounced,
}

impl Visibility {
    pub const ALL: [Visibility; 2] = [Visibility::Announced, Visibility::Unannounced];

    pub fn code(self) -> &'static str {
        match self {
            Visibility::Announced => "announced",
            Visibility::Unannounced => "unannounced",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::Announced => "明察",
            Visibility::Unannounced => "暗访",
        }
    }

    pub fn from_code(code: &str) -> Option<Visibility> {
        Visibility::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// The bodies a joint inspection group is drawn from (联合检查组).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberBody {
    /// 民政部门
    CivilAffairs,
    /// 组织部门
    Organisation,
    /// 农村工作部门（农办）
    RuralWork,
}

impl MemberBody {
    pub const ALL: [MemberBody; 3] = [
        MemberBody::CivilAffairs,
        MemberBody::Organisation,
        MemberBody::RuralWork,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MemberBody::CivilAffairs => "civil_affairs",
            MemberBody::Organisation => "organisation",
            MemberBody::RuralWork => "rural_work",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberBody::CivilAffairs => "民政部门",
            MemberBody::Organisation => "组织部门",
            MemberBody::RuralWork => "农村工作部门",
        }
    }

    /// The code, or the words a table or a form uses.
    pub fn parse(raw: &str) -> Option<MemberBody> {
        match raw.trim() {
            "civil_affairs" | "民政" | "民政部门" | "民政局" => {
                Some(MemberBody::CivilAffairs)
            }
            "organisation" | "组织部" | "组织部门" => Some(MemberBody::Organisation),
            "rural_work" | "农办" | "农村工作部门" | "农业农村委" => {
                Some(MemberBody::RuralWork)
            }
            _ => None,
        }
    }
}

/// One member of a group: the inspector's account and the body they come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub username: String,
    pub name: String,
    pub body: MemberBody,
}

/// What is wrong with a group as proposed, in Chinese; empty when it may be formed. A joint
/// group has a name and members from all three bodies, each account once.
pub fn check_group(name: &str, members: &[Member]) -> Vec<String> {
    let mut problems = Vec::new();
    if name.trim().is_empty() {
        problems.push("请填写检查组名称".to_owned());
    }
    for body in MemberBody::ALL {
        if !members.iter().any(|m| m.body == body) {
            problems.push(format!("联合检查组须有{}的成员", body.label()));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for m in members {
        if m.name.trim().is_empty() {
            problems.push(format!("成员 {} 缺少姓名", m.username));
        }
        if !seen.insert(m.username.as_str()) {
            problems.push(format!("成员 {} 重复", m.username));
        }
    }
    problems
}

/// Where a plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanStage {
    /// Being drawn up by the group; only the group sees it.
    Draft,
    /// Unannounced and sealed: its digest is public, its units and dates are not.
    Sealed,
    /// Announced: the units know the visit is coming.
    Announced,
    /// The visits are over; an unannounced plan is revealed and its seal can be checked.
    Completed,
}

impl PlanStage {
    pub const ALL: [PlanStage; 4] = [
        PlanStage::Draft,
        PlanStage::Sealed,
        PlanStage::Announced,
        PlanStage::Completed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PlanStage::Draft => "draft",
            PlanStage::Sealed => "sealed",
            PlanStage::Announced => "announced",
            PlanStage::Completed => "completed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PlanStage::Draft => "草拟中",
            PlanStage::Sealed => "已封存（暗访）",
            PlanStage::Announced => "已通知（明察）",
            PlanStage::Completed => "已完成",
        }
    }

    pub fn from_code(code: &str) -> Option<PlanStage> {
        PlanStage::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether findings may be recorded: during and after the visits.
    pub fn visiting(self) -> bool {
        !matches!(self, PlanStage::Draft)
    }

    /// Whether the plan's units and dates may be shown beyond the group.
    pub fn disclosed(self) -> bool {
        matches!(self, PlanStage::Announced | PlanStage::Completed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanAction {
    /// Unannounced: register the digest and hide the plan.
    Seal,
    /// Announced: tell the units.
    Announce,
    /// The visits are over (an unannounced plan is revealed).
    Complete,
}

impl PlanAction {
    pub const ALL: [PlanAction; 3] = [PlanAction::Seal, PlanAction::Announce, PlanAction::Complete];

    pub fn code(self) -> &'static str {
        match self {
            PlanAction::Seal => "seal",
            PlanAction::Announce => "announce",
            PlanAction::Complete => "complete",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PlanAction::Seal => "封存计划",
            PlanAction::Announce => "通知被检单位",
            PlanAction::Complete => "结束检查并公开计划",
        }
    }

    pub fn parse(code: &str) -> Option<PlanAction> {
        PlanAction::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// The next stage of a plan of `visibility` when a member of its group does `action`. Only
/// inspectors run plans; a plan without visits cannot leave its draft.
pub fn plan_step(
    stage: PlanStage,
    visibility: Visibility,
    action: PlanAction,
    role: Role,
    visits: usize,
) -> Result<PlanStage, String> {
    if role != Role::Inspector {
        return Err(format!("{}须由检查组成员办理", action.label()));
    }
    match (stage, visibility, action) {
        (PlanStage::Draft, Visibility::Unannounced, PlanAction::Seal)
        | (PlanStage::Draft, Visibility::Announced, PlanAction::Announce)
            if visits == 0 =>
        {
            Err("计划还没有被检单位，请先抽取样本".to_owned())
        }
        (PlanStage::Draft, Visibility::Unannounced, PlanAction::Seal) => Ok(PlanStage::Sealed),
        (PlanStage::Draft, Visibility::Announced, PlanAction::Announce) => Ok(PlanStage::Announced),
        (PlanStage::Sealed | PlanStage::Announced, _, PlanAction::Complete) => {
            Ok(PlanStage::Completed)
        }
        _ => Err(format!(
            "{}计划处于“{}”状态，不能{}",
            visibility.label(),
            stage.label(),
            action.label()
        )),
    }
}

/// The units of one district a sample is drawn from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stratum {
    pub district: RegionCode,
    pub units: Vec<RegionCode>,
}

/// SplitMix64 (Steele, Lea and Flood 2014): a generator anyone can re-implement in a few lines,
/// so a recorded seed draws the same sample in any language and any version of jianfu.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0), without modulo bias (Lemire's method).
    fn below(&mut self, n: u64) -> u64 {
        loop {
            let m = u128::from(self.next()) * u128::from(n);
            if (m as u64) >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }
}

/// The sample: `per_district` units from each stratum (all of them where it has fewer).
///
/// The method, so that it can be repeated by hand: a district's units are sorted by code and
/// de-duplicated; a SplitMix64 generator starts from `seed` XOR the district's code read as a
/// number; a partial Fisher–Yates shuffle takes k = min(per_district, n) draws, draw i swapping
/// position i with a position chosen uniformly in i..n; the first k units, sorted by code, are
/// the district's sample. Each district's sample depends only on the seed and its own units.
pub fn sample(seed: u64, per_district: u32, strata: &[Stratum]) -> Vec<Stratum> {
    let mut by_district: BTreeMap<&RegionCode, Vec<RegionCode>> = BTreeMap::new();
    for s in strata {
        by_district
            .entry(&s.district)
            .or_default()
            .extend(s.units.iter().cloned());
    }
    by_district
        .into_iter()
        .map(|(district, mut units)| {
            units.sort();
            units.dedup();
            let start = district.as_str().parse::<u64>().unwrap_or(0);
            let mut rng = SplitMix64(seed ^ start);
            let n = units.len();
            let k = n.min(per_district as usize);
            for i in 0..k {
                let j = i + rng.below((n - i) as u64) as usize;
                units.swap(i, j);
            }
            units.truncate(k);
            units.sort();
            Stratum {
                district: *district,
                units,
            }
        })
        .collect()
}

/// One visit a plan makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedVisit {
    pub unit: RegionCode,
    pub on: NaiveDate,
}

/// Visit days for `units` (in the order given) from `from`: `per_day` units each working day,
/// starting on `from` or the first working day after it.
pub fn schedule(
    units: &[RegionCode],
    from: NaiveDate,
    per_day: u32,
    calendar: &Calendar,
) -> Vec<PlannedVisit> {
    let first = if calendar.is_working_day(from) {
        from
    } else {
        calendar.add_working_days(from, 1)
    };
    let per_day = per_day.max(1) as usize;
    units
        .iter()
        .enumerate()
        .map(|(i, unit)| PlannedVisit {
            unit: *unit,
            on: calendar.add_working_days(first, u32::try_from(i / per_day).unwrap_or(u32::MAX)),
        })
        .collect()
}

/// What a plan commits to, as sealed: the digest of `canonical()` is registered before the
/// visits. The nonce (random, kept with the plan) stops anyone from trying the few possible
/// plans of a small township against the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPlan {
    pub plan_id: i64,
    pub group: String,
    pub title: String,
    pub seed: u64,
    pub per_district: u32,
    pub topics: Vec<Topic>,
    pub visits: Vec<PlannedVisit>,
    pub nonce: String,
}

impl SealedPlan {
    /// The exact text the seal's digest is taken of: one field a line, visits sorted by date
    /// and unit, UTF-8, no trailing newline. Published with the plan once it is revealed.
    pub fn canonical(&self) -> String {
        let mut visits = self.visits.clone();
        visits.sort_by(|a, b| (a.on, &a.unit).cmp(&(b.on, &b.unit)));
        let mut lines = vec![
            "jianfu-inspection-plan/1".to_owned(),
            format!("plan={}", self.plan_id),
            format!("group={}", one_line(&self.group)),
            format!("title={}", one_line(&self.title)),
            format!("seed={}", self.seed),
            format!("per_district={}", self.per_district),
            format!(
                "topics={}",
                self.topics
                    .iter()
                    .map(|t| t.code())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ];
        lines.extend(visits.iter().map(|v| format!("visit={} {}", v.on, v.unit)));
        lines.push(format!("nonce={}", self.nonce));
        lines.join("\n")
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A visit on record, of any group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub plan_id: i64,
    pub group_id: i64,
    pub unit: RegionCode,
    pub on: NaiveDate,
}

/// Several groups at one unit in one ISO week (the burden of inspection on a village).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    pub unit: RegionCode,
    /// The Monday of the week.
    pub week_of: NaiveDate,
    pub groups: Vec<i64>,
    pub plans: Vec<i64>,
}

impl fmt::Display for Clash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} 在 {} 起的一周内有 {} 个检查组前往，请错开安排",
            self.unit,
            self.week_of,
            self.groups.len()
        )
    }
}

/// The weeks in which more than one group visits the same unit, by unit and week.
pub fn clashes(visits: &[Visit]) -> Vec<Clash> {
    // By unit and week: the groups and the plans there.
    type Week = (Vec<i64>, Vec<i64>);
    let mut weeks: BTreeMap<(&RegionCode, NaiveDate), Week> = BTreeMap::new();
    for v in visits {
        let monday =
            v.on - chrono::Duration::days(i64::from(v.on.weekday().num_days_from_monday()));
        let (groups, plans) = weeks.entry((&v.unit, monday)).or_default();
        if !groups.contains(&v.group_id) {
            groups.push(v.group_id);
        }
        if !plans.contains(&v.plan_id) {
            plans.push(v.plan_id);
        }
    }
    weeks
        .into_iter()
        .filter(|(_, (groups, _))| groups.len() > 1)
        .map(|((unit, week_of), (mut groups, mut plans))| {
            groups.sort_unstable();
            plans.sort_unstable();
            Clash {
                unit: *unit,
                week_of,
                groups,
                plans,
            }
        })
        .collect()
}

/// What a visit checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// 承接事务
    Tasks,
    /// 机制牌子
    Signage,
    /// 证明事项
    Certificates,
    /// 表格与平台群
    FormsChannels,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::Tasks,
        Topic::Signage,
        Topic::Certificates,
        Topic::FormsChannels,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Topic::Tasks => "tasks",
            Topic::Signage => "signage",
            Topic::Certificates => "certificates",
            Topic::FormsChannels => "forms_channels",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Topic::Tasks => "承接工作事务",
            Topic::Signage => "机制牌子与党群服务中心",
            Topic::Certificates => "证明事项",
            Topic::FormsChannels => "表格报表与平台群",
        }
    }

    pub fn from_code(code: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The checklist of this topic.
    pub fn items(self) -> impl Iterator<Item = &'static CheckItem> {
        CHECKLIST.iter().filter(move |i| i.topic == self)
    }
}

/// One question of a checklist: a finding answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckItem {
    pub code: &'static str,
    pub topic: Topic,
    pub question: &'static str,
}

/// The checklists, after the points the Tianjin plan names for its inspection phase.
pub const CHECKLIST: &[CheckItem] = &[
    CheckItem {
        code: "tasks.outside_directory",
        topic: Topic::Tasks,
        question: "是否承接了指导目录以外且未经准入的工作事务",
    },
    CheckItem {
        code: "tasks.off_platform",
        topic: Topic::Tasks,
        question: "是否有部门绕开平台、通过微信群等渠道布置任务",
    },
    CheckItem {
        code: "tasks.responsibility_shifted",
        topic: Topic::Tasks,
        question: "是否被要求作为执法、拆迁等事项的责任主体（属地责任转嫁）",
    },
    CheckItem {
        code: "tasks.support_missing",
        topic: Topic::Tasks,
        question: "协助事项的经费、培训等保障是否随事转移（费随事转）",
    },
    CheckItem {
        code: "signage.outside_signs",
        topic: Topic::Signage,
        question: "党群服务中心外挂牌子是否符合“一横四竖两标识”",
    },
    CheckItem {
        code: "signage.inside_signs",
        topic: Topic::Signage,
        question: "室内机制牌子是否都在工作机制牌子目录内",
    },
    CheckItem {
        code: "signage.activity_area",
        topic: Topic::Signage,
        question: "居民活动面积是否达到服务中心面积的规定比例（小办公、大服务）",
    },
    CheckItem {
        code: "signage.dedicated_posts",
        topic: Topic::Signage,
        question: "是否被要求设立目录以外的工作机制或专人专岗",
    },
    CheckItem {
        code: "certificates.must_not_issued",
        topic: Topic::Certificates,
        question: "是否出具了不应出具的证明事项",
    },
    CheckItem {
        code: "certificates.ledger",
        topic: Topic::Certificates,
        question: "证明开具台账与用印记录是否一一对应",
    },
    CheckItem {
        code: "certificates.demanded",
        topic: Topic::Certificates,
        question: "是否有单位要求村（社区）开具清单外证明",
    },
    CheckItem {
        code: "forms.duplicate",
        topic: Topic::FormsChannels,
        question: "是否被要求重复填报表格、报表",
    },
    CheckItem {
        code: "channels.check_in",
        topic: Topic::FormsChannels,
        question: "是否被要求在政务APP、工作群打卡、截图留痕或排名",
    },
];

/// The checklist item of `code`.
pub fn check_item(code: &str) -> Option<&'static CheckItem> {
    CHECKLIST.iter().find(|i| i.code == code)
}

#[cfg(test)]
mod tests;
