//! Mechanisms, signs and the party-mass service centre (机制牌子与党群服务中心): what a village
//! or community has hung and set up, checked against rules that are data. Tianjin's default:
//! outside the centre only "一横四竖两标识"; inside, signs only for mechanisms the mechanism-sign
//! directory (or an admission) provides; resident-activity area at least 60 % of the building
//! ("小办公、大服务"); no new mechanism or dedicated post (专人专岗) without a basis.
//!
//! Pure: the caller reads the unit's rule set, the mechanism items in force for it and the
//! admitted tasks covering it; [`compliance`] lists every non-compliance with its reason.

use serde::{Deserialize, Serialize};

use crate::RegionKind;
use crate::catalog::{Applicability, EffectiveItem};

/// Where a sign hangs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// On the outside of the service centre.
    Outside,
    /// Inside it.
    Inside,
}

impl Position {
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Outside => "outside",
            Position::Inside => "inside",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Position::Outside => "外部",
            Position::Inside => "内部",
        }
    }

    /// Reads the English code or the words a spreadsheet uses.
    pub fn parse(raw: &str) -> Option<Position> {
        match raw.trim() {
            "outside" | "外部" | "外" | "室外" | "门外" => Some(Position::Outside),
            "inside" | "内部" | "内" | "室内" => Some(Position::Inside),
            _ => None,
        }
    }
}

/// One sign a rule set allows: its name, where XX stands for any text (the unit's own name),
/// its position and the units it applies to. Each rule allows one sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignRule {
    pub name: String,
    pub position: Position,
    pub applicability: Applicability,
    pub note: String,
}

/// A region's rules on signs and the service centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    pub rules: Vec<SignRule>,
    /// The least share of the building, in percent, that serves residents.
    pub min_activity_percent: u8,
}

/// The share of the building Tianjin's plan asks to serve residents (村(居)民活动区域面积占总建筑
/// 面积60%以上).
pub const TIANJIN_MIN_ACTIVITY_PERCENT: u8 = 60;

/// Why a default rule's wording carries a note.
const TO_CONFIRM: &str = "默认规则，措辞以天津市正式文本为准，可由民政部门修改";

impl RuleSet {
    /// Tianjin's default: "一横四竖两标识" outside — the centre's horizontal sign, the four
    /// vertical signs of the party organisation, the villagers' or residents' committee, the
    /// affairs-supervision committee and the collective economic organisation (communities
    /// without one hang three), and two marks; no inside rules beyond the mechanism directory.
    pub fn tianjin() -> RuleSet {
        let rule = |name: &str, applicability: Applicability, note: &str| SignRule {
            name: name.to_owned(),
            position: Position::Outside,
            applicability,
            note: if note.is_empty() {
                TO_CONFIRM.to_owned()
            } else {
                format!("{note}；{TO_CONFIRM}")
            },
        };
        use Applicability::{Both, Community, Village};
        RuleSet {
            rules: vec![
                rule("XX党群服务中心", Both, "一横：村（社区）党群服务中心"),
                rule("中共XX委员会", Both, "一竖：村（社区）党组织"),
                rule("XX村民委员会", Village, "一竖：村民委员会"),
                rule("XX居民委员会", Community, "一竖：社区居民委员会"),
                rule("XX村务监督委员会", Village, "一竖：村务监督委员会"),
                rule("XX居务监督委员会", Community, "一竖：社区居务监督委员会"),
                rule(
                    "XX经济合作社",
                    Both,
                    "一竖：集体经济组织；没有集体经济组织的社区不挂",
                ),
                rule("党徽", Both, "标识"),
                rule("中国社区标识", Both, "标识：民发〔2012〕66号“中国社区”标识"),
            ],
            min_activity_percent: TIANJIN_MIN_ACTIVITY_PERCENT,
        }
    }

    /// Checks a rule set read from a table or a form; `Err` names the row and what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=100).contains(&self.min_activity_percent) {
            return Err(format!(
                "活动区域最低占比应为 1 至 100 之间的整数，现为 {}",
                self.min_activity_percent
            ));
        }
        for (n, r) in self.rules.iter().enumerate() {
            let row = n + 1;
            if r.name.trim().is_empty() {
                return Err(format!("第 {row} 条规则：标牌名称不能为空"));
            }
            if r.name.chars().count() > 100 {
                return Err(format!("第 {row} 条规则：标牌名称不能超过 100 个字"));
            }
            if Pattern::new(&r.name).fixed_len() == 0 {
                return Err(format!(
                    "第 {row} 条规则：标牌名称“{}”除 XX 外还应有文字",
                    r.name
                ));
            }
            if let Some(first) = self.rules[..n].iter().position(|o| {
                normalized(&o.name) == normalized(&r.name)
                    && o.position == r.position
                    && o.applicability.intersect(r.applicability).is_some()
            }) {
                return Err(format!(
                    "第 {row} 条规则与第 {} 条重复：“{}”",
                    first + 1,
                    r.name
                ));
            }
        }
        Ok(())
    }
}

/// A work mechanism (工作机制) set up in the unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mechanism {
    pub name: String,
    /// The body that asked for it (设立部门).
    pub set_up_by: String,
    /// Whether it demands dedicated staff (专人专岗).
    pub dedicated_staff: bool,
    /// The mechanism-sign item ("JP-001") or the admitted task it rests on, if the unit knows.
    pub basis: Option<String>,
}

/// A sign the unit has hung.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sign {
    pub name: String,
    pub position: Position,
    /// The body or mechanism it stands for.
    pub represents: String,
}

/// Areas in hundredths of a square metre: exact, so 60 % is 60 %.
pub type CentiSquareMetres = u64;

/// The party-mass service centre (党群服务中心).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCentre {
    pub total_area: CentiSquareMetres,
    pub activity_area: CentiSquareMetres,
    pub office_area: CentiSquareMetres,
}

impl ServiceCentre {
    /// The activity area's share of the building, in percent (one decimal).
    pub fn activity_percent(&self) -> f64 {
        if self.total_area == 0 {
            return 0.0;
        }
        (self.activity_area as f64 * 1000.0 / self.total_area as f64).round() / 10.0
    }
}

/// What one unit has recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registry {
    pub mechanisms: Vec<Mechanism>,
    pub signs: Vec<Sign>,
    pub centre: Option<ServiceCentre>,
}

/// The most entries of each kind a unit records.
pub const MAX_ENTRIES: usize = 200;

impl Registry {
    /// Checks what a unit submits; `Err` names the entry and what is wrong. Nothing here is a
    /// non-compliance: those are [`compliance`]'s, and are recorded as submitted.
    pub fn validate(&self) -> Result<(), String> {
        if self.mechanisms.len() > MAX_ENTRIES || self.signs.len() > MAX_ENTRIES {
            return Err(format!("工作机制和标牌各不能超过 {MAX_ENTRIES} 项"));
        }
        for (n, m) in self.mechanisms.iter().enumerate() {
            let at = format!("第 {} 项工作机制", n + 1);
            text(&at, "名称", &m.name, true)?;
            text(&at, "设立单位", &m.set_up_by, false)?;
            if let Some(b) = &m.basis {
                text(&at, "依据", b, false)?;
            }
        }
        for (n, s) in self.signs.iter().enumerate() {
            let at = format!("第 {} 块标牌", n + 1);
            text(&at, "名称", &s.name, true)?;
            text(&at, "代表的组织或机制", &s.represents, false)?;
        }
        if let Some(c) = &self.centre {
            if c.total_area == 0 {
                return Err("党群服务中心总建筑面积应大于 0".into());
            }
            if c.activity_area + c.office_area > c.total_area {
                return Err(format!(
                    "党群服务中心活动区域（{}）与办公区域（{}）之和超过总建筑面积（{}）",
                    area(c.activity_area),
                    area(c.office_area),
                    area(c.total_area)
                ));
            }
        }
        Ok(())
    }
}

fn text(at: &str, field: &str, value: &str, required: bool) -> Result<(), String> {
    if required && value.trim().is_empty() {
        return Err(format!("{at}：{field}不能为空"));
    }
    if value.chars().count() > 200 {
        return Err(format!("{at}：{field}不能超过 200 个字"));
    }
    Ok(())
}

/// An area as people write it: "120.5 平方米".
pub fn area(a: CentiSquareMetres) -> String {
    let (whole, hundredths) = (a / 100, a % 100);
    match hundredths {
        0 => format!("{whole} 平方米"),
        h if h % 10 == 0 => format!("{whole}.{} 平方米", h / 10),
        h => format!("{whole}.{h:02} 平方米"),
    }
}

/// An admitted task in force that covers the unit, by its code (`ZR-…`).
#[derive(Debug, Clone, Copy)]
pub struct AdmittedBasis<'a> {
    pub code: &'a str,
}

/// The facts the rules read besides the registry.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub kind: RegionKind,
    pub rules: &'a RuleSet,
    /// The mechanism-sign directory's items in force for the unit (city base and its
    /// district's refinement).
    pub mechanisms: &'a [EffectiveItem<'a>],
    /// The admitted tasks in force that cover the unit.
    pub admitted: &'a [AdmittedBasis<'a>],
}

/// The checks, each with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Check {
    /// An outside sign no rule allows.
    OutsideNotAllowed,
    /// An outside sign a rule allows for the other kind of unit.
    OutsideWrongKind,
    /// An allowed outside sign hung more than once.
    OutsideRepeated,
    /// An inside sign for no mechanism of the directory and no inside rule.
    InsideWithoutBasis,
    /// A mechanism neither the directory nor an admission provides.
    MechanismWithoutBasis,
    /// A dedicated post (专人专岗) nothing provides.
    DedicatedStaff,
    /// Less of the building serves residents than the rule asks.
    ActivityShare,
}

impl Check {
    pub fn code(self) -> &'static str {
        match self {
            Check::OutsideNotAllowed => "sign.outside_not_allowed",
            Check::OutsideWrongKind => "sign.outside_wrong_kind",
            Check::OutsideRepeated => "sign.outside_repeated",
            Check::InsideWithoutBasis => "sign.inside_without_basis",
            Check::MechanismWithoutBasis => "mechanism.without_basis",
            Check::DedicatedStaff => "mechanism.dedicated_staff",
            Check::ActivityShare => "centre.activity_share",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Check::OutsideNotAllowed => "外部标牌超出规定",
            Check::OutsideWrongKind => "外部标牌不适用于本单位",
            Check::OutsideRepeated => "外部标牌重复悬挂",
            Check::InsideWithoutBasis => "内部标牌无依据",
            Check::MechanismWithoutBasis => "工作机制无依据",
            Check::DedicatedStaff => "要求专人专岗无依据",
            Check::ActivityShare => "活动区域占比不足",
        }
    }
}

/// One thing out of line: the check, the object it concerns, and why, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NonCompliance {
    pub check: Check,
    /// What it is about, as the unit recorded it ("外部标牌“综治中心”").
    pub object: String,
    pub reason: String,
}

/// Every non-compliance of `registry` under `facts`, in the registry's order: signs, then
/// mechanisms, then the centre. Empty when the unit complies.
pub fn compliance(registry: &Registry, facts: &Facts<'_>) -> Vec<NonCompliance> {
    let mut found = Vec::new();
    outside_signs(registry, facts, &mut found);
    for s in registry
        .signs
        .iter()
        .filter(|s| s.position == Position::Inside)
    {
        let allowed_by_rule = facts.rules.rules.iter().any(|r| {
            r.position == Position::Inside
                && r.applicability.applies_to(facts.kind)
                && Pattern::new(&r.name).matches(&s.name)
        });
        let provided = [&s.name, &s.represents]
            .into_iter()
            .any(|n| directory_item(facts, n).is_some() || registered(registry, facts, n));
        if !allowed_by_rule && !provided {
            found.push(NonCompliance {
                check: Check::InsideWithoutBasis,
                object: format!("内部标牌“{}”", s.name),
                reason: "内部只能为机制牌子目录中的工作机制或经准入的事项挂牌，此牌无对应依据"
                    .into(),
            });
        }
    }
    for m in &registry.mechanisms {
        mechanism(m, facts, &mut found);
    }
    if let Some(c) = &registry.centre {
        let min = u64::from(facts.rules.min_activity_percent);
        if c.activity_area * 100 < c.total_area * min {
            found.push(NonCompliance {
                check: Check::ActivityShare,
                object: "党群服务中心".into(),
                reason: format!(
                    "村（居）民活动区域 {} 占总建筑面积 {} 的 {}%，低于规定的 {min}%（小办公、大服务）",
                    area(c.activity_area),
                    area(c.total_area),
                    c.activity_percent()
                ),
            });
        }
    }
    found
}

/// Outside signs: each matched to the first rule for the unit's kind that names it; one sign
/// per rule.
fn outside_signs(registry: &Registry, facts: &Facts<'_>, found: &mut Vec<NonCompliance>) {
    let outside: Vec<(usize, &SignRule)> = facts
        .rules
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.position == Position::Outside)
        .collect();
    let mut used = vec![false; facts.rules.rules.len()];
    for s in registry
        .signs
        .iter()
        .filter(|s| s.position == Position::Outside)
    {
        let object = format!("外部标牌“{}”", s.name);
        let named: Vec<&(usize, &SignRule)> = outside
            .iter()
            .filter(|(_, r)| Pattern::new(&r.name).matches(&s.name))
            .collect();
        let fitting = named
            .iter()
            .find(|(_, r)| r.applicability.applies_to(facts.kind));
        match fitting {
            None if named.is_empty() => found.push(NonCompliance {
                check: Check::OutsideNotAllowed,
                object,
                reason: format!(
                    "党群服务中心外部只能悬挂规定的标牌（{}），此牌不在其列",
                    allowed_names(facts)
                ),
            }),
            None => found.push(NonCompliance {
                check: Check::OutsideWrongKind,
                object,
                reason: format!(
                    "“{}”只适用于{}，不适用于{}",
                    named[0].1.name,
                    named[0].1.applicability.label(),
                    kind_label(facts.kind)
                ),
            }),
            Some((n, r)) if used[*n] => found.push(NonCompliance {
                check: Check::OutsideRepeated,
                object,
                reason: format!("“{}”只能悬挂一块，此牌重复", r.name),
            }),
            Some((n, _)) => used[*n] = true,
        }
    }
}

fn mechanism(m: &Mechanism, facts: &Facts<'_>, found: &mut Vec<NonCompliance>) {
    let object = format!("工作机制“{}”", m.name);
    let cited = m.basis.as_deref().map(str::trim).filter(|b| !b.is_empty());
    let item = match cited {
        Some(code) => facts
            .mechanisms
            .iter()
            .find(|i| i.item.code.as_str().eq_ignore_ascii_case(code)),
        None => directory_item(facts, &m.name),
    };
    let admitted = cited.is_some_and(|code| facts.admitted.iter().any(|a| a.code == code));
    if item.is_none() && !admitted {
        let reason = match cited {
            Some(code) => format!(
                "所填依据“{code}”不是现行机制牌子目录中的事项，也不是覆盖本单位的准入事项"
            ),
            None => "机制牌子目录中没有此工作机制，也没有覆盖本单位的准入事项；未经准入不得在村（社区）设立工作机制".into(),
        };
        found.push(NonCompliance {
            check: Check::MechanismWithoutBasis,
            object: object.clone(),
            reason,
        });
    }
    let staffed = admitted || item.is_some_and(|i| provides_staff(&i.item.village_role));
    if m.dedicated_staff && !staffed {
        found.push(NonCompliance {
            check: Check::DedicatedStaff,
            object,
            reason: "可由村（社区）党组织、村（居）民委员会等承担相应职责的，原则上不要求专人专岗；目录事项和准入事项均未规定此岗位".into(),
        });
    }
}

/// Whether an item's description provides for dedicated staff.
fn provides_staff(village_role: &str) -> bool {
    ["专人", "专岗", "专职"]
        .iter()
        .any(|w| village_role.contains(w))
}

/// The mechanism item in force whose name `name` carries ("小王庄村人民调解委员会" carries
/// "人民调解委员会"; "村（居）务监督委员会" is carried by "村务…" and "居务…").
fn directory_item<'a>(facts: &'a Facts<'a>, name: &str) -> Option<&'a EffectiveItem<'a>> {
    let name = normalized(name);
    if name.is_empty() {
        return None;
    }
    facts.mechanisms.iter().find(|i| {
        variants(&i.item.name)
            .iter()
            .any(|v| !v.is_empty() && name.contains(v.as_str()))
    })
}

/// Whether `name` is a mechanism the unit registered with a basis that holds.
fn registered(registry: &Registry, facts: &Facts<'_>, name: &str) -> bool {
    let name = normalized(name);
    !name.is_empty()
        && registry.mechanisms.iter().any(|m| {
            let own = normalized(&m.name);
            !own.is_empty()
                && (name.contains(&own) || own.contains(&name))
                && m.basis.as_deref().map(str::trim).is_some_and(|b| {
                    facts.admitted.iter().any(|a| a.code == b)
                        || facts
                            .mechanisms
                            .iter()
                            .any(|i| i.item.code.as_str().eq_ignore_ascii_case(b))
                })
        })
}

/// The readings of an item name with a bracketed alternative: "村（居）务监督委员会" reads
/// 村务监督委员会 and 居务监督委员会; "妇女联合会（妇女代表大会）" reads both names.
fn variants(name: &str) -> Vec<String> {
    let name = normalized(name);
    let Some(open) = name.find('（') else {
        return vec![name];
    };
    let Some(close) = name[open..].find('）').map(|c| open + c) else {
        return vec![name];
    };
    let (before, inner, after) = (
        &name[..open],
        &name[open + '（'.len_utf8()..close],
        &name[close + '）'.len_utf8()..],
    );
    // One character replaces the one before it (村（居）务); more is another name.
    let other = match before.chars().last() {
        Some(last) if inner.chars().count() == 1 => {
            format!(
                "{}{inner}{after}",
                &before[..before.len() - last.len_utf8()]
            )
        }
        _ => inner.to_owned(),
    };
    vec![format!("{before}{after}"), other]
}

/// A name without blanks, with ASCII brackets read as full-width ones.
fn normalized(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            c => c,
        })
        .collect()
}

fn allowed_names(facts: &Facts<'_>) -> String {
    let names: Vec<&str> = facts
        .rules
        .rules
        .iter()
        .filter(|r| r.position == Position::Outside && r.applicability.applies_to(facts.kind))
        .map(|r| r.name.as_str())
        .collect();
    names.join("、")
}

fn kind_label(kind: RegionKind) -> &'static str {
    match kind {
        RegionKind::Village => "村",
        RegionKind::Community => "社区",
        _ => "本单位",
    }
}

/// A rule's name with XX standing for any text, possibly none.
struct Pattern {
    parts: Vec<String>,
}

impl Pattern {
    fn new(name: &str) -> Pattern {
        Pattern {
            parts: normalized(name).split("XX").map(str::to_owned).collect(),
        }
    }

    fn fixed_len(&self) -> usize {
        self.parts.iter().map(String::len).sum()
    }

    fn matches(&self, name: &str) -> bool {
        let name = normalized(name);
        let (first, rest) = self.parts.split_first().expect("split yields one part");
        let Some(mut tail) = name.strip_prefix(first.as_str()) else {
            return false;
        };
        let Some((last, middle)) = rest.split_last() else {
            return tail.is_empty();
        };
        for part in middle {
            match tail.find(part.as_str()) {
                Some(at) => tail = &tail[at + part.len()..],
                None => return false,
            }
        }
        tail.ends_with(last.as_str())
    }
}

#[cfg(test)]
mod tests;
