//! Guidance directories (指导目录): the city's base lists, districts' refinements, versions and
//! their differences. Pure rules: the store keeps versions and refinements, and asks these
//! functions what is in force for a unit at a date.
//!
//! A district refinement (区级细化) may annotate an item, narrow it (to villages or to communities
//! only, or a shorter period), or add district detail (制度依据、职责范围、运行流程). It may never
//! widen the city base: no new items, no wider applicability, no longer validity.

pub mod adjustment;
pub mod golden;

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::RegionKind;

/// The lists the city publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryKind {
    /// 依法履职工作事务
    Duty,
    /// 依法协助政府工作事务
    Assistance,
    /// 工作机制牌子
    MechanismSign,
    /// 可出具证明事项
    CertificateMayIssue,
    /// 不应出具证明事项
    CertificateMustNotIssue,
    /// 公共服务事项
    PublicService,
    /// 不得交由村（社区）承担的事项
    ProhibitedTask,
}

impl DirectoryKind {
    pub const ALL: [DirectoryKind; 7] = [
        DirectoryKind::Duty,
        DirectoryKind::Assistance,
        DirectoryKind::MechanismSign,
        DirectoryKind::CertificateMayIssue,
        DirectoryKind::CertificateMustNotIssue,
        DirectoryKind::PublicService,
        DirectoryKind::ProhibitedTask,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryKind::Duty => "duty",
            DirectoryKind::Assistance => "assistance",
            DirectoryKind::MechanismSign => "mechanism_sign",
            DirectoryKind::CertificateMayIssue => "certificate_may_issue",
            DirectoryKind::CertificateMustNotIssue => "certificate_must_not_issue",
            DirectoryKind::PublicService => "public_service",
            DirectoryKind::ProhibitedTask => "prohibited_task",
        }
    }

    pub fn parse(raw: &str) -> Option<DirectoryKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }

    /// The directory's name as the policy writes it.
    pub fn label(self) -> &'static str {
        match self {
            DirectoryKind::Duty => "依法履职工作事务",
            DirectoryKind::Assistance => "依法协助政府工作事务",
            DirectoryKind::MechanismSign => "工作机制牌子",
            DirectoryKind::CertificateMayIssue => "可出具证明事项",
            DirectoryKind::CertificateMustNotIssue => "不应出具证明事项",
            DirectoryKind::PublicService => "公共服务事项",
            DirectoryKind::ProhibitedTask => "不得交由村（社区）承担的事项",
        }
    }

    /// The prefix of its item codes, e.g. `LZ-001` for a duty.
    pub fn code_prefix(self) -> &'static str {
        match self {
            DirectoryKind::Duty => "LZ",
            DirectoryKind::Assistance => "XZ",
            DirectoryKind::MechanismSign => "JP",
            DirectoryKind::CertificateMayIssue => "KC",
            DirectoryKind::CertificateMustNotIssue => "BC",
            DirectoryKind::PublicService => "GF",
            DirectoryKind::ProhibitedTask => "JZ",
        }
    }

    /// Lists of what must not be put on villages: an item there forbids rather than allows, so
    /// narrowing it (fewer units, fewer days) would widen what villages may be given.
    pub fn is_prohibitive(self) -> bool {
        matches!(
            self,
            DirectoryKind::ProhibitedTask | DirectoryKind::CertificateMustNotIssue
        )
    }

    /// Certificate lists carry a service guide (may issue) or refusal guidance (must not).
    pub fn is_certificate(self) -> bool {
        matches!(
            self,
            DirectoryKind::CertificateMayIssue | DirectoryKind::CertificateMustNotIssue
        )
    }
}

/// A stable item code: the kind's prefix, a hyphen, three or four digits (`XZ-012`).
///
/// Held inline and `Copy`: the verdict on every target looks codes up in the refinements'
/// maps, and comparing two codes then reads no memory elsewhere.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemCode {
    /// The code's ASCII bytes, padded with zeros: zero sorts before every character, so the
    /// derived order is the order of the strings.
    bytes: [u8; ItemCode::MAX_LEN],
    len: u8,
}

impl ItemCode {
    /// Two letters, a hyphen and up to five digits.
    const MAX_LEN: usize = 8;

    pub fn parse(kind: DirectoryKind, raw: &str) -> Result<ItemCode, String> {
        let raw = raw.trim().to_ascii_uppercase();
        let digits = raw
            .strip_prefix(kind.code_prefix())
            .and_then(|rest| rest.strip_prefix('-'));
        match digits {
            Some(d) if (3..=4).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(ItemCode::inline(&raw))
            }
            _ => Err(format!(
                "事项编码“{raw}”格式不正确：{}目录的编码应为 {}-三至四位数字，例如 {}-001",
                kind.label(),
                kind.code_prefix(),
                kind.code_prefix()
            )),
        }
    }

    /// The code of the `n`th item of a kind, for numbering new items (`n` ≤ 99,999).
    pub fn numbered(kind: DirectoryKind, n: u32) -> ItemCode {
        assert!(n <= 99_999, "item number {n} outside the code space");
        ItemCode::inline(&format!("{}-{n:03}", kind.code_prefix()))
    }

    /// A code already in the shape of one (as stored): letters, a hyphen, digits.
    fn stored(raw: &str) -> Option<ItemCode> {
        let (prefix, digits) = raw.split_once('-')?;
        let shaped = raw.len() <= ItemCode::MAX_LEN
            && prefix.len() == 2
            && prefix.bytes().all(|b| b.is_ascii_uppercase())
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit());
        shaped.then(|| ItemCode::inline(raw))
    }

    /// `raw` is ASCII and at most `MAX_LEN` bytes long (its callers checked).
    fn inline(raw: &str) -> ItemCode {
        let mut bytes = [0; ItemCode::MAX_LEN];
        bytes[..raw.len()].copy_from_slice(raw.as_bytes());
        ItemCode {
            bytes,
            len: raw.len() as u8,
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored, so this cannot fail.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl fmt::Display for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for ItemCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ItemCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = std::borrow::Cow::<'de, str>::deserialize(d)?;
        ItemCode::stored(&raw).ok_or_else(|| {
            serde::de::Error::custom(format!("“{raw}”不是事项编码（应为两位字母、连字符和数字）"))
        })
    }
}

/// Which units an item concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applicability {
    /// 村（村委会）
    Village,
    /// 社区（居委会）
    Community,
    Both,
}

impl Applicability {
    pub const ALL: [Applicability; 3] = [
        Applicability::Both,
        Applicability::Village,
        Applicability::Community,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Village => "village",
            Applicability::Community => "community",
            Applicability::Both => "both",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Applicability::Village => "村",
            Applicability::Community => "社区",
            Applicability::Both => "村和社区",
        }
    }

    /// Reads the English code or the words a spreadsheet uses.
    pub fn parse(raw: &str) -> Option<Applicability> {
        match raw.trim() {
            "village" | "村" | "行政村" | "村委会" => Some(Applicability::Village),
            "community" | "社区" | "居委会" => Some(Applicability::Community),
            "both" | "" | "村和社区" | "村、社区" | "村（社区）" | "村(社区)" | "通用" => {
                Some(Applicability::Both)
            }
            _ => None,
        }
    }

    /// Whether a unit of `kind` is concerned. Units that are neither village nor community
    /// (类似村级单位) count as both, so nothing escapes the directory by its name.
    pub fn applies_to(self, kind: RegionKind) -> bool {
        match (self, kind) {
            (Applicability::Both, _) => true,
            (Applicability::Village, RegionKind::Community) => false,
            (Applicability::Community, RegionKind::Village) => false,
            _ => true,
        }
    }

    /// Whether `self` is `other` or narrower.
    pub fn within(self, other: Applicability) -> bool {
        self == other || other == Applicability::Both
    }

    /// The units both concern; none when one is villages and the other communities.
    pub fn intersect(self, other: Applicability) -> Option<Applicability> {
        match (self, other) {
            (Applicability::Both, x) | (x, Applicability::Both) => Some(x),
            (a, b) if a == b => Some(a),
            _ => None,
        }
    }
}

/// What a village-level organisation needs to issue a certificate (办事指南).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceGuide {
    pub materials: String,
    pub conditions: String,
    pub steps: String,
    /// Working days to issue.
    pub time_limit_days: Option<u32>,
    /// The agency that asks residents for it (要求开具单位).
    pub demanding_agency: String,
    /// The certificate's template text.
    pub template: String,
}

/// One item of a directory version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryItem {
    pub code: ItemCode,
    pub name: String,
    pub category: String,
    /// 法律政策依据
    pub basis: String,
    /// 责任部门
    pub department: String,
    /// What the village or community does.
    pub village_role: String,
    /// What the department provides (经费、培训 — 费随事转).
    pub support: String,
    pub applicability: Applicability,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// For may-issue certificates.
    pub guide: Option<ServiceGuide>,
    /// For must-not-issue certificates and prohibited tasks: where to send the resident instead.
    pub refusal_guidance: Option<String>,
    /// Where the item's text comes from (a published list, its address).
    pub source: String,
    /// Made up to show the platform, not published by any authority.
    pub is_demo: bool,
}

impl DirectoryItem {
    /// Whether the item is in force on `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|end| day <= end)
    }

    /// The fields people compare between versions, by their Chinese names.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let guide = self.guide.clone().unwrap_or_default();
        vec![
            ("名称", self.name.clone()),
            ("类别", self.category.clone()),
            ("依据", self.basis.clone()),
            ("责任部门", self.department.clone()),
            ("村（社区）职责", self.village_role.clone()),
            ("保障措施", self.support.clone()),
            ("适用范围", self.applicability.label().to_owned()),
            ("生效日期", self.valid_from.to_string()),
            (
                "失效日期",
                self.valid_to.map(|d| d.to_string()).unwrap_or_default(),
            ),
            ("所需材料", guide.materials),
            ("办理条件", guide.conditions),
            ("办理流程", guide.steps),
            (
                "办理时限（工作日）",
                guide
                    .time_limit_days
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            ("要求开具单位", guide.demanding_agency),
            ("证明模板", guide.template),
            (
                "不予出具时的指引",
                self.refusal_guidance.clone().unwrap_or_default(),
            ),
        ]
    }
}

/// A published version of one directory: immutable once published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryVersion {
    pub kind: DirectoryKind,
    /// 1, 2, 3… in publication order.
    pub number: u32,
    /// The day it takes effect; it stays in force until the next version's day.
    pub effective_from: NaiveDate,
    pub items: Vec<DirectoryItem>,
}

/// The version in force on `day`: the latest whose effective day has come.
pub fn version_at(versions: &[DirectoryVersion], day: NaiveDate) -> Option<&DirectoryVersion> {
    versions
        .iter()
        .filter(|v| v.effective_from <= day)
        .max_by_key(|v| (v.effective_from, v.number))
}

/// District detail added to a city item (细化): none of it can widen the item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refinement {
    /// A remark shown beside the item.
    pub note: Option<String>,
    /// Narrower applicability than the city's.
    pub applicability: Option<Applicability>,
    /// A later start or an earlier end than the city's.
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// 制度依据、职责范围、运行流程 in the district.
    pub local_basis: Option<String>,
    pub scope: Option<String>,
    pub process: Option<String>,
}

impl Refinement {
    /// Says nothing: no note, no narrowing, no detail.
    pub fn is_empty(&self) -> bool {
        *self == Refinement::default()
    }
}

/// A district's refinement of one city version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictRefinement {
    /// The 6-digit district the refinement belongs to.
    pub district: crate::RegionCode,
    pub kind: DirectoryKind,
    pub number: u32,
    pub effective_from: NaiveDate,
    pub entries: BTreeMap<ItemCode, Refinement>,
}

/// The refinement of `district` in force on `day` among `refinements` (any districts').
pub fn refinement_at<'a>(
    refinements: &'a [DistrictRefinement],
    district: &crate::RegionCode,
    day: NaiveDate,
) -> Option<&'a DistrictRefinement> {
    refinements
        .iter()
        .filter(|r| &r.district == district && r.effective_from <= day)
        .max_by_key(|r| (r.effective_from, r.number))
}

/// Why a refinement would widen the city base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Widening {
    /// The item is not in the city base: a district cannot add items.
    UnknownItem(ItemCode),
    /// Applicability wider than the city's.
    Applicability {
        code: ItemCode,
        city: Applicability,
        district: Applicability,
    },
    /// A start before the city's or an end after it.
    Validity(ItemCode),
    /// Fewer units or days for an item that forbids: the ban would cover less.
    Prohibition(ItemCode),
}

impl fmt::Display for Widening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Widening::UnknownItem(code) => {
                write!(f, "事项 {code} 不在市级目录中：区级细化不能新增事项")
            }
            Widening::Applicability {
                code,
                city,
                district,
            } => write!(
                f,
                "事项 {code} 市级适用于{}，区级不能扩大为{}",
                city.label(),
                district.label()
            ),
            Widening::Validity(code) => {
                write!(f, "事项 {code} 的区级有效期超出了市级有效期")
            }
            Widening::Prohibition(code) => write!(
                f,
                "事项 {code} 是禁止类事项：区级细化不能缩小其适用范围或有效期（那会放宽禁止），只能补充说明、制度依据、职责范围和运行流程"
            ),
        }
    }
}

/// Checks that `entries` only annotate, narrow or detail items of `base`.
pub fn check_refinement(
    base: &DirectoryVersion,
    entries: &BTreeMap<ItemCode, Refinement>,
) -> Result<(), Vec<Widening>> {
    let mut problems = Vec::new();
    for (code, r) in entries {
        let Some(item) = base.items.iter().find(|i| &i.code == code) else {
            problems.push(Widening::UnknownItem(*code));
            continue;
        };
        if base.kind.is_prohibitive()
            && (r.applicability.is_some() || r.valid_from.is_some() || r.valid_to.is_some())
        {
            problems.push(Widening::Prohibition(*code));
            continue;
        }
        if let Some(a) = r.applicability
            && !a.within(item.applicability)
        {
            problems.push(Widening::Applicability {
                code: *code,
                city: item.applicability,
                district: a,
            });
        }
        let starts_early = r.valid_from.is_some_and(|d| d < item.valid_from);
        let ends_late = match (r.valid_to, item.valid_to) {
            (Some(d), Some(city)) => d > city,
            (None, _) => false,
            (Some(_), None) => false,
        };
        if starts_early || ends_late {
            problems.push(Widening::Validity(*code));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// An item as it applies in a district: the city's item with the district's detail, its
/// applicability and validity narrowed by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveItem<'a> {
    pub item: &'a DirectoryItem,
    pub refinement: Option<&'a Refinement>,
    /// None when the district's narrowing and the city's no longer overlap (the district
    /// kept it to communities, the city later to villages): the item then concerns nobody
    /// in the district.
    pub applicability: Option<Applicability>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

impl EffectiveItem<'_> {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|end| day <= end)
    }
}

/// `item` of a directory of `kind` with the district's `refinement` of it applied: the two
/// intersected, so narrowing only, even if an unchecked refinement says otherwise or the city
/// narrowed the item since. An item that forbids is never narrowed (that would widen).
pub fn refined<'a>(
    kind: DirectoryKind,
    item: &'a DirectoryItem,
    refinement: Option<&'a Refinement>,
) -> EffectiveItem<'a> {
    let r = refinement.filter(|_| !kind.is_prohibitive());
    let applicability = match r.and_then(|r| r.applicability) {
        Some(a) => a.intersect(item.applicability),
        None => Some(item.applicability),
    };
    let valid_from = r
        .and_then(|r| r.valid_from)
        .map_or(item.valid_from, |d| d.max(item.valid_from));
    let valid_to = match (r.and_then(|r| r.valid_to), item.valid_to) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    EffectiveItem {
        item,
        refinement,
        applicability,
        valid_from,
        valid_to,
    }
}

/// The effective directory of a unit of `kind` on `day`: the city base with the refinement of
/// the unit's district (both as in force that day), only items valid and applicable then.
pub fn effective<'a>(
    base: &'a DirectoryVersion,
    refinement: Option<&'a DistrictRefinement>,
    unit: RegionKind,
    day: NaiveDate,
) -> Vec<EffectiveItem<'a>> {
    base.items
        .iter()
        .map(|item| {
            let r = refinement.and_then(|d| d.entries.get(&item.code));
            refined(base.kind, item, r)
        })
        .filter(|e| e.valid_on(day) && e.applicability.is_some_and(|a| a.applies_to(unit)))
        .collect()
}

/// One field that differs between two versions of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// What changed from one version to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionDiff {
    pub added: Vec<ItemCode>,
    pub retired: Vec<ItemCode>,
    pub changed: Vec<(ItemCode, Vec<FieldChange>)>,
}

impl VersionDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.retired.is_empty() && self.changed.is_empty()
    }
}

/// Compares two versions item by item (by code), in code order.
pub fn diff(from: &DirectoryVersion, to: &DirectoryVersion) -> VersionDiff {
    let old: BTreeMap<&ItemCode, &DirectoryItem> =
        from.items.iter().map(|i| (&i.code, i)).collect();
    let new: BTreeMap<&ItemCode, &DirectoryItem> = to.items.iter().map(|i| (&i.code, i)).collect();
    let mut out = VersionDiff::default();
    for (code, item) in &new {
        match old.get(code) {
            None => out.added.push(**code),
            Some(before) => {
                let changes: Vec<FieldChange> = before
                    .fields()
                    .into_iter()
                    .zip(item.fields())
                    .filter(|((_, a), (_, b))| a != b)
                    .map(|((field, before), (_, after))| FieldChange {
                        field,
                        before,
                        after,
                    })
                    .collect();
                if !changes.is_empty() {
                    out.changed.push((**code, changes));
                }
            }
        }
    }
    out.retired = old
        .keys()
        .filter(|c| !new.contains_key(*c))
        .map(|c| **c)
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn item_codes_read_back_as_written_and_refuse_other_shapes() {
        let code = ItemCode::parse(DirectoryKind::Assistance, " xz-0012 ").unwrap();
        assert_eq!(code.as_str(), "XZ-0012");
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"XZ-0012\"");
        assert_eq!(serde_json::from_str::<ItemCode>(&json).unwrap(), code);
        for bad in [
            "\"\"",
            "\"XZ0012\"",
            "\"XZ-\"",
            "\"xz-001\"",
            "\"XZ-123456\"",
            "\"区-001\"",
        ] {
            assert!(serde_json::from_str::<ItemCode>(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Maps keyed by codes list them as the strings sort (the directories' order).
        #[test]
        fn item_codes_sort_as_their_strings(a in 0u32..100_000, b in 0u32..100_000, ka in 0usize..7, kb in 0usize..7) {
            let a = ItemCode::numbered(DirectoryKind::ALL[ka], a);
            let b = ItemCode::numbered(DirectoryKind::ALL[kb], b);
            prop_assert_eq!(a.cmp(&b), a.as_str().cmp(b.as_str()));
            prop_assert_eq!(a == b, a.as_str() == b.as_str());
        }
    }

    fn item(n: u32, applicability: Applicability) -> DirectoryItem {
        DirectoryItem {
            code: ItemCode::numbered(DirectoryKind::Assistance, n),
            name: format!("协助事项{n}"),
            category: "社会治安".into(),
            basis: "《中华人民共和国城市居民委员会组织法》第三条".into(),
            department: "市公安局".into(),
            village_role: "协助宣传".into(),
            support: "工作经费随事转移".into(),
            applicability,
            valid_from: day("2023-06-01"),
            valid_to: None,
            guide: None,
            refusal_guidance: None,
            source: String::new(),
            is_demo: false,
        }
    }

    fn version(number: u32, from: &str, items: Vec<DirectoryItem>) -> DirectoryVersion {
        DirectoryVersion {
            kind: DirectoryKind::Assistance,
            number,
            effective_from: day(from),
            items,
        }
    }

    fn refinement(entries: Vec<(u32, Refinement)>) -> DistrictRefinement {
        DistrictRefinement {
            district: crate::RegionCode::parse("120119").unwrap(),
            kind: DirectoryKind::Assistance,
            number: 1,
            effective_from: day("2023-07-01"),
            entries: entries
                .into_iter()
                .map(|(n, r)| (ItemCode::numbered(DirectoryKind::Assistance, n), r))
                .collect(),
        }
    }

    #[test]
    fn a_later_city_narrowing_intersects_with_the_district_one() {
        let mut city = item(1, Applicability::Village);
        let district = Refinement {
            applicability: Some(Applicability::Community),
            ..Refinement::default()
        };
        let e = refined(DirectoryKind::Assistance, &city, Some(&district));
        assert_eq!(
            e.applicability, None,
            "villages ∩ communities concerns nobody"
        );
        city.applicability = Applicability::Both;
        let e = refined(DirectoryKind::Assistance, &city, Some(&district));
        assert_eq!(e.applicability, Some(Applicability::Community));
        // A ban is never narrowed, whatever an unchecked refinement says.
        let e = refined(DirectoryKind::ProhibitedTask, &city, Some(&district));
        assert_eq!(e.applicability, Some(Applicability::Both));
        assert_eq!(e.refinement, Some(&district), "its detail still shows");
        assert_eq!(
            Applicability::Village.intersect(Applicability::Community),
            None
        );
    }

    #[test]
    fn kinds_and_codes() {
        for k in DirectoryKind::ALL {
            assert_eq!(DirectoryKind::parse(k.as_str()), Some(k));
        }
        let k = DirectoryKind::CertificateMayIssue;
        assert_eq!(ItemCode::parse(k, " kc-012 ").unwrap().as_str(), "KC-012");
        assert!(ItemCode::parse(k, "KC-12").unwrap_err().contains("KC-001"));
        assert!(
            ItemCode::parse(k, "LZ-012").is_err(),
            "another kind's prefix"
        );
        assert_eq!(ItemCode::numbered(k, 7).as_str(), "KC-007");
    }

    #[test]
    fn applicability_words_and_units() {
        assert_eq!(
            Applicability::parse("居委会"),
            Some(Applicability::Community)
        );
        assert_eq!(Applicability::parse(""), Some(Applicability::Both));
        assert_eq!(Applicability::parse("乡镇"), None);
        assert!(!Applicability::Village.applies_to(RegionKind::Community));
        assert!(Applicability::Village.applies_to(RegionKind::Village));
        assert!(Applicability::Community.applies_to(RegionKind::Other));
        assert!(Applicability::Village.within(Applicability::Both));
        assert!(!Applicability::Both.within(Applicability::Village));
    }

    #[test]
    fn the_version_in_force_is_the_latest_that_has_begun() {
        let versions = vec![
            version(1, "2023-06-01", vec![item(1, Applicability::Both)]),
            version(2, "2024-01-01", vec![]),
        ];
        assert_eq!(version_at(&versions, day("2023-05-31")), None);
        assert_eq!(version_at(&versions, day("2023-12-31")).unwrap().number, 1);
        assert_eq!(version_at(&versions, day("2024-01-01")).unwrap().number, 2);
    }

    #[test]
    fn a_refinement_may_narrow_but_never_widen() {
        let base = version(
            1,
            "2023-06-01",
            vec![
                item(1, Applicability::Village),
                item(2, Applicability::Both),
            ],
        );
        let narrow = refinement(vec![(
            2,
            Refinement {
                applicability: Some(Applicability::Community),
                valid_from: Some(day("2023-09-01")),
                local_basis: Some("蓟州区社区治理实施细则".into()),
                ..Default::default()
            },
        )]);
        assert_eq!(check_refinement(&base, &narrow.entries), Ok(()));

        let wide = refinement(vec![
            (
                1,
                Refinement {
                    applicability: Some(Applicability::Both),
                    valid_from: Some(day("2023-01-01")),
                    ..Default::default()
                },
            ),
            (9, Refinement::default()),
        ]);
        let problems = check_refinement(&base, &wide.entries).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].to_string().contains("不能扩大为村和社区"));
        assert!(problems[1].to_string().contains("超出了市级有效期"));
        assert!(problems[2].to_string().contains("不能新增事项"));
    }

    #[test]
    fn the_effective_directory_merges_the_district_and_the_date() {
        let mut retired = item(3, Applicability::Both);
        retired.valid_to = Some(day("2023-12-31"));
        let base = version(
            1,
            "2023-06-01",
            vec![
                item(1, Applicability::Village),
                item(2, Applicability::Both),
                retired,
            ],
        );
        let district = refinement(vec![(
            2,
            Refinement {
                applicability: Some(Applicability::Village),
                note: Some("仅限涉农村".into()),
                ..Default::default()
            },
        )]);
        let codes = |items: Vec<EffectiveItem>| -> Vec<String> {
            items.iter().map(|e| e.item.code.to_string()).collect()
        };
        let village = effective(
            &base,
            Some(&district),
            RegionKind::Village,
            day("2023-08-01"),
        );
        assert_eq!(codes(village), ["XZ-001", "XZ-002", "XZ-003"]);
        let community = effective(
            &base,
            Some(&district),
            RegionKind::Community,
            day("2023-08-01"),
        );
        assert_eq!(
            codes(community),
            ["XZ-003"],
            "narrowed to villages in this district"
        );
        let elsewhere = effective(&base, None, RegionKind::Community, day("2024-02-01"));
        assert_eq!(codes(elsewhere), ["XZ-002"], "XZ-003 has ended");
        let e = effective(
            &base,
            Some(&district),
            RegionKind::Village,
            day("2023-08-01"),
        );
        assert_eq!(e[1].refinement.unwrap().note.as_deref(), Some("仅限涉农村"));
    }

    #[test]
    fn a_diff_names_added_retired_and_changed_fields() {
        let v1 = version(
            1,
            "2023-06-01",
            vec![item(1, Applicability::Both), item(2, Applicability::Both)],
        );
        let mut changed = item(2, Applicability::Community);
        changed.department = "市民政局".into();
        let v2 = version(2, "2024-01-01", vec![changed, item(3, Applicability::Both)]);
        let d = diff(&v1, &v2);
        assert_eq!(d.added, [ItemCode::numbered(DirectoryKind::Assistance, 3)]);
        assert_eq!(
            d.retired,
            [ItemCode::numbered(DirectoryKind::Assistance, 1)]
        );
        let (code, fields) = &d.changed[0];
        assert_eq!(code.as_str(), "XZ-002");
        let names: Vec<&str> = fields.iter().map(|f| f.field).collect();
        assert_eq!(names, ["责任部门", "适用范围"]);
        assert_eq!(fields[1].before, "村和社区");
        assert!(diff(&v2, &v2).is_empty());
    }

    fn applicability() -> impl Strategy<Value = Applicability> {
        prop_oneof![
            Just(Applicability::Both),
            Just(Applicability::Village),
            Just(Applicability::Community)
        ]
    }

    fn unit() -> impl Strategy<Value = RegionKind> {
        prop_oneof![
            Just(RegionKind::Village),
            Just(RegionKind::Community),
            Just(RegionKind::Other)
        ]
    }

    proptest! {
        /// Whatever a refinement says, the effective directory of any unit at any date is a
        /// subset of the city base's for the same unit and date.
        #[test]
        fn an_accepted_refinement_never_widens(
            city in proptest::collection::vec((applicability(), 0i64..400, proptest::option::of(0i64..400)), 1..8),
            district in proptest::collection::vec((0usize..8, proptest::option::of(applicability()), proptest::option::of(0i64..400), proptest::option::of(0i64..400)), 0..8),
            unit in unit(),
            at in 0i64..500,
        ) {
            let start = day("2023-01-01");
            let items: Vec<DirectoryItem> = city.iter().enumerate().map(|(n, (a, from, len))| {
                let mut i = item(n as u32 + 1, *a);
                i.valid_from = start + chrono::Duration::days(*from);
                i.valid_to = len.map(|l| i.valid_from + chrono::Duration::days(l));
                i
            }).collect();
            let base = version(1, "2023-01-01", items);
            let entries = district.iter().map(|(n, a, from, to)| {
                (ItemCode::numbered(DirectoryKind::Assistance, *n as u32 + 1), Refinement {
                    applicability: *a,
                    valid_from: from.map(|d| start + chrono::Duration::days(d)),
                    valid_to: to.map(|d| start + chrono::Duration::days(d)),
                    ..Default::default()
                })
            }).collect();
            let mut r = refinement(vec![]);
            r.entries = entries;
            let on = start + chrono::Duration::days(at);
            let plain: Vec<&ItemCode> = effective(&base, None, unit, on).iter().map(|e| &e.item.code).collect();
            let refined: Vec<&ItemCode> = effective(&base, Some(&r), unit, on).iter().map(|e| &e.item.code).collect();
            for code in &refined {
                prop_assert!(plain.contains(code), "{} appears only with the refinement", code);
            }
        }
    }
}
